// POST /webhooks/feishu: events and card callbacks. Verify and decrypt here; the envelope then takes the
// path the long connection's events take too (./events.ts).
// https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
import type { Context } from 'hono';
import type { Core } from '../../core/core.ts';
import type { Inbox } from '../../core/inbox.ts';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import { decryptFeishu, FeishuCryptoError, sameToken, verifyFeishuSignature } from './crypto.ts';
import { type FeishuEventsOptions, feishuEvents, PRESS_BUSY, PRESS_WITHIN_MS, toast } from './events.ts';
import { envelopeSchema } from './normalize.ts';

export interface FeishuWebhookOptions {
  config: FeishuConfig;
  core: Core;
  inbox: Inbox;
  log: Logger;
  /** The bot's open_id, to tell whether a group message @-mentions it. */
  botOpenId: () => Promise<string | undefined>;
  imageKeys?: FeishuEventsOptions['imageKeys'];
  clock?: () => Date;
}

/** What a press's answer keeps for itself before the load gate's deadline (encrypting, writing it out). */
const ANSWER_MARGIN_MS = 200;

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

/** The request's payload, verified and decrypted; its body is in memory (read by the load gate). */
async function openRequest(options: FeishuWebhookOptions, c: Context): Promise<Opened> {
  return open(options, await c.req.text(), {
    timestamp: c.req.header('x-lark-request-timestamp'),
    nonce: c.req.header('x-lark-request-nonce'),
    signature: c.req.header('x-lark-signature'),
  });
}

/**
 * The answer to a request the load gate refuses before any work: a card press is not delivered again,
 * so a 503 would only show the user Feishu's error; it is told politely that nothing was done. Anything
 * else gets the gate's 503, and Feishu delivers it again.
 */
export function feishuWebhookBusy(options: FeishuWebhookOptions) {
  const { config } = options;
  return async (c: Context) => {
    const opened = await openRequest(options, c);
    if (!opened.ok) return undefined;
    const envelope = envelopeSchema.safeParse(opened.payload);
    if (!envelope.success || envelope.data.header.event_type !== 'card.action.trigger') return undefined;
    if (config.verificationToken && !sameToken(config.verificationToken, envelope.data.header.token))
      return undefined;
    return c.json(toast('warning', PRESS_BUSY));
  };
}

export function feishuWebhook(options: FeishuWebhookOptions) {
  const { config, log } = options;
  const events = feishuEvents({ ...options, appId: config.appId });
  return async (c: Context) => {
    const opened = await openRequest(options, c);
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

    // Within the load gate's deadline (it answers 503 at `answerBy`), which counts from the arrival.
    const answerBy = c.get('answerBy');
    const answer = await events(payload, {
      check: (header) =>
        config.verificationToken && !sameToken(config.verificationToken, header.token)
          ? { status: 401, body: { error: 'bad verification token' } }
          : undefined,
      pressWithinMs:
        answerBy === undefined
          ? PRESS_WITHIN_MS
          : Math.min(PRESS_WITHIN_MS, answerBy - Date.now() - ANSWER_MARGIN_MS),
    });
    return c.json(answer.body, answer.status);
  };
}
