// POST /webhooks/feishu: events and card callbacks. Verify and decrypt here; the envelope then takes the
// path the long connection's events take too (./events.ts).
// https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
import type { Context } from 'hono';
import type { Core } from '../../core/core.ts';
import type { Inbox } from '../../core/inbox.ts';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import { decryptFeishu, FeishuCryptoError, sameToken, verifyFeishuSignature } from './crypto.ts';
import { type FeishuEventsOptions, feishuEvents } from './events.ts';

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
  const { config, log } = options;
  const events = feishuEvents({ ...options, appId: config.appId });
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

    const answer = await events(payload, (header) =>
      config.verificationToken && !sameToken(config.verificationToken, header.token)
        ? { status: 401, body: { error: 'bad verification token' } }
        : undefined,
    );
    return c.json(answer.body, answer.status);
  };
}
