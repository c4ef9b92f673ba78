// The rows of 我的职责 and 我的待办 (handlers/duties.ts): a person's posts, what is open in their name,
// the units under a leader with what is open and late there, and the periods closed unmet or unassessed.
import { and, asc, count, desc, eq, inArray, isNull, lt, notInArray, or, sql } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import {
  hazards,
  obligationPeriods,
  obligations,
  postHolders,
  postSupervisedUnits,
  posts,
  shiftAssignees,
  shifts,
  tasks,
  units,
} from '../schema.ts';
import { shiftsDated } from './shifts.ts';

type HazardStatus = (typeof hazards.$inferSelect)['status'];

/** A person's current (non-archived) posts, with their unit's name and duties. */
export async function postsHeldBy(db: Queryable, personId: number) {
  return db
    .select({ post: posts, unitName: units.name, unitDuties: units.safetyDuties })
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(postHolders.personId, personId), isNull(postHolders.endedAt)))
    .orderBy(asc(posts.id));
}

/**
 * Hazards in these states that a person rectifies or reported, or that wait for acceptance in the units
 * they head: the 20 with the earliest deadline.
 */
export async function hazardsInNameOf(
  db: Queryable,
  tenantId: number,
  personId: number,
  headedUnitIds: number[],
  statuses: readonly HazardStatus[],
) {
  return db
    .select()
    .from(hazards)
    .where(
      and(
        eq(hazards.tenantId, tenantId),
        inArray(hazards.status, [...statuses]),
        or(
          eq(hazards.rectifierId, personId),
          eq(hazards.reporterId, personId),
          headedUnitIds.length > 0
            ? and(inArray(hazards.unitId, headedUnitIds), eq(hazards.status, 'reported'))
            : sql`false`,
        ),
      ),
    )
    .orderBy(asc(hazards.deadline), asc(hazards.id))
    .limit(20);
}

/** Open tasks of a person or of the units they head: the 20 due first. */
export async function tasksInNameOf(
  db: Queryable,
  tenantId: number,
  personId: number,
  headedUnitIds: number[],
) {
  return db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.tenantId, tenantId),
        inArray(tasks.status, ['assigned', 'acknowledged']),
        or(
          eq(tasks.assigneeId, personId),
          headedUnitIds.length > 0 ? inArray(tasks.assigneeUnitId, headedUnitIds) : sql`false`,
        ),
      ),
    )
    .orderBy(asc(tasks.dueAt))
    .limit(20);
}

/** A person's shifts dated from one day to another (inclusive), with their 确认到岗. */
export async function shiftsInNameOf(
  db: Queryable,
  tenantId: number,
  personId: number,
  from: string,
  to: string,
) {
  return db
    .select({ shift: shifts, confirmedAt: shiftAssignees.confirmedAt })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(and(eq(shiftAssignees.personId, personId), shiftsDated(tenantId, from, to)))
    .orderBy(asc(shifts.startsAt));
}

/** The tenant's units (a 第一责任人's), or those the given 直接责任人 posts supervise. */
export async function unitsUnderPosts(db: Queryable, tenantId: number, under: 'all' | number[]) {
  return under === 'all'
    ? db
        .select({ id: units.id, name: units.name })
        .from(units)
        .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    : db
        .selectDistinct({ id: units.id, name: units.name })
        .from(postSupervisedUnits)
        .innerJoin(units, eq(units.id, postSupervisedUnits.unitId))
        .where(inArray(postSupervisedUnits.postId, under));
}

/** Per unit: hazards not closed or rejected, of them overdue (under rectification) and listed. */
export async function openHazardCounts(db: Queryable, unitIds: number[], now: Date) {
  return db
    .select({
      unitId: hazards.unitId,
      open: count(),
      overdue: sql<number>`count(*) filter (where ${hazards.deadline} < ${now.toISOString()}::timestamptz and ${hazards.status} in ('accepted','rectifying'))::int`,
      listed: sql<number>`count(*) filter (where ${hazards.listed})::int`,
    })
    .from(hazards)
    .where(and(inArray(hazards.unitId, unitIds), notInArray(hazards.status, ['closed', 'rejected'])))
    .groupBy(hazards.unitId);
}

/** Per unit: open tasks past their due time. */
export async function lateTaskCounts(db: Queryable, unitIds: number[], now: Date) {
  return db
    .select({ unitId: tasks.assigneeUnitId, n: count() })
    .from(tasks)
    .where(
      and(
        inArray(tasks.assigneeUnitId, unitIds),
        inArray(tasks.status, ['assigned', 'acknowledged']),
        lt(tasks.dueAt, now),
      ),
    )
    .groupBy(tasks.assigneeUnitId);
}

/** A person's latest 10 closed periods that were not met or not assessed, with the obligation's title. */
export async function unmetPeriods(db: Queryable, personId: number) {
  return db
    .select({ title: obligations.title, period: obligationPeriods })
    .from(obligationPeriods)
    .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
    .where(
      and(
        eq(obligationPeriods.personId, personId),
        or(eq(obligationPeriods.met, false), isNull(obligationPeriods.met)),
      ),
    )
    .orderBy(desc(obligationPeriods.periodEnd))
    .limit(10);
}
