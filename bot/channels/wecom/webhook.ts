// GET and POST /webhooks/wecom: URL verification and encrypted callbacks of a WeCom self-built app.
// 回调配置 / 接收消息与事件: https://developer.work.weixin.qq.com/document/path/90930,
// 加解密方案: https://developer.work.weixin.qq.com/document/path/90968
import type { Context } from 'hono';
import type { Core } from '../../core/core.ts';
import type { Inbox } from '../../core/inbox.ts';
import type { Logger } from '../../core/log.ts';
import type { WecomConfig } from '../../env.ts';
import { WecomCrypto, WecomCryptoError } from './crypto.ts';
import { normalizeWecom } from './normalize.ts';
import { parseWecomEnvelope, parseWecomMessage, WecomXmlError } from './xml.ts';

export interface WecomWebhookOptions {
  config: WecomConfig;
  core: Core;
  inbox: Inbox;
  log: Logger;
  clock?: () => Date;
}

/** WeCom retries within seconds (three tries in all); a signed request much older than this is a replay. */
const MAX_AGE_S = 3600;

type Reject = { ok: false; status: 400 | 401; reason: string };
const reject = (status: Reject['status'], reason: string): Reject => ({ ok: false, status, reason });

function cryptoReject(error: unknown): Reject {
  if (error instanceof WecomCryptoError) {
    if (error.reason === 'signature_mismatch') return reject(401, 'bad signature');
    if (error.reason === 'receive_id_mismatch') return reject(401, 'message for another CorpID');
    return reject(400, `cannot decrypt: ${error.reason}`);
  }
  return reject(400, 'cannot decrypt');
}

export function wecomWebhook(options: WecomWebhookOptions) {
  const { config, core, inbox, log } = options;
  const clock = options.clock ?? (() => new Date());
  const crypto = new WecomCrypto({
    token: config.token,
    encodingAesKey: config.encodingAesKey,
    corpId: config.corpId,
  });

  /** GET: 验证URL有效性. Answer the decrypted echostr as plain text, nothing else. */
  async function verify(c: Context) {
    const { msg_signature: signature, timestamp, nonce, echostr } = c.req.query();
    if (!signature || !timestamp || !nonce || !echostr) {
      return c.json({ error: 'msg_signature, timestamp, nonce and echostr are required' }, 400);
    }
    // Base64 has no spaces: a '+' that was not percent-encoded arrives decoded as one.
    const encrypted = echostr.replaceAll(' ', '+');
    try {
      const { message } = crypto.verifyAndDecrypt(signature, timestamp, nonce, encrypted);
      return c.text(message);
    } catch (error) {
      const refused = cryptoReject(error);
      log.warn('wecom url verification refused', { reason: refused.reason });
      return c.json({ error: refused.reason }, refused.status);
    }
  }

  /** POST: an encrypted message or event. */
  async function receive(c: Context) {
    // In memory already: the load gate read it within its size limit and deadlines (bot/core/load-gate.ts).
    const raw = await c.req.text();
    const { msg_signature: signature, timestamp, nonce } = c.req.query();
    if (!signature || !timestamp || !nonce) {
      return c.json({ error: 'msg_signature, timestamp and nonce are required' }, 400);
    }

    let plain: string;
    try {
      const envelope = parseWecomEnvelope(raw);
      if (!crypto.verify(signature, timestamp, nonce, envelope.Encrypt)) {
        log.warn('wecom request refused', { reason: 'bad signature' });
        return c.json({ error: 'bad signature' }, 401);
      }
      const age = Math.abs(clock().getTime() / 1000 - Number(timestamp));
      if (!Number.isFinite(age) || age > MAX_AGE_S) {
        log.warn('wecom request refused', { reason: 'stale timestamp' });
        return c.json({ error: 'stale request timestamp' }, 401);
      }
      plain = crypto.decrypt(envelope.Encrypt).message;
    } catch (error) {
      const refused = error instanceof WecomXmlError ? reject(400, error.message) : cryptoReject(error);
      log.warn('wecom request refused', { reason: refused.reason });
      return c.json({ error: refused.reason }, refused.status);
    }

    let normalized: ReturnType<typeof normalizeWecom>;
    try {
      const message = parseWecomMessage(plain);
      if (message.kind !== 'other' && message.agentId && message.agentId !== String(config.agentId)) {
        log.warn('wecom request refused', { reason: 'event for another app', agentId: message.agentId });
        return c.json({ error: 'event for another app' }, 401);
      }
      normalized = normalizeWecom(message, config.corpId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.warn('wecom payload refused', { reason });
      return c.json({ error: reason }, 400);
    }
    if (normalized.kind === 'ignored') return c.body(null, 200);

    const { event } = normalized;
    try {
      // A message is answered once it is in the inbox. A click is processed now: WeCom cannot take a card
      // in the callback's answer, so the core answers it (AnswerKind 'update') by updating the clicked card
      // with the click's single-use response_code, in the click's own transaction.
      if (event.type === 'message') await inbox.accept(event);
      else {
        const { responseCode } = normalized.click ?? {};
        const answerRef = responseCode ? { responseCode, codeAt: clock().toISOString() } : undefined;
        await core.handle(answerRef ? { ...event, answerRef } : event);
      }
    } catch (error) {
      // The database is unreachable: 503 makes WeCom deliver the callback again.
      log.error('wecom event not processed', { eventKey: event.eventKey, error: String(error) });
      return c.json({ error: 'temporarily unavailable' }, 503);
    }
    // An empty 200 tells WeCom the callback was received and there is no passive reply.
    return c.body(null, 200);
  }

  return { verify, receive };
}
