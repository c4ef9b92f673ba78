// The evidence store: files received on the channels (photos of hazards and records), kept by the product
// in the database in chunks (PGlite and PostgreSQL alike), or as objects of an S3-compatible bucket when one
// is configured. A file is checked by its bytes (size, content type) and kept once per tenant and content.
import { fileTypeFromBuffer } from 'file-type';
import type { Db } from '../../db/client.ts';
import {
  insertStoredFile,
  keepThumbnail,
  type StoredFile,
  storedFileById,
  storedFileBySha,
  storedFileChunkBytes,
  storedThumbnail,
} from '../../db/queries/evidence.ts';
import {
  documentRefusal,
  EVIDENCE_LIMITS,
  type FileLocation,
  HAZARD_IMAGES_ONLY,
  isImageType,
  readsAsText,
  TEXT_TYPE,
  THUMBNAIL_SOURCES,
} from '../../handlers/evidence-rules.ts';
import type { ReadThumbnail } from '../../handlers/photo-text.ts';
import { tenantOfEvent } from './identify.ts';
import type { Logger } from './log.ts';
import { createS3Bucket, type S3Bucket, type S3Options } from './s3.ts';
import type { Thumbnailer } from './thumbnails.ts';
import type { Attachment, MessageEvent } from './types.ts';

/** A file the store does not keep, with the reason in words for the person who sent it. */
export class EvidenceRefused extends Error {
  override name = 'EvidenceRefused';
}

