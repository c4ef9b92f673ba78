// The channel-neutral shapes that travel between adapters, the core and the handlers (DESIGN.md §2).
import type { Card } from '../../cards/model.ts';

/** The channels; db/schema.ts builds its enum from this list. */
export const CHANNELS = ['feishu', 'wecom', 'wechaty', 'console', 'wecom_bot'] as const;
export type Channel = (typeof CHANNELS)[number];

/** One platform id of the sender; Feishu gives several kinds (open_id, user_id, union_id). */
export interface ExternalId {
  kind: string;
  value: string;
}

export interface ExternalUser {
  ids: ExternalId[];
  name?: string;
}

export interface ChatRef {
  id: string;
  type: 'group' | 'p2p';
}

export interface Attachment {
  kind: 'image' | 'file';
  /** The platform's key for the file (Feishu image_key/file_key, WeCom MediaId). */
  key: string;
  /** The file's name as the sender's platform gives it (a document's name; none for a photo). */
  name?: string;
  /**
   * Kept on arrival already, by a channel that had the bytes in hand (the 智能机器人's decrypted files,
   * Wechaty's FileBox): the stored file's id (bot/core/evidence.ts).
   */
  fileId?: number;
  /** Refused on arrival (too large, not an image), in words for the sender: nothing was stored. */
  refused?: string;
}

interface EventBase {
  channel: Channel;
  /** The platform's delivery id, unique per channel: the dedupe key. */
  eventKey: string;
  sender: ExternalUser;
  chat?: ChatRef;
  at: Date;
  /** A platform tenant hint (Feishu tenant_key, WeCom CorpID). */
  platformTenant?: string;
  /**
   * What the platform gave with the event that the answer must carry, kept on the answer's outbox rows
   * (`platform_ref`) for the channel's sender: WeCom's single-use `responseCode` of a pressed card, the
   * Wechaty contact a room answer @-mentions.
   */
  answerRef?: Record<string, unknown>;
}

export interface MessageEvent extends EventBase {
  type: 'message';
  chat: ChatRef;
  messageId: string;
  /** The text with @-mentions removed. */
  text: string;
  /** True when the bot was @-mentioned (group chats only react then). */
  mentionedBot: boolean;
  mentions: ExternalUser[];
  attachments: Attachment[];
}

export interface ActionEvent extends EventBase {
  type: 'action';
  action: string;
  args: Record<string, string>;
  /** Values of a submitted form. */
  form?: Record<string, string>;
  /** The platform message that carried the card, when known. */
  messageId?: string;
}

export type InboundEvent = MessageEvent | ActionEvent;

export type Body = { kind: 'text'; text: string } | { kind: 'card'; card: Card };

/** Where a message goes: back into the chat of the event, to a person, or to a known chat. */
export type Destination =
  | { kind: 'reply' }
  | { kind: 'person'; personId: number }
  | { kind: 'chat'; channel: Channel; chatId: string };

export interface Outbound {
  to: Destination;
  body: Body;
  /** What a card shows (e.g. `hazard:12`), so that later changes can refresh every copy. */
  subject?: string;
  /** Which rendering of the subject this copy is (e.g. `public`, `handler`). */
  view?: string;
  /**
   * The tenant the subject belongs to, when not the handler's: a bureau's copy of a school's hazard or
   * task card is the school's, so that the school's changes refresh it (issue 19).
   */
  tenantId?: number;
}

/**
 * How a channel answers a button press. The core makes the answer once, in the action's own transaction,
 * for every channel; the channel's adapter only carries it to the wire.
 * - `response`: in the answer to the platform's request (Feishu's card callback, the console's page): the
 *   core returns it (HandleResult.action) and writes nothing;
 * - `update`: the pressed card is updated in place through the outbox, a success shown in it; a warning,
 *   an error or a toast without a card goes to the presser as a text message (WeCom);
 * - `message`: into the chat, the toast and then the card (numbered text replies: Wechaty).
 */
export type AnswerKind = 'response' | 'update' | 'message';

/** The synchronous answer to a button press: a toast and the card as it now is. */
export interface ActionResult {
  toast: { kind: 'success' | 'info' | 'warning' | 'error'; text: string };
  card?: Card;
}
