// Wechaty messages → InboundEvent. Room messages count when they @ the bot; private ones always.
import type { MessageInterface } from 'wechaty/impls';
import type { MessageEvent } from '../../core/types.ts';
import type { WechatyModule } from './load.ts';

/** Wechaty's message types (an enum of the package, which is loaded at run time: load.ts). */
export type MessageTypes = WechatyModule['types']['Message'];

/** "1", "回复 1", "1。" — a reply that picks a numbered button of the last card. */
export function numberedChoice(text: string): number | undefined {
  const match = /^\s*(?:回复\s*)?(\d{1,2})\s*[。.]?\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

export async function normalizeWechatyMessage(
  message: MessageInterface,
  types: MessageTypes,
): Promise<MessageEvent | undefined> {
  const type = message.type();
  // A document (Attachment) or a video is a file: kept for a record (记录), refused by a hazard.
  const file = type === types.Attachment || type === types.Video;
  if (type !== types.Text && type !== types.Image && !file) return undefined;
  const talker = message.talker();
  const room = message.room();
  const text = type === types.Text ? (room ? await message.mentionText() : message.text()) : '';
  const mentionedBot = room ? await message.mentionSelf() : true;
  const mentions = room ? await message.mentionList() : [];
  return {
    type: 'message',
    channel: 'wechaty',
    eventKey: message.id,
    sender: { ids: [{ kind: 'id', value: talker.id }], name: talker.name() },
    chat: room ? { id: room.id, type: 'group' } : { id: talker.id, type: 'p2p' },
    messageId: message.id,
    text: text.replace(/\s+/g, ' ').trim(),
    mentionedBot,
    mentions: mentions
      .filter((contact) => contact.id !== message.wechaty.currentUser.id)
      .map((contact) => ({ ids: [{ kind: 'id', value: contact.id }], name: contact.name() })),
    // A Wechaty image or file stays with the puppet; its message id is the key to fetch it again (its
    // name comes with its FileBox, adapter.ts).
    attachments:
      type === types.Image
        ? [{ kind: 'image', key: message.id }]
        : file
          ? [{ kind: 'file', key: message.id }]
          : [],
    at: message.date(),
    // In a room the answer @-mentions the person it answers (sender.ts).
    ...(room ? { answerRef: { mention: talker.id } } : {}),
  };
}
