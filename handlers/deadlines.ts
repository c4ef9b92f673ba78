// Deadlines as a tenant computes them: its working-day calendar (package data plus the tenant's own
// override for years the package does not know yet) and dates typed by people.
import {
  type CalendarOverride,
  type DeadlineSpec,
  deadlineFrom,
  endOfDayIn,
  isIsoDate,
  isoDateIn,
  unknownYearMessage,
  WorkCalendar,
} from './calendar.ts';
import type { TenantSettings } from './settings.ts';

export { deadlineFrom };

const calendars = new Map<string, WorkCalendar>();
/** Years a computation needed without holiday data; shown to the office (and logged) by the callers. */
export const unknownYears = new Set<number>();

/** The working-day calendar of a tenant; instances are shared per distinct override. */
export function workCalendar(override?: CalendarOverride): WorkCalendar {
  const key = JSON.stringify(override ?? null);
  let calendar = calendars.get(key);
  if (!calendar) {
    calendar = new WorkCalendar({
      override,
      onUnknownYear: (year) => {
        unknownYears.add(year);
        process.emitWarning(unknownYearMessage(year), 'WorkCalendarWarning');
      },
    });
    calendars.set(key, calendar);
  }
  return calendar;
}

/**
 * A date typed in a chat — 2026-12-31, 2026/12/31, 12-31, 12月31日 — as the end of that local day.
 * A month and day without a year mean the next such day from now.
 */
export function parseDateInput(value: string, timeZone: string, now: Date): Date | undefined {
  const text = value.trim().replace(/[号日]$/, '');
  const full = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})$/.exec(text);
  const short = /^(\d{1,2})[-/.月](\d{1,2})$/.exec(text);
  const pad = (n: string) => n.padStart(2, '0');
  let iso: string | undefined;
  if (full) iso = `${full[1]}-${pad(full[2]!)}-${pad(full[3]!)}`;
  else if (short) {
    const today = isoDateIn(now, timeZone);
    const year = Number(today.slice(0, 4));
    const candidate = `${year}-${pad(short[1]!)}-${pad(short[2]!)}`;
    iso = candidate >= today ? candidate : `${year + 1}-${pad(short[1]!)}-${pad(short[2]!)}`;
  }
  if (!iso || !isIsoDate(iso)) return undefined;
  // The last day of year 9999 has no next day in YYYY-MM-DD to end at: no deadline that far is meant.
  if (iso === '9999-12-31') return undefined;
  return endOfDayIn(iso, timeZone);
}

/**
 * Why a typed deadline is refused when its day is already over (`截止日期 2026-11-23 已过：不能早于今天
 * （2026-11-24）。`), or undefined: a deadline past when set would only set off the escalation at once.
 */
export function pastDeadline(what: string, deadline: Date, now: Date, timeZone: string): string | undefined {
  if (deadline >= now) return undefined;
  return `${what} ${isoDateIn(deadline, timeZone)} 已过：不能早于今天（${isoDateIn(now, timeZone)}）。`;
}

/**
 * The years a deadline set today could reach (the longest of the tenant's hazard deadlines and the 20
 * working days of a written report) that have no holiday schedule yet: deadlines in them are estimates.
 */
export function missingHolidayYears(settings: TenantSettings, now: Date, timeZone: string): number[] {
  const calendar = new WorkCalendar({ override: settings.calendar, onUnknownYear: () => {} });
  const today = isoDateIn(now, timeZone);
  const specs: DeadlineSpec[] = [...Object.values(settings.hazard_deadlines), { days: 20, unit: 'working' }];
  const last = specs
    .map((spec) =>
      spec.unit === 'working'
        ? calendar.addWorkingDays(today, spec.days)
        : calendar.addCalendarDays(today, spec.days),
    )
    .sort()
    .at(-1)!;
  const missing: number[] = [];
  for (let year = Number(today.slice(0, 4)); year <= Number(last.slice(0, 4)); year++) {
    if (!calendar.knows(`${year}-01-01`)) missing.push(year);
  }
  return missing;
}

/**
 * What the office is told (dashboard, its 我的职责) while a year that deadlines set today may reach has no
 * holiday schedule; undefined when every such year is covered.
 */
export function holidayGap(settings: TenantSettings, now: Date, timeZone: string): string | undefined {
  const missing = missingHolidayYears(settings, now, timeZone);
  if (missing.length === 0) return undefined;
  return `${unknownYearMessage(missing)}，涉及的期限标注“（估算）”。请在控制台“节假日”页（或 npm run calendar:import）导入国务院办公厅的放假通知。`;
}

/**
 * A deadline computed by the tenant's calendar, and whether it is an estimate: counted in working days
 * through a year that has no holiday schedule yet, so plain weekends were counted (issue 15 §6).
 */
export function computeDeadline(
  start: Date,
  spec: DeadlineSpec,
  timeZone: string,
  calendar: WorkCalendar,
): { at: Date; estimated: boolean } {
  const at = deadlineFrom(start, spec, timeZone, calendar);
  const first = Number(isoDateIn(start, timeZone).slice(0, 4));
  const last = Number(isoDateIn(at, timeZone).slice(0, 4));
  let estimated = false;
  if (spec.unit === 'working') {
    for (let year = first; year <= last; year++) if (!calendar.knows(`${year}-01-01`)) estimated = true;
  }
  return { at, estimated };
}

/** A deadline's text, marked （估算） when it was computed without the holiday schedule of its year. */
export function withEstimate<T extends string | undefined>(text: T, estimated: boolean | undefined): T {
  return (text !== undefined && estimated ? `${text}（估算）` : text) as T;
}
