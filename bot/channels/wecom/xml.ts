// XML of WeCom callbacks: the outer envelope (接收消息与事件) and the decrypted inner message.
// Formats: WeCom docs 接收消息与事件 > 消息格式, and 事件格式 > 模板卡片事件推送
// (https://developer.work.weixin.qq.com/document/path/90376).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { ReasonError } from './reason-error.ts';

export type WecomXmlErrorReason =
  | 'not_xml'
  | 'no_xml_root'
  | 'doctype'
  | 'invalid_key'
  | 'invalid_value'
  | 'schema';

export class WecomXmlError extends ReasonError<WecomXmlErrorReason> {
  override readonly name = 'WecomXmlError';
}

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Keep every value a string: MsgId is a 64-bit integer that would lose precision as a number.
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
  trimValues: true,
});

/**
 * Parses `<xml>...</xml>` into a record of its direct child elements. CDATA is unwrapped and values are
 * kept as strings. Nested elements (e.g. SelectedItems) and repeated elements are left out.
 */
export function parseXml(text: string): Record<string, string> {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new WecomXmlError('not_xml', 'input is empty or not a string');
  }
  // WeCom never sends a DTD; refusing it keeps entity expansion out of the picture.
  if (/<!DOCTYPE/i.test(text)) {
    throw new WecomXmlError('doctype', 'DOCTYPE is not allowed');
  }
  let doc: unknown;
  try {
    const valid = XMLValidator.validate(text);
    if (valid !== true) {
      throw new WecomXmlError('not_xml', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
    }
    doc = parser.parse(text);
  } catch (err) {
    if (err instanceof WecomXmlError) throw err;
    throw new WecomXmlError('not_xml', `malformed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof doc !== 'object' || doc === null || Object.keys(doc).length !== 1 || !('xml' in doc)) {
    throw new WecomXmlError('no_xml_root', 'document must have a single <xml> root element');
  }
  const root = doc.xml;
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new WecomXmlError('no_xml_root', '<xml> root must contain child elements');
  }
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(root)) {
    if (key !== '#text' && typeof value === 'string') record[key] = value;
  }
  return record;
}

const XML_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Characters outside the XML 1.0 Char production cannot be written at all, even inside CDATA.
const XML_INVALID_CHAR_RE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * Builds `<xml><Key><![CDATA[value]]></Key>...</xml>`. Strings go in CDATA (a `]]>` inside is split
 * across two CDATA sections); numbers are written bare, like CreateTime/TimeStamp in WeCom's samples.
 */
export function buildXml(record: Record<string, string | number>): string {
  let out = '<xml>';
  for (const [key, value] of Object.entries(record)) {
    if (!XML_NAME_RE.test(key)) throw new WecomXmlError('invalid_key', `invalid element name: ${key}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new WecomXmlError('invalid_value', `${key} is not a finite number`);
      out += `<${key}>${value}</${key}>`;
      continue;
    }
    if (typeof value !== 'string') throw new WecomXmlError('invalid_value', `${key} is not a string`);
    if (XML_INVALID_CHAR_RE.test(value)) {
      throw new WecomXmlError('invalid_value', `${key} contains a character not allowed in XML`);
    }
    out += `<${key}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${key}>`;
  }
  return `${out}</xml>`;
}

// Inner message schemas (after decryption). Only the fields the bot uses are listed.
const digits = z.string().regex(/^\d+$/);
const epochSeconds = digits.transform(Number);

export const WecomEnvelopeSchema = z.object({
  ToUserName: z.string().optional(),
  Encrypt: z.string().min(1),
  AgentID: z.string().optional(),
});

export const WecomTextMessageSchema = z.object({
  ToUserName: z.string(),
  FromUserName: z.string().min(1),
  CreateTime: epochSeconds,
  MsgType: z.literal('text'),
  Content: z.string(),
  MsgId: digits,
  AgentID: z.string(),
});

export const WecomImageMessageSchema = z.object({
  ToUserName: z.string(),
  FromUserName: z.string().min(1),
  CreateTime: epochSeconds,
  MsgType: z.literal('image'),
  PicUrl: z.string(),
  MediaId: z.string(),
  MsgId: digits,
  AgentID: z.string(),
});

