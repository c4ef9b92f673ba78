// One path from a verified Feishu envelope (schema 2.0) to the inbox or to a button press's answer, for
// both transports: the webhook (bot/channels/feishu/webhook.ts) and the long connection (./websocket.ts).
// A message is answered once it is in the inbox (deduplicated there by its event id), a card press with
// the toast and the card its action left (the core's answer, AnswerKind `response`).
//
// A press must be answered within 3 s, and it is not delivered again like an event: past the deadline,
// or answered with anything but 200, the user sees Feishu's error although the action may have been
// applied (卡片回传交互, https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication).
// So a press is always answered 200 in time: with its outcome when it commits in time; with a neutral
// 处理中 toast when its work goes on, the outcome then following as an update of the card through the
// outbox (PATCH, after the answer as the delayed update must be: https://open.feishu.cn/document/
// ukTMukTMukTM/uMDO1YjLzgTN24yM4UjN); with a refusal when the database failed it, having applied nothing.
import type { Core, PressResult } from '../../core/core.ts';
import type { Inbox } from '../../core/inbox.ts';
import type { Logger } from '../../core/log.ts';
import { envelopeSchema, FeishuPayloadError, normalizeCardAction, normalizeMessage } from './normalize.ts';
import { type ImageKeyOf, renderFeishuCard } from './render.ts';

export interface FeishuEventsOptions {
  appId: string;
  core: Core;
  inbox: Inbox;
  log: Logger;
  /** The bot's open_id, to tell whether a group message @-mentions it. */
  botOpenId: () => Promise<string | undefined>;
  /**
   * The `image_key`s of a tenant's photos uploaded already: a press is answered within Feishu's 3 s, so
   * its card shows the photos uploaded when the card was sent and no upload is made here.
   */
  imageKeys?: (tenantId: number) => ImageKeyOf;
}

/**
 * What to answer the platform: 200 with a body (`{}`, or a press's toast and card); 400/401 for a payload
 * that is not ours or not valid (redelivering it would not help); 503 when the database is away (Feishu
 * delivers the event again later).
 */
export type FeishuAnswer =
  | { status: 200; body: Record<string, unknown> }
  | { status: 400 | 401 | 503; body: { error: string } };

const ok = (body: Record<string, unknown> = {}): FeishuAnswer => ({ status: 200, body });

/** How long a press's work may take before it is answered 处理中 (of Feishu's 3 s; the rest is the network's). */
export const PRESS_WITHIN_MS = 2000;
export const PRESS_PENDING = '已收到，正在处理，结果稍后显示在卡片上。';
export const PRESS_DONE_ALREADY = '已处理';
export const PRESS_UNAVAILABLE = '系统暂时无法处理，本次操作未生效，请稍后再试。';
export const PRESS_BUSY = '系统繁忙，本次操作未处理，请稍后再试。';

export const toast = (type: 'info' | 'success' | 'warning' | 'error', content: string) => ({
  toast: { type, content },
});

/** A press's answer body: the outcome's toast and card, or what stands in for them. */
function pressAnswer(result: PressResult, keyOf?: ImageKeyOf): Record<string, unknown> {
  if (result.kind === 'duplicate') return toast('info', PRESS_DONE_ALREADY);
  if (result.kind === 'pending') return toast('info', PRESS_PENDING);
  const action = result.kind === 'done' ? result.action : undefined;
  return {
    ...(action ? toast(action.toast.kind, action.toast.text) : {}),
    ...(action?.card ? { card: { type: 'raw', data: renderFeishuCard(action.card, keyOf) } } : {}),
  };
}

export interface FeishuEventOptions {
  /** Sees the parsed envelope first (the webhook's verification token). */
  check?: (header: { token?: string }) => FeishuAnswer | undefined;
  /** How long a press's work may take before it is answered 处理中 (default PRESS_WITHIN_MS). */
  pressWithinMs?: number;
}

export function feishuEvents(options: FeishuEventsOptions) {
  const { appId, core, inbox, log } = options;
  /** `payload` is verified and decrypted already. */
  return async (payload: unknown, eventOptions: FeishuEventOptions = {}): Promise<FeishuAnswer> => {
    const envelope = envelopeSchema.safeParse(payload);
    if (!envelope.success) return { status: 400, body: { error: 'not a schema 2.0 event' } } as const;
    const { header } = envelope.data;
    const refused = eventOptions.check?.(header);
    if (refused) return refused;
    if (header.app_id && header.app_id !== appId)
      return { status: 401, body: { error: 'event for another app' } } as const;
    try {
      if (header.event_type === 'im.message.receive_v1') {
        await inbox.accept(normalizeMessage(envelope.data, await options.botOpenId()));
        return ok();
      }
      if (header.event_type === 'card.action.trigger') {
        const press = normalizeCardAction(envelope.data);
        try {
          const result = await core.press(press, eventOptions.pressWithinMs ?? PRESS_WITHIN_MS);
          const tenantId = result.kind === 'done' ? result.tenantId : undefined;
          return ok(pressAnswer(result, tenantId !== undefined ? options.imageKeys?.(tenantId) : undefined));
        } catch (error) {
          // Failed before its deadline: its transaction did not commit. A 503 would show the user
          // Feishu's error and bring no second delivery; a refusal says what happened.
          log.error('feishu press not processed', { eventId: header.event_id, error: String(error) });
          return ok(toast('error', PRESS_UNAVAILABLE));
        }
      }
      return ok();
    } catch (error) {
      if (error instanceof FeishuPayloadError) {
        log.warn('feishu payload refused', { reason: error.message, eventId: header.event_id });
        return { status: 400, body: { error: error.message } } as const;
      }
      log.error('feishu event not processed', { eventId: header.event_id, error: String(error) });
      return { status: 503, body: { error: 'temporarily unavailable' } } as const;
    }
  };
}

export type FeishuEvents = ReturnType<typeof feishuEvents>;
