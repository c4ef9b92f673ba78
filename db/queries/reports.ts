// The office's reports (DOMAIN §7): quarterly statistics (003 §五.1-2), the year-end assessment table
// with the 一票否决 flags (001 §三.4, 003 §一.3, §七.3), and the records a leader's 述职述安 is drafted from.
// Every query takes the tenant's id; dates are the tenant's local dates.
import { and, asc, eq, gte, isNull, lte, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { SEVERITY_LABEL } from '../../handlers/hazard-rules.ts';
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
  units,
  vetoFlags,
} from '../schema.ts';

export type VetoKind = 'grave_accident' | 'exceeded_target' | 'failed_assessment' | 'concealed';
export const VETO_KINDS: readonly VetoKind[] = [
  'grave_accident',
  'exceeded_target',
  'failed_assessment',
  'concealed',
];

/** A report's span: local dates, first and last inclusive, and the instants they cut. */
export interface Span {
  start: string;
  end: string;
  from: Date;
  /** The start of the day after `end`. */
  to: Date;
}

export interface Stats {
  obligationsMet: number;
  obligationsMissed: number;
  /** Closed periods not assessed (不考核: already half over when the duty started; issue 15 §2). */
  obligationsExempt: number;
  /** (obligation, holder) pairs whose period is still running (only when the span contains today). */
  obligationsRunning: number;
  hazardsFound: number;
  hazardsClosed: number;
  /** Open (not closed, not rejected) at the span's end, or now if the span is current. */
  hazardsOpen: number;
  hazardsOverdue: number;
  /** Listed (挂牌督办) within the span. */
  hazardsListed: number;
  byCategory: Record<string, number>;
  bySeverity: Record<string, number>;
  tasksAssigned: number;
  tasksDone: number;
  tasksOverdue: number;
  shifts: number;
  shiftSlots: number;
  shiftConfirmed: number;
}

export interface UnitStats {
  unitId: number | null;
  name: string;
  stats: Stats;
}

export interface SpanReport {
  span: Span;
  asOf: Date;
  current: boolean;
  total: Stats;
  units: UnitStats[];
}

const empty = (): Stats => ({
  obligationsMet: 0,
  obligationsMissed: 0,
  obligationsExempt: 0,
  obligationsRunning: 0,
  hazardsFound: 0,
  hazardsClosed: 0,
  hazardsOpen: 0,
  hazardsOverdue: 0,
  hazardsListed: 0,
  byCategory: {},
  bySeverity: {},
  tasksAssigned: 0,
  tasksDone: 0,
  tasksOverdue: 0,
  shifts: 0,
  shiftSlots: 0,
  shiftConfirmed: 0,
});

export const NO_UNIT = '校（局）领导及未归属处室';

