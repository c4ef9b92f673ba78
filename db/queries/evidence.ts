// Evidence kept by the product: stored files (their bytes in chunks, or an object key in the bucket) and
// the photos of hazards and of records that point at them, with the state of their download.
import { and, asc, eq, gt, inArray, isNull, lt, lte, sql } from 'drizzle-orm';
import type { FetchStatus, FileLocation, PhotoStage } from '../../handlers/evidence-rules.ts';
import type { Queryable, Tx } from '../client.ts';
import {
  completionPhotos,
  hazardPhotos,
  storedFileChunks,
  storedFiles,
  storedFileThumbnails,
} from '../schema.ts';
import { byIdInTenant, byKeyInTenant } from './rows.ts';

export type StoredFile = typeof storedFiles.$inferSelect;

/** One photo of a hazard as the console, the cards and the ledger show it. */
export interface HazardPhotoListing {
  id: number;
  hazardId: number;
  stage: PhotoStage;
  status: FetchStatus;
  /** The stored file (for the evidence store's `read`, bot/core/evidence.ts); null unless `stored`. */
  fileId: number | null;
  contentType: string | null;
  size: number | null;
  /** Why it was refused or could not be had (`failed`). */
  error: string | null;
  channel: string;
  createdAt: Date;
}

/** The photos of the given hazards of a tenant, in the order they came (by hazard, then arrival). */
export async function listHazardPhotos(
  db: Queryable,
  tenantId: number,
  hazardIds: readonly number[],
): Promise<HazardPhotoListing[]> {
  if (hazardIds.length === 0) return [];
  return db
    .select({
      id: hazardPhotos.id,
      hazardId: hazardPhotos.hazardId,
      stage: hazardPhotos.stage,
      status: hazardPhotos.fetchStatus,
      fileId: hazardPhotos.fileId,
      contentType: storedFiles.contentType,
      size: storedFiles.size,
      error: hazardPhotos.fetchError,
      channel: hazardPhotos.channel,
      createdAt: hazardPhotos.createdAt,
    })
    .from(hazardPhotos)
    .leftJoin(storedFiles, eq(storedFiles.id, hazardPhotos.fileId))
    .where(and(eq(hazardPhotos.tenantId, tenantId), inArray(hazardPhotos.hazardId, [...hazardIds])))
    .orderBy(asc(hazardPhotos.hazardId), asc(hazardPhotos.id));
}

/** One photo of a hazard by its id, within a tenant. */
export const hazardPhotoById = byIdInTenant(hazardPhotos);

/** A stored file's row within its tenant. */
export const storedFileById = byIdInTenant(storedFiles);

/** The tenant's file with this content, if it is kept already. */
export const storedFileBySha = byKeyInTenant<typeof storedFiles, string>(storedFiles, storedFiles.sha256);

// Chunks travel as base64 text, decoded and encoded by PostgreSQL: PGlite takes a 5 MB file as bytea
// parameters in ~1.7 s and as base64 text in ~0.2 s (its single connection is held meanwhile), and reads it
// back twice as fast; postgres.js carries either well.
const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The bytes of a file kept in the database, its chunks joined in order. */
export async function storedFileChunkBytes(db: Queryable, fileId: number): Promise<Uint8Array> {
  const chunks = await db
    .select({ data: sql<string>`encode(${storedFileChunks.data}, 'base64')` })
    .from(storedFileChunks)
    .where(eq(storedFileChunks.fileId, fileId))
    .orderBy(asc(storedFileChunks.seq));
  // Buffer: Node and Workers (nodejs_compat) alike.
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk.data, 'base64')));
}

export interface NewStoredFile {
  tenantId: number;
  sha256: string;
  contentType: string;
  size: number;
  location: FileLocation;
  objectKey?: string | null;
  createdAt?: Date;
}

/**
 * Writes a file's row and its chunks (none for a bucket object) in the caller's transaction; when the
 * tenant keeps this content already (same sha256), writes nothing and answers the existing row.
 */
export async function insertStoredFile(
  tx: Tx,
  file: NewStoredFile,
  chunks: readonly Uint8Array[],
): Promise<{ file: StoredFile; created: boolean }> {
  const [inserted] = await tx.insert(storedFiles).values(file).onConflictDoNothing().returning();
  if (!inserted) return { file: (await storedFileBySha(tx, file.tenantId, file.sha256))!, created: false };
  if (chunks.length > 0) {
    await tx.insert(storedFileChunks).values(
      chunks.map((data, seq) => ({
        fileId: inserted.id,
        seq,
        data: sql`decode(${toBase64(data)}, 'base64')`,
      })),
    );
  }
  return { file: inserted, created: true };
}

