// The office's reports (DOMAIN §7): quarterly statistics (003 §五.1-2), the year-end assessment table
// with the 一票否决 flags (001 §三.4, 003 §一.3, §七.3), and the records a leader's 述职述安 is drafted from.
// Rows only: the counting per unit is `handlers/report-stats.ts`. Every query takes the tenant's id;
// dates are the tenant's local dates.
import { and, asc, eq, gte, isNull, lte, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { VetoKind } from '../../handlers/accident-rules.ts';
import type { Queryable } from '../client.ts';
import {
  auditEvents,
  categories,
  completions,
  hazards,
  letterRounds,
  letters,
  obligationPeriods,
  obligations,
  people,
  postHolders,
  posts,
  shiftAssignees,
  shifts,
  tasks,
  tenants,
  units,
  vetoFlags,
} from '../schema.ts';
import { periodsEnding } from './obligations.ts';
import { shiftsDated } from './shifts.ts';
import {
  type PersonRows,
  personRows,
  type ScopeRows,
  type StatementScope,
  scopeRows,
  statementScope,
} from './statements.ts';

export { VETO_KINDS, type VetoKind } from '../../handlers/accident-rules.ts';

/** A report's span: local dates, first and last inclusive, and the instants they cut. */
export interface Span {
  start: string;
  end: string;
  from: Date;
  /** The start of the day after `end`. */
  to: Date;
}

/** A unit's id and name: the tenant's units that are not archived, in id order (also `tenantUnits`). */
export type UnitRow = { id: number; name: string };

/** The unit of each person: the unit of their first current post that has one. */
export async function unitOfPeople(db: Queryable, tenantId: number): Promise<Map<number, number>> {
  const rows = await db
    .select({ personId: postHolders.personId, unitId: posts.unitId })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt)))
    .orderBy(asc(postHolders.id));
  const map = new Map<number, number>();
  for (const row of rows)
    if (row.unitId !== null && !map.has(row.personId)) map.set(row.personId, row.unitId);
  return map;
}

/** The obligation periods that closed (ended) within the span, with the unit of the duty's post. */
export async function closedPeriodsIn(db: Queryable, tenantId: number, span: Span) {
  return db
    .select({ met: obligationPeriods.met, unitId: posts.unitId })
    .from(obligationPeriods)
    .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(periodsEnding(tenantId, span.start, span.end));
}

/**
 * One row per (live obligation, current holder of its live post): the duties whose periods run now, with
 * the post's unit (id and name; null for posts of no unit), by unit name then obligation. The quarterly
 * report counts them per unit; the weekly digest tallies them per unit name.
 */
export async function currentDuties(db: Queryable, tenantId: number) {
  return db
    .select({
      obligation: obligations,
      personId: postHolders.personId,
      unitId: posts.unitId,
      unit: units.name,
    })
    .from(obligations)
    .innerJoin(posts, and(eq(posts.id, obligations.postId), eq(posts.archived, false)))
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(obligations.tenantId, tenantId), eq(obligations.archived, false)))
    .orderBy(asc(units.name), asc(obligations.id));
}

/** The hazards reported by `asOf` (duplicates left out), with their category's name (null: none). */
export async function hazardsReportedBy(db: Queryable, tenantId: number, asOf: Date) {
  return db
    .select({
      unitId: hazards.unitId,
      status: hazards.status,
      severity: hazards.severity,
      category: categories.name,
      createdAt: hazards.createdAt,
      closedAt: hazards.closedAt,
      updatedAt: hazards.updatedAt,
      deadline: hazards.deadline,
      listedAt: hazards.listedAt,
    })
    .from(hazards)
    .leftJoin(categories, eq(categories.id, hazards.categoryId))
    .where(and(eq(hazards.tenantId, tenantId), isNull(hazards.duplicateOfId), lte(hazards.createdAt, asOf)));
}

/** The tasks created from `from` up to `asOf`. */
export async function tasksCreatedIn(db: Queryable, tenantId: number, from: Date, asOf: Date) {
  return db
    .select({
      unitId: tasks.assigneeUnitId,
      assigneeId: tasks.assigneeId,
      status: tasks.status,
      dueAt: tasks.dueAt,
      completedAt: tasks.completedAt,
      createdAt: tasks.createdAt,
    })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), gte(tasks.createdAt, from), lte(tasks.createdAt, asOf)));
}

/** The shifts dated within the span. */
export async function shiftsDatedIn(db: Queryable, tenantId: number, span: Span) {
  return db
    .select({ id: shifts.id, startsAt: shifts.startsAt })
    .from(shifts)
    .where(shiftsDated(tenantId, span.start, span.end));
}

/** Every shift slot of the tenant: who, on which shift, confirmed when. */
export async function shiftSlots(db: Queryable, tenantId: number) {
  return db
    .select({
      shiftId: shiftAssignees.shiftId,
      personId: shiftAssignees.personId,
      confirmedAt: shiftAssignees.confirmedAt,
    })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(eq(shifts.tenantId, tenantId));
}

