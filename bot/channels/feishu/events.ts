// One path from a verified Feishu envelope (schema 2.0) to the inbox or to a button press's answer, for
// both transports: the webhook (bot/channels/feishu/webhook.ts) and the long connection (./websocket.ts).
// A message is answered once it is in the inbox (deduplicated there by its event id), a card press with
// the toast and the card its action left (the core's answer, AnswerKind `response`).
import type { Core } from '../../core/core.ts';
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

export function feishuEvents(options: FeishuEventsOptions) {
  const { appId, core, inbox, log } = options;
  /** `payload` is verified and decrypted already; `check` sees the parsed envelope first (webhook token). */
  return async (payload: unknown, check?: (header: { token?: string }) => FeishuAnswer | undefined) => {
    const envelope = envelopeSchema.safeParse(payload);
    if (!envelope.success) return { status: 400, body: { error: 'not a schema 2.0 event' } } as const;
    const { header } = envelope.data;
    const refused = check?.(header);
    if (refused) return refused;
    if (header.app_id && header.app_id !== appId)
      return { status: 401, body: { error: 'event for another app' } } as const;
    try {
      if (header.event_type === 'im.message.receive_v1') {
        await inbox.accept(normalizeMessage(envelope.data, await options.botOpenId()));
        return ok();
      }
      if (header.event_type === 'card.action.trigger') {
        const result = await core.handle(normalizeCardAction(envelope.data));
        if (result.kind === 'duplicate') return ok({ toast: { type: 'info', content: '已处理' } });
        const action = result.kind === 'done' ? result.action : undefined;
        const tenantId = result.kind === 'done' ? result.tenantId : undefined;
        const keyOf = tenantId !== undefined ? options.imageKeys?.(tenantId) : undefined;
        return ok({
          ...(action ? { toast: { type: action.toast.kind, content: action.toast.text } } : {}),
          ...(action?.card ? { card: { type: 'raw', data: renderFeishuCard(action.card, keyOf) } } : {}),
        });
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