// ---------------------------------------------------------------------------------------------------
// Thumbnails of stored photos

/** A kept thumbnail: the JPEG and its size, or why none can be made of the file. */
export type StoredThumbnail =
  | { data: Uint8Array; width: number; height: number; error: null }
  | { data: null; width: null; height: null; error: string };

/** The kept thumbnail of a tenant's stored file (made, or why none can be), if any. */
export async function storedThumbnail(
  db: Queryable,
  tenantId: number,
  fileId: number,
): Promise<StoredThumbnail | undefined> {
  const [row] = await db
    .select({
      data: sql<string | null>`encode(${storedFileThumbnails.data}, 'base64')`,
      width: storedFileThumbnails.width,
      height: storedFileThumbnails.height,
      error: storedFileThumbnails.error,
    })
    .from(storedFileThumbnails)
    .where(and(eq(storedFileThumbnails.tenantId, tenantId), eq(storedFileThumbnails.fileId, fileId)));
  if (!row) return undefined;
  // The table's check: data, width and height together, or an error alone.
  return { ...row, data: row.data === null ? null : Buffer.from(row.data, 'base64') } as StoredThumbnail;
}

/**
 * Keeps a stored file's thumbnail, or why none can be made of it; a file that has one already keeps it (two
 * makers of the same photo made the same thumbnail).
 */
export async function keepThumbnail(
  db: Queryable,
  row: { tenantId: number; fileId: number } & (
    | { data: Uint8Array; width: number; height: number }
    | { error: string }
  ),
): Promise<void> {
  await db
    .insert(storedFileThumbnails)
    .values(
      'data' in row
        ? {
            tenantId: row.tenantId,
            fileId: row.fileId,
            data: sql`decode(${toBase64(row.data)}, 'base64')`,
            width: row.width,
            height: row.height,
          }
        : { tenantId: row.tenantId, fileId: row.fileId, error: row.error },
    )
    .onConflictDoNothing();
}

/**
 * Stored files of these content types with no thumbnail kept (made or refused), of every tenant, kept
 * before `createdBefore`, by id after `afterId`.
 */
export async function filesWithoutThumbnail(
  db: Queryable,
  range: { afterId: number; createdBefore: Date; contentTypes: readonly string[]; limit: number },
): Promise<{ id: number; tenantId: number }[]> {
  return db
    .select({ id: storedFiles.id, tenantId: storedFiles.tenantId })
    .from(storedFiles)
    .leftJoin(storedFileThumbnails, eq(storedFileThumbnails.fileId, storedFiles.id))
    .where(
      and(
        isNull(storedFileThumbnails.fileId),
        gt(storedFiles.id, range.afterId),
        lt(storedFiles.createdAt, range.createdBefore),
        inArray(storedFiles.contentType, [...range.contentTypes]),
      ),
    )
    .orderBy(asc(storedFiles.id))
    .limit(range.limit);
}

// ---------------------------------------------------------------------------------------------------
// Downloads of received files

export type HazardPhoto = typeof hazardPhotos.$inferSelect;
export type CompletionPhoto = typeof completionPhotos.$inferSelect;
export type NewCompletionPhoto = typeof completionPhotos.$inferInsert;

/** Which photos: of hazards or of records (completions). */
export type PhotoTable = 'hazard' | 'completion';
const TABLES = { hazard: hazardPhotos, completion: completionPhotos } as const;

/** A photo whose download is due, of either table. */
export type DuePhoto = { table: PhotoTable; row: HazardPhoto | CompletionPhoto };

/** Photos waiting for their download whose next try is due, oldest first, of every tenant. */
export async function duePhotos(db: Queryable, now: Date, limit: number): Promise<DuePhoto[]> {
  const due: DuePhoto[] = [];
  for (const table of ['hazard', 'completion'] as const) {
    const photos = TABLES[table];
    const rows = await db
      .select()
      .from(photos)
      .where(and(eq(photos.fetchStatus, 'pending'), lte(photos.fetchNextAt, now)))
      .orderBy(asc(photos.fetchNextAt), asc(photos.id))
      .limit(limit);
    due.push(...rows.map((row) => ({ table, row })));
  }
  return due;
}

/** The earliest next try of a pending download, if any (for the pump's next wake). */
export async function nextPhotoTry(db: Queryable): Promise<Date | undefined> {
  let next: Date | undefined;
  for (const photos of Object.values(TABLES)) {
    const [row] = await db
      .select({ at: sql<Date | null>`min(${photos.fetchNextAt})`.mapWith(photos.fetchNextAt) })
      .from(photos)
      .where(eq(photos.fetchStatus, 'pending'));
    if (row?.at && (!next || row.at < next)) next = row.at;
  }
  return next;
}

