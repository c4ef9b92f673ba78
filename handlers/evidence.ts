// The photos (and a record's files) that come with a message: written as rows to download on arrival
// (jobs/evidence.ts fetches them from the platform and keeps them), or as kept already when the channel
// stored them on arrival, or as refused with the reason. Limits per hazard are checked here.
import type { Context } from '../bot/core/context.ts';
import type { Attachment, Channel } from '../bot/core/types.ts';
import {
  addCompletionPhotos,
  dropUnreferencedFile,
  type HazardPhoto,
  hazardPhotoTotals,
  storedFileById,
} from '../db/queries/evidence.ts';
import { addHazardPhotos } from '../db/queries/hazards.ts';
import { EVIDENCE_LIMITS, FETCH_WINDOW_MS, HAZARD_IMAGES_ONLY, type PhotoStage } from './evidence-rules.ts';

/** Where the files came from: their channel and message, and when it was sent (the platform's window). */
export interface Received {
  channel: Channel;
  messageId?: string;
  at: Date;
  attachments: Attachment[];
}

type EvidenceContext = Pick<Context, 'db' | 'tenant' | 'now' | 'actor'>;

const DEFAULT_WINDOW_MS = 3 * 24 * 3600 * 1000;

/** The download state a received file starts with. */
async function fetchStart(ctx: EvidenceContext, received: Received, attachment: Attachment) {
  if (attachment.refused) return { fetchStatus: 'failed' as const, fetchError: attachment.refused };
  if (attachment.fileId !== undefined) {
    const file = await storedFileById(ctx.db, ctx.tenant.id, attachment.fileId);
    return file
      ? { fetchStatus: 'stored' as const, fileId: file.id }
      : { fetchStatus: 'failed' as const, fetchError: '文件未能保存' };
  }
  return {
    fetchStatus: 'pending' as const,
    fetchNextAt: ctx.now,
    fetchUntil: new Date(received.at.getTime() + (FETCH_WINDOW_MS[received.channel] ?? DEFAULT_WINDOW_MS)),
  };
}

/** What became of the photos of a message: how many are kept (or on their way), and why others are not. */
export interface Attached {
  count: number;
  refusals: string[];
}

/**
 * Files a channel kept on arrival (Wechaty, the 智能机器人) that nothing is to keep after all: deleted
 * unless another photo or record names the same content.
 */
export async function forgetKept(ctx: EvidenceContext, attachments: readonly Attachment[]) {
  for (const attachment of attachments) {
    if (attachment.fileId !== undefined) await dropUnreferencedFile(ctx.db, ctx.tenant.id, attachment.fileId);
  }
}

/** Why a document sent to a hazard is not kept (nothing is written for it). */
export const fileRefusedByHazard = (attachment: Attachment) =>
  `${HAZARD_IMAGES_ONLY}，文件${attachment.name ? `“${attachment.name}”` : ''}未保存`;

/**
 * Adds a message's images to a hazard at a stage: each waits for its download, is kept already, or is
 * refused (on arrival, or past the hazard's 20 photos) and recorded as such with its reason. Its files
 * are refused (a hazard takes photos only) and not written at all.
 */
export async function attachHazardPhotos(
  ctx: EvidenceContext,
  received: Received,
  hazardId: number,
  stage: PhotoStage,
): Promise<Attached> {
  const images = received.attachments.filter((attachment) => attachment.kind === 'image');
  const files = received.attachments.filter((attachment) => attachment.kind !== 'image');
  await forgetKept(ctx, files);
  const refusals = files.map(fileRefusedByHazard);
  if (images.length === 0) return { count: 0, refusals };
  const totals = await hazardPhotoTotals(ctx.db, ctx.tenant.id, hazardId);
  let room = EVIDENCE_LIMITS.hazardPhotos - totals.count;
  const rows: (Omit<HazardPhoto, 'id' | 'createdAt' | 'fetchAttempts'> & { createdAt: Date })[] = [];
  for (const image of images) {
    const start =
      room > 0
        ? await fetchStart(ctx, received, image)
        : {
            fetchStatus: 'failed' as const,
            fetchError: `每条隐患最多保存 ${EVIDENCE_LIMITS.hazardPhotos} 张照片，已达上限`,
          };
    if (start.fetchStatus === 'failed') refusals.push(start.fetchError);
    else room -= 1;
    rows.push({
      tenantId: ctx.tenant.id,
      hazardId,
      channel: received.channel,
      fileKey: image.key,
      messageId: received.messageId ?? null,
      addedById: ctx.actor.id,
      stage,
      fileId: null,
      fetchNextAt: ctx.now,
      fetchUntil: null,
      fetchError: null,
      ...start,
      createdAt: ctx.now,
    });
  }
  await addHazardPhotos(ctx.db, rows);
  return { count: rows.filter((row) => row.fetchStatus !== 'failed').length, refusals };
}

/** Adds a message's images and files to a record of a duty done (记录), to be downloaded and kept. */
export async function attachCompletionPhotos(
  ctx: EvidenceContext,
  received: Received,
  completionId: number,
): Promise<Attached> {
  const refusals: string[] = [];
  const rows = [];
  for (const attachment of received.attachments) {
    const start = await fetchStart(ctx, received, attachment);
    if (start.fetchStatus === 'failed') refusals.push(start.fetchError);
    rows.push({
      tenantId: ctx.tenant.id,
      completionId,
      channel: received.channel,
      kind: attachment.kind,
      fileKey: attachment.key,
      fileName: attachment.name ?? null,
      messageId: received.messageId ?? null,
      addedById: ctx.actor.id,
      ...start,
      createdAt: ctx.now,
    });
  }
  await addCompletionPhotos(ctx.db, rows);
  return { count: received.attachments.length - refusals.length, refusals };
}

/** The sentence that tells the sender which files were not kept and why (empty when all were). */
export function refusalNote(refusals: readonly string[]): string {
  if (refusals.length === 0) return '';
  const reasons = [...new Set(refusals)].join('；');
  return `另有 ${refusals.length} 个文件未能保存（${reasons}），请核对后重新发送。`;
}
