// What the console reads, every query scoped to the tenant of the page (drizzle only: PGlite and
// PostgreSQL alike).
import { and, asc, count, desc, eq, gte, inArray, isNull, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { accountLabels } from '../../db/queries/accounts.ts';
import { rowId } from '../../db/queries/ids.ts';
import { outbox, people, postHolders, posts, shifts, tasks, tenants, units } from '../../db/schema.ts';

export type Tenant = typeof tenants.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;

/** Demo mode shows one tenant: the example school when it is there, else the first one. */
export async function demoTenant(db: Queryable, preferredCode?: string): Promise<Tenant | undefined> {
  if (preferredCode) {
    const [row] = await db.select().from(tenants).where(eq(tenants.code, preferredCode));
    if (row) return row;
  }
  const [first] = await db.select().from(tenants).orderBy(asc(tenants.id)).limit(1);
  return first;
}

export interface Member {
  id: number;
  code: string;
  name: string;
  isOutside: boolean;
  /** `安保处 · 安保处主任`, one entry per current post. */
  posts: string[];
}

/** The tenant's people (not archived) with their current posts; members first, outside reporters last. */
export async function membersOf(db: Queryable, tenantId: number): Promise<Member[]> {
  const rows = await db
    .select({ id: people.id, code: people.code, name: people.name, isOutside: people.isOutside })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.archived, false)))
    .orderBy(asc(people.isOutside), asc(people.id));
  const held = await db
    .select({ personId: postHolders.personId, title: posts.title, unitName: units.name })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt), eq(posts.archived, false)))
    .orderBy(asc(posts.id));
  const byPerson = new Map<number, string[]>();
  for (const row of held) {
    const label =
      row.unitName && !row.title.startsWith(row.unitName) ? `${row.unitName} · ${row.title}` : row.title;
    byPerson.set(row.personId, [...(byPerson.get(row.personId) ?? []), label]);
  }
  return rows.map((row) => ({ ...row, posts: byPerson.get(row.id) ?? [] }));
}

export async function memberById(db: Queryable, tenantId: number, personId: number) {
  if (rowId(personId) === undefined) return undefined;
  const [row] = await db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.id, personId), eq(people.archived, false)));
  return row;
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

// ---------------------------------------------------------------------------------------------------
// Tasks

export const TASK_FILTERS = ['all', 'open', 'overdue', 'done'] as const;
export type TaskFilter = (typeof TASK_FILTERS)[number];

export interface TaskListItem {
  task: TaskRow;
  assignerName: string;
  /** The person the task was given to, or null for a unit's task. */
  assigneeName: string | null;
  /** The unit the task was given to (its heads answer for it), or null. */
  unitName: string | null;
  acknowledgedByName: string | null;
  completedByName: string | null;
}

/**
 * The tenant's tasks: all (newest first), open (assigned or acknowledged, earliest due first), overdue
 * (open and past due at `now`) or done (latest completed first), with the names they show.
 */
export async function tasksOf(
  db: Queryable,
  tenantId: number,
  filter: TaskFilter,
  now: Date,
  limit = 500,
): Promise<TaskListItem[]> {
  const open = inArray(tasks.status, ['assigned', 'acknowledged']);
  const where: Record<TaskFilter, SQL | undefined> = {
    all: undefined,
    open,
    overdue: and(open, lt(tasks.dueAt, now)),
    done: eq(tasks.status, 'done'),
  };
  const order: Record<TaskFilter, SQL[]> = {
    all: [desc(tasks.id)],
    open: [asc(tasks.dueAt), asc(tasks.id)],
    overdue: [asc(tasks.dueAt), asc(tasks.id)],
    done: [desc(tasks.completedAt), desc(tasks.id)],
  };
  const rows = await db
    .select({ task: tasks, unitName: units.name })
    .from(tasks)
    .leftJoin(units, and(eq(units.id, tasks.assigneeUnitId), eq(units.tenantId, tenantId)))
    .where(and(eq(tasks.tenantId, tenantId), where[filter]))
    .orderBy(...order[filter])
    .limit(limit);
  const ids = [
    ...new Set(
      rows.flatMap(({ task }) =>
        [task.assignerId, task.assigneeId, task.acknowledgedById, task.completedById].filter(
          (id): id is number => id !== null,
        ),
      ),
    ),
  ];
  const names = new Map(
    ids.length === 0
      ? []
      : (
          await db
            .select({ id: people.id, name: people.name })
            .from(people)
            .where(and(eq(people.tenantId, tenantId), inArray(people.id, ids)))
        ).map((row) => [row.id, row.name]),
  );
  const name = (id: number | null) => (id === null ? null : (names.get(id) ?? null));
  const accounts = await accountLabels(
    db,
    rows.map(({ task }) => task.assignerAccountId),
  );
  return rows.map(({ task, unitName }) => ({
    task,
    assignerName: name(task.assignerId) ?? accounts.get(task.assignerAccountId ?? 0) ?? '',
    assigneeName: name(task.assigneeId),
    unitName: task.assigneeUnitId ? unitName : null,
    acknowledgedByName: name(task.acknowledgedById),
    completedByName: name(task.completedById),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Shifts

/** The ids of the tenant's shifts whose local date lies in [from, to], in order of start. */
export async function shiftIdsBetween(
  db: Queryable,
  tenantId: number,
  from: string,
  to: string,
): Promise<number[]> {
  const rows = await db
    .select({ id: shifts.id })
    .from(shifts)
    .where(and(eq(shifts.tenantId, tenantId), gte(shifts.date, from), lte(shifts.date, to)))
    .orderBy(asc(shifts.date), asc(shifts.startsAt), asc(shifts.name), asc(shifts.id));
  return rows.map((row) => row.id);
}
