// The rows the office dashboard (/console/dashboard, handlers/dashboard.ts) counts: every query takes the
// tenant's id and counts in SQL where it can. Names are returned as stored (null: none); the feature
// labels and buckets them.
import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, notInArray, sql } from 'drizzle-orm';
import type { HazardStatus } from '../../handlers/hazard-workflow.ts';
import type { Queryable } from '../client.ts';
import {
  categories,
  hazards,
  obligationPeriods,
  obligations,
  outbox,
  posts,
  shiftAssignees,
  shifts,
  tenants,
  units,
} from '../schema.ts';
import { periodsEnding } from './obligations.ts';
import { shiftsDated } from './shifts.ts';

const DONE_STATES: HazardStatus[] = ['closed', 'rejected'];
const OPEN = notInArray(hazards.status, DONE_STATES);
// A report marked a duplicate is counted once, in the hazard it was merged into.
const COUNTED = isNull(hazards.duplicateOfId);

/** Hazards per status. */
export async function hazardsPerStatus(db: Queryable, tenantId: number) {
  return db
    .select({ status: hazards.status, n: count() })
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), COUNTED))
    .groupBy(hazards.status);
}

/** When each hazard reported since `from` was reported. */
export async function hazardsReportedSince(db: Queryable, tenantId: number, from: Date) {
  return db
    .select({ at: hazards.createdAt })
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), COUNTED, gte(hazards.createdAt, from)));
}

/** Hazards per category name (null: none), by name. */
export async function hazardsPerCategory(db: Queryable, tenantId: number) {
  return db
    .select({ category: categories.name, value: count() })
    .from(hazards)
    .leftJoin(categories, eq(categories.id, hazards.categoryId))
    .where(and(eq(hazards.tenantId, tenantId), COUNTED))
    .groupBy(categories.name)
    .orderBy(asc(categories.name));
}

/** Open and closed hazards per unit name (null: not assigned), by name. */
export async function hazardsPerUnit(db: Queryable, tenantId: number) {
  return db
    .select({
      unit: units.name,
      open: sql<number>`count(*) filter (where ${hazards.status} not in ('closed', 'rejected'))`.mapWith(
        Number,
      ),
      closed: sql<number>`count(*) filter (where ${hazards.status} = 'closed')`.mapWith(Number),
    })
    .from(hazards)
    .leftJoin(units, eq(units.id, hazards.unitId))
    .where(and(eq(hazards.tenantId, tenantId), COUNTED))
    .groupBy(units.name)
    .orderBy(asc(units.name));
}

/** Open hazards past their deadline, the most overdue first. */
export async function overdueHazards(db: Queryable, tenantId: number, now: Date) {
  return db
    .select({ code: hazards.code, unit: units.name, deadline: hazards.deadline })
    .from(hazards)
    .leftJoin(units, eq(units.id, hazards.unitId))
    .where(and(eq(hazards.tenantId, tenantId), OPEN, isNotNull(hazards.deadline), lt(hazards.deadline, now)))
    .orderBy(asc(hazards.deadline), asc(hazards.code));
}

/** Open 挂牌督办 hazards with their listed unit and deadline (or the hazard's own). */
export async function listedOpenHazards(db: Queryable, tenantId: number) {
  return db
    .select({
      code: hazards.code,
      unit: units.name,
      deadline: sql<Date | null>`coalesce(${hazards.listedDeadline}, ${hazards.deadline})`.mapWith(
        (value: unknown) => (value === null || value === undefined ? null : new Date(value as string)),
      ),
    })
    .from(hazards)
    .leftJoin(units, sql`${units.id} = coalesce(${hazards.listedUnitId}, ${hazards.unitId})`)
    .where(and(eq(hazards.tenantId, tenantId), OPEN, eq(hazards.listed, true)))
    .orderBy(asc(hazards.code));
}

/** Obligation periods that ended between two local dates, counted per unit name, scope, end, outcome. */
export async function periodOutcomes(db: Queryable, tenantId: number, first: string, last: string) {
  return db
    .select({
      unit: units.name,
      scope: obligations.scope,
      end: obligationPeriods.periodEnd,
      met: obligationPeriods.met,
      reason: obligationPeriods.exemptReason,
      n: count(),
    })
    .from(obligationPeriods)
    .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(periodsEnding(tenantId, first, last))
    .groupBy(
      units.name,
      obligations.scope,
      obligationPeriods.periodEnd,
      obligationPeriods.met,
      obligationPeriods.exemptReason,
    );
}

/** The tenant's kind (school or bureau); undefined when there is no such tenant. */
export async function tenantKind(db: Queryable, tenantId: number) {
  const [tenant] = await db.select({ kind: tenants.kind }).from(tenants).where(eq(tenants.id, tenantId));
  return tenant?.kind;
}

/** Shift slots per date between two local dates: all, and confirmed. */
export async function shiftSlotsPerDay(db: Queryable, tenantId: number, first: string, last: string) {
  return db
    .select({
      date: shifts.date,
      confirmed: sql<number>`count(${shiftAssignees.confirmedAt})`.mapWith(Number),
      all: count(),
    })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(shiftsDated(tenantId, first, last))
    .groupBy(shifts.date);
}

/** Pending and failed outbox rows per channel and status. */
export async function outboxBacklog(db: Queryable, tenantId: number) {
  return db
    .select({ channel: outbox.channel, status: outbox.status, n: count() })
    .from(outbox)
    .where(and(eq(outbox.tenantId, tenantId), inArray(outbox.status, ['pending', 'failed'])))
    .groupBy(outbox.channel, outbox.status)
    .orderBy(asc(outbox.channel));
}
