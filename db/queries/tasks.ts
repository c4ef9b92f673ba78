// Task rows with the names their cards show.
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { people, postHolders, posts, tasks, units } from '../schema.ts';
import { accountLabels } from './accounts.ts';
import { byIdInTenant } from './rows.ts';

export type Task = typeof tasks.$inferSelect;

/** A task with the names its cards show (cards/task.ts). */
export interface TaskView {
  task: {
    id: number;
    code: string;
    kind: 'plain' | 'rectification_notice' | 'interview_followup' | 'campaign';
    content: string;
    status: 'assigned' | 'acknowledged' | 'done' | 'cancelled';
    dueAt: Date;
    /** The default due date ran through a year with no holiday schedule: shown （估算）. */
    dueEstimated?: boolean;
    acknowledgedAt: Date | null;
    completedAt: Date | null;
    completionNote: string | null;
    createdAt: Date;
  };
  assignerName: string;
  assigneeName: string;
  acknowledgedByName?: string;
  completedByName?: string;
}

export async function taskView(
  db: Queryable,
  tenantId: number,
  taskId: number,
): Promise<(TaskView & { row: Task }) | undefined> {
  const [task] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, taskId)));
  if (!task) return undefined;
  const ids = [task.assignerId, task.assigneeId, task.acknowledgedById, task.completedById].filter(
    (id): id is number => id !== null,
  );
  const names = new Map(
    (await db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, ids))).map(
      (row) => [row.id, row.name],
    ),
  );
  const unitName = task.assigneeUnitId
    ? (await db.select({ name: units.name }).from(units).where(eq(units.id, task.assigneeUnitId)))[0]?.name
    : undefined;
  const name = (id: number | null) => (id === null ? undefined : names.get(id));
  const accounts = await accountLabels(db, [task.assignerAccountId]);
  return {
    row: task,
    task,
    assignerName: name(task.assignerId) ?? accounts.get(task.assignerAccountId ?? 0) ?? '',
    assigneeName: unitName ?? name(task.assigneeId) ?? '',
    acknowledgedByName: name(task.acknowledgedById),
    completedByName: name(task.completedById),
  };
}

/** The units of a person's current posts. */
export async function unitsOf(db: Queryable, personId: number): Promise<number[]> {
  const rows = await db
    .selectDistinct({ unitId: posts.unitId })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .where(and(eq(postHolders.personId, personId), isNull(postHolders.endedAt)));
  return rows.map((row) => row.unitId).filter((id): id is number => id !== null);
}

/** A task by its row id, within a tenant (a button's id). */
export const taskById = byIdInTenant(tasks);

/** A task by its human id (RW-2026-0001), within a tenant. */
export async function taskByCode(db: Queryable, tenantId: number, code: string): Promise<Task | undefined> {
  const [row] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.code, code)));
  return row;
}

export async function insertTask(db: Queryable, row: typeof tasks.$inferInsert): Promise<Task> {
  const [task] = await db.insert(tasks).values(row).returning();
  return task!;
}

/** Writes a step's changes if the task is still in the state it was read in; undefined otherwise. */
export async function updateTaskFrom(
  db: Queryable,
  task: Pick<Task, 'id' | 'status'>,
  changes: Partial<Task>,
): Promise<Task | undefined> {
  const [fresh] = await db
    .update(tasks)
    .set(changes)
    .where(and(eq(tasks.id, task.id), eq(tasks.status, task.status)))
    .returning();
  return fresh;
}

/** Whom a task may go to: the tenant's units and members (not archived, no outside reporters). */
export async function taskTargets(db: Queryable, tenantId: number) {
  const unitRows = await db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
  const personRows = await db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.archived, false), eq(people.isOutside, false)))
    .orderBy(asc(people.id));
  return { units: unitRows, people: personRows };
}

/** Every tenant's open tasks (assigned or acknowledged), as the ids a job then reads one by one. */
export async function openTaskRefs(db: Queryable) {
  return db
    .select({ id: tasks.id, tenantId: tasks.tenantId })
    .from(tasks)
    .where(inArray(tasks.status, ['assigned', 'acknowledged']));
}
