// Sends outbox rows through the logged-in Wechaty bot. Cards become numbered text ("回复 1 受理"), and
// the numbers are remembered so that a reply can act as the button press.
// Limits: a personal account that sends fast is throttled and then restricted by WeChat, so the bot
// paces itself (jobs/rate-limit.ts): `wechaty:to:<conversation>` and, for the whole account, `wechaty:bot`.
import type { Wechaty } from 'wechaty';
import { cardToText } from '../../../cards/model.ts';
import type { Db } from '../../../db/client.ts';
import { rememberPrompt } from '../../../db/queries/prompts.ts';
import { type ChannelSender, DeliveryError } from '../../core/delivery.ts';

export function createWechatySender(bot: Wechaty, db: Db): ChannelSender {
  return {
    channel: 'wechaty',
    limitKeys: (row) => ['wechaty:bot', `wechaty:to:${row.targetId}`],
    async deliver(row) {
      if (!bot.isLoggedIn) throw new DeliveryError('微信机器人未登录', true, 30_000);
      const text = row.body.kind === 'text' ? row.body.text : cardToText(row.body.card, true);
      // A chat id is a room id (…@chatroom) or, for a private chat, the contact's id.
      const room = row.targetKind === 'chat' ? await bot.Room.find({ id: row.targetId }) : undefined;
      const conversation = room ?? (await bot.Contact.find({ id: row.targetId }));
      if (!conversation) throw new DeliveryError(`找不到微信会话 ${row.targetId}`, false);
      try {
        const sent = await conversation.say(text);
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
