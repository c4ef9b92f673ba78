// The periods obligations are counted in (DOMAIN §3): calendar weeks, months, quarters, half-years and
// years, and school semesters (default autumn Sep–Jan, spring Feb–Jul; per tenant). Plain dates
// (YYYY-MM-DD) in the tenant's time zone.
import { type IsoDate, isoDateIn } from './calendar.ts';

export type Cadence = 'weekly' | 'monthly' | 'quarterly' | 'semester' | 'half_year' | 'yearly';

export interface Period {
  cadence: Cadence;
  /** Stable key, e.g. 2026-Q4, 2026-11, 2026-W48, 2026-autumn. */
  key: string;
  /** First and last day, inclusive. */
  start: IsoDate;
  end: IsoDate;
  /** How people say it: 2026年第四季度, 2026年11月, 2026-2027学年第一学期… */
  label: string;
}

export interface Semesters {
  /** MM-DD the autumn semester starts and the spring semester starts and ends (autumn ends the day before spring). */
  autumnStart: string;
  springStart: string;
  springEnd: string;
}

export const DEFAULT_SEMESTERS: Semesters = {
  autumnStart: '09-01',
  springStart: '02-01',
  springEnd: '07-31',
};

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const toDate = (date: IsoDate) => new Date(`${date}T00:00:00Z`);
const fromDate = (date: Date) => date.toISOString().slice(0, 10);
export const addDays = (date: IsoDate, days: number) =>
  fromDate(new Date(toDate(date).getTime() + days * 86_400_000));
const QUARTER_NAMES = ['一', '二', '三', '四'];

/** The period of a cadence a date falls in; undefined for a semester cadence between semesters. */
export function periodOf(
  date: IsoDate,
  cadence: Cadence,
  semesters: Semesters = DEFAULT_SEMESTERS,
): Period | undefined {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  switch (cadence) {
    case 'weekly': {
      // ISO weeks: Monday to Sunday; the week belongs to the year of its Thursday.
      const day = toDate(date).getUTCDay() || 7;
      const start = addDays(date, 1 - day);
      const thursday = toDate(addDays(start, 3));
      const year = thursday.getUTCFullYear();
      const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
      return {
        cadence,
        key: `${year}-W${pad(week)}`,
        start,
        end: addDays(start, 6),
        label: `${year}年第${week}周`,
      };
    }
    case 'monthly':
      return {
        cadence,
        key: `${y}-${pad(m)}`,
        start: iso(y, m, 1),
        end: iso(y, m, lastDay(y, m)),
        label: `${y}年${m}月`,
      };
    case 'quarterly': {
      const q = Math.ceil(m / 3);
      const first = (q - 1) * 3 + 1;
      return {
        cadence,
        key: `${y}-Q${q}`,
        start: iso(y, first, 1),
        end: iso(y, first + 2, lastDay(y, first + 2)),
        label: `${y}年第${QUARTER_NAMES[q - 1]}季度`,
      };
    }
    case 'half_year': {
      const h = m <= 6 ? 1 : 2;
      return {
        cadence,
        key: `${y}-H${h}`,
        start: iso(y, h === 1 ? 1 : 7, 1),
        end: h === 1 ? iso(y, 6, 30) : iso(y, 12, 31),
        label: `${y}年${h === 1 ? '上' : '下'}半年`,
      };
    }
    case 'yearly':
      return { cadence, key: `${y}`, start: iso(y, 1, 1), end: iso(y, 12, 31), label: `${y}年` };
    case 'semester': {
      const md = date.slice(5);
      const { autumnStart, springStart, springEnd } = semesters;
      if (md >= springStart && md <= springEnd) {
        return {
          cadence,
          key: `${y}-spring`,
          start: `${y}-${springStart}`,
          end: `${y}-${springEnd}`,
          label: `${y - 1}-${y}学年第二学期`,
        };
      }
      const autumnYear = md >= autumnStart ? y : md < springStart ? y - 1 : undefined;
      if (autumnYear === undefined) return undefined;
      return {
        cadence,
        key: `${autumnYear}-autumn`,
        start: `${autumnYear}-${autumnStart}`,
        end: addDays(`${autumnYear + 1}-${springStart}`, -1),
        label: `${autumnYear}-${autumnYear + 1}学年第一学期`,
      };
    }
  }
}

/** The period right before the one containing `date` (for "the period just closed"). */
export function previousPeriod(date: IsoDate, cadence: Cadence, semesters: Semesters = DEFAULT_SEMESTERS) {
  const current = periodOf(date, cadence, semesters);
  if (current) return periodOf(addDays(current.start, -1), cadence, semesters);
  // Between semesters: the last one ended before today; walk back to it.
  for (let back = 1; back <= 62; back++) {
    const period = periodOf(addDays(date, -back), cadence, semesters);
    if (period) return period;
  }
  return undefined;
}

export const CADENCE_LABEL: Record<Cadence, string> = {
  weekly: '每周',
  monthly: '每月',
  quarterly: '每季度',
  semester: '每学期',
  half_year: '每半年',
  yearly: '每年',
};

/**
 * The moments a holder's obligation can first be met (issue 15 §2): the organization loaded, the post
 * created, the obligation added, the holder taking the post. The latest of them counts.
 */
export interface StartMoments {
  loaded: Date;
  post: Date;
  obligation: Date;
  holder: Date;
}

const START_LABEL: Record<keyof StartMoments, string> = {
  loaded: '组织导入',
  post: '岗位设立',
  obligation: '该项职责设立',
  holder: '本人到任',
};

/** The local date an obligation starts for a holder, and what started it (the earliest-named on a tie). */
export function obligationStart(moments: StartMoments, timeZone: string) {
  let start: { date: IsoDate; why: keyof StartMoments } | undefined;
  for (const why of Object.keys(START_LABEL) as (keyof StartMoments)[]) {
    const date = isoDateIn(moments[why], timeZone);
    if (!start || date > start.date) start = { date, why };
  }
  return start!;
}

export type Assessment = { kind: 'none' } | { kind: 'assessed' } | { kind: 'exempt'; reason: string };

const dayCount = (from: IsoDate, to: IsoDate) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;

/**
 * How a period counts for a holder whose obligation started on `start`: a period that ended before is
 * not theirs at all; one already running is assessed only if at least half of it remained (不考核
 * otherwise, with the reason); one that began later is assessed in full.
 */
export function assessmentOf(period: Period, start: ReturnType<typeof obligationStart>): Assessment {
  if (period.end < start.date) return { kind: 'none' };
  if (start.date <= period.start) return { kind: 'assessed' };
  const total = dayCount(period.start, period.end);
  const left = dayCount(start.date, period.end);
  if (left * 2 >= total) return { kind: 'assessed' };
  return {
    kind: 'exempt',
    reason: `${start.date}${START_LABEL[start.why]}时本期已过半（仅余 ${left}/${total} 天），不考核`,
  };
}
