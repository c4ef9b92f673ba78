// Photos and files sent in a message of their own: they follow what the sender did just before (within
// FOLLOW_UP_WINDOW_MS) — a record (记录) takes photos and files, a hazard report or rectification photos
// only (its files are refused, nothing written); with nothing to follow, the sender is told what they are
// kept for.
import type { MessageContext } from '../bot/core/context.ts';
import { type Completion, latestCompletionBy } from '../db/queries/obligations.ts';
import { attachCompletionPhotos, forgetKept, refusalNote } from './evidence.ts';
import { DOCUMENT_WORDS, FOLLOW_UP_WINDOW_MS } from './evidence-rules.ts';
import { attachFollowUpPhotos, hazardFollowed } from './hazards/report.ts';
import { KIND_LABEL } from './obligation-kinds.ts';

const WINDOW_MINUTES = FOLLOW_UP_WINDOW_MS / 60_000;

export async function attachFollowUp(ctx: MessageContext): Promise<void> {
  const since = new Date(ctx.now.getTime() - FOLLOW_UP_WINDOW_MS);
  const hazard = await hazardFollowed(ctx, since);
  const record = await latestCompletionBy(ctx.db, ctx.tenant.id, ctx.actor.id, since);
  if (record && (!hazard || record.createdAt > hazard.at)) return attachToRecord(ctx, record);
  if (hazard) return attachFollowUpPhotos(ctx, hazard);
  await forgetKept(ctx, ctx.event.attachments);
  // In a group, photos and files not following anything are not addressed to the bot.
  if (ctx.event.chat.type !== 'p2p') return;
  const files = ctx.event.attachments.some((attachment) => attachment.kind === 'file');
  ctx.reply({
    kind: 'text',
    text:
      `收到${files ? '文件' : '照片'}，但未保存：照片和文件须跟在一项事情之后。` +
      `隐患照片：先发送“报隐患 <隐患情况>”，再在 ${WINDOW_MINUTES} 分钟内补发照片（隐患只收照片）。` +
      `记录的附件（会议纪要、检查表等，可为${DOCUMENT_WORDS}）：先发送“记录 会议|检查|督查|演练 <说明>”，再在 ${WINDOW_MINUTES} 分钟内发送。`,
  });
}

/** The photos and files of the message kept with the sender's record just before them. */
async function attachToRecord(ctx: MessageContext, record: Completion) {
  const { event } = ctx;
  const received = {
    channel: event.channel,
    messageId: event.messageId,
    at: event.at,
    attachments: event.attachments,
  };
  const { count, refusals } = await attachCompletionPhotos(ctx, received, record.id);
  const images = event.attachments.filter((attachment) => attachment.kind === 'image').length;
  const what =
    images === event.attachments.length
      ? `${count} 张照片`
      : images === 0
        ? `${count} 个文件`
        : `${count} 个附件`;
  ctx.reply({
    kind: 'text',
    text:
      count > 0
        ? `已将 ${what}附到记录：${KIND_LABEL[record.kind]} ${record.date} ${record.note}。${refusalNote(refusals)}`
        : `未能保存（${[...new Set(refusals)].join('；')}），请核对后重新发送。`,
  });
}
