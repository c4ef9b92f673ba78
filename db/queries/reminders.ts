// The natural key of a reminder step: whoever inserts it first sends the step; everyone else skips it.
import { and, eq, min } from 'drizzle-orm';
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

/** When a step of a subject first went out to anyone (e.g. when a hazard was first known to be grave). */
export async function firstSentAt(db: Queryable, subject: string, step: string): Promise<Date | undefined> {
  const [row] = await db
    .select({ at: min(reminders.sentAt) })
    .from(reminders)
    .where(and(eq(reminders.subject, subject), eq(reminders.step, step)));
  return row?.at ?? undefined;
}
