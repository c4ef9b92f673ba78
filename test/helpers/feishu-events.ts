// Builds Feishu webhook requests as the platform sends them: schema 2.0 bodies, encrypted with the
// app's encrypt key and signed over the raw body.
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { feishuSignature } from '../../bot/channels/feishu/crypto.ts';
import { FAKE_APP_ID, type FakeMessage } from '../fakes/feishu-api.ts';

export const APP = {
  appId: FAKE_APP_ID,
  token: 'verification-token-for-tests',
  encryptKey: 'encrypt-key-for-tests',
};

export function encryptFeishu(encryptKey: string, plain: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Encrypts and signs a payload; `encryptKey: undefined` sends it plain (token-only mode). */
export function feishuRequest(
  payload: unknown,
  options: { encryptKey?: string; timestamp?: number; nonce?: string } = { encryptKey: APP.encryptKey },
): SignedRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!options.encryptKey) return { body: JSON.stringify(payload), headers };
  const body = JSON.stringify({ encrypt: encryptFeishu(options.encryptKey, JSON.stringify(payload)) });
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomUUID();
  return {
    body,
    headers: {
      ...headers,
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(timestamp, nonce, options.encryptKey, body),
    },
  };
}

/** Signs an arbitrary raw body with the test app's encrypt key (for garbled-but-signed bodies). */
export function signRaw(body: string, timestamp = Math.floor(Date.now() / 1000)): SignedRequest {
  const nonce = randomUUID();
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-lark-request-timestamp': String(timestamp),
      'x-lark-request-nonce': nonce,
      'x-lark-signature': feishuSignature(String(timestamp), nonce, APP.encryptKey, body),
    },
  };
}

const header = (eventType: string, eventId = `ev_${randomUUID()}`) => ({
  event_id: eventId,
  event_type: eventType,
  create_time: String(Date.now()),
  token: APP.token,
  app_id: APP.appId,
  tenant_key: 'fake_tenant_key',
});

export interface MessageOptions {
  eventId?: string;
  openId: string;
  chatId: string;
  chatType?: 'group' | 'p2p';
  text?: string;
  imageKey?: string;
  /** open_ids to @-mention before the text; include the bot's to address it. */
  mention?: string[];
  messageId?: string;
}

export function messageEvent(options: MessageOptions) {
  const mentions = (options.mention ?? []).map((openId, index) => ({
    key: `@_user_${index + 1}`,
    id: { open_id: openId, union_id: `on_${openId}`, user_id: null },
    name: `user${index + 1}`,
    tenant_key: 'fake_tenant_key',
  }));
  const prefix = mentions.map((mention) => mention.key).join(' ');
  const content =
    options.imageKey !== undefined
      ? { image_key: options.imageKey }
      : { text: [prefix, options.text ?? ''].filter(Boolean).join(' ') };
  return {
    schema: '2.0',
    header: header('im.message.receive_v1', options.eventId),
    event: {
      sender: {
        sender_id: { open_id: options.openId, union_id: `on_${options.openId}` },
        sender_type: 'user',
        tenant_key: 'fake_tenant_key',
      },
      message: {
        message_id: options.messageId ?? `om_${randomUUID().replaceAll('-', '')}`,
        create_time: String(Date.now()),
        chat_id: options.chatId,
        chat_type: options.chatType ?? 'group',
        message_type: options.imageKey !== undefined ? 'image' : 'text',
        content: JSON.stringify(content),
        mentions,
      },
    },
  };
}

export function cardActionEvent(options: {
  eventId?: string;
  openId: string;
  value: unknown;
  messageId?: string;
  chatId?: string;
  formValue?: Record<string, string>;
}) {
  return {
    schema: '2.0',
    header: header('card.action.trigger', options.eventId),
    event: {
      operator: { open_id: options.openId, union_id: `on_${options.openId}`, tenant_key: 'fake_tenant_key' },
      token: `c-${randomUUID()}`,
      action: {
        tag: 'button',
        value: options.value,
        ...(options.formValue ? { form_value: options.formValue } : {}),
      },
      host: 'im_message',
      context: { open_message_id: options.messageId, open_chat_id: options.chatId },
    },
  };
}

/**
 * The card about a hazard that `openId` received (among the fake's messages), and a press of `action` on it
 * by them.
 */
export function pressOnHazardCard(
  messages: readonly FakeMessage[],
  openId: string,
  hazard: { id: number; code: string },
  action = 'hazard.accept',
) {
  const card = messages.find(
    (message) => message.receiveId === openId && message.rawContent.includes(hazard.code),
  );
  if (!card) throw new Error(`no card about ${hazard.code} for ${openId}`);
  const press = cardActionEvent({
    openId,
    value: { action, args: { id: String(hazard.id) } },
    messageId: card.messageId,
    chatId: card.chatId,
  });
  return { card, press };
}
