// What the office dashboard (/console/dashboard) reads: every query takes the tenant's id, counts in
// SQL where it can, and buckets by local date in the tenant's time zone.
import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, lte, notInArray, sql } from 'drizzle-orm';
import { isoDateIn, startOfDayIn } from '../../handlers/calendar.ts';
import { HAZARD_STATUSES, type HazardStatus } from '../../handlers/hazard-workflow.ts';
import { wholeWord } from '../../handlers/obligation-kinds.ts';
import { addDays } from '../../handlers/shift-rules.ts';
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

/** The states of a hazard, in the order the dashboard shows them. */
export const HAZARD_STATES = HAZARD_STATUSES;
export type HazardState = HazardStatus;
const DONE_STATES: HazardState[] = ['closed', 'rejected'];
const DAY_MS = 86_400_000;

export const DASHBOARD_WEEKS = 12;
export const DASHBOARD_QUARTERS = 4;
export const DASHBOARD_DAYS = 7;

export interface Bar {
  label: string;
  value: number;
}
export interface UnitBar {
  label: string;
  open: number;
  closed: number;
}
export interface LateHazard {
  code: string;
  unit: string | null;
  deadline: string | null;
  /** Calendar days past the deadline (local dates); 0 when not yet past. */
  daysOverdue: number;
}
export interface HeatRow {
  unit: string;
  /** Per quarter: periods met, missed (未履职) and not assessed (不考核, with their reasons). */
  cells: HeatCell[];
}
export interface HeatCell {
  met: number;
  missed: number;
  exempt: number;
  reasons: string[];
}
export interface ShiftDay {
  date: string;
  confirmed: number;
  unconfirmed: number;
}
export interface OutboxCount {
  channel: string;
  pending: number;
  failed: number;
}

export interface Dashboard {
  today: string;
  byState: Record<HazardState, number>;
  byCategory: Bar[];
  byUnit: UnitBar[];
  /** Reports per week, oldest first; label is the week's Monday. */
  weekly: Bar[];
  overdue: LateHazard[];
  listed: LateHazard[];
  quarters: string[];
  heat: HeatRow[];
  shiftDays: ShiftDay[];
  outbox: OutboxCount[];
}

/** Days from local date `a` to local date `b`. */
const daysBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS);

