// The console's conversation with a person, rebuilt from the outbox: what the bot sent them (cards as
// they are now, after every refresh), and what they typed, which the console keeps in the message id of
// its inbound events: replies carry that id as `refMessageId`, so no table of its own is needed.
import type { OutboxRow } from '../../../db/queries/outbox.ts';

const USER_MESSAGE_PREFIX = 'cm1';
/** Longest text the simulator accepts in one message. */
export const MAX_MESSAGE_LENGTH = 2000;

/** The console's message id of a typed text: `cm1.<uuid>.<base64url(text)>`. */
export function userMessageId(uuid: string, text: string): string {
  return `${USER_MESSAGE_PREFIX}.${uuid}.${Buffer.from(text, 'utf8').toString('base64url')}`;
}

/** The text of a console message id, or undefined for any other id. */
export function textOfUserMessage(messageId: string | null | undefined): string | undefined {
  if (!messageId) return undefined;
  const parts = messageId.split('.');
  if (parts.length !== 3 || parts[0] !== USER_MESSAGE_PREFIX) return undefined;
  try {
    return Buffer.from(parts[2]!, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

export type ConversationItem =
  | { kind: 'user'; key: string; text: string; at: Date }
  | {
      kind: 'bot';
      rowId: number;
      body: unknown;
      at: Date;
      /** The card was changed after it was sent (a refresh). */
      updated: boolean;
      status: OutboxRow['status'];
    };

/**
 * Orders the rows into a conversation: each new message once, with the latest body its later updates
 * gave it (an update names the message by the platform id the console sender gave it, `console-<id>`),
 * and the typed text a reply answers just before that reply's first message.
 */
export function buildConversation(rows: OutboxRow[]): ConversationItem[] {
  const latest = new Map<string, unknown>();
  for (const row of rows) {
    if (row.op === 'update' && row.refMessageId) latest.set(row.refMessageId, row.body);
  }
  const items: ConversationItem[] = [];
  const shown = new Set<string>();
  for (const row of rows) {
    if (row.op === 'update') continue;
    const typed = row.op === 'reply' ? row.refMessageId : undefined;
    if (typed && !shown.has(typed)) {
      shown.add(typed);
      const text = textOfUserMessage(typed);
      if (text !== undefined) items.push({ kind: 'user', key: typed, text, at: row.createdAt });
    }
    const platformId = row.platformMessageId ?? `console-${row.id}`;
    const update = latest.get(platformId);
    items.push({
      kind: 'bot',
      rowId: row.id,
      body: update ?? row.body,
      at: row.createdAt,
      updated: update !== undefined,
      status: row.status,
    });
  }
  return items;
}
