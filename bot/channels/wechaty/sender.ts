// Sends outbox rows through the logged-in Wechaty bot. Cards become numbered text ("回复 1 受理"), and
// the numbers are remembered so that a reply can act as the button press.
// Limits: a personal account that sends fast is throttled and then restricted by WeChat, so the bot
// paces itself (jobs/rate-limit.ts): `wechaty:to:<conversation>` and, for the whole account, `wechaty:bot`.
// Readiness: nothing is sent before the puppet says `ready` (logged in, contacts and rooms loaded); until
// then rows wait without counting an attempt (ChannelNotReady), however long the login takes.
import type { Wechaty } from 'wechaty';
import { cardToText } from '../../../cards/model.ts';
import type { Db } from '../../../db/client.ts';
import { rememberPrompt } from '../../../db/queries/prompts.ts';
import { ChannelNotReady, type ChannelSender, DeliveryError, type OutboxRow } from '../../core/delivery.ts';

export interface WechatySenderOptions {
  /** How long a send waits for `ready` once logged in, before the row is put back. */
  readyWaitMs?: number;
  /** When a row put back for want of a login comes due again. */
  notReadyRetryMs?: number;
}

/** Resolves true once the bot is ready, false after `ms` (or at once when it is not logged in). */
async function readyWithin(bot: Wechaty, ms: number): Promise<boolean> {
  if (!bot.isLoggedIn) return false;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([bot.ready().then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The contact a room answer @-mentions: the event's sender, carried on the row (normalize.ts). */
function mentioned(row: OutboxRow): string | undefined {
  const id = row.platformRef?.mention;
  return typeof id === 'string' && id ? id : undefined;
}

export function createWechatySender(bot: Wechaty, db: Db, options: WechatySenderOptions = {}): ChannelSender {
  const readyWaitMs = options.readyWaitMs ?? 10_000;
  const notReadyRetryMs = options.notReadyRetryMs ?? 15_000;
  return {
    channel: 'wechaty',
    limitKeys: (row) => ['wechaty:bot', `wechaty:to:${row.targetId}`],
    async deliver(row) {
      if (!(await readyWithin(bot, readyWaitMs))) {
        throw new ChannelNotReady(
          bot.isLoggedIn ? '微信机器人尚未就绪（通讯录未载入）' : '微信机器人未登录',
          notReadyRetryMs,
        );
      }
      const text = row.body.kind === 'text' ? row.body.text : cardToText(row.body.card, true);
      // A chat id is a room id (…@chatroom) or, for a private chat, the contact's id.
      const room = row.targetKind === 'chat' ? await bot.Room.find({ id: row.targetId }) : undefined;
      const conversation = room ?? (await bot.Contact.find({ id: row.targetId }));
      // Right after a login the puppet may not know every conversation yet: try again later.
      if (!conversation) throw new DeliveryError(`找不到微信会话 ${row.targetId}`, true);
      try {
        const mention = room && mentioned(row);
        const contact = mention ? await bot.Contact.find({ id: mention }) : undefined;
        const sent = room && contact ? await room.say(text, contact) : await conversation.say(text);
        if (row.body.kind === 'card') {
          await rememberPrompt(db, {
            tenantId: row.tenantId,
            channel: 'wechaty',
            chatId: row.targetId,
            personId: row.personId,
            card: row.body.card,
          });
        }
        return { platformMessageId: sent?.id ?? `wechaty-${row.id}` };
      } catch (error) {
        throw new DeliveryError(`Wechaty: ${error instanceof Error ? error.message : String(error)}`, true);
      }
    },
  };
}
