// Task rows with the names their cards show.
import { and, asc, desc, eq, inArray, isNull, lt, type SQL } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { people, postHolders, posts, tasks, tenants, units } from '../schema.ts';
import { accountLabels } from './accounts.ts';
import { currentMembers } from './org.ts';
import { personNames } from './people.ts';
import { byIdInTenant, byKeyInTenant, inserter, updaterFromStatus } from './rows.ts';
import { tenantUnits, unitName } from './units.ts';

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
  const task = await taskById(db, tenantId, taskId);
  if (!task) return undefined;
  const names = await personNames(db, tenantId, [
    task.assignerId,
    task.assigneeId,
    task.acknowledgedById,
    task.completedById,
  ]);
  const assigneeUnit = await unitName(db, tenantId, task.assigneeUnitId);
  const name = (id: number | null) => (id === null ? undefined : names.get(id));
  const accounts = await accountLabels(db, [task.assignerAccountId]);
  const above = await levelAboveNames(db, [task]);
  return {
    row: task,
    task,
    assignerName:
      above.get(task.id) ?? name(task.assignerId) ?? accounts.get(task.assignerAccountId ?? 0) ?? '',
    assigneeName: assigneeUnit ?? name(task.assigneeId) ?? '',
    acknowledgedByName: name(task.acknowledgedById),
    completedByName: name(task.completedById),
  };
}

/**
 * The assigner of each task the level above sent, as the school reads it: `某区教育体育局（郑卫东）`, or
 * the organization's name alone when its console account sent it.
 */
async function levelAboveNames(db: Queryable, rows: Task[]): Promise<Map<number, string>> {
  const sent = rows.filter((task) => task.assignerTenantId !== null);
  if (sent.length === 0) return new Map();
  const aboveIds = [...new Set(sent.map((task) => task.assignerTenantId!))];
  const organizations = new Map(
    (
      await db
        .select({ id: tenants.id, name: tenants.name })
        .from(tenants)
        .where(inArray(tenants.id, aboveIds))
    ).map((row) => [row.id, row.name]),
  );
  const result = new Map<number, string>();
  for (const task of sent) {
    const person =
      task.assignerId === null
        ? undefined
        : (await personNames(db, task.assignerTenantId!, [task.assignerId])).get(task.assignerId);
    const organization = organizations.get(task.assignerTenantId!) ?? '上级';
    result.set(task.id, person ? `${organization}（${person}）` : organization);
  }
  return result;
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
export const taskByCode = byKeyInTenant<typeof tasks, string>(tasks, tasks.code);

export const insertTask = inserter(tasks);

/** Writes a step's changes if the task is still in the state it was read in. */
export const updateTaskFrom = updaterFromStatus(tasks);

/** Whom a task may go to: the tenant's units and members (not archived, no outside reporters). */
export async function taskTargets(db: Queryable, tenantId: number) {
  const unitRows = await tenantUnits(db, tenantId);
  const personRows = await db.select().from(people).where(currentMembers(tenantId)).orderBy(asc(people.id));
  return { units: unitRows, people: personRows };
}

/** Every tenant's open tasks (assigned or acknowledged), as the ids a job then reads one by one. */
export async function openTaskRefs(db: Queryable) {
  return db
    .select({ id: tasks.id, tenantId: tasks.tenantId })
    .from(tasks)
    .where(inArray(tasks.status, ['assigned', 'acknowledged']));
}

// ---------------------------------------------------------------------------------------------------
// The console's list of tasks

export const TASK_FILTERS = ['all', 'open', 'overdue', 'done'] as const;
export type TaskFilter = (typeof TASK_FILTERS)[number];

export interface TaskListItem {
  task: Task;
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
  const names = await personNames(
    db,
    tenantId,
    rows.flatMap(({ task }) => [task.assignerId, task.assigneeId, task.acknowledgedById, task.completedById]),
  );
  const name = (id: number | null) => (id === null ? null : (names.get(id) ?? null));
  const accounts = await accountLabels(
    db,
    rows.map(({ task }) => task.assignerAccountId),
  );
  const above = await levelAboveNames(
    db,
    rows.map(({ task }) => task),
  );
  return rows.map(({ task, unitName }) => ({
    task,
    assignerName:
      above.get(task.id) ?? name(task.assignerId) ?? accounts.get(task.assignerAccountId ?? 0) ?? '',
    assigneeName: name(task.assigneeId),
    unitName: task.assigneeUnitId ? unitName : null,
    acknowledgedByName: name(task.acknowledgedById),
    completedByName: name(task.completedById),
  }));
}
