// Sending a reminder step exactly once: the (subject, period, person, step) key is unique, so the
// outbox row is written only by the run that claims the key, in the same transaction.
import { enqueue } from '../bot/core/enqueue.ts';
import type { Channel, Outbound } from '../bot/core/types.ts';
import type { Tx } from '../db/client.ts';
import { claimReminder, type ReminderKey } from '../db/queries/reminders.ts';

/** Claims the key and enqueues the message; false when this step already went to this person. */
export async function remindOnce(
  tx: Tx,
  key: ReminderKey,
  message: Omit<Outbound, 'to'>,
  context: { channels: ReadonlySet<Channel>; now: Date },
): Promise<boolean> {
  if (!(await claimReminder(tx, key, context.now))) return false;
  await enqueue(
    tx,
    { ...message, to: { kind: 'person', personId: key.personId } },
    { tenantId: key.tenantId, channels: context.channels },
  );
  return true;
}
