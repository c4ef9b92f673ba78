// The Wechaty channel: WeChat / WeCom groups through a puppet. Room messages that @ the bot and private
// messages go to the same core as every other channel; the bot's own messages are ignored. A numbered
// reply ("1") to the last card in the conversation presses that card's button.
import type { Wechaty } from 'wechaty';
import type { MessageInterface } from 'wechaty/impls';
import type { Db } from '../../../db/client.ts';
import { peopleByIdentity } from '../../../db/queries/org.ts';
import { answerPrompt } from '../../../db/queries/prompts.ts';
import type { Core } from '../../core/core.ts';
import { type EvidenceStore, keepOnArrival } from '../../core/evidence.ts';
import type { Logger } from '../../core/log.ts';
import type { Attachment, InboundEvent, MessageEvent } from '../../core/types.ts';
import { type MessageTypes, normalizeWechatyMessage, numberedChoice } from './normalize.ts';

export interface WechatyChannelOptions {
  bot: Wechaty;
  /** The message types of the loaded package (load.ts). */
  types: MessageTypes;
  core: Core;
  db: Db;
  log: Logger;
  clock?: () => Date;
  /** Waits between attempts when the database is unreachable (the platform does not redeliver). */
  retryDelaysMs?: number[];
  /** Where an image's bytes (its FileBox) are kept on arrival. */
  evidence: EvidenceStore;
}

/** What a numbered reply means here: a button press, a polite refusal, or plain text after all. */
async function interpretChoice(
  options: WechatyChannelOptions,
  event: MessageEvent,
): Promise<InboundEvent | { refuse: string } | undefined> {
  const choice = numberedChoice(event.text);
  if (choice === undefined) return undefined;
  const [person] = await peopleByIdentity(options.db, 'wechaty', event.sender.ids);
  const now = options.clock?.() ?? new Date();
  const answer = await answerPrompt(options.db, 'wechaty', event.chat.id, person?.id, choice, now);
  switch (answer.kind) {
    case 'button':
      return {
        type: 'action',
        channel: 'wechaty',
        eventKey: event.eventKey,
        sender: event.sender,
        chat: event.chat,
        messageId: event.messageId,
        action: answer.button.action,
        args: answer.button.args,
        at: event.at,
        answerRef: event.answerRef,
      };
    case 'not-yours':
      return { refuse: `“${answer.title}”不是发给你的，只有收到这张卡片的人可以回复编号。` };
    case 'out-of-range':
      return { refuse: `请回复 1 到 ${answer.count} 之间的编号。` };
    case 'none':
      return event.chat.type === 'p2p'
        ? { refuse: '没有等待回复的卡片，编号已过期或无效。发送“帮助”查看可用命令。' }
        : undefined;
  }
}

export function connectWechaty(options: WechatyChannelOptions): { handled: () => Promise<void> } {
  const { bot, core, log } = options;
  const delays = options.retryDelaysMs ?? [1000, 5000, 15_000];
  let pending = Promise.resolve();

  /** The message's image or file kept from its FileBox (the puppet's copy is not ours to keep). */
  async function withFiles(message: MessageInterface, event: MessageEvent): Promise<MessageEvent> {
    if (event.attachments.length === 0) return event;
    const attachments: Attachment[] = [];
    for (const attachment of event.attachments) {
      let bytes: Buffer;
      let named = attachment;
      try {
        const box = await message.toFileBox();
        if (attachment.kind === 'file' && box.name) named = { ...attachment, name: box.name };
        bytes = await box.toBuffer();
      } catch (error) {
        log.warn('wechaty file not fetched', { eventKey: event.eventKey, error: String(error) });
        attachments.push({ ...attachment, refused: '从微信下载失败' });
        continue;
      }
      attachments.push(await keepOnArrival(options.db, options.evidence, event, named, bytes));
    }
    return { ...event, attachments };
  }

  async function onMessage(message: MessageInterface) {
    if (message.self()) return;
    const normalized = await normalizeWechatyMessage(message, options.types);
    if (!normalized) return;
    let event = normalized;
    for (let attempt = 0; ; attempt++) {
      try {
        event = await withFiles(message, normalized);
        const choice = await interpretChoice(options, event);
        if (choice && 'refuse' in choice) await core.refuse(event, choice.refuse);
        else await core.handle(choice ?? event);
        return;
      } catch (error) {
        // Wechaty does not deliver a message twice: retry here; the core's dedupe keeps it to one effect.
        const delay = delays[attempt];
        if (delay === undefined) {
          log.error('wechaty message lost after retries', { eventKey: event.eventKey, error: String(error) });
          return;
        }
        log.warn('wechaty message will be retried', { eventKey: event.eventKey, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  bot.on('message', (message) => {
    pending = pending
      .then(() => onMessage(message))
      .catch((error) => log.error('wechaty', { error: String(error) }));
  });
  bot.on('login', (user) => log.info('wechaty logged in', { user: user.name() }));
  bot.on('logout', (user) => log.warn('wechaty logged out', { user: user.name() }));
  bot.on('scan', (qrcode, status) => log.info('wechaty scan', { status, qrcode }));
  bot.on('error', (error) => log.error('wechaty error', { error: String(error) }));
  return { handled: () => pending };
}
