// The inbox's rows (inbound_events): one per event received, its unique key the deduplication. Which
// events are written, and when, is the core's and the inbox's business (bot/core/core.ts, inbox.ts).
import { and, asc, eq, lt, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Channel } from '../../bot/core/types.ts';
import type { Db, Queryable } from '../client.ts';
import { inboundEvents } from '../schema.ts';

export type InboundChanges = Partial<typeof inboundEvents.$inferInsert>;

/**
 * Records an event as seen (with its status and error, by default done), unless it was seen before:
 * answers the new row's id, or undefined for a duplicate.
 */
export async function recordInbound(
  db: Queryable,
  event: { channel: Channel; eventKey: string; status?: string; error?: string },
): Promise<number | undefined> {
  const [seen] = await db
    .insert(inboundEvents)
    .values(event)
    .onConflictDoNothing()
    .returning({ id: inboundEvents.id });
  return seen?.id;
}

export async function updateInbound(db: Queryable, id: number, changes: InboundChanges): Promise<void> {
  await db.update(inboundEvents).set(changes).where(eq(inboundEvents.id, id));
}

/** Settles a pending row unless someone settled it meanwhile: answers whether this call did. */
export async function settlePendingInbound(
  db: Queryable,
  id: number,
  changes: InboundChanges,
): Promise<boolean> {
  const settled = await db
    .update(inboundEvents)
    .set(changes)
    .where(and(eq(inboundEvents.id, id), eq(inboundEvents.status, 'pending')))
    .returning({ id: inboundEvents.id });
  return settled.length > 0;
}

const earlier = alias(inboundEvents, 'earlier');

/** Locks the next pending row with no earlier row of its conversation pending (SKIP LOCKED), in `tx`. */
export async function lockNextPendingInbound(
  db: Queryable,
): Promise<{ id: number; payload: unknown } | undefined> {
  const [row] = await db
    .select({ id: inboundEvents.id, payload: inboundEvents.payload })
    .from(inboundEvents)
    .where(
      and(
        eq(inboundEvents.status, 'pending'),
        notExists(
          db
            .select({ one: sql`1` })
            .from(earlier)
            .where(
              and(
                eq(earlier.status, 'pending'),
                eq(earlier.conversation, inboundEvents.conversation),
                lt(earlier.id, inboundEvents.id),
              ),
            ),
        ),
      ),
    )
    .orderBy(asc(inboundEvents.id))
    .limit(1)
    .for('update', { of: inboundEvents, skipLocked: true });
  return row;
}

/**
 * Writes pending rows, each a JSON object `{channel, event_key, payload, conversation}` already
 * serialized; one already there is skipped. One statement of constant text whatever the batch's size,
 * with the rows as one JSON parameter that the server takes apart (jsonb_to_recordset), rather than a
 * driver binding five parameters a row: on PostgreSQL that raised acknowledgements from about 6,800/s to
 * 8,400/s (bench/ingest.ts, processing off). Nothing is returned: returning the new rows cost the
 * database a row of output for every row in.
 *
 * A key already written is left out before the insert (`not exists`, read from the statement's snapshot)
 * rather than by the unique index alone: the row of a redelivered event may be under processing, whose
 * transaction has updated it, and the index's check of a key waits for the transaction that wrote its
 * latest version — a redelivery would wait as long as that event's processing (a long lock, a district's
 * round), and every webhook behind it in the inbox's writer. `on conflict` still settles two deliveries
 * of a new key at once.
 *
 * With `lockTimeoutMs`, the insert runs in a transaction that waits at most that long for a lock (the
 * table held by VACUUM FULL, a migration, an operator's LOCK): it then fails, having written nothing,
 * rather than writing after the answer was given up.
 */
export async function insertPendingInbound(
  db: Db,
  rows: string[],
  options: { lockTimeoutMs?: number } = {},
): Promise<void> {
  const insert = sql`
    insert into inbound_events (channel, event_key, status, payload, conversation)
    select r.channel::channel, r.event_key, 'pending', r.payload, r.conversation
    from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb)
      as r(channel text, event_key text, payload jsonb, conversation text)
    where not exists (
      select 1 from inbound_events seen
      where seen.channel = r.channel::channel and seen.event_key = r.event_key)
    on conflict do nothing`;
  const { lockTimeoutMs } = options;
  if (lockTimeoutMs === undefined) {
    await db.execute(insert);
    return;
  }
  await db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('lock_timeout', ${`${Math.round(lockTimeoutMs)}ms`}, true)`);
    await tx.execute(insert);
  });
}

/** How many rows wait to be processed. */
/** The inbox's backlog: rows pending and when the oldest of them arrived (the metrics). */
export async function inboxBacklog(db: Queryable): Promise<{ pending: number; oldest: Date | null }> {
  const [row] = await db
    .select({
      pending: sql<number>`count(*)::int`,
      oldest: sql<string | null>`min(${inboundEvents.receivedAt})`,
    })
    .from(inboundEvents)
    .where(eq(inboundEvents.status, 'pending'));
  return { pending: row?.pending ?? 0, oldest: row?.oldest ? new Date(row.oldest) : null };
}

export async function pendingInboundCount(db: Queryable): Promise<number> {
  const [row] = await db
    .select({ pending: sql<number>`count(*)::int` })
    .from(inboundEvents)
    .where(eq(inboundEvents.status, 'pending'));
  return row?.pending ?? 0;
}