/** The year's 责任书: the unit of each letter's post and when it was signed. */
export async function yearLetters(db: Queryable, tenantId: number, year: number) {
  return db
    .select({ unitId: posts.unitId, signedAt: letters.signedAt })
    .from(letters)
    .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
    .innerJoin(posts, eq(posts.id, letters.postId))
    .where(and(eq(letters.tenantId, tenantId), eq(letterRounds.year, year)));
}

/** The year's 一票否决 flags, in the order they were set. */
export async function yearVetoFlags(db: Queryable, tenantId: number, year: number) {
  return db
    .select()
    .from(vetoFlags)
    .where(and(eq(vetoFlags.tenantId, tenantId), eq(vetoFlags.year, year)))
    .orderBy(asc(vetoFlags.id));
}

export async function setVetoFlag(
  db: Queryable,
  tenantId: number,
  flag: {
    unitId: number;
    year: number;
    kind: VetoKind;
    reason: string;
    setBy: string;
    at: Date;
    /** The office's console account that set it, for the trail. */
    accountId?: number | null;
  },
): Promise<void> {
  await db
    .insert(vetoFlags)
    .values({
      tenantId,
      unitId: flag.unitId,
      year: flag.year,
      kind: flag.kind,
      reason: flag.reason,
      setBy: flag.setBy,
      setAt: flag.at,
    })
    .onConflictDoUpdate({
      target: [vetoFlags.unitId, vetoFlags.year, vetoFlags.kind],
      set: { reason: flag.reason, setBy: flag.setBy, setAt: flag.at },
    });
  await db.insert(auditEvents).values({
    tenantId,
    subject: `unit:${flag.unitId}`,
    actorAccountId: flag.accountId ?? null,
    action: 'veto.set',
    toStatus: flag.kind,
    note: flag.reason,
    data: { year: flag.year, by: flag.setBy },
    at: flag.at,
  });
}

export async function clearVetoFlag(
  db: Queryable,
  tenantId: number,
  flag: {
    unitId: number;
    year: number;
    kind: VetoKind;
    clearedBy?: string;
    at?: Date;
    accountId?: number | null;
  },
): Promise<number> {
  const deleted = await db
    .delete(vetoFlags)
    .where(
      and(
        eq(vetoFlags.tenantId, tenantId),
        eq(vetoFlags.unitId, flag.unitId),
        eq(vetoFlags.year, flag.year),
        eq(vetoFlags.kind, flag.kind),
      ),
    )
    .returning({ id: vetoFlags.id });
  if (deleted.length > 0) {
    // The flag row goes; the trail keeps that it was cleared, and by whom.
    await db.insert(auditEvents).values({
      tenantId,
      subject: `unit:${flag.unitId}`,
      actorAccountId: flag.accountId ?? null,
      action: 'veto.clear',
      fromStatus: flag.kind,
      data: { year: flag.year, by: flag.clearedBy ?? null },
      at: flag.at ?? new Date(),
    });
  }
  return deleted.length;
}

export interface Leader {
  id: number;
  name: string;
  posts: {
    title: string;
    level: 'first' | 'direct' | 'post';
    /** The holder heads the post's unit (部门负责人, 003 §四.2). */
    unitHead?: boolean;
    unit?: string | null;
    businessDuties?: string[];
    safetyDuties?: string[];
  }[];
}

/** A 第一责任人 or 直接责任人 (the school's leaders), not only a 部门负责人: whose 述职述安 goes to the level above. */
export const isLeadership = (leader: Leader) => leader.posts.some((post) => post.level !== 'post');

/**
 * Who writes a 述职述安 (003 §四.1-2): current holders of posts at level first (第一责任人) or direct
 * (直接责任人), and the heads of units (部门负责人); each with all their current posts and duties.
 */
export async function leadersOf(db: Queryable, tenantId: number): Promise<Leader[]> {
  const rows = await db
    .select({
      id: people.id,
      name: people.name,
      title: posts.title,
      level: posts.level,
      unitHead: posts.isUnitHead,
      unit: units.name,
      businessDuties: posts.businessDuties,
      safetyDuties: posts.safetyDuties,
    })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt), eq(posts.archived, false)))
    .orderBy(asc(people.id), asc(posts.id));
  const map = new Map<number, Leader>();
  for (const { id, name, ...post } of rows) {
    const leader = map.get(id) ?? { id, name, posts: [] };
    leader.posts.push(post);
    map.set(id, leader);
  }
  return [...map.values()].filter((leader) =>
    leader.posts.some((post) => post.level !== 'post' || post.unitHead),
  );
}

