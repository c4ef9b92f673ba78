// Delivers outbox rows as WeCom app messages (发送应用消息, https://developer.work.weixin.qq.com/document/path/90236)
// and changes cards already sent (更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888).
//
// - Cards are sent with enable_duplicate_check and a task_id derived from the outbox row, so a re-send
//   of the same row after a crash between send and mark is dropped by WeCom while two rows never look
//   alike. Texts are not: WeCom's check compares content, and it would silence the second of two
//   identical answers (the same help or refusal to a member who tries again), which is worse than the
//   rare duplicate text after a crash.
// - The same text or text_notice card to many members goes in one call (touser a|b|c, at most 1000):
//   `batchKey`/`deliverBatch`. The policy above holds for batches: a text_notice batch is checked, with
//   the task_id of its first row; texts are not. Cards with buttons always go one per call, as each copy
//   needs its own task_id and response_code.
// - A card's platform message id is its task_id: clicks report it as TaskId, so the core recognises the
//   clicked copy (a text_notice copy sent in a batch keeps its own row's, see `sendShared`). Text
//   messages keep WeCom's msgid.
// - An `update` row needs a response_code (single use, 72 h): the click's own (on the row) or the one
//   message/send returned for the copy (button_interaction cards, and text_notice cards sent with
//   action_menu: those of a row with a subject, which will be refreshed). With none left, or when WeCom
//   refuses the code (used, expired), the new state goes out as a new card and the copy follows that
//   card from then on; the row ends sent.
// - A row may be several messages (render.ts: a long content as texts of 2048 bytes, then its card).
//   They go in order; a retry after a failure part-way sends the earlier parts again (texts have no
//   idempotency key, see above).
// - Limits: one app may send one member 30 messages a minute (1000 an hour); WeCom drops the excess
//   without an error, so the dispatcher must not send it. Each row names `wecom:member:<userid>` (ids
//   ignore case) once per message it becomes, so a touser batch counts once per member and message, and `wecom:api`, which only a 45009/45033
//   answer blocks (60 s): sends do not count against WeCom's per-API call limit.
import { z } from 'zod';
import { type BatchResult, type ChannelSender, DeliveryError, type OutboxRow } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { WecomConfig } from '../../env.ts';
import { createWecomApi, WECOM_API_KEY, type WecomApi, WecomApiError } from './api.ts';
import { isUpdatableCard, type RenderOptions, renderWecomMessages, type WecomBody } from './render.ts';
import { readRef, usableCode, type WecomRef, type WecomStore } from './store.ts';

/**
 * The longest window WeCom allows (4 h); card bodies are unique per outbox row (a batch's, per its first
 * row), so nothing else is hit.
 */
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
  log?: Logger;
}

/** A task_id unique per app and stable across retries of one row: [A-Za-z0-9_@-], at most 128 bytes. */
export function taskIdOf(row: Pick<OutboxRow, 'id' | 'createdAt'>): string {
  return `yg${row.id}-${row.createdAt.getTime().toString(36)}`;
}

/** message/send takes at most this many ids in touser. */
export const MAX_TOUSER = 1000;
/** Only for the batch key: the real task_id (of the batch's first row) is put in when sending. */
const KEY_TASK_ID = 'batch-key';

