// Feishu event bodies (schema 2.0) → the channel-neutral InboundEvent.
// im.message.receive_v1: https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
// card.action.trigger: https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication
import { z } from 'zod';
import type { ActionEvent, Attachment, ExternalId, MessageEvent } from '../../core/types.ts';

const userId = z.object({
  open_id: z.string().optional(),
  user_id: z.string().nullish(),
  union_id: z.string().optional(),
});

export const envelopeSchema = z.object({
  schema: z.literal('2.0'),
  header: z.object({
    event_id: z.string().min(1),
    event_type: z.string(),
    create_time: z.string().optional(),
    token: z.string().optional(),
    app_id: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  event: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const messageEventSchema = z.object({
  sender: z.object({
    sender_id: userId,
    sender_type: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  message: z.object({
    message_id: z.string(),
    create_time: z.string().optional(),
    chat_id: z.string(),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string(),
    mentions: z.array(z.object({ key: z.string(), id: userId, name: z.string().optional() })).nullish(),
  }),
});

const cardActionSchema = z.object({
  operator: userId.extend({ tenant_key: z.string().optional() }),
  token: z.string().optional(),
  action: z.object({
    value: z.unknown().optional(),
    tag: z.string().optional(),
    name: z.string().optional(),
    // A form's fields answer with a string (input, select, date and time pickers), a list of strings
    // (multi-selects) or a boolean (checker): open.feishu.cn 卡片 JSON 2.0 › 表单容器 › 回调结构.
    // Anything else is not from a card of ours and is refused, never stringified.
    form_value: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]))
      .nullish(),
    input_value: z.string().optional(),
  }),
  context: z
    .object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() })
    .optional(),
});

/** What our buttons carry in `behaviors[].value`: the action name and its arguments. */
export const buttonValueSchema = z.object({
  action: z.string().min(1).max(64),
  args: z.record(z.string(), z.string()).default({}),
});

export class FeishuPayloadError extends Error {
  override name = 'FeishuPayloadError';
}

function ids(value: z.infer<typeof userId>): ExternalId[] {
  const list: ExternalId[] = [];
  if (value.open_id) list.push({ kind: 'open_id', value: value.open_id });
  if (value.user_id) list.push({ kind: 'user_id', value: value.user_id });
  return list;
}

type PostNode = { tag?: string; text?: string; image_key?: string };

/** Text, images and files of a message's content (text, image, rich-text post, file, video). */
function readContent(type: string, content: string): { text: string; attachments: Attachment[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new FeishuPayloadError('message.content is not JSON');
  }
  const object = (parsed ?? {}) as Record<string, unknown>;
  if (type === 'text') return { text: typeof object.text === 'string' ? object.text : '', attachments: [] };
  if (type === 'image') {
    const key = object.image_key;
    return { text: '', attachments: typeof key === 'string' ? [{ kind: 'image', key }] : [] };
  }
  if (type === 'file' || type === 'media') {
    // A file: {file_key, file_name}; a video (media): {file_key, image_key (its cover), file_name,
    // duration} (接收消息内容: https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content).
    // The video itself is the file_key; both are fetched with type=file.
    const key = object.file_key;
    const name = typeof object.file_name === 'string' && object.file_name ? object.file_name : undefined;
    return {
      text: '',
      attachments: typeof key === 'string' && key ? [{ kind: 'file', key, ...(name ? { name } : {}) }] : [],
    };
  }
  if (type === 'post') {
    // Posts arrive either as {title, content} or wrapped in a locale ({zh_cn: {title, content}}).
    const body = (Array.isArray(object.content) ? object : Object.values(object)[0]) as
      | { title?: string; content?: PostNode[][] }
      | undefined;
    // Only objects are nodes: a garbled post (`[[null]]`, numbers) contributes nothing rather than failing.
    const nodes = (Array.isArray(body?.content) ? body.content : [])
      .flat()
      .filter((node): node is PostNode => typeof node === 'object' && node !== null);
    const text = nodes
      .map((node) =>
        (node.tag === 'text' || node.tag === 'a') && typeof node.text === 'string' ? node.text : '',
      )
      .join('')
      .trim();
    const attachments: Attachment[] = nodes.flatMap((node) =>
      node.tag === 'img' && typeof node.image_key === 'string' && node.image_key
        ? [{ kind: 'image' as const, key: node.image_key }]
        : [],
    );
    const title = typeof body?.title === 'string' ? body.title : undefined;
    return { text: [title, text].filter(Boolean).join(' '), attachments };
  }
  return { text: '', attachments: [] };
}

export function normalizeMessage(envelope: Envelope, botOpenId: string | undefined): MessageEvent {
  const parsed = messageEventSchema.safeParse(envelope.event);
  if (!parsed.success)
    throw new FeishuPayloadError(`im.message.receive_v1: ${parsed.error.issues[0]?.message}`);
  const { sender, message } = parsed.data;
  const mentions = message.mentions ?? [];
  const content = readContent(message.message_type, message.content);
  let text = content.text;
  for (const mention of mentions) text = text.split(mention.key).join(' ');
  // Without the bot's id (bot info not loaded), a group message reaching us was addressed to us:
  // by default Feishu only delivers group messages that @ the bot.
  const mentionedBot = botOpenId
    ? mentions.some((mention) => mention.id.open_id === botOpenId)
    : mentions.length > 0;
  return {
    type: 'message',
    channel: 'feishu',
    eventKey: envelope.header.event_id,
    platformTenant: envelope.header.tenant_key,
    sender: { ids: ids(sender.sender_id) },
    chat: { id: message.chat_id, type: message.chat_type === 'p2p' ? 'p2p' : 'group' },
    messageId: message.message_id,
    text: text.replace(/\s+/g, ' ').trim(),
    mentionedBot,
    mentions: mentions
      .filter((mention) => mention.id.open_id !== botOpenId)
      .map((mention) => ({ ids: ids(mention.id), name: mention.name })),
    attachments: content.attachments,
    at: message.create_time ? new Date(Number(message.create_time)) : new Date(),
  };
}

export function normalizeCardAction(envelope: Envelope): ActionEvent {
  const parsed = cardActionSchema.safeParse(envelope.event);
  if (!parsed.success)
    throw new FeishuPayloadError(`card.action.trigger: ${parsed.error.issues[0]?.message}`);
  const { operator, action, context } = parsed.data;
  const value = buttonValueSchema.safeParse(action.value);
  if (!value.success)
    throw new FeishuPayloadError('card.action.trigger: the button value is not one of ours');
  const form = action.form_value
    ? Object.fromEntries(
        Object.entries(action.form_value).map(([name, entry]) => [
          name,
          Array.isArray(entry) ? entry.join(',') : String(entry ?? ''),
        ]),
      )
    : undefined;
  return {
    type: 'action',
    channel: 'feishu',
    eventKey: envelope.header.event_id,
    platformTenant: envelope.header.tenant_key,
    sender: { ids: ids(operator) },
    chat: context?.open_chat_id ? { id: context.open_chat_id, type: 'group' } : undefined,
    messageId: context?.open_message_id,
    action: value.data.action,
    args: value.data.args,
    form,
    at: envelope.header.create_time ? new Date(Number(envelope.header.create_time)) : new Date(),
  };
}
