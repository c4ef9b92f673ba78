// Delivers outbox rows through the 智能机器人's connection: `aibot_send_msg` to a group's chatid or, for
// a person, to their userid (a single chat) (主动推送消息, https://developer.work.weixin.qq.com/document/path/101463).
// Only the instance holding the connection can send: elsewhere a row waits and is tried again.
// - A card's platform message id is its task_id (a press reports it), derived from the row as for the app.
// - An `update` of a card sent earlier cannot be made: the bot updates a card only in answer to a press
//   on it, within 5 s, with the press's req_id. The new state goes out as a new message instead, and the
//   copy follows that message from then on.
// - WeCom documents no idempotency field for a proactive send: a crash between send and mark may send a
//   row twice.
import type { Db } from '../../../db/client.ts';
import { repointCopies } from '../../../db/queries/outbox.ts';
import { ChannelNotReady, type ChannelSender, DeliveryError } from '../../core/delivery.ts';
import { taskIdOf } from '../wecom/sender.ts';
import type { BotConnection } from './connection.ts';
import { renderBotMessages } from './render.ts';

/** The recipient must be one id: a chatid or a userid, never a list. */
const ONE_ID = /^[^|\s]+$/;

export function createBotSender(connection: BotConnection, db: Db): ChannelSender {
  return {
    channel: 'wecom_bot',
    async deliver(row) {
      if (row.targetKind !== 'chat' && row.targetKind !== 'userid') {
        throw new DeliveryError(`企业微信智能机器人无法发送到 ${row.targetKind}`, false);
      }
      if (!ONE_ID.test(row.targetId)) throw new DeliveryError(`会话 ID 无效：${row.targetId}`, false);
      const client = connection.client();
      // Not connected here (reconnecting, or another instance holds the bot's one connection): nothing was
      // tried, so the row waits without counting an attempt until the holder's dispatcher sends it.
      if (!client) throw new ChannelNotReady('企业微信智能机器人未连接（或由另一实例连接）', 5000);
      const taskId = taskIdOf(row);
      const bodies = renderBotMessages(row.body, taskId);
      const body = bodies.at(-1)!;
      try {
        // A long content is several messages, in order (a retry part-way sends the earlier ones again).
        for (const part of bodies) await client.sendMessage(row.targetId, part as never);
      } catch (error) {
        const errcode = (error as { errcode?: unknown }).errcode;
        if (typeof errcode === 'number') {
          const errmsg = String((error as { errmsg?: unknown }).errmsg ?? '');
          // -1: system busy; anything else is about this message and will not change on a retry.
          throw new DeliveryError(`企业微信智能机器人 errcode ${errcode} ${errmsg}`.trim(), errcode === -1);
        }
        // The connection dropped or the answer did not come in time.
        throw new DeliveryError(
          `企业微信智能机器人：${error instanceof Error ? error.message : String(error)}`,
          true,
        );
      }
      if (body.msgtype !== 'template_card') return { platformMessageId: `bot-${row.id}` };
      if (row.op === 'update' && row.refMessageId)
        await repointCopies(db, 'wecom_bot', {
          taskId: row.refMessageId,
          tenantId: row.tenantId,
          newTaskId: taskId,
        });
      return { platformMessageId: taskId };
    },
  };
}
