// What the weekly digest (issue 15 §5) reports for a tenant: the week's hazards, the periods recorded as
// missed, the week's shift confirmations and the open tasks. The current periods' duties per unit
// are counted by the feature (handlers/report-stats.ts `dutiesPerUnit`).
import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, notInArray, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Queryable } from '../client.ts';
import {
  completions,
  hazards,
  leadingGroupMembers,
  obligationPeriods,
  people,
  postHolders,
  shiftAssignees,
  shifts,
  tasks,
} from '../schema.ts';
import { officeStaff, type Person } from './org.ts';

/** At most this many codes are named per list; the rest are counted. */
const NAMED = 5;

export interface WeeklySummary {
  hazards: {
    reported: number;
    bySeverity: Record<'grave' | 'major' | 'general' | 'unset', number>;
    closed: number;
    open: number;
    overdue: { count: number; codes: string[] };
    listed: { count: number; codes: string[] };
  };
  /** Periods recorded as missed during the week. */
  missed: number;
  shifts: { confirmed: number; total: number };
  tasks: { open: number; overdue: { count: number; codes: string[] } };
  /** Anything happened or open at all: a week with nothing is not reported. */
  active: boolean;
}

const OPEN_HAZARD = notInArray(hazards.status, ['closed', 'rejected']);
const OPEN_TASK = inArray(tasks.status, ['assigned', 'acknowledged']);

export async function weeklySummary(
  db: Queryable,
  tenantId: number,
  week: { from: Date; to: Date },
  now: Date,
): Promise<WeeklySummary> {
  const inWeek = (column: PgColumn) => and(gte(column, week.from), lt(column, week.to));
  const mine = eq(hazards.tenantId, tenantId);
  const reported = await db
    .select({ severity: hazards.severity, n: count() })
    .from(hazards)
    .where(and(mine, inWeek(hazards.createdAt)))
    .groupBy(hazards.severity);
  const bySeverity = { grave: 0, major: 0, general: 0, unset: 0 };
  for (const row of reported) bySeverity[row.severity ?? 'unset'] += row.n;
  const [closed] = await db
    .select({ n: count() })
    .from(hazards)
    .where(and(mine, eq(hazards.status, 'closed'), inWeek(hazards.closedAt)));
  const [open] = await db.select({ n: count() }).from(hazards).where(and(mine, OPEN_HAZARD));
  const overdue = await db
    .select({ code: hazards.code })
    .from(hazards)
    .where(
      and(
        mine,
        inArray(hazards.status, ['accepted', 'rectifying']),
        isNotNull(hazards.deadline),
        lt(hazards.deadline, now),
      ),
    )
    .orderBy(asc(hazards.deadline));
  const listed = await db
    .select({ code: hazards.code })
    .from(hazards)
    .where(and(mine, eq(hazards.listed, true), OPEN_HAZARD))
    .orderBy(asc(hazards.listedDeadline));

  const [missed] = await db
    .select({ n: count() })
    .from(obligationPeriods)
    .where(
      and(
        eq(obligationPeriods.tenantId, tenantId),
        eq(obligationPeriods.met, false),
        gte(obligationPeriods.closedAt, week.from),
        lt(obligationPeriods.closedAt, week.to),
      ),
    );
  const [duty] = await db
    .select({
      total: count(),
      confirmed: sql<number>`count(${shiftAssignees.confirmedAt})`.mapWith(Number),
    })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(and(eq(shifts.tenantId, tenantId), gte(shifts.startsAt, week.from), lt(shifts.startsAt, week.to)));
  const [openTasks] = await db
    .select({ n: count() })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), OPEN_TASK));
  const lateTasks = await db
    .select({ code: tasks.code })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), OPEN_TASK, lt(tasks.dueAt, now)))
    .orderBy(asc(tasks.dueAt));
  const [records] = await db
    .select({ n: count() })
    .from(completions)
    .where(and(eq(completions.tenantId, tenantId), inWeek(completions.createdAt)));
  const [tasksInWeek] = await db
    .select({ n: count() })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), gte(tasks.createdAt, week.from), lt(tasks.createdAt, week.to)));

  const named = (rows: { code: string }[]) => ({
    count: rows.length,
    codes: rows.slice(0, NAMED).map((r) => r.code),
  });
  const summary: Omit<WeeklySummary, 'active'> = {
    hazards: {
      reported: reported.reduce((sum, row) => sum + row.n, 0),
      bySeverity,
      closed: closed?.n ?? 0,
      open: open?.n ?? 0,
      overdue: named(overdue),
      listed: named(listed),
    },
    missed: missed?.n ?? 0,
    shifts: { confirmed: duty?.confirmed ?? 0, total: duty?.total ?? 0 },
    tasks: { open: openTasks?.n ?? 0, overdue: named(lateTasks) },
  };
  const active =
    summary.hazards.reported + summary.hazards.closed + summary.hazards.open > 0 ||
    summary.tasks.open + (tasksInWeek?.n ?? 0) > 0 ||
    summary.shifts.total > 0 ||
    (records?.n ?? 0) > 0 ||
    summary.missed > 0;
  return { ...summary, active };
}

/** Who gets the weekly digest: the 第一责任人 and the office director (the office when it has none). */
export async function weeklyDigestRecipients(db: Queryable, tenantId: number): Promise<Person[]> {
  const rows = await db
    .select({ person: people })
    .from(leadingGroupMembers)
    .innerJoin(
      postHolders,
      and(eq(postHolders.postId, leadingGroupMembers.postId), isNull(postHolders.endedAt)),
    )
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(leadingGroupMembers.tenantId, tenantId), eq(leadingGroupMembers.role, 'office_director')))
    .orderBy(asc(people.id));
  const director = rows.map((row) => row.person);
  return director.length > 0 ? director : officeStaff(db, tenantId);
}
