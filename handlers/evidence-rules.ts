// The words and limits of evidence kept by the product: the photos of a hazard and of a record, downloaded
// from the platform on arrival and stored (bot/core/evidence.ts). The schema builds its columns from these.
import type { Channel } from '../bot/core/types.ts';

/** 整改前 (the report and what follows it) / 整改后 (photos of the rectification). */
export const PHOTO_STAGES = ['before', 'after'] as const;
export type PhotoStage = (typeof PHOTO_STAGES)[number];
export const STAGE_LABEL: Record<PhotoStage, string> = { before: '整改前', after: '整改后' };

/** A received file's download: waiting (or retrying), kept, or given up (with its reason). */
export const FETCH_STATUSES = ['pending', 'stored', 'failed'] as const;
export type FetchStatus = (typeof FETCH_STATUSES)[number];

/** Where a stored file's bytes live: chunks in the database, or an object in the S3-compatible bucket. */
export const FILE_LOCATIONS = ['db', 's3'] as const;
export type FileLocation = (typeof FILE_LOCATIONS)[number];

export const EVIDENCE_LIMITS = {
  /** One file as downloaded. */
  fileBytes: 10 * 2 ** 20,
  /** Photos of one hazard (both stages). */
  hazardPhotos: 20,
  /** Bytes of one hazard's photos together. */
  hazardBytes: 60 * 2 ** 20,
  /** Bytes of one database chunk (bytea rows stay far below PostgreSQL's 1 GB field limit). */
  chunkBytes: 256 * 1024,
  /** Downloads tried before a file is given up, however long its window. */
  attempts: 8,
} as const;

/**
 * Thumbnails of stored photos (handlers/thumbnail.ts makes them; bot/core/thumbnails.ts runs it on a thread).
 * Only JPEG and PNG have one: a GIF's first frame would need another decoder, and WebP/HEIC/BMP/TIFF none
 * of the pure JavaScript ones the project has.
 */
export const THUMBNAIL_SOURCES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png']);

const DAY_MS = 24 * 3600 * 1000;

/**
 * How long after the message a platform still gives the file. WeCom: a received MediaId is valid for 3
 * days (https://developer.work.weixin.qq.com/document/path/90254). Feishu gives a message's resources as
 * long as the message exists (https://open.feishu.cn/document/server-docs/im-v1/message/get-2); we try
 * for 3 days as well, so that a failure is reported while the reporter still remembers the photo.
 */
export const FETCH_WINDOW_MS: Partial<Record<Channel, number>> = {
  wecom: 3 * DAY_MS,
  feishu: 3 * DAY_MS,
};

/** The wait before try `attempt` + 1 (attempt counts from 1): 30 s, 2 min, 8 min… up to 6 h. */
export const fetchBackoffMs = (attempt: number) => Math.min(30_000 * 4 ** (attempt - 1), 6 * 3600_000);

/** Content types a hazard photo may have (checked on the bytes, not on what the platform says). */
export const isImageType = (contentType: string) => contentType.startsWith('image/');

/** What an undetected file is kept as when its bytes read as text (a CSV, a TXT: no magic number). */
export const TEXT_TYPE = 'text/plain';

/** Programs and installers by their bytes: never kept, whatever their name says. */
const EXECUTABLE_TYPES: ReadonlySet<string> = new Set([
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
  'application/java-archive',
  'application/java-vm',
  'application/vnd.android.package-archive',
  'application/x-apple-diskimage',
  'application/x-deb',
  'application/x-rpm',
  'application/x-xpinstall',
  'application/x-google-chrome-extension',
  'application/wasm',
  'application/x.ms.shortcut',
  'application/x-ms-regedit',
  'application/vnd.ms-cab-compressed',
]);

/** Office documents and media a record may carry, by the type `file-type` reads from the bytes. */
const DOCUMENT_TYPES: ReadonlySet<string> = new Set([
  'application/pdf',
  'application/rtf',
  // Word, Excel and PowerPoint before 2007 (a compound file).
  'application/x-cfb',
  'application/zip',
  'application/x-rar-compressed',
  'application/x-7z-compressed',
  TEXT_TYPE,
]);
const DOCUMENT_PREFIXES = [
  'image/',
  'video/',
  'audio/',
  // docx, xlsx, pptx (and their templates); odt, ods, odp.
  'application/vnd.openxmlformats-officedocument.',
  'application/vnd.oasis.opendocument.',
];

/** The common kinds a record's file may be, in words for the sender. */
export const DOCUMENT_WORDS = 'PDF、Word、Excel、PPT、图片、视频、压缩包和文本文件';

/**
 * Why a record's file is not kept, by the content type read from its bytes (and its extension, for the
 * words); undefined when it is one of the office documents and media a record may carry.
 */
export function documentRefusal(contentType: string, ext: string | undefined): string | undefined {
  const named = ext ?? '未知格式';
  if (EXECUTABLE_TYPES.has(contentType)) return `可执行程序（识别为 ${named}）不予保存`;
  if (DOCUMENT_TYPES.has(contentType)) return undefined;
  if (DOCUMENT_PREFIXES.some((prefix) => contentType.startsWith(prefix))) return undefined;
  return `不支持的文件格式（识别为 ${named}），可保存${DOCUMENT_WORDS}`;
}

/** Bytes with no magic number that still read as text: no NUL in the first 8 KiB. */
export const readsAsText = (bytes: Uint8Array) => !bytes.subarray(0, 8192).includes(0);

/** A hazard's evidence is photos only: the words of the refusal of anything else. */
export const HAZARD_IMAGES_ONLY = '隐患只收照片';

/**
 * Photos and files sent in a message of their own within this time after the sender's report, rectification
 * or record (记录) attach to it.
 */
export const FOLLOW_UP_WINDOW_MS = 10 * 60 * 1000;
