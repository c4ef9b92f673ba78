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
