// Builds WeCom callbacks as the platform sends them: the inner XML message, encrypted with the app's
// EncodingAESKey into <xml><Encrypt/></xml>, signed (msg_signature) over token, timestamp, nonce and
// the ciphertext. The app is the official sample's (加解密方案说明), so its URL-verification vector works.
import { randomBytes } from 'node:crypto';
import { WecomCrypto } from '../../bot/channels/wecom/crypto.ts';
import { buildXml } from '../../bot/channels/wecom/xml.ts';
import type { Harness } from './service.ts';

export const WECOM_APP = {
  corpId: 'wx5823bf96d3bd56c7',
  agentId: 1000002,
  secret: 'wecom-secret-for-tests',
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};

/** The official URL-verification vector of that app. */
export const WECOM_VECTOR = {
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
};

/** The environment of the test app (WECOM_APP) against a fake WeCom API at `apiBase`. */
export const wecomEnv = (apiBase: string): Record<string, string> => ({
  WECOM_CORP_ID: WECOM_APP.corpId,
  WECOM_AGENT_ID: String(WECOM_APP.agentId),
  WECOM_SECRET: WECOM_APP.secret,
  WECOM_TOKEN: WECOM_APP.token,
  WECOM_ENCODING_AES_KEY: WECOM_APP.encodingAesKey,
  WECOM_API_BASE: apiBase,
});

export const wecomCrypto = (corpId = WECOM_APP.corpId) =>
  new WecomCrypto({ token: WECOM_APP.token, encodingAesKey: WECOM_APP.encodingAesKey, corpId });

export interface WecomRequest {
  /** The query string, starting with `?`. */
  query: string;
  body: string;
}

let msgSeq = 0;
export const nextMsgId = () => `7${Date.now()}${String(++msgSeq).padStart(6, '0')}`;
const now = () => Math.floor(Date.now() / 1000);

export function textMessage(options: { from: string; content: string; msgId?: string; createTime?: number }) {
  return buildXml({
    ToUserName: WECOM_APP.corpId,
    FromUserName: options.from,
    CreateTime: options.createTime ?? now(),
    MsgType: 'text',
    Content: options.content,
    MsgId: options.msgId ?? nextMsgId(),
    AgentID: String(WECOM_APP.agentId),
  });
}

export function imageMessage(options: { from: string; mediaId: string; msgId?: string }) {
  return buildXml({
    ToUserName: WECOM_APP.corpId,
    FromUserName: options.from,
    CreateTime: now(),
    MsgType: 'image',
    PicUrl: 'https://wework.qpic.cn/fake.jpg',
    MediaId: options.mediaId,
    MsgId: options.msgId ?? nextMsgId(),
    AgentID: String(WECOM_APP.agentId),
  });
}

export function cardEvent(options: {
  from: string;
  eventKey: string;
  taskId: string;
  responseCode?: string;
  createTime?: number;
  /** A tap on the card's action_menu (template_card_menu_event) of a text_notice card. */
  menu?: boolean;
}) {
  return buildXml({
    ToUserName: WECOM_APP.corpId,
    FromUserName: options.from,
    CreateTime: options.createTime ?? now(),
    MsgType: 'event',
    Event: options.menu ? 'template_card_menu_event' : 'template_card_event',
    EventKey: options.eventKey,
    TaskId: options.taskId,
    CardType: options.menu ? 'text_notice' : 'button_interaction',
    ...(options.responseCode ? { ResponseCode: options.responseCode } : {}),
    AgentID: String(WECOM_APP.agentId),
  });
}

export function otherEvent(from: string, event = 'enter_agent') {
  return buildXml({
    ToUserName: WECOM_APP.corpId,
    FromUserName: from,
    CreateTime: now(),
    MsgType: 'event',
    Event: event,
    EventKey: '',
    AgentID: String(WECOM_APP.agentId),
  });
}

/** Encrypts and signs an inner message; `crypto` defaults to the test app's. */
export function wecomCallback(
  inner: string,
  options: { crypto?: WecomCrypto; timestamp?: number; nonce?: string; random?: Buffer } = {},
): WecomRequest {
  const crypto = options.crypto ?? wecomCrypto();
  const encrypt = crypto.encrypt(inner, { random: options.random ?? randomBytes(16) });
  return signEnvelope(encrypt, crypto, options);
}

/** Wraps a ciphertext in the outer envelope and signs it. */
export function signEnvelope(
  encrypt: string,
  crypto: WecomCrypto = wecomCrypto(),
  options: { timestamp?: number; nonce?: string } = {},
): WecomRequest {
  const timestamp = String(options.timestamp ?? now());
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const body = buildXml({
    ToUserName: WECOM_APP.corpId,
    Encrypt: encrypt,
    AgentID: String(WECOM_APP.agentId),
  });
  const query = new URLSearchParams({
    msg_signature: crypto.signature(timestamp, nonce, encrypt),
    timestamp,
    nonce,
  });
  return { query: `?${query}`, body };
}

/** The PKCS#7 pad WeCom's 32-byte block padding gives a message of this many bytes. */
export function wecomPadLength(inner: string, corpId = WECOM_APP.corpId): number {
  const length = 16 + 4 + Buffer.byteLength(inner) + Buffer.byteLength(corpId);
  return 32 - (length % 32);
}

/** Posts a callback to a harness; resolves once the event it put in the inbox is processed. */
export async function postWecom(harness: Harness, request: WecomRequest): Promise<Response> {
  const response = await fetch(`${harness.url}/webhooks/wecom${request.query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: request.body,
  });
  await harness.service.inbox.idle();
  return response;
}
