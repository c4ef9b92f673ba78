// The outbox rows the dispatcher claims and marks (jobs/outbox/): rows only, the policy (when to retry,
// when to give up, what is held back) stays with the dispatcher.
import { and, asc, count, desc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Channel } from '../../bot/core/types.ts';
import type { Db, Queryable } from '../client.ts';
import { outbox, people } from '../schema.ts';

export type OutboxRecord = typeof outbox.$inferSelect;
export type OutboxRow = OutboxRecord;

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
  // A row written with the database's default `now()` carries microseconds, the clock milliseconds: a
  // row written in the clock's current millisecond is due (else a drain right after the write misses it).
  const dueBefore = new Date(now.getTime() + 1);
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      or(
        and(eq(outbox.status, 'pending'), lt(outbox.nextAttemptAt, dueBefore)),
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

/** The console chat of a person: where the core replies to what they type in the simulator. */
export const consoleChatId = (personId: number) => `console:${personId}`;

/**
 * Every console message to a person, oldest first (the last `limit`): messages sent to them as a person
 * and replies in their console chat. Answers written before the sender was identified (refusals) carry
 * no tenant; they are still theirs, since person ids are unique across tenants and the caller has
 * checked that the person belongs to the tenant.
 */
export async function conversationRows(
  db: Queryable,
  tenantId: number,
  personId: number,
  limit = 300,
): Promise<OutboxRow[]> {
  const rows = await db
    .select()
    .from(outbox)
    .where(
      and(
        eq(outbox.channel, 'console'),
        or(eq(outbox.tenantId, tenantId), isNull(outbox.tenantId)),
        or(
          and(eq(outbox.targetKind, 'person'), eq(outbox.targetId, String(personId))),
          and(eq(outbox.targetKind, 'chat'), eq(outbox.targetId, consoleChatId(personId))),
        ),
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(limit);
  return rows.reverse();
}

export interface FailedMessage {
  id: number;
  channel: string;
  op: string;
  targetKind: string;
  targetId: string;
  personName: string | null;
  subject: string | null;
  body: OutboxRow['body'];
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
}

/** The tenant's messages that could not be delivered, newest first. */
export async function failedMessages(db: Queryable, tenantId: number, limit = 200): Promise<FailedMessage[]> {
  return db
    .select({
      id: outbox.id,
      channel: outbox.channel,
      op: outbox.op,
      targetKind: outbox.targetKind,
      targetId: outbox.targetId,
      personName: people.name,
      subject: outbox.subject,
      body: outbox.body,
      attempts: outbox.attempts,
      lastError: outbox.lastError,
      createdAt: outbox.createdAt,
      nextAttemptAt: outbox.nextAttemptAt,
    })
    .from(outbox)
    .leftJoin(people, and(eq(people.id, outbox.personId), eq(people.tenantId, tenantId)))
    .where(and(eq(outbox.tenantId, tenantId), eq(outbox.status, 'failed')))
    .orderBy(desc(outbox.id))
    .limit(limit);
}

/** How many of the tenant's messages are failed (the navigation shows it). */
export async function failedCount(db: Queryable, tenantId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(outbox)
    .where(and(eq(outbox.tenantId, tenantId), eq(outbox.status, 'failed')));
  return Number(row?.n ?? 0);
}

/**
 * Rows waiting to be sent (pending or being sent) and rows given up, per channel and status, across
 * tenants (the metrics). Sent rows are not counted here: they only grow; the dispatcher counts sends.
 */
export async function outboxBacklog(
  db: Queryable,
): Promise<Array<{ channel: Channel; status: 'pending' | 'sending' | 'failed'; count: number }>> {
  const rows = await db
    .select({ channel: outbox.channel, status: outbox.status, count: count() })
    .from(outbox)
    .where(inArray(outbox.status, ['pending', 'sending', 'failed']))
    .groupBy(outbox.channel, outbox.status);
  return rows.map((row) => ({
    channel: row.channel,
    status: row.status as 'pending' | 'sending' | 'failed',
    count: Number(row.count),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Writing rows (bot/core/enqueue.ts and core.ts decide which) and the copies of a card already written

export type OutboxInsert = typeof outbox.$inferInsert;

/** Writes rows in one statement, in order (the dispatcher delivers one person's rows by id). */
export async function insertOutbox(db: Queryable, rows: OutboxInsert | OutboxInsert[]): Promise<void> {
  await db.insert(outbox).values(Array.isArray(rows) ? rows : [rows]);
}

/** The copies written on `channel` that show the platform's message `platformMessageId` (of a tenant, or any). */
const copiesOf = (channel: Channel, platformMessageId: string, tenantId: number | null = null) =>
  and(
    eq(outbox.channel, channel),
    eq(outbox.platformMessageId, platformMessageId),
    inArray(outbox.op, ['send', 'reply']),
    ...(tenantId === null ? [] : [eq(outbox.tenantId, tenantId)]),
  );

/** The copy of a card a press on `channel` came from, by the platform's message id. */
export async function pressedCopy(db: Queryable, channel: Channel, platformMessageId: string) {
  const [copy] = await db
    .select({
      tenantId: outbox.tenantId,
      personId: outbox.personId,
      subject: outbox.subject,
      view: outbox.view,
    })
    .from(outbox)
    .where(copiesOf(channel, platformMessageId))
    .limit(1);
  return copy;
}

/** The tenant's copies of cards about `subject` that are pending or sent. */
export async function cardCopies(db: Queryable, tenantId: number, subject: string): Promise<OutboxRecord[]> {
  return db
    .select()
    .from(outbox)
    .where(
      and(
        eq(outbox.tenantId, tenantId),
        eq(outbox.subject, subject),
        inArray(outbox.op, ['send', 'reply']),
        inArray(outbox.status, ['pending', 'sent']),
        sql`${outbox.body}->>'kind' = 'card'`,
      ),
    );
}

/** A row's body rewritten (a card not sent yet, rendered anew). */
export async function rewriteOutboxBody(
  db: Queryable,
  id: number,
  body: OutboxRecord['body'],
): Promise<void> {
  await db.update(outbox).set({ body }).where(eq(outbox.id, id));
}

// ---------------------------------------------------------------------------------------------------
// What a platform remembers about a sent copy, on its row (`platform_ref`; bot/channels/wecom/store.ts)

export type PlatformRef = Record<string, unknown>;

export async function setPlatformRef(db: Queryable, id: number, ref: PlatformRef): Promise<void> {
  await db.update(outbox).set({ platformRef: ref }).where(eq(outbox.id, id));
}

/**
 * Takes (and clears) the unused response code of the first copy of a WeCom card that has one, in one
 * statement, so two dispatchers cannot both take the same single-use code: answers the copy's id and its
 * ref as it was.
 */
export async function takeWecomResponseCode(
  db: Queryable,
  taskId: string,
  tenantId: number | null,
): Promise<{ id: number; ref: unknown } | undefined> {
  const tenantFilter = tenantId === null ? sql`true` : sql`tenant_id = ${tenantId}`;
  const result = await db.execute<{ id: number | string; ref: unknown }>(sql`
    with target as (
      select id, platform_ref as ref from outbox
      where channel = 'wecom' and platform_message_id = ${taskId} and op in ('send', 'reply')
        and ${tenantFilter} and platform_ref->>'responseCode' is not null
      order by id limit 1
      for update
    )
    update outbox set platform_ref = outbox.platform_ref - 'responseCode' - 'codeAt'
    from target where outbox.id = target.id
    returning target.id as id, target.ref as ref`);
  const rows = Array.isArray(result) ? result : (result as { rows: { id: number; ref: unknown }[] }).rows;
  const row = rows[0];
  return row ? { id: Number(row.id), ref: row.ref } : undefined;
}

/** Puts a taken response code (and when it was issued) back on its copy, unless it has one again. */
export async function restoreWecomResponseCode(
  db: Queryable,
  copyId: number,
  code: { responseCode: string; codeAt?: string },
): Promise<void> {
  await db
    .update(outbox)
    .set({
      platformRef: sql`coalesce(${outbox.platformRef}, '{}'::jsonb) || ${JSON.stringify(code)}::jsonb`,
    })
    .where(and(eq(outbox.id, copyId), sql`${outbox.platformRef}->>'responseCode' is null`));
}

/**
 * The copies of a card on a channel now show another message (the card was sent anew: a WeCom card that
 * cannot be updated, a Feishu card past its 14 days), with its ref when the channel keeps one. `taskId` is
 * the message they showed (a WeCom task_id, a Feishu message_id), `newTaskId` the new one.
 */
export async function repointCopies(
  db: Queryable,
  channel: 'wecom' | 'wecom_bot' | 'feishu',
  copy: { taskId: string; tenantId: number | null; newTaskId: string; ref?: PlatformRef },
): Promise<void> {
  await db
    .update(outbox)
    .set({ platformMessageId: copy.newTaskId, ...(copy.ref ? { platformRef: copy.ref } : {}) })
    .where(copiesOf(channel, copy.taskId, copy.tenantId));
}

/**
 * The tenant's copy of a card about `subject` that shows the platform's message `messageId`, or showed it
 * until the card was sent anew (its ref's `replaces`, written by the channel): the message it shows now,
 * when that was sent (`sentAt`, or the ref's `messageAt` after a re-send) and the ref.
 */
export async function copyShowing(
  db: Queryable,
  channel: Channel,
  copy: { tenantId: number | null; subject: string; messageId: string },
) {
  const [found] = await db
    .select({
      platformMessageId: outbox.platformMessageId,
      sentAt: outbox.sentAt,
      platformRef: outbox.platformRef,
    })
    .from(outbox)
    .where(
      and(
        eq(outbox.subject, copy.subject),
        eq(outbox.channel, channel),
        inArray(outbox.op, ['send', 'reply']),
        copy.tenantId === null ? isNull(outbox.tenantId) : eq(outbox.tenantId, copy.tenantId),
        or(
          eq(outbox.platformMessageId, copy.messageId),
          sql`${outbox.platformRef}->>'replaces' = ${copy.messageId}`,
        ),
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(1);
  return found;
}