/** The unit of each person: the unit of their first current post that has one. */
async function unitOfPeople(db: Queryable, tenantId: number): Promise<Map<number, number>> {
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

/** Counts for the whole tenant and per unit over a span, as of min(span end, now). */
export async function spanReport(
  db: Queryable,
  tenantId: number,
  span: Span,
  now: Date,
): Promise<SpanReport> {
  const current = now >= span.from && now < span.to;
  const asOf = now < span.to ? now : span.to;
  const unitRows = await db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
  const byUnit = new Map<number | null, UnitStats>();
  for (const unit of unitRows) byUnit.set(unit.id, { unitId: unit.id, name: unit.name, stats: empty() });
  const total = empty();
  const bucket = (unitId: number | null | undefined): Stats => {
    const key = unitId ?? null;
    let entry = byUnit.get(key);
    if (!entry) {
      entry = { unitId: key, name: NO_UNIT, stats: empty() };
      byUnit.set(key, entry);
    }
    return entry.stats;
  };
  const both = (unitId: number | null | undefined, add: (stats: Stats) => void) => {
    add(total);
    add(bucket(unitId));
  };
  const personUnit = await unitOfPeople(db, tenantId);

  // Obligations: the periods that closed (ended) within the span.
  const periods = await db
    .select({ met: obligationPeriods.met, unitId: posts.unitId })
    .from(obligationPeriods)
    .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(
      and(
        eq(obligationPeriods.tenantId, tenantId),
        gte(obligationPeriods.periodEnd, span.start),
        lte(obligationPeriods.periodEnd, span.end),
      ),
    );
  for (const row of periods) {
    both(row.unitId, (s) => {
      if (row.met) s.obligationsMet++;
      else if (row.met === false) s.obligationsMissed++;
      else s.obligationsExempt++;
    });
  }
  if (current) {
    const running = await db
      .select({ unitId: posts.unitId })
      .from(obligations)
      .innerJoin(posts, eq(posts.id, obligations.postId))
      .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
      .where(
        and(eq(obligations.tenantId, tenantId), eq(obligations.archived, false), eq(posts.archived, false)),
      );
    for (const row of running) both(row.unitId, (s) => s.obligationsRunning++);
  }

  // Hazards.
  const hazardRows = await db
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
  const inSpan = (at: Date | null) => at !== null && at >= span.from && at < span.to && at <= asOf;
  for (const row of hazardRows) {
    const closedBy = row.status === 'closed' && row.closedAt !== null && row.closedAt <= asOf;
    const rejected = row.status === 'rejected' && row.updatedAt <= asOf;
    const open = !closedBy && !rejected;
    both(row.unitId, (s) => {
      if (inSpan(row.createdAt)) {
        s.hazardsFound++;
        const category = row.category ?? '未分类';
        s.byCategory[category] = (s.byCategory[category] ?? 0) + 1;
        const severity = row.severity ? SEVERITY_LABEL[row.severity] : '未定';
        s.bySeverity[severity] = (s.bySeverity[severity] ?? 0) + 1;
      }
      if (row.status === 'closed' && inSpan(row.closedAt)) s.hazardsClosed++;
      if (open) {
        s.hazardsOpen++;
        if (row.deadline !== null && row.deadline < asOf) s.hazardsOverdue++;
      }
      if (inSpan(row.listedAt)) s.hazardsListed++;
    });
  }

  // Tasks assigned within the span, and how they stand at asOf.
  const taskRows = await db
    .select({
      unitId: tasks.assigneeUnitId,
      assigneeId: tasks.assigneeId,
      status: tasks.status,
      dueAt: tasks.dueAt,
      completedAt: tasks.completedAt,
      createdAt: tasks.createdAt,
    })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), gte(tasks.createdAt, span.from), lte(tasks.createdAt, asOf)));
  for (const row of taskRows) {
    if (row.createdAt >= span.to) continue;
    const unitId = row.unitId ?? (row.assigneeId !== null ? personUnit.get(row.assigneeId) : undefined);
    const done = row.status === 'done' && row.completedAt !== null && row.completedAt <= asOf;
    both(unitId, (s) => {
      s.tasksAssigned++;
      if (done) s.tasksDone++;
      else if (row.status !== 'cancelled' && row.dueAt < asOf) s.tasksOverdue++;
    });
  }

  // Shifts begun within the span (tenant-wide; a person on duty counts for their unit).
  const shiftRows = await db
    .select({ id: shifts.id, startsAt: shifts.startsAt })
    .from(shifts)
    .where(and(eq(shifts.tenantId, tenantId), gte(shifts.date, span.start), lte(shifts.date, span.end)));
  const started = shiftRows.filter((row) => row.startsAt <= asOf);
  const startedIds = new Set(started.map((row) => row.id));
  total.shifts = started.length;
  if (startedIds.size > 0) {
    const slots = await db
      .select({
        shiftId: shiftAssignees.shiftId,
        personId: shiftAssignees.personId,
        confirmedAt: shiftAssignees.confirmedAt,
      })
      .from(shiftAssignees)
      .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
      .where(eq(shifts.tenantId, tenantId));
    const unitShifts = new Map<number | null, Set<number>>();
    for (const slot of slots) {
      if (!startedIds.has(slot.shiftId)) continue;
      const unitId = personUnit.get(slot.personId) ?? null;
      both(unitId, (s) => {
        s.shiftSlots++;
        if (slot.confirmedAt !== null) s.shiftConfirmed++;
      });
      const seen = unitShifts.get(unitId) ?? new Set<number>();
      seen.add(slot.shiftId);
      unitShifts.set(unitId, seen);
    }
    for (const [unitId, seen] of unitShifts) bucket(unitId).shifts = seen.size;
  }

  const list = [...byUnit.values()].sort((a, b) =>
    a.unitId === null ? 1 : b.unitId === null ? -1 : a.unitId - b.unitId,
  );
  return { span, asOf, current, total, units: list };
}

export interface UnitYearRow extends UnitStats {
  lettersSigned: number;
  lettersIssued: number;
  flags: { kind: VetoKind; reason: string; setBy: string; setAt: Date }[];
}

