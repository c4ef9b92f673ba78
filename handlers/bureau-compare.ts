// The bureau's comparison of its schools (/console/bureau, issue 19 §2): open, overdue and 挂牌督办 hazards
// now, and this year's 履职达标率, 责任书签订率 and 到岗确认率, one row per school. Each measure is one
// query over all the bureau's schools (db/queries/bureau.ts), by the counting rules of a school's own
// dashboard and reports; the rates, the window and the order are decided here.

import type { Queryable } from '../db/client.ts';
import {
  hazardStandingPerSchool,
  lettersPerSchool,
  periodOutcomesPerSchool,
  shiftSlotsPerSchool,
} from '../db/queries/bureau.ts';
import { childTenants } from '../db/queries/tenants.ts';
import { isoDateIn } from './calendar.ts';

export interface SchoolComparison {
  schoolId: number;
  name: string;
  open: number;
  overdue: number;
  listed: number;
  dutiesMet: number;
  dutiesMissed: number;
  lettersIssued: number;
  lettersSigned: number;
  shiftSlots: number;
  shiftConfirmed: number;
}

/** A share as a number for ordering (undefined when there is nothing to divide). */
export const ratio = (part: number, whole: number) => (whole === 0 ? undefined : part / whole);

/** How the table may be ordered; each orders the worst first (most overdue, lowest rate). */
export const COMPARE_ORDERS = {
  overdue: '逾期',
  open: '未销号',
  listed: '挂牌督办',
  duties: '履职达标率',
  letters: '责任书签订率',
  shifts: '到岗确认率',
  name: '学校名称',
} as const;
export type CompareOrder = keyof typeof COMPARE_ORDERS;

export const compareOrderOf = (value: string | undefined): CompareOrder =>
  value !== undefined && Object.hasOwn(COMPARE_ORDERS, value) ? (value as CompareOrder) : 'overdue';

const RATE_OF: Record<'duties' | 'letters' | 'shifts', (row: SchoolComparison) => number | undefined> = {
  duties: (row) => ratio(row.dutiesMet, row.dutiesMet + row.dutiesMissed),
  letters: (row) => ratio(row.lettersSigned, row.lettersIssued),
  shifts: (row) => ratio(row.shiftConfirmed, row.shiftSlots),
};

export function orderSchools(rows: SchoolComparison[], order: CompareOrder): SchoolComparison[] {
  const byName = (a: SchoolComparison, b: SchoolComparison) => a.name.localeCompare(b.name, 'zh-CN');
  const sorted = [...rows];
  if (order === 'name') return sorted.sort(byName);
  if (order === 'overdue' || order === 'open' || order === 'listed') {
    return sorted.sort((a, b) => b[order] - a[order] || b.open - a.open || byName(a, b));
  }
  const rate = RATE_OF[order];
  // Lowest rate first; a school with nothing to rate comes last.
  return sorted.sort((a, b) => (rate(a) ?? 2) - (rate(b) ?? 2) || byName(a, b));
}

export interface BureauComparison {
  today: string;
  /** The first day of the window of the rates (1 January of this year). */
  yearStart: string;
  rows: SchoolComparison[];
}

export async function compareSchools(
  db: Queryable,
  bureau: { id: number; timezone: string },
  now: Date,
  order: CompareOrder = 'overdue',
): Promise<BureauComparison> {
  const today = isoDateIn(now, bureau.timezone);
  const year = Number(today.slice(0, 4));
  const yearStart = `${year}-01-01`;
  // Independent reads: on PostgreSQL they run side by side on the pool's connections.
  const [schools, standing, duties, letters, slots] = await Promise.all([
    childTenants(db, bureau.id),
    hazardStandingPerSchool(db, bureau.id, now),
    periodOutcomesPerSchool(db, bureau.id, yearStart, today),
    lettersPerSchool(db, bureau.id, year),
    shiftSlotsPerSchool(db, bureau.id, yearStart, today, now),
  ]);
  const of = <T extends { schoolId: number }>(rows: T[], id: number) =>
    rows.find((row) => row.schoolId === id);
  const rows = schools.map((school): SchoolComparison => {
    const hazards = of(standing, school.id);
    const periods = of(duties, school.id);
    const signed = of(letters, school.id);
    const shift = of(slots, school.id);
    return {
      schoolId: school.id,
      name: school.name,
      open: hazards?.open ?? 0,
      overdue: hazards?.overdue ?? 0,
      listed: hazards?.listed ?? 0,
      dutiesMet: periods?.met ?? 0,
      dutiesMissed: periods?.missed ?? 0,
      lettersIssued: signed?.issued ?? 0,
      lettersSigned: signed?.signed ?? 0,
      shiftSlots: shift?.slots ?? 0,
      shiftConfirmed: shift?.confirmed ?? 0,
    };
  });
  return { today, yearStart, rows: orderSchools(rows, order) };
}