/** What a person did in a span, and what they answer for: the records a 述职述安 report is written from. */
export interface StatementRecords {
  /** The tenant's name and kind (school | bureau), for the report's heading. */
  tenant?: { name: string; kind: string };
  /** Hazards the person reported, and rectified (整改完成 submitted), in the span. */
  reported?: { code: string; description: string; at: Date }[];
  rectified?: { code: string; description: string; at: Date }[];
  /** The scope the person answers for and its rows of the year (主要成绩). */
  scope?: StatementScope;
  scopeRows?: ScopeRows;
  /** The person's 责任书, open items and duties (履职情况, 存在不足, 下步打算). */
  own?: PersonRows;
  completions: { kind: string; date: string; note: string; school: string | null }[];
  accepted: { code: string; description: string; at: Date }[];
  closed: { code: string; description: string; at: Date }[];
  listed: { code: string; description: string; at: Date }[];
  tasksAssigned: { code: string; content: string; at: Date }[];
  tasksCompleted: { code: string; content: string; at: Date }[];
  missed: { title: string; periodKey: string; done: number; needed: number }[];
  /** Periods not assessed (不考核), with the reason: no shortcoming. */
  exempt: { title: string; periodKey: string; reason: string }[];
}

export async function statementRecords(
  db: Queryable,
  tenantId: number,
  personId: number,
  span: Span,
): Promise<StatementRecords> {
  const within = (column: AnyPgColumn) => and(gte(column, span.from), lte(column, span.to));
  // What the person did (`by` is them) and when (`at`, within the span), earliest first.
  const hazardsBy = (by: AnyPgColumn, at: AnyPgColumn, ...also: SQL[]) =>
    db
      .select({ code: hazards.code, description: hazards.description, at: at as typeof hazards.acceptedAt })
      .from(hazards)
      .where(and(eq(hazards.tenantId, tenantId), eq(by, personId), ...also, within(at)))
      .orderBy(asc(at));
  const tasksBy = (by: AnyPgColumn, at: AnyPgColumn, ...also: SQL[]) =>
    db
      .select({ code: tasks.code, content: tasks.content, at: at as typeof tasks.completedAt })
      .from(tasks)
      .where(and(eq(tasks.tenantId, tenantId), eq(by, personId), ...also, within(at)))
      .orderBy(asc(at));
  const closedPeriods = (met: SQL) =>
    db
      .select({
        title: obligations.title,
        periodKey: obligationPeriods.periodKey,
        done: obligationPeriods.done,
        needed: obligationPeriods.needed,
        reason: obligationPeriods.exemptReason,
      })
      .from(obligationPeriods)
      .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
      .where(
        and(periodsEnding(tenantId, span.start, span.end), eq(obligationPeriods.personId, personId), met),
      )
      .orderBy(asc(obligationPeriods.periodEnd));
  const year = Number(span.start.slice(0, 4));
  const scope = await statementScope(db, tenantId, personId);
  const [tenant] = await db
    .select({ name: tenants.name, kind: tenants.kind })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  const [scoped, own, reported, rectified] = await Promise.all([
    scopeRows(db, tenantId, scope, span, year),
    personRows(db, tenantId, personId, year),
    hazardsBy(hazards.reporterId, hazards.createdAt),
    hazardsBy(hazards.rectifiedById, hazards.rectifiedAt),
  ]);
  const [done, accepted, closed, listed, assigned, completed, missed, exempt] = await Promise.all([
    db
      .select({
        kind: completions.kind,
        date: completions.date,
        note: completions.note,
        school: completions.school,
      })
      .from(completions)
      .where(
        and(
          eq(completions.tenantId, tenantId),
          eq(completions.personId, personId),
          gte(completions.date, span.start),
          lte(completions.date, span.end),
        ),
      )
      .orderBy(asc(completions.date), asc(completions.id)),
    hazardsBy(hazards.acceptedById, hazards.acceptedAt),
    hazardsBy(hazards.reviewedById, hazards.closedAt, eq(hazards.status, 'closed')),
    hazardsBy(hazards.listedById, hazards.listedAt),
    tasksBy(tasks.assignerId, tasks.createdAt),
    tasksBy(tasks.completedById, tasks.completedAt, eq(tasks.status, 'done')),
    closedPeriods(eq(obligationPeriods.met, false)),
    closedPeriods(isNull(obligationPeriods.met)),
  ]);
  const dated = <T extends { at: Date | null }>(rows: T[]) =>
    rows.filter((row): row is T & { at: Date } => row.at !== null && row.at < span.to);
  return {
    tenant,
    reported: dated(reported),
    rectified: dated(rectified),
    scope,
    scopeRows: scoped,
    own,
    completions: done,
    accepted: dated(accepted),
    closed: dated(closed),
    listed: dated(listed),
    tasksAssigned: dated(assigned),
    tasksCompleted: dated(completed),
    missed: missed.map(({ reason: _, ...row }) => row),
    exempt: exempt.map((row) => ({ title: row.title, periodKey: row.periodKey, reason: row.reason ?? '' })),
  };
}
