// The office dashboard (/console/dashboard): hazards by state, category, unit and week; overdue and
// 挂牌督办 hazards; obligations per unit and quarter; shift confirmations; the outbox. The rows come from
// db/queries/dashboard.ts; the buckets by local date in the tenant's time zone and the labels are here.

import type { Queryable } from '../db/client.ts';
import {
  hazardsPerCategory,
  hazardsPerStatus,
  hazardsPerUnit,
  hazardsReportedSince,
  listedOpenHazards,
  outboxBacklog,
  overdueHazards,
  periodOutcomes,
  shiftSlotsPerDay,
  tenantKind,
} from '../db/queries/dashboard.ts';
import { tenantUnits } from '../db/queries/units.ts';
import { isoDateIn, startOfDayIn } from './calendar.ts';
import { HAZARD_STATUSES, type HazardStatus } from './hazard-workflow.ts';
import { wholeWord } from './obligation-kinds.ts';
import { addDays } from './shift-rules.ts';

/** The states of a hazard, in the order the dashboard shows them. */
export const HAZARD_STATES = HAZARD_STATUSES;
export type HazardState = HazardStatus;
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
  const states = await hazardsPerStatus(db, tenantId);
  const byState = Object.fromEntries(HAZARD_STATES.map((s) => [s, 0])) as Record<HazardState, number>;
  for (const row of states) byState[row.status] = row.n;

  const cats = await hazardsPerCategory(db, tenantId);
  const byCategory = cats.map((row) => ({ label: row.category ?? '未分类', value: row.value }));

  const perUnit = await hazardsPerUnit(db, tenantId);
  const byUnit = perUnit
    .map((row) => ({ label: row.unit ?? '未分派', open: row.open, closed: row.closed }))
    .filter((row) => row.open + row.closed > 0);

  // Reports per week: the 12 weeks ending with the current one.
  const firstMonday = addDays(mondayOf(today), -7 * (DASHBOARD_WEEKS - 1));
  const created = await hazardsReportedSince(db, tenantId, startOfDayIn(firstMonday, timeZone));
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
  const overdueRows = await overdueHazards(db, tenantId, now);
  const listedRows = await listedOpenHazards(db, tenantId);

  // Obligations met/missed per unit, by the quarter in which each period ended.
  const quarters: string[] = [quarterOf(today)];
  while (quarters.length < DASHBOARD_QUARTERS) quarters.unshift(previousQuarter(quarters[0]!));
  const firstQuarterStart = `${quarters[0]!.slice(0, 4)}-${String((Number(quarters[0]!.slice(5)) - 1) * 3 + 1).padStart(2, '0')}-01`;
  const periodRows = await periodOutcomes(db, tenantId, firstQuarterStart, today);
  const unitNames = await tenantUnits(db, tenantId);
  const kind = await tenantKind(db, tenantId);
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
    const cell = rowOf(row.scope === 'school' ? wholeWord(kind ?? 'school') : (row.unit ?? '校级领导'))[
      index
    ]!;
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
  const shiftRows = await shiftSlotsPerDay(db, tenantId, firstDay, today);
  const shiftDays: ShiftDay[] = Array.from({ length: DASHBOARD_DAYS }, (_, i) => {
    const date = addDays(firstDay, i);
    const row = shiftRows.find((r) => r.date === date);
    return { date, confirmed: row?.confirmed ?? 0, unconfirmed: row ? row.all - row.confirmed : 0 };
  });

  const outboxRows = await outboxBacklog(db, tenantId);
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
