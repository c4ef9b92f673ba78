// Writing messages to the outbox, for the core (answers to events) and the jobs (reminders) alike.
import type { Tx } from '../../db/client.ts';
import { addressOf } from '../../db/queries/org.ts';
import { insertOutbox } from '../../db/queries/outbox.ts';
import type { Channel, Outbound } from './types.ts';

export interface EnqueueOptions {
  tenantId: number | null;
  /** Channels that can deliver now. */
  channels: ReadonlySet<Channel>;
  /** The channel a person is preferably reached on (the one their event came from). */
  preferred?: Channel;
  /** When a reminder is due: rows are not sent before. */
  notBefore?: Date;
}

/** A message to a person or a known chat. (Replies to an event are the core's business.) */
export async function enqueue(tx: Tx, message: Outbound, options: EnqueueOptions): Promise<void> {
  const base = {
    tenantId: options.tenantId,
    body: message.body,
    subject: message.subject ?? null,
    view: message.view ?? null,
    ...(options.notBefore ? { nextAttemptAt: options.notBefore } : {}),
  };
  const to = message.to;
  if (to.kind === 'reply') throw new Error('enqueue: a reply needs the event it answers');
  if (to.kind === 'chat') {
    await insertOutbox(tx, {
      ...base,
      channel: to.channel,
      op: 'send',
      targetKind: 'chat',
      targetId: to.chatId,
    });
    return;
  }
  const address = await addressOf(tx, to.personId, options.preferred, options.channels);
  if (address) {
    await insertOutbox(tx, {
      ...base,
      personId: to.personId,
      channel: address.channel,
      op: 'send',
      targetKind: address.kind,
      targetId: address.value,
    });
    return;
  }
  // Kept, not dropped: the office sees it among failed messages and can fix the person's identities.
  await insertOutbox(tx, {
    ...base,
    personId: to.personId,
    channel: options.preferred ?? 'console',
    op: 'send',
    targetKind: 'none',
    targetId: '',
    status: 'failed',
    lastError: '此人在已开通的渠道上都没有登记身份',
  });
}
