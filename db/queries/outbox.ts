// The outbox rows the dispatcher claims and marks (jobs/outbox/): rows only, the policy (when to retry,
// when to give up, what is held back) stays with the dispatcher.
import { and, asc, eq, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { outbox } from '../schema.ts';

export type OutboxRecord = typeof outbox.$inferSelect;

/** Rows claimed and not yet marked (`sending`, lease still running) come due at `now - 1 ms`. */
export async function releaseOutboxClaims(db: Db, now: Date): Promise<number> {
  const released = await db
    .update(outbox)
    .set({ lockedUntil: new Date(now.getTime() - 1) })
    .where(and(eq(outbox.status, 'sending'), gte(outbox.lockedUntil, now)))
    .returning({ id: outbox.id });
  return released.length;
}

/**
 * Claims up to `limit` due rows (pending and due, or sending with a lease run out) with SKIP LOCKED, so
 * instances never claim the same row at once: each becomes `sending` until `now + leaseMs`, its attempt
 * counted. Answers them by id.
 */
export async function claimDueOutbox(
  db: Db,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<OutboxRecord[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      or(
        and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now)),
        and(eq(outbox.status, 'sending'), lt(outbox.lockedUntil, now)),
      ),
    )
    .orderBy(asc(outbox.id))
    .limit(limit)
    .for('update', { skipLocked: true });
  const rows = await db
    .update(outbox)
    .set({
      status: 'sending',
      lockedUntil: new Date(now.getTime() + leaseMs),
      attempts: sql`${outbox.attempts} + 1`,
    })
    .where(inArray(outbox.id, due))
    .returning();
  return rows.sort((a, b) => a.id - b.id);
}

export async function markOutboxSent(
  db: Db,
  ids: number[],
  sentAt: Date,
  platformMessageId: string | null,
): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'sent', sentAt, platformMessageId, lastError: null })
    .where(inArray(outbox.id, ids));
}

/** Back to pending without a try: due at `until`, the attempt counted by the claim given back. */
export async function markOutboxHeld(db: Db, ids: number[], until: Date): Promise<void> {
  await db
    .update(outbox)
    .set({
      status: 'pending',
      nextAttemptAt: until,
      lockedUntil: null,
      attempts: sql`greatest(${outbox.attempts} - 1, 0)`,
    })
    .where(inArray(outbox.id, ids));
}

/** After a failed try: pending again, due at `nextAttemptAt`, or failed for good; the error kept. */
export async function markOutboxFailedTry(
  db: Db,
  ids: number[],
  fields: { giveUp: boolean; nextAttemptAt: Date; lastError: string },
): Promise<void> {
  await db
    .update(outbox)
    .set({
      status: fields.giveUp ? 'failed' : 'pending',
      nextAttemptAt: fields.nextAttemptAt,
      lockedUntil: null,
      lastError: fields.lastError,
    })
    .where(inArray(outbox.id, ids));
}