/** `2026Q4` for 2026-11-28. */
export const quarterOf = (date: string) =>
  `${date.slice(0, 4)}Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;

function previousQuarter(key: string): string {
  const year = Number(key.slice(0, 4));
  const q = Number(key.slice(5));
  return q === 1 ? `${year - 1}Q4` : `${year}Q${q - 1}`;
}

/** The Monday on or before a local date. */
export function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

export async function dashboardData(
  db: Queryable,
  tenantId: number,
  now: Date,
  timeZone: string,
): Promise<Dashboard> {
  const today = isoDateIn(now, timeZone);
  const open = notInArray(hazards.status, DONE_STATES);
  // A report marked a duplicate is counted once, in the hazard it was merged into.
  const counted = isNull(hazards.duplicateOfId);

  const states = await db
    .select({ status: hazards.status, n: count() })
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), counted))
    .groupBy(hazards.status);
  const byState = Object.fromEntries(HAZARD_STATES.map((s) => [s, 0])) as Record<HazardState, number>;
  for (const row of states) byState[row.status] = row.n;

  const cats = await db
    .select({ label: categories.name, value: count() })
    .from(hazards)
    .leftJoin(categories, eq(categories.id, hazards.categoryId))
    .where(and(eq(hazards.tenantId, tenantId), counted))
    .groupBy(categories.name)
    .orderBy(asc(categories.name));
  const byCategory = cats.map((row) => ({ label: row.label ?? '未分类', value: row.value }));

  const perUnit = await db
    .select({
      label: units.name,
      open: sql<number>`count(*) filter (where ${hazards.status} not in ('closed', 'rejected'))`.mapWith(
        Number,
      ),
      closed: sql<number>`count(*) filter (where ${hazards.status} = 'closed')`.mapWith(Number),
    })
    .from(hazards)
    .leftJoin(units, eq(units.id, hazards.unitId))
    .where(and(eq(hazards.tenantId, tenantId), counted))
    .groupBy(units.name)
    .orderBy(asc(units.name));
  const byUnit = perUnit
    .map((row) => ({ label: row.label ?? '未分派', open: row.open, closed: row.closed }))
    .filter((row) => row.open + row.closed > 0);

  // Reports per week: the 12 weeks ending with the current one.
  const firstMonday = addDays(mondayOf(today), -7 * (DASHBOARD_WEEKS - 1));
  const created = await db
    .select({ at: hazards.createdAt })
    .from(hazards)
    .where(
      and(
        eq(hazards.tenantId, tenantId),
        counted,
        gte(hazards.createdAt, startOfDayIn(firstMonday, timeZone)),
      ),
    );
  const weekly: Bar[] = Array.from({ length: DASHBOARD_WEEKS }, (_, i) => ({
    label: addDays(firstMonday, 7 * i),
    value: 0,
  }));
  for (const row of created) {
    const index = Math.floor(daysBetween(firstMonday, isoDateIn(row.at, timeZone)) / 7);
    if (index >= 0 && index < DASHBOARD_WEEKS) weekly[index]!.value++;
  }

  const late = (row: { code: string; unit: string | null; deadline: Date | null }): LateHazard => {
    const deadline = row.deadline ? isoDateIn(row.deadline, timeZone) : null;
    return {
      code: row.code,
      unit: row.unit,
      deadline,
      daysOverdue:
        row.deadline && row.deadline < now && deadline ? Math.max(0, daysBetween(deadline, today)) : 0,
    };
  };
  const overdueRows = await db
    .select({ code: hazards.code, unit: units.name, deadline: hazards.deadline })
    .from(hazards)
    .leftJoin(units, eq(units.id, hazards.unitId))
    .where(and(eq(hazards.tenantId, tenantId), open, isNotNull(hazards.deadline), lt(hazards.deadline, now)))
    .orderBy(asc(hazards.deadline), asc(hazards.code));
  const listedRows = await db
    .select({
      code: hazards.code,
      unit: units.name,
      deadline: sql<Date | null>`coalesce(${hazards.listedDeadline}, ${hazards.deadline})`.mapWith(
        (value: unknown) => (value === null || value === undefined ? null : new Date(value as string)),
      ),
    })
    .from(hazards)
    .leftJoin(units, sql`${units.id} = coalesce(${hazards.listedUnitId}, ${hazards.unitId})`)
    .where(and(eq(hazards.tenantId, tenantId), open, eq(hazards.listed, true)))
    .orderBy(asc(hazards.code));

  // Obligations met/missed per unit, by the quarter in which each period ended.
  const quarters: string[] = [quarterOf(today)];
  while (quarters.length < DASHBOARD_QUARTERS) quarters.unshift(previousQuarter(quarters[0]!));
  const firstQuarterStart = `${quarters[0]!.slice(0, 4)}-${String((Number(quarters[0]!.slice(5)) - 1) * 3 + 1).padStart(2, '0')}-01`;
  const periodRows = await db
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
    .where(
      and(
        eq(obligationPeriods.tenantId, tenantId),
        gte(obligationPeriods.periodEnd, firstQuarterStart),
        lte(obligationPeriods.periodEnd, today),
      ),
    )
    .groupBy(
      units.name,
      obligations.scope,
      obligationPeriods.periodEnd,
      obligationPeriods.met,
      obligationPeriods.exemptReason,
    );
  const unitNames = await db
    .select({ name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
  const [tenant] = await db.select({ kind: tenants.kind }).from(tenants).where(eq(tenants.id, tenantId));
  const heatMap = new Map<string, HeatCell[]>();
  const rowOf = (unit: string) => {
    let cells = heatMap.get(unit);
    if (!cells) {
      cells = quarters.map(() => ({ met: 0, missed: 0, exempt: 0, reasons: [] }));
      heatMap.set(unit, cells);
    }
    return cells;
  };
  for (const unit of unitNames) rowOf(unit.name);
  for (const row of periodRows) {
    const index = quarters.indexOf(quarterOf(row.end));
    if (index < 0) continue;
    // A school-wide obligation (the monthly 大检查) is the school's, not the unit of the post that runs it.
    const cell = rowOf(
      row.scope === 'school' ? wholeWord(tenant?.kind ?? 'school') : (row.unit ?? '校级领导'),
    )[index]!;
    if (row.met) cell.met += row.n;
    else if (row.met === false) cell.missed += row.n;
    else {
      cell.exempt += row.n;
      if (row.reason && !cell.reasons.includes(row.reason)) cell.reasons.push(row.reason);
    }
  }
  const heat = [...heatMap].map(([unit, cells]) => ({ unit, cells }));

  // Shift confirmations: the last 7 days, today included.
  const firstDay = addDays(today, -(DASHBOARD_DAYS - 1));
  const shiftRows = await db
    .select({
      date: shifts.date,
      confirmed: sql<number>`count(${shiftAssignees.confirmedAt})`.mapWith(Number),
      all: count(),
    })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(and(eq(shifts.tenantId, tenantId), gte(shifts.date, firstDay), lte(shifts.date, today)))
    .groupBy(shifts.date);
  const shiftDays: ShiftDay[] = Array.from({ length: DASHBOARD_DAYS }, (_, i) => {
    const date = addDays(firstDay, i);
    const row = shiftRows.find((r) => r.date === date);
    return { date, confirmed: row?.confirmed ?? 0, unconfirmed: row ? row.all - row.confirmed : 0 };
  });

  const outboxRows = await db
    .select({ channel: outbox.channel, status: outbox.status, n: count() })
    .from(outbox)
    .where(and(eq(outbox.tenantId, tenantId), inArray(outbox.status, ['pending', 'failed'])))
    .groupBy(outbox.channel, outbox.status)
    .orderBy(asc(outbox.channel));
  const byChannel = new Map<string, OutboxCount>();
  for (const row of outboxRows) {
    const entry = byChannel.get(row.channel) ?? { channel: row.channel, pending: 0, failed: 0 };
    if (row.status === 'pending') entry.pending += row.n;
    else entry.failed += row.n;
    byChannel.set(row.channel, entry);
  }

  return {
    today,
    byState,
    byCategory,
    byUnit,
    weekly,
    overdue: overdueRows.map(late),
    listed: listedRows.map(late),
    quarters,
    heat,
    shiftDays,
    outbox: [...byChannel.values()],
  };
}
