// Delivers outbox rows as WeCom app messages (发送应用消息, https://developer.work.weixin.qq.com/document/path/90236)
// and changes cards already sent (更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888).
//
// - Cards are sent with enable_duplicate_check and a task_id derived from the outbox row, so a re-send
//   of the same row after a crash between send and mark is dropped by WeCom while two rows never look
//   alike. Texts are not: WeCom's check compares content, and it would silence the second of two
//   identical answers (the same help or refusal to a member who tries again), which is worse than the
//   rare duplicate text after a crash.
// - A card's platform message id is its task_id: clicks report it as TaskId, so the core recognises the
//   clicked copy. Text messages keep WeCom's msgid.
// - An `update` row needs a response_code (single use, 72 h): the click's own (on the row) or the one
//   message/send returned for the copy. With none left, or for a card WeCom cannot update (text_notice),
//   the new state goes out as a new card and the copy follows that card from then on.
import { z } from 'zod';
import { type ChannelSender, DeliveryError, type OutboxRow } from '../../core/delivery.ts';
import type { WecomConfig } from '../../env.ts';
import { createWecomApi, type WecomApi, WecomApiError } from './api.ts';
import { isUpdatableCard, renderWecom, type WecomBody } from './render.ts';
import { readRef, usableCode, type WecomRef, type WecomStore } from './store.ts';

/** The longest window WeCom allows (4 h); card bodies are unique per outbox row, so nothing else is hit. */
const DUPLICATE_CHECK_INTERVAL_S = 4 * 3600;
/** Where a tapped text_notice card leads (its card_action is required); there is no public console URL. */
export const DEFAULT_CARD_URL = 'https://work.weixin.qq.com/';

export interface WecomSenderOptions {
  config: WecomConfig;
  store: WecomStore;
  api?: WecomApi;
  fetch?: typeof fetch;
  clock?: () => Date;
  cardUrl?: string;
}

/** A task_id unique per app and stable across retries of one row: [A-Za-z0-9_@-], at most 128 bytes. */
export function taskIdOf(row: Pick<OutboxRow, 'id' | 'createdAt'>): string {
  return `yg${row.id}-${row.createdAt.getTime().toString(36)}`;
}

const sendResultSchema = z.object({
  msgid: z.string().optional(),
  /** Only for cards that can call back (button_interaction, vote, multiple choice). */
  response_code: z.string().optional(),
  invaliduser: z.string().optional(),
});

export function createWecomSender(options: WecomSenderOptions): ChannelSender {
  const { config, store } = options;
  const clock = options.clock ?? (() => new Date());
  const cardUrl = options.cardUrl ?? DEFAULT_CARD_URL;
  const api = options.api ?? createWecomApi({ config, fetch: options.fetch, clock });

  function recipient(row: OutboxRow): string {
    if (row.targetKind !== 'chat' && row.targetKind !== 'userid') {
      throw new DeliveryError(`企业微信无法发送到 ${row.targetKind}`, false);
    }
    // touser takes a |-separated list and @all: never let a stored id widen the audience.
    if (!/^[^|@\s][^|\s]*$/.test(row.targetId)) {
      throw new DeliveryError(`企业微信用户 ID 无效：${row.targetId}`, false);
    }
    return row.targetId;
  }

  const unreachable = (touser: string) =>
    new DeliveryError(`企业微信用户 ${touser} 不存在或不在应用的可见范围内`, false);

  async function send(touser: string, body: WecomBody) {
    const result = await api
      .post('/cgi-bin/message/send', {
        touser,
        agentid: config.agentId,
        ...body,
        ...(body.msgtype === 'template_card'
          ? { enable_duplicate_check: 1, duplicate_check_interval: DUPLICATE_CHECK_INTERVAL_S }
          : {}),
      })
      .catch((error: unknown) => {
        // 81013: none of the recipients is valid; with one recipient, that person.
        throw error instanceof WecomApiError && error.errcode === 81013 ? unreachable(touser) : error;
      });
    const parsed = sendResultSchema.safeParse(result);
    const sent = parsed.success ? parsed.data : {};
    // WeCom answers errcode 0 and lists the ids it could not reach (lower-cased).
    const invalid = (sent.invaliduser ?? '').split('|').map((id) => id.toLowerCase());
    if (invalid.includes(touser.toLowerCase())) throw unreachable(touser);
    return { msgid: sent.msgid, responseCode: sent.response_code };
  }

  /** Sends a new message for the row; cards get the row's task_id. */
  async function sendNew(row: OutboxRow, touser: string) {
    const taskId = taskIdOf(row);
    const body = renderWecom(row.body, { taskId, cardUrl });
    const sent = await send(touser, body);
    if (body.msgtype !== 'template_card')
      return { platformMessageId: sent.msgid, taskId: undefined, ref: {} };
    const ref: WecomRef = { msgid: sent.msgid };
    if (isUpdatableCard(body) && sent.responseCode) {
      ref.responseCode = sent.responseCode;
      ref.codeAt = clock().toISOString();
    }
    return { platformMessageId: taskId, taskId, ref };
  }

  async function update(row: OutboxRow, touser: string) {
    if (row.body.kind !== 'card') throw new DeliveryError('只有卡片可以更新', false);
    const taskId = row.refMessageId ?? '';
    const now = clock();
    // The click's own code first; else the code message/send returned for the copy.
    const own = usableCode(readRef(row.platformRef), now);
    const taken = own ? undefined : await store.takeCode(taskId, row.tenantId);
    const code = own ?? (taken ? usableCode(taken.ref, now) : undefined);
    const body = renderWecom(row.body, { taskId, cardUrl });
    if (code && body.msgtype === 'template_card') {
      try {
        await api.post('/cgi-bin/message/update_template_card', {
          userids: [touser],
          agentid: config.agentId,
          response_code: code,
          template_card: body.template_card,
        });
        return { platformMessageId: taskId };
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        if (error.retryable) {
          // The code may not have reached WeCom: keep it for the retry.
          if (taken) await store.restoreCode(taken.copyId, taken.ref);
          throw error;
        }
        // The code was refused (used, expired, or the card is gone): show the new state as a new card.
      }
    }
    const sent = await sendNew(row, touser);
    if (sent.taskId) await store.repoint(taskId, row.tenantId, sent.taskId, sent.ref);
    return { platformMessageId: sent.platformMessageId };
  }

  return {
    channel: 'wecom',
    async deliver(row) {
      const touser = recipient(row);
      if (row.op === 'update') return update(row, touser);
      const sent = await sendNew(row, touser);
      if (sent.taskId) await store.saveRef(row.id, sent.ref);
      return { platformMessageId: sent.platformMessageId };
    },
  };
}