/**
 * Records the outcome of a try on a photo still pending (`fetchAttempts` as read): false when another run
 * got there first, and then nothing is written.
 */
export async function markPhoto(
  db: Queryable,
  table: PhotoTable,
  photo: { id: number; fetchAttempts: number },
  change:
    | { status: 'stored'; fileId: number }
    | { status: 'pending'; nextAt: Date; error: string }
    | { status: 'failed'; error: string },
): Promise<boolean> {
  const photos = TABLES[table];
  const rows = await db
    .update(photos)
    .set({
      fetchStatus: change.status,
      fetchAttempts: photo.fetchAttempts + 1,
      ...(change.status === 'stored' ? { fileId: change.fileId, fetchError: null } : {}),
      ...(change.status === 'pending' ? { fetchNextAt: change.nextAt, fetchError: change.error } : {}),
      ...(change.status === 'failed' ? { fetchError: change.error } : {}),
    })
    .where(
      and(
        eq(photos.id, photo.id),
        eq(photos.fetchStatus, 'pending'),
        eq(photos.fetchAttempts, photo.fetchAttempts),
      ),
    )
    .returning({ id: photos.id });
  return rows.length > 0;
}

/** How many photos a hazard has (any state but failed) and the bytes of those kept. */
export async function hazardPhotoTotals(db: Queryable, tenantId: number, hazardId: number) {
  const [row] = await db
    .select({
      count: sql<number>`count(*)::int`,
      bytes: sql<number>`coalesce(sum(${storedFiles.size}), 0)::bigint`.mapWith(Number),
    })
    .from(hazardPhotos)
    .leftJoin(storedFiles, eq(storedFiles.id, hazardPhotos.fileId))
    .where(
      and(
        eq(hazardPhotos.tenantId, tenantId),
        eq(hazardPhotos.hazardId, hazardId),
        sql`${hazardPhotos.fetchStatus} <> 'failed'`,
      ),
    );
  return { count: row?.count ?? 0, bytes: row?.bytes ?? 0 };
}

export async function addCompletionPhotos(db: Queryable, rows: NewCompletionPhoto[]) {
  if (rows.length > 0) await db.insert(completionPhotos).values(rows);
}

/**
 * Deletes a tenant's stored file that no photo or record names (kept on arrival by its channel, then
 * refused by the handler): its row and its chunks; false when something names it and it stays. A bucket
 * object is left (it is rewritten under the same key if the content comes again).
 */
export async function dropUnreferencedFile(db: Queryable, tenantId: number, fileId: number) {
  for (const photos of Object.values(TABLES)) {
    const [used] = await db.select({ id: photos.id }).from(photos).where(eq(photos.fileId, fileId)).limit(1);
    if (used) return false;
  }
  const file = await storedFileById(db, tenantId, fileId);
  if (!file) return false;
  await db.delete(storedFileChunks).where(eq(storedFileChunks.fileId, fileId));
  await db.delete(storedFiles).where(eq(storedFiles.id, fileId));
  return true;
}

/** One photo or file of a record (记录) as the console lists it. */
export interface RecordFileListing {
  id: number;
  completionId: number;
  kind: 'image' | 'file';
  fileName: string | null;
  status: FetchStatus;
  fileId: number | null;
  contentType: string | null;
  size: number | null;
  error: string | null;
}

/** The photos and files of the given records of a tenant, in the order they came. */
export async function listRecordFiles(
  db: Queryable,
  tenantId: number,
  completionIds: readonly number[],
): Promise<RecordFileListing[]> {
  if (completionIds.length === 0) return [];
  return db
    .select({
      id: completionPhotos.id,
      completionId: completionPhotos.completionId,
      kind: completionPhotos.kind,
      fileName: completionPhotos.fileName,
      status: completionPhotos.fetchStatus,
      fileId: completionPhotos.fileId,
      contentType: storedFiles.contentType,
      size: storedFiles.size,
      error: completionPhotos.fetchError,
    })
    .from(completionPhotos)
    .leftJoin(storedFiles, eq(storedFiles.id, completionPhotos.fileId))
    .where(
      and(
        eq(completionPhotos.tenantId, tenantId),
        inArray(completionPhotos.completionId, [...completionIds]),
      ),
    )
    .orderBy(asc(completionPhotos.completionId), asc(completionPhotos.id));
}

/** One photo or file of a record by its id, within a tenant. */
export const completionPhotoById = byIdInTenant(completionPhotos);