/** A download from a platform that did not succeed; `retryable` unless the platform says it never will. */
export class FetchFailure extends Error {
  override name = 'FetchFailure';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A received file as the platform names it. */
export interface FileRef {
  kind: 'image' | 'file';
  /** Feishu image_key/file_key, WeCom MediaId. */
  key: string;
  /** The message that carried it (Feishu fetches a resource through its message). */
  messageId: string | null;
}

/** A channel's download of a received file: its bytes, or a FetchFailure. */
export interface FileFetcher {
  fetchFile(ref: FileRef): Promise<Uint8Array>;
}

export interface PutOptions {
  /** Refuse anything whose bytes are not an image (a hazard's photos). */
  imagesOnly: boolean;
}

export interface EvidenceStore {
  readonly location: FileLocation;
  /** Checks and keeps the bytes; the tenant's file of the same content when kept already. */
  put(
    tenantId: number,
    bytes: Uint8Array,
    options: PutOptions,
  ): Promise<{ file: StoredFile; created: boolean }>;
  /** A stored file's bytes and content type, or null when the tenant has no such file. */
  read(tenantId: number, fileId: number): Promise<{ bytes: Uint8Array; contentType: string } | null>;
  /**
   * A stored photo's thumbnail as kept; when none is kept and `make`, made now (on the thumbnailer's
   * thread) and kept. `none` without a thumbnailer (Cloudflare Workers).
   */
  thumbnail: ReadThumbnail;
  /** Resolves when the thumbnails of the photos kept so far are made and kept (their work is in the background). */
  settled(): Promise<void>;
}

export interface EvidenceStoreOptions {
  db: Db;
  /** The bucket, when evidence is kept there (EVIDENCE_S3_*); the database otherwise. */
  s3?: S3Options | S3Bucket;
  /**
   * Makes the thumbnail of each JPEG or PNG photo as it is kept, in the background (the answer to the
   * event and the download job do not wait for it), and those the ledger asks for; none without it.
   */
  thumbnails?: Thumbnailer;
  /** Where a thumbnail that failed in the background is told. */
  log?: Logger;
}

/**
 * Reads a download whole, refusing it as soon as it grows past the size cap (a platform's 100 MB file is
 * never held in memory).
 */
export async function readCapped(
  stream: AsyncIterable<Uint8Array>,
  onTooLarge?: () => void,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > EVIDENCE_LIMITS.fileBytes) {
      onTooLarge?.();
      throw fileTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The refusal of a file past the size cap, whatever its exact size. */
export const fileTooLarge = () =>
  new EvidenceRefused(`文件超过单个文件 ${megabytes(EVIDENCE_LIMITS.fileBytes)} 的上限`);

const megabytes = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MB`;

/**
 * The content type of a file by its bytes; refuses one too large, not an image when it must be, or (a
 * record's file) not one of the office documents and media a record may carry: never a program.
 */
export async function checkFile(bytes: Uint8Array, options: PutOptions): Promise<string> {
  if (bytes.byteLength === 0) throw new EvidenceRefused('文件为空');
  if (bytes.byteLength > EVIDENCE_LIMITS.fileBytes) {
    throw new EvidenceRefused(
      `文件 ${megabytes(bytes.byteLength)}，超过单个文件 ${megabytes(EVIDENCE_LIMITS.fileBytes)} 的上限`,
    );
  }
  const type = await fileTypeFromBuffer(bytes);
  const contentType = type?.mime ?? (readsAsText(bytes) ? TEXT_TYPE : 'application/octet-stream');
  if (options.imagesOnly && !isImageType(contentType)) {
    throw new EvidenceRefused(`不是图片（识别为 ${type ? type.ext : '未知格式'}），${HAZARD_IMAGES_ONLY}`);
  }
  const refusal = documentRefusal(contentType, type?.ext ?? (contentType === TEXT_TYPE ? 'txt' : undefined));
  if (refusal) throw new EvidenceRefused(refusal);
  return contentType;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const chunksOf = (bytes: Uint8Array) => {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += EVIDENCE_LIMITS.chunkBytes) {
    chunks.push(bytes.subarray(at, at + EVIDENCE_LIMITS.chunkBytes));
  }
  return chunks;
};

/** Photos waiting for their thumbnail whose bytes are held in memory meanwhile. */
const HELD_PHOTOS = 4;

export function createEvidenceStore(options: EvidenceStoreOptions): EvidenceStore {
  const { db, thumbnails } = options;
  const bucket = options.s3 && ('put' in options.s3 ? options.s3 : createS3Bucket(options.s3));
  const objectKey = (tenantId: number, sha256: string) => `evidence/${tenantId}/${sha256}`;
  /** Thumbnails being made in the background, and the last of them in line. */
  const making = new Set<Promise<void>>();
  let turn: Promise<void> = Promise.resolve();

  /** Makes a photo's thumbnail and keeps it, or why none can be made; undefined when it could not be now. */
  async function makeAndKeep(tenantId: number, fileId: number, bytes: Uint8Array, contentType: string) {
    const result = await thumbnails?.make(bytes, contentType);
    if (!result) return undefined;
    await keepThumbnail(
      db,
      result.ok
        ? { tenantId, fileId, data: result.bytes, width: result.width, height: result.height }
        : { tenantId, fileId, error: result.refused },
    );
    return result;
  }

  function inBackground(tenantId: number, file: StoredFile, bytes: Uint8Array) {
    if (!thumbnails || !THUMBNAIL_SOURCES.has(file.contentType)) return;
    // Photos take their turn one after the other (one thread makes them): the first few keep their bytes,
    // the rest of a flood are read again when their turn comes (memory holds a few photos, not every one).
    const held = making.size < HELD_PHOTOS ? bytes : undefined;
    const make = async () => {
      const source = held ?? (await read(tenantId, file.id))?.bytes;
      if (source) await makeAndKeep(tenantId, file.id, source, file.contentType);
    };
    // Never rejects: the next in line goes on after a failure.
    const work = turn.then(make).then(
      () => {},
      (error) =>
        options.log?.warn('thumbnail not kept', {
          file: file.id,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
    turn = work;
    making.add(work);
    void work.finally(() => making.delete(work));
  }

  async function read(tenantId: number, fileId: number) {
    const file = await storedFileById(db, tenantId, fileId);
    if (!file) return null;
    if (file.location === 'db') {
      return { bytes: await storedFileChunkBytes(db, file.id), contentType: file.contentType };
    }
    if (!bucket) throw new Error(`stored file ${file.id} is in the bucket, but no bucket is configured`);
    const bytes = await bucket.get(file.objectKey!);
    return bytes && { bytes, contentType: file.contentType };
  }

  return {
    location: bucket ? 's3' : 'db',
    async put(tenantId, bytes, putOptions) {
      const contentType = await checkFile(bytes, putOptions);
      const sha256 = await sha256Hex(bytes);
      const existing = await storedFileBySha(db, tenantId, sha256);
      if (existing) return { file: existing, created: false };
      const row = { tenantId, sha256, contentType, size: bytes.byteLength };
      let kept: { file: StoredFile; created: boolean };
      if (bucket) {
        // The object first: a row exists only once its bytes are in the bucket (a retry rewrites the same
        // object under the same key).
        const key = objectKey(tenantId, sha256);
        await bucket.put(key, bytes, contentType, sha256);
        kept = await db.transaction((tx) =>
          insertStoredFile(tx, { ...row, location: 's3', objectKey: key }, []),
        );
      } else {
        kept = await db.transaction((tx) =>
          insertStoredFile(tx, { ...row, location: 'db' }, chunksOf(bytes)),
        );
      }
      if (kept.created) inBackground(tenantId, kept.file, bytes);
      return kept;
    },
    read,
    async thumbnail(tenantId, fileId, { make }) {
      const kept = await storedThumbnail(db, tenantId, fileId);
      if (kept) {
        return kept.data
          ? { kind: 'made', bytes: kept.data, width: kept.width, height: kept.height }
          : { kind: 'refused', reason: kept.error };
      }
      if (!make || !thumbnails) return { kind: 'none' };
      const file = await read(tenantId, fileId);
      if (!file) return { kind: 'missing' };
      const result = await makeAndKeep(tenantId, fileId, file.bytes, file.contentType);
      if (!result) return { kind: 'none' };
      return result.ok
        ? { kind: 'made', bytes: result.bytes, width: result.width, height: result.height }
        : { kind: 'refused', reason: result.refused };
    },
    async settled() {
      while (making.size > 0) await Promise.all(making);
    },
  };
}

/**
 * A file whose bytes a channel has in hand on arrival (the 智能机器人 decrypts them, Wechaty's FileBox)
 * kept at once for the event's tenant: the attachment names the stored file, or why it was refused. An
 * image must be an image by its bytes; a file one of the documents and media a record may carry.
 */
export async function keepOnArrival(
  db: Db,
  store: EvidenceStore,
  event: Pick<MessageEvent, 'channel' | 'sender' | 'chat'>,
  attachment: { kind: 'image' | 'file'; key: string; name?: string },
  bytes: Uint8Array,
): Promise<Attachment> {
  const tenantId = await tenantOfEvent(db, event);
  if (tenantId === undefined) return { ...attachment, refused: '无法确定所属单位' };
  try {
    const { file } = await store.put(tenantId, bytes, { imagesOnly: attachment.kind === 'image' });
    return { ...attachment, fileId: file.id };
  } catch (error) {
    if (error instanceof EvidenceRefused) return { ...attachment, refused: error.message };
    throw error;
  }
}