const lowerIds = (list: string) => new Set(list.split('|').flatMap((id) => (id ? [id.toLowerCase()] : [])));

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
  const api = options.api ?? createWecomApi({ config, fetch: options.fetch, clock, log: options.log });

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

  /** One message/send to a |-separated touser; answers with the ids WeCom could not reach (lower-cased). */
  async function post(touser: string, body: WecomBody) {
    let result: unknown;
    try {
      result = await api.post('/cgi-bin/message/send', {
        touser,
        agentid: config.agentId,
        ...body,
        ...(body.msgtype === 'template_card'
          ? { enable_duplicate_check: 1, duplicate_check_interval: DUPLICATE_CHECK_INTERVAL_S }
          : {}),
      });
    } catch (error) {
      // 81013: none of the recipients is valid.
      if (error instanceof WecomApiError && error.errcode === 81013) {
        return { msgid: undefined, responseCode: undefined, invalid: lowerIds(touser) };
      }
      throw error;
    }
    const parsed = sendResultSchema.safeParse(result);
    const sent = parsed.success ? parsed.data : {};
    // WeCom answers errcode 0 and lists the ids it could not reach (lower-cased).
    return { msgid: sent.msgid, responseCode: sent.response_code, invalid: lowerIds(sent.invaliduser ?? '') };
  }

  async function send(touser: string, body: WecomBody) {
    const sent = await post(touser, body);
    if (sent.invalid.has(touser.toLowerCase())) throw unreachable(touser);
    return { msgid: sent.msgid, responseCode: sent.responseCode };
  }

  const renderOptions = (row: OutboxRow, taskId: string): RenderOptions => ({
    taskId,
    cardUrl,
    updatable: row.subject !== null && row.subject !== undefined,
  });

  /** The row's messages: its texts, and its card (the last), if it has one. */
  function messagesOf(row: OutboxRow, taskId: string) {
    const bodies = renderWecomMessages(row.body, renderOptions(row, taskId));
    const last = bodies.at(-1);
    const card = last?.msgtype === 'template_card' ? last : undefined;
    return { texts: card ? bodies.slice(0, -1) : bodies, card };
  }

  async function sendTexts(touser: string, texts: WecomBody[]) {
    let msgid: string | undefined;
    for (const text of texts) msgid = (await send(touser, text)).msgid ?? msgid;
    return msgid;
  }

  /** Sends the row's messages anew; its card gets the row's task_id. */
  async function sendNew(row: OutboxRow, touser: string) {
    const taskId = taskIdOf(row);
    const { texts, card } = messagesOf(row, taskId);
    const textId = await sendTexts(touser, texts);
    if (!card) return { platformMessageId: textId, taskId: undefined, ref: {} };
    const sent = await send(touser, card);
    const ref: WecomRef = { msgid: sent.msgid };
    if (isUpdatableCard(card) && sent.responseCode) {
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
    const { texts, card } = messagesOf(row, taskId);
    if (code && card?.msgtype === 'template_card') {
      try {
        await api.post('/cgi-bin/message/update_template_card', {
          userids: [touser],
          agentid: config.agentId,
          response_code: code,
          template_card: card.template_card,
        });
        // The card in place shows the summary; the content it has no room for follows as text.
        await sendTexts(touser, texts);
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

  async function deliver(row: OutboxRow) {
    const touser = recipient(row);
    if (row.op === 'update') return update(row, touser);
    const sent = await sendNew(row, touser);
    if (sent.taskId) await store.saveRef(row.id, sent.ref);
    return { platformMessageId: sent.platformMessageId };
  }

  /**
   * The body a row would send, if it may share a call: a new text or text_notice card (without
   * action_menu) to a member, as one message. A card with a response_code is never shared: each copy
   * needs its own task_id and code.
   */
  function batchBody(row: OutboxRow): WecomBody | undefined {
    if (row.op !== 'send' || row.targetKind !== 'userid') return undefined;
    try {
      recipient(row);
    } catch {
      return undefined;
    }
    const bodies = renderWecomMessages(row.body, renderOptions(row, KEY_TASK_ID));
    const [body] = bodies;
    // Several messages (a long content) are sent one row at a time, in order.
    if (!body || bodies.length > 1) return undefined;
    if (body.msgtype === 'text') return body;
    // A card with a response_code (buttons, or action_menu) needs its own task_id and code.
    return isUpdatableCard(body) ? undefined : body;
  }

  /**
   * One message/send for rows with one body and different members. A text_notice card goes out with the
   * task_id of the first row, but each row records its own taskIdOf(row) as message id: such a card
   * has no response_code and sends no clicks, so the id only serves later `update` rows of the copy,
   * which send that member a new card and `repoint` the copies showing the id. A shared id would make
   * one member's new card (maybe with buttons, and its response_code) the copy of every member.
   */
  async function sendShared(rows: OutboxRow[], results: BatchResult) {
    const [first] = rows;
    if (!first) return;
    const taskId = taskIdOf(first);
    const [body] = renderWecomMessages(first.body, renderOptions(first, taskId));
    if (!body) return;
    const touser = rows.map((row) => row.targetId);
    let sent: Awaited<ReturnType<typeof post>>;
    try {
      sent = await post(touser.join('|'), body);
    } catch (error) {
      // The call as a whole failed (5xx, busy, rate limit, timeout; a bad token was already refreshed once).
      for (const row of rows) results.set(row.id, asDeliveryError(error));
      return;
    }
    const refs: Promise<void>[] = [];
    for (const [index, row] of rows.entries()) {
      const id = touser[index]!;
      if (sent.invalid.has(id.toLowerCase())) {
        results.set(row.id, unreachable(id));
      } else if (body.msgtype === 'template_card') {
        results.set(row.id, { platformMessageId: taskIdOf(row) });
        refs.push(store.saveRef(row.id, { msgid: sent.msgid }));
      } else {
        results.set(row.id, { platformMessageId: sent.msgid });
      }
    }
    // The message is out: a ref that could not be written (only msgid, as text_notice has no
    // response_code) must not make the rows look unsent and be sent again.
    await Promise.allSettled(refs);
  }

  return {
    channel: 'wecom',
    deliver,
    maxBatch: MAX_TOUSER,
    limitKeys(row) {
      // Every message of the row counts against the member's 30 a minute (a long list is up to
      // MAX_TEXT_PARTS texts and its card).
      const messages = renderWecomMessages(row.body, renderOptions(row, KEY_TASK_ID)).length;
      const member = `wecom:member:${row.targetId.toLowerCase()}`;
      return [WECOM_API_KEY, ...Array<string>(messages).fill(member)];
    },
    batchKey(row) {
      const body = batchBody(row);
      return body ? JSON.stringify(body) : undefined;
    },
    async deliverBatch(rows) {
      const results: BatchResult = new Map();
      // Rows of one body, in calls of at most MAX_TOUSER different members (WeCom ids ignore case).
      const calls = new Map<string, { rows: OutboxRow[]; ids: Set<string> }[]>();
      const alone: OutboxRow[] = [];
      for (const row of rows) {
        const body = batchBody(row);
        if (!body) {
          alone.push(row);
          continue;
        }
        const key = JSON.stringify(body);
        const id = row.targetId.toLowerCase();
        const list = calls.get(key) ?? [];
        calls.set(key, list);
        let call = list.find((entry) => entry.rows.length < MAX_TOUSER && !entry.ids.has(id));
        if (!call) {
          call = { rows: [], ids: new Set() };
          list.push(call);
        }
        call.rows.push(row);
        call.ids.add(id);
      }
      for (const list of calls.values()) {
        for (const call of list) {
          if (call.rows.length === 1) alone.push(...call.rows);
          else await sendShared(call.rows, results);
        }
      }
      // A row alone goes exactly as `deliver` sends it (its own task_id for a card).
      for (const row of alone) {
        try {
          results.set(row.id, await deliver(row));
        } catch (error) {
          results.set(row.id, asDeliveryError(error));
        }
      }
      return results;
    },
  };
}

/** What the dispatcher would make of an error: retryable unless the error says otherwise. */
function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError(error instanceof Error ? error.message : String(error), true);
}