/** The year-end table: the year's counts per unit, 责任书 signing, and the 一票否决 flags. */
export async function yearAssessment(
  db: Queryable,
  tenantId: number,
  year: number,
  span: Span,
  now: Date,
): Promise<{ report: SpanReport; rows: UnitYearRow[] }> {
  const report = await spanReport(db, tenantId, span, now);
  const letterRows = await db
    .select({ unitId: posts.unitId, signedAt: letters.signedAt })
    .from(letters)
    .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
    .innerJoin(posts, eq(posts.id, letters.postId))
    .where(and(eq(letters.tenantId, tenantId), eq(letterRounds.year, year)));
  const flagRows = await db
    .select()
    .from(vetoFlags)
    .where(and(eq(vetoFlags.tenantId, tenantId), eq(vetoFlags.year, year)))
    .orderBy(asc(vetoFlags.id));
  const rows = report.units.map((unit): UnitYearRow => {
    const mine = letterRows.filter((row) => row.unitId === unit.unitId);
    return {
      ...unit,
      lettersIssued: mine.length,
      lettersSigned: mine.filter((row) => row.signedAt !== null).length,
      flags: flagRows
        .filter((flag) => flag.unitId === unit.unitId)
        .map((flag) => ({ kind: flag.kind, reason: flag.reason, setBy: flag.setBy, setAt: flag.setAt })),
    };
  });
  return { report, rows };
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

export async function tenantUnits(db: Queryable, tenantId: number) {
  return db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
}

export interface Leader {
  id: number;
  name: string;
  posts: { title: string; level: 'first' | 'direct' | 'post' }[];
}

/** The tenant's leaders: current holders of posts at level first (第一责任人) or direct (直接责任人). */
export async function leadersOf(db: Queryable, tenantId: number): Promise<Leader[]> {
  const rows = await db
    .select({ id: people.id, name: people.name, title: posts.title, level: posts.level })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt), eq(posts.archived, false)))
    .orderBy(asc(people.id), asc(posts.id));
  const map = new Map<number, Leader>();
  for (const row of rows) {
    const leader = map.get(row.id) ?? { id: row.id, name: row.name, posts: [] };
    leader.posts.push({ title: row.title, level: row.level });
    map.set(row.id, leader);
  }
  return [...map.values()].filter((leader) => leader.posts.some((post) => post.level !== 'post'));
}

/** What a person did in a span: the records a 述职述安 draft is written from. */
export interface StatementRecords {
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
  const hazardCols = { code: hazards.code, description: hazards.description };
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
        and(
          eq(obligationPeriods.tenantId, tenantId),
          eq(obligationPeriods.personId, personId),
          met,
          gte(obligationPeriods.periodEnd, span.start),
          lte(obligationPeriods.periodEnd, span.end),
        ),
      )
      .orderBy(asc(obligationPeriods.periodEnd));
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
    db
      .select({ ...hazardCols, at: hazards.acceptedAt })
      .from(hazards)
      .where(
        and(eq(hazards.tenantId, tenantId), eq(hazards.acceptedById, personId), within(hazards.acceptedAt)),
      )
      .orderBy(asc(hazards.acceptedAt)),
    db
      .select({ ...hazardCols, at: hazards.closedAt })
      .from(hazards)
      .where(
        and(
          eq(hazards.tenantId, tenantId),
          eq(hazards.reviewedById, personId),
          eq(hazards.status, 'closed'),
          within(hazards.closedAt),
        ),
      )
      .orderBy(asc(hazards.closedAt)),
    db
      .select({ ...hazardCols, at: hazards.listedAt })
      .from(hazards)
      .where(and(eq(hazards.tenantId, tenantId), eq(hazards.listedById, personId), within(hazards.listedAt)))
      .orderBy(asc(hazards.listedAt)),
    db
      .select({ code: tasks.code, content: tasks.content, at: tasks.createdAt })
      .from(tasks)
      .where(and(eq(tasks.tenantId, tenantId), eq(tasks.assignerId, personId), within(tasks.createdAt)))
      .orderBy(asc(tasks.createdAt)),
    db
      .select({ code: tasks.code, content: tasks.content, at: tasks.completedAt })
      .from(tasks)
      .where(
        and(
          eq(tasks.tenantId, tenantId),
          eq(tasks.completedById, personId),
          eq(tasks.status, 'done'),
          within(tasks.completedAt),
        ),
      )
      .orderBy(asc(tasks.completedAt)),
    closedPeriods(eq(obligationPeriods.met, false)),
    closedPeriods(isNull(obligationPeriods.met)),
  ]);
  const dated = <T extends { at: Date | null }>(rows: T[]) =>
    rows.filter((row): row is T & { at: Date } => row.at !== null && row.at < span.to);
  return {
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
