// The natural key of a reminder step: whoever inserts it first sends the step; everyone else skips it.
import type { Queryable } from '../client.ts';
import { reminders } from '../schema.ts';

export interface ReminderKey {
  tenantId: number;
  subject: string;
  period: string;
  step: string;
  personId: number;
}

/** True when this caller claimed the key (so the step goes out now), false when it was already taken. */
export async function claimReminder(db: Queryable, key: ReminderKey, now: Date): Promise<boolean> {
  const [row] = await db
    .insert(reminders)
    .values({ ...key, sentAt: now })
    .onConflictDoNothing()
    .returning({ id: reminders.id });
  return Boolean(row);
}
