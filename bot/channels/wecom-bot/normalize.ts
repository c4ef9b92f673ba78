// Frames of the WeCom 智能机器人 long connection → the channel-neutral InboundEvent.
// 智能机器人长连接 › 接收消息回调 / 接收事件回调: https://developer.work.weixin.qq.com/document/path/101463
// The bot hears a group message only when it is @-mentioned; a single chat is between one member and the
// bot. A member is known by the corp's userid (the same as to the self-built app).
import { z } from 'zod';
import type { ActionEvent, Attachment, ChatRef, MessageEvent } from '../../core/types.ts';
import { decodeButtonKey } from '../wecom/normalize.ts';

const base = z.object({
  msgid: z.string().min(1),
  aibotid: z.string().optional(),
  chatid: z.string().min(1).optional(),
  chattype: z.enum(['single', 'group']).optional(),
  from: z.object({ userid: z.string().min(1), corpid: z.string().optional() }),
  create_time: z.number().optional(),
});

const media = z.object({ url: z.string().min(1), aeskey: z.string().optional() });

const messageBody = base.extend({
  msgtype: z.string(),
  text: z.object({ content: z.string() }).optional(),
  image: media.optional(),
  file: media.optional(),
  mixed: z
    .object({
      msg_item: z.array(
        z.object({
          msgtype: z.string(),
          text: z.object({ content: z.string() }).optional(),
          image: media.optional(),
        }),
      ),
    })
    .optional(),
});
export type BotMessageBody = z.infer<typeof messageBody>;

const cardEventBody = base.extend({
  msgtype: z.literal('event'),
  event: z.object({
    eventtype: z.literal('template_card_event'),
    event_key: z.string().min(1),
    task_id: z.string().min(1),
  }),
});

export class BotPayloadError extends Error {
  override name = 'BotPayloadError';
}

/** An image or a file of a message: where to fetch it and its own AES key (多媒体资源解密). */
export interface BotMedia {
  kind: 'image' | 'file';
  url: string;
  aeskey?: string;
}

function chatOf(body: z.infer<typeof base>): ChatRef {
  // A single chat has no chatid: the member is the conversation (and the address of a proactive send).
  return body.chattype === 'group' && body.chatid
    ? { id: body.chatid, type: 'group' }
    : { id: body.from.userid, type: 'p2p' };
}

/** A group message starts with the bot's @name; the rest is the command. */
function withoutLeadingMention(text: string, group: boolean): string {
  return (group ? text.replace(/^\s*@\S+/, '') : text).replace(/\s+/g, ' ').trim();
}

function issue(error: z.ZodError) {
  const first = error.issues[0];
  return `${first?.path.join('.') || '(body)'}: ${first?.message}`;
}

/**
 * A message frame's body as an event, with the images and files to fetch; `attachments` are filled in
 * by the caller once they are fetched (their keys are ours, not the temporary URLs).
 */
export function normalizeBotMessage(raw: unknown): { event: MessageEvent; media: BotMedia[] } {
  const parsed = messageBody.safeParse(raw);
  if (!parsed.success) throw new BotPayloadError(`aibot_msg_callback: ${issue(parsed.error)}`);
  const body = parsed.data;
  const chat = chatOf(body);
  const texts: string[] = [];
  const found: BotMedia[] = [];
  if (body.msgtype === 'text' && body.text) texts.push(body.text.content);
  if (body.msgtype === 'image' && body.image) found.push({ kind: 'image', ...body.image });
  if (body.msgtype === 'file' && body.file) found.push({ kind: 'file', ...body.file });
  for (const item of body.msgtype === 'mixed' ? (body.mixed?.msg_item ?? []) : []) {
    if (item.msgtype === 'text' && item.text) texts.push(item.text.content);
    if (item.msgtype === 'image' && item.image) found.push({ kind: 'image', ...item.image });
  }
  const attachments: Attachment[] = [];
  return {
    event: {
      type: 'message',
      channel: 'wecom_bot',
      eventKey: body.msgid,
      sender: { ids: [{ kind: 'userid', value: body.from.userid }] },
      chat,
      messageId: body.msgid,
      text: withoutLeadingMention(texts.join(' '), chat.type === 'group'),
      // WeCom pushes a group message to the bot only when it is @-mentioned.
      mentionedBot: true,
      mentions: [],
      attachments,
      at: body.create_time ? new Date(body.create_time * 1000) : new Date(),
      platformTenant: body.from.corpid,
    },
    media: found,
  };
}

/** Whether an event frame is a press of a template card's button. */
export function isCardEvent(raw: unknown): boolean {
  return (raw as { event?: { eventtype?: unknown } } | undefined)?.event?.eventtype === 'template_card_event';
}

/** A template_card_event as a button press; the card's task_id is the pressed copy's message id. */
export function normalizeBotCardEvent(raw: unknown): ActionEvent {
  const parsed = cardEventBody.safeParse(raw);
  if (!parsed.success) throw new BotPayloadError(`template_card_event: ${issue(parsed.error)}`);
  const body = parsed.data;
  const button = decodeButtonKey(body.event.event_key);
  if (!button) throw new BotPayloadError('template_card_event: the button key is not one of ours');
  return {
    type: 'action',
    channel: 'wecom_bot',
    eventKey: body.msgid,
    sender: { ids: [{ kind: 'userid', value: body.from.userid }] },
    chat: chatOf(body),
    messageId: body.event.task_id,
    action: button.action,
    args: button.args,
    at: body.create_time ? new Date(body.create_time * 1000) : new Date(),
    platformTenant: body.from.corpid,
  };
}
