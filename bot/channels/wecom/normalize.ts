// Decrypted WeCom callbacks (self-built app, 接收消息与事件) → the channel-neutral InboundEvent.
// Message formats: https://developer.work.weixin.qq.com/document/path/90239
// template_card_event: https://developer.work.weixin.qq.com/document/path/90240
import { z } from 'zod';
import type { ActionEvent, ExternalUser, InboundEvent, MessageEvent } from '../../core/types.ts';
import type { WecomMessage } from './xml.ts';

/**
 * What our buttons carry in their `key` (returned as EventKey): `a` the action, `g` its arguments,
 * `i` a tie-breaker when two buttons of one card would otherwise have the same key (keys must differ).
 * WeCom allows at most 1024 bytes per key, so the encoding is compact JSON.
 */
const buttonKeySchema = z.object({
  a: z.string().min(1).max(64),
  g: z.record(z.string(), z.string()).default({}),
  i: z.number().int().nonnegative().optional(),
});

export const MAX_BUTTON_KEY_BYTES = 1024;

export function encodeButtonKey(action: string, args: Record<string, string>, index?: number): string {
  return JSON.stringify(index === undefined ? { a: action, g: args } : { a: action, g: args, i: index });
}

export function decodeButtonKey(key: string): { action: string; args: Record<string, string> } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    return undefined;
  }
  const value = buttonKeySchema.safeParse(parsed);
  return value.success ? { action: value.data.a, args: value.data.g } : undefined;
}

/** A clicked card: what the webhook needs to update it after the core has handled the click. */
export interface WecomClick {
  taskId: string;
  /** Single use, valid 72 h; absent on some card types. */
  responseCode?: string;
  userId: string;
}

/**
 * The key of our cards' action_menu entry 查看帮助 (render.ts): a tap on it is taken as the message 帮助.
 * action_menu keys are at most 1024 bytes and unique per card (发送应用消息 path/90236, 模板卡片消息).
 */
export const MENU_HELP_KEY = 'yg-menu-help';

export type Normalized =
  | { kind: 'event'; event: InboundEvent; click?: WecomClick }
  | { kind: 'ignored'; reason: string };

function sender(userId: string): ExternalUser {
  return { ids: [{ kind: 'userid', value: userId }] };
}

/**
 * Maps a parsed callback to an event. App messages are always a private chat between one member and
 * the app, so the chat is the member and the bot is always addressed.
 */
export function normalizeWecom(message: WecomMessage, corpId: string): Normalized {
  if (message.kind === 'other') {
    return {
      kind: 'ignored',
      reason: `unhandled ${message.msgType}${message.event ? `/${message.event}` : ''}`,
    };
  }
  const chat = { id: message.fromUserName, type: 'p2p' as const };
  const at = new Date(message.createTime * 1000);
  if (message.kind === 'text' || message.kind === 'image' || message.kind === 'video') {
    const event: MessageEvent = {
      type: 'message',
      channel: 'wecom',
      // 接收消息: messages are retried with the same MsgId (dedupe by MsgId).
      eventKey: `msg:${message.msgId}`,
      platformTenant: corpId,
      sender: sender(message.fromUserName),
      chat,
      messageId: message.msgId,
      text: message.kind === 'text' ? message.content.replace(/\s+/g, ' ').trim() : '',
      mentionedBot: true,
      mentions: [],
      // A video is kept as a file: for a record (记录), refused by a hazard (photos only).
      attachments:
        message.kind === 'text'
          ? []
          : [{ kind: message.kind === 'image' ? 'image' : 'file', key: message.mediaId }],
      at,
    };
    return { kind: 'event', event };
  }
  // Events carry no MsgId: FromUserName + CreateTime identifies a delivery; the card and the key tell
  // two taps of one second apart.
  const eventKey = `event:${message.fromUserName}:${message.createTime}:${message.taskId}:${message.eventKey}`;
  if (message.menu) {
    if (message.eventKey !== MENU_HELP_KEY) return { kind: 'ignored', reason: 'menu key that is not ours' };
    const event: MessageEvent = {
      type: 'message',
      channel: 'wecom',
      eventKey,
      platformTenant: corpId,
      sender: sender(message.fromUserName),
      chat,
      messageId: `menu:${message.taskId}:${message.createTime}`,
      text: '帮助',
      mentionedBot: true,
      mentions: [],
      attachments: [],
      at,
    };
    return { kind: 'event', event };
  }
  const button = decodeButtonKey(message.eventKey);
  if (!button) return { kind: 'ignored', reason: 'template_card_event with a key that is not ours' };
  const event: ActionEvent = {
    type: 'action',
    channel: 'wecom',
    eventKey,
    platformTenant: corpId,
    sender: sender(message.fromUserName),
    chat,
    // The task_id is what we store as the card's platform message id, so the core recognises the card.
    messageId: message.taskId,
    action: button.action,
    args: button.args,
    at,
  };
  return {
    kind: 'event',
    event,
    click: { taskId: message.taskId, responseCode: message.responseCode, userId: message.fromUserName },
  };
}