// 视频消息 (接收消息与事件 › 消息格式, https://developer.work.weixin.qq.com/document/path/90239): its MediaId
// is fetched with media/get, like an image's, within 3 days. The app receives no documents: the page's
// message types are text, image, voice, video, location and link.
export const WecomVideoMessageSchema = z.object({
  ToUserName: z.string(),
  FromUserName: z.string().min(1),
  CreateTime: epochSeconds,
  MsgType: z.literal('video'),
  MediaId: z.string().min(1),
  ThumbMediaId: z.string().optional(),
  MsgId: digits,
  AgentID: z.string(),
});

// SelectedItems (vote / multiple choice cards) is nested XML and is not read.
export const WecomCardEventSchema = z.object({
  ToUserName: z.string(),
  FromUserName: z.string().min(1),
  CreateTime: epochSeconds,
  MsgType: z.literal('event'),
  // template_card_menu_event: a tap on a card's action_menu entry, with the same fields (path/90240).
  Event: z.enum(['template_card_event', 'template_card_menu_event']),
  EventKey: z.string(),
  TaskId: z.string(),
  CardType: z.string(),
  ResponseCode: z.string().optional(),
  AgentID: z.string(),
});

interface WecomMessageBase {
  toUserName: string;
  fromUserName: string;
  createTime: number;
  agentId: string;
  raw: Record<string, string>;
}

export type WecomMessage =
  | (WecomMessageBase & { kind: 'text'; msgId: string; content: string })
  | (WecomMessageBase & { kind: 'image'; msgId: string; picUrl: string; mediaId: string })
  | (WecomMessageBase & { kind: 'video'; msgId: string; mediaId: string })
  | (WecomMessageBase & {
      kind: 'card_event';
      /** A tap on the card's action_menu (template_card_menu_event), not on a button. */
      menu: boolean;
      eventKey: string;
      taskId: string;
      cardType: string;
      responseCode: string | undefined;
    })
  | { kind: 'other'; msgType: string; event: string | undefined; raw: Record<string, string> };

function check<T extends z.ZodType>(schema: T, record: Record<string, string>, what: string): z.output<T> {
  const result = schema.safeParse(record);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new WecomXmlError('schema', `invalid ${what}: ${issues}`);
  }
  return result.data;
}

/** Parses the outer callback body `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. */
export function parseWecomEnvelope(xmlText: string): z.output<typeof WecomEnvelopeSchema> {
  return check(WecomEnvelopeSchema, parseXml(xmlText), 'callback envelope');
}

/** Parses a decrypted inner message; unknown MsgType/Event values come back as kind 'other'. */
export function parseWecomMessage(xmlText: string): WecomMessage {
  const raw = parseXml(xmlText);
  const base = (m: { ToUserName: string; FromUserName: string; CreateTime: number; AgentID: string }) => ({
    toUserName: m.ToUserName,
    fromUserName: m.FromUserName,
    createTime: m.CreateTime,
    agentId: m.AgentID,
    raw,
  });
  if (raw.MsgType === 'text') {
    const m = check(WecomTextMessageSchema, raw, 'text message');
    return { kind: 'text', ...base(m), msgId: m.MsgId, content: m.Content };
  }
  if (raw.MsgType === 'image') {
    const m = check(WecomImageMessageSchema, raw, 'image message');
    return { kind: 'image', ...base(m), msgId: m.MsgId, picUrl: m.PicUrl, mediaId: m.MediaId };
  }
  if (raw.MsgType === 'video') {
    const m = check(WecomVideoMessageSchema, raw, 'video message');
    return { kind: 'video', ...base(m), msgId: m.MsgId, mediaId: m.MediaId };
  }
  if (
    raw.MsgType === 'event' &&
    (raw.Event === 'template_card_event' || raw.Event === 'template_card_menu_event')
  ) {
    const m = check(WecomCardEventSchema, raw, raw.Event);
    return {
      kind: 'card_event',
      ...base(m),
      menu: m.Event === 'template_card_menu_event',
      eventKey: m.EventKey,
      taskId: m.TaskId,
      cardType: m.CardType,
      responseCode: m.ResponseCode,
    };
  }
  return { kind: 'other', msgType: raw.MsgType ?? '', event: raw.Event, raw };
}
