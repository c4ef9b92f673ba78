// POST /webhooks/feishu: events and card callbacks. Verify, decrypt, answer fast: a message is answered
// once it is in the inbox (deduplicated there), a card press with the card its action left.
// https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
import type { Context } from 'hono';
import type { Core } from '../../core/core.ts';
import type { Inbox } from '../../core/inbox.ts';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import { decryptFeishu, FeishuCryptoError, sameToken, verifyFeishuSignature } from './crypto.ts';
import { envelopeSchema, FeishuPayloadError, normalizeCardAction, normalizeMessage } from './normalize.ts';
import { renderFeishuCard } from './render.ts';

export interface FeishuWebhookOptions {
  config: FeishuConfig;
  core: Core;
  inbox: Inbox;
  log: Logger;
  /** The bot's open_id, to tell whether a group message @-mentions it. */
  botOpenId: () => Promise<string | undefined>;
  clock?: () => Date;
}

/** Feishu retries for about 7 hours (15 s, 5 min, 1 h, 6 h); an older signed request is a replay. */
const MAX_AGE_S = 8 * 3600;

type Reject = { ok: false; status: 400 | 401; reason: string };
type Opened = { ok: true; payload: Record<string, unknown> } | Reject;
const reject = (status: Reject['status'], reason: string): Reject => ({ ok: false, status, reason });
const accept = (payload: object): Opened => ({ ok: true, payload: payload as Record<string, unknown> });

/** Turns the raw request into a verified plain payload, or says why not. */
function open(
  options: FeishuWebhookOptions,
  raw: string,
  headers: { timestamp?: string; nonce?: string; signature?: string },
): Opened {
  const { config } = options;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return reject(400, 'body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return reject(400, 'body is not a JSON object');
  const encrypted = (body as { encrypt?: unknown }).encrypt;
  if (!config.encryptKey) {
    if (encrypted !== undefined) return reject(400, 'encrypted body but FEISHU_ENCRYPT_KEY is not set');
    return accept(body);
  }
  if (typeof encrypted !== 'string') return reject(400, 'expected an encrypted body');
  const signed = Boolean(headers.signature);
  if (signed && !verifyFeishuSignature(headers, config.encryptKey, raw)) return reject(401, 'bad signature');
  if (signed) {
    const age = Math.abs((options.clock?.() ?? new Date()).getTime() / 1000 - Number(headers.timestamp));
    if (!Number.isFinite(age) || age > MAX_AGE_S) return reject(401, 'stale request timestamp');
  }
  let plain: unknown;
  try {
    plain = JSON.parse(decryptFeishu(config.encryptKey, encrypted));
  } catch (error) {
    return reject(400, error instanceof FeishuCryptoError ? error.message : 'decrypted body is not JSON');
  }
  if (typeof plain !== 'object' || plain === null) return reject(400, 'decrypted body is not a JSON object');
  // Only the URL check may come unsigned (it carries the verification token instead).
  if (!signed && (plain as { type?: unknown }).type !== 'url_verification')
    return reject(401, 'missing signature');
  return accept(plain);
}

export function feishuWebhook(options: FeishuWebhookOptions) {
  const { config, core, inbox, log } = options;
  return async (c: Context) => {
    // In memory already: the load gate read it within its size limit and deadlines (bot/core/load-gate.ts).
    const raw = await c.req.text();
    const opened = open(options, raw, {
      timestamp: c.req.header('x-lark-request-timestamp'),
      nonce: c.req.header('x-lark-request-nonce'),
      signature: c.req.header('x-lark-signature'),
    });
    if (!opened.ok) {
      log.warn('feishu request refused', { reason: opened.reason });
      return c.json({ error: opened.reason }, opened.status);
    }
    const { payload } = opened;

    if (payload.type === 'url_verification') {
      if (config.verificationToken && !sameToken(config.verificationToken, payload.token)) {
        return c.json({ error: 'bad verification token' }, 401);
      }
      return c.json({ challenge: payload.challenge });
    }

    const envelope = envelopeSchema.safeParse(payload);
    if (!envelope.success) return c.json({ error: 'not a schema 2.0 event' }, 400);
    const { header } = envelope.data;
    if (config.verificationToken && !sameToken(config.verificationToken, header.token)) {
      return c.json({ error: 'bad verification token' }, 401);
    }
    if (header.app_id && header.app_id !== config.appId)
      return c.json({ error: 'event for another app' }, 401);

    try {
      if (header.event_type === 'im.message.receive_v1') {
        await inbox.accept(normalizeMessage(envelope.data, await options.botOpenId()));
        return c.json({});
      }
      if (header.event_type === 'card.action.trigger') {
        const result = await core.handle(normalizeCardAction(envelope.data));
        if (result.kind === 'duplicate') return c.json({ toast: { type: 'info', content: '已处理' } });
        const action = result.kind === 'done' ? result.action : undefined;
        return c.json({
          ...(action ? { toast: { type: action.toast.kind, content: action.toast.text } } : {}),
          ...(action?.card ? { card: { type: 'raw', data: renderFeishuCard(action.card) } } : {}),
        });
      }
      return c.json({});
    } catch (error) {
      if (error instanceof FeishuPayloadError) {
        log.warn('feishu payload refused', { reason: error.message, eventId: header.event_id });
        return c.json({ error: error.message }, 400);
      }
      // The database is unreachable: 503 makes Feishu deliver the event again later.
      log.error('feishu event not processed', { eventId: header.event_id, error: String(error) });
      return c.json({ error: 'temporarily unavailable' }, 503);
    }
  };
}
