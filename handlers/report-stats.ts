// The reports' counts (DOMAIN §7): quarterly statistics (003 §五.1-2) per unit and for the whole tenant,
// and the year-end assessment rows with 责任书 signing and the 一票否决 flags (001 §三.4, 003 §一.3, §七.3).
// The rows come from db/queries/reports.ts; the buckets, the labels and the order are decided here.

import type { Queryable } from '../db/client.ts';
import { countDone } from '../db/queries/obligations.ts';
import {
  closedPeriodsIn,
  currentDuties,
  hazardsReportedBy,
  type Span,
  shiftSlots,
  shiftsDatedIn,
  tasksCreatedIn,
  unitOfPeople,
  type VetoKind,
  yearLetters,
  yearVetoFlags,
} from '../db/queries/reports.ts';
import { tenantUnits } from '../db/queries/units.ts';
import type { IsoDate } from './calendar.ts';
import { SEVERITY_LABEL } from './hazard-rules.ts';
import { periodOf, type Semesters } from './periods.ts';

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

/** `3` of `4` → `75%`; `—` of nothing. */
export const percent = (part: number, whole: number) =>
  whole === 0 ? '—' : `${Math.round((part / whole) * 1000) / 10}%`;

/** Counts for the whole tenant and per unit over a span, as of min(span end, now). */
export async function spanReport(
  db: Queryable,
  tenantId: number,
  span: Span,
  now: Date,
): Promise<SpanReport> {
  const current = now >= span.from && now < span.to;
  const asOf = now < span.to ? now : span.to;
  const unitRows = await tenantUnits(db, tenantId);
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
  for (const row of await closedPeriodsIn(db, tenantId, span)) {
    both(row.unitId, (s) => {
      if (row.met) s.obligationsMet++;
      else if (row.met === false) s.obligationsMissed++;
      else s.obligationsExempt++;
    });
  }
  if (current) {
    for (const row of await currentDuties(db, tenantId)) both(row.unitId, (s) => s.obligationsRunning++);
  }

  // Hazards.
  const inSpan = (at: Date | null) => at !== null && at >= span.from && at < span.to && at <= asOf;
  for (const row of await hazardsReportedBy(db, tenantId, asOf)) {
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
  for (const row of await tasksCreatedIn(db, tenantId, span.from, asOf)) {
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
  const started = (await shiftsDatedIn(db, tenantId, span)).filter((row) => row.startsAt <= asOf);
  const startedIds = new Set(started.map((row) => row.id));
  total.shifts = started.length;
  if (startedIds.size > 0) {
    const unitShifts = new Map<number | null, Set<number>>();
    for (const slot of await shiftSlots(db, tenantId)) {
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
  const letterRows = await yearLetters(db, tenantId, year);
  const flagRows = await yearVetoFlags(db, tenantId, year);
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

/** The weekly digest's duties (issue 15 §5): per unit name (校领导 for posts of no unit), the current periods' duties met, of all. */
export async function dutiesPerUnit(
  db: Queryable,
  tenantId: number,
  today: IsoDate,
  semesters: Semesters,
): Promise<{ unit: string; met: number; total: number }[]> {
  const perUnit = new Map<string, { met: number; total: number }>();
  for (const { obligation, personId, unit } of await currentDuties(db, tenantId)) {
    const period = periodOf(today, obligation.cadence, semesters);
    if (!period) continue;
    const { done } = await countDone(db, personId, obligation, period);
    const label = unit ?? '校领导';
    const entry = perUnit.get(label) ?? { met: 0, total: 0 };
    entry.total++;
    if (done >= obligation.minCount) entry.met++;
    perUnit.set(label, entry);
  }
  return [...perUnit].map(([unit, entry]) => ({ unit, ...entry }));
}
