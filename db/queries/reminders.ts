// The natural key of a reminder step: whoever inserts it first sends the step; everyone else skips it.
import { and, asc, eq, inArray, isNotNull, lte, min, or, sql } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { type HeldReminder, reminders } from '../schema.ts';

export interface ReminderKey {
  tenantId: number;
  subject: string;
  period: string;
  step: string;
  personId: number;
}

/**
 * True when this caller claimed the key (so the step goes out now), false when it was already taken.
 * With `held`, the claimed step keeps its message until the run hands out the person's digest.
 */
export async function claimReminder(
  db: Queryable,
  key: ReminderKey,
  now: Date,
  held?: HeldReminder,
): Promise<boolean> {
  const [row] = await db
    .insert(reminders)
    .values({ ...key, sentAt: now, held: held ?? null })
    .onConflictDoNothing()
    .returning({ id: reminders.id });
  return Boolean(row);
}

/** Which waiting steps: those of a run, and those a run that died left behind. */
export interface HeldBy {
  run: string;
  orphanedBefore: Date;
}

const heldBy = ({ run, orphanedBefore }: HeldBy) =>
  and(
    isNotNull(reminders.held),
    or(sql`${reminders.held}->>'run' = ${run}`, lte(reminders.sentAt, orphanedBefore)),
  );

/** Everyone who has reminder steps of a run waiting to go out. */
export async function peopleWithHeldReminders(
  db: Queryable,
  which: HeldBy,
): Promise<{ tenantId: number; personId: number }[]> {
  return db
    .selectDistinct({ tenantId: reminders.tenantId, personId: reminders.personId })
    .from(reminders)
    .where(heldBy(which))
    .orderBy(asc(reminders.tenantId), asc(reminders.personId));
}

export interface HeldLine {
  id: number;
  subject: string;
  step: string;
  held: HeldReminder;
}

/**
 * Takes a person's waiting steps of a run, in the order they were claimed, and marks them gone, all in
 * the caller's transaction. Steps another transaction is taking are skipped, not waited for: each step is
 * taken by exactly one caller, so nothing is lost or doubled when runs end at the same moment.
 */
export async function takeHeldReminders(
  db: Queryable,
  tenantId: number,
  personId: number,
  which: HeldBy,
): Promise<HeldLine[]> {
  const rows = await db
    .select({ id: reminders.id, subject: reminders.subject, step: reminders.step, held: reminders.held })
    .from(reminders)
    .where(and(eq(reminders.tenantId, tenantId), eq(reminders.personId, personId), heldBy(which)))
    .orderBy(asc(reminders.id))
    .for('update', { skipLocked: true });
  if (rows.length === 0) return [];
  await db
    .update(reminders)
    .set({ held: null })
    .where(
      inArray(
        reminders.id,
        rows.map((row) => row.id),
      ),
    );
  return rows.filter((row): row is HeldLine => row.held !== null);
}

/** When a step of a subject first went out to anyone (e.g. when a hazard was first known to be grave). */
export async function firstSentAt(db: Queryable, subject: string, step: string): Promise<Date | undefined> {
  const [row] = await db
    .select({ at: min(reminders.sentAt) })
    .from(reminders)
    .where(and(eq(reminders.subject, subject), eq(reminders.step, step)));
  return row?.at ?? undefined;
}

/** The steps already claimed for these subjects in a period ("subject|step"), to skip them unwritten. */
export async function claimedSteps(
  db: Queryable,
  tenantId: number,
  period: string,
  subjects: string[],
): Promise<Set<string>> {
  const rows = await db
    .select({ subject: reminders.subject, step: reminders.step })
    .from(reminders)
    .where(
      and(
        eq(reminders.tenantId, tenantId),
        eq(reminders.period, period),
        inArray(reminders.subject, subjects),
      ),
    );
  return new Set(rows.map((row) => `${row.subject}|${row.step}`));
}
