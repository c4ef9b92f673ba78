// The Chinese working-day calendar behind deadlines such as "a written report within 20 working days"
// (003 §五.3) and "rectify within N working days": statutory holidays and make-up workdays (调休) count.
//
// Holiday data comes from the `chinese-days` package's static JSON, not from its functions: those build
// their tables at load time with the process's local time zone, which shifts every date by one day in
// zones west of UTC. The JSON is fixed and agrees with the functions when the process runs in UTC or
// in Asia/Shanghai.
import packageData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** A plain calendar date in the tenant's time zone: `YYYY-MM-DD`. */
export type IsoDate = string;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number since 1970-01-01, or undefined when `value` is not a real `YYYY-MM-DD` date. */
function dayNumber(value: string): number | undefined {
  const match = ISO_DATE.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

function requireDay(value: IsoDate): number {
  const day = dayNumber(value);
  if (day === undefined) throw new RangeError(`"${value}" is not a real date in YYYY-MM-DD form`);
  return day;
}

const fromDayNumber = (day: number): IsoDate => new Date(day * DAY_MS).toISOString().slice(0, 10);
const yearOf = (date: IsoDate): number => Number(date.slice(0, 4));

/** Whether `value` is a real date written `YYYY-MM-DD` (so `2027-02-30` is not). */
export function isIsoDate(value: string): value is IsoDate {
  return dayNumber(value) !== undefined;
}

// ---------------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached wall-clock formatter of a zone (creating one costs ~70 µs; using one ~5 µs). */
export function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The date and time on a wall clock in the zone at an instant, as numbers. */
export function wallClock(instant: Date, timeZone: string) {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((part) => part.type === type)?.value ?? Number.NaN);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The zone's offset from UTC at `instant`, in milliseconds (Asia/Shanghai: +8 h). */
export function offsetMs(instant: number, timeZone: string): number {
  const wall = wallClock(new Date(instant), timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The local calendar date of `instant` in `timeZone`. */
export function isoDateIn(instant: Date, timeZone: string): IsoDate {
  const wall = wallClock(instant, timeZone);
  return `${String(wall.year).padStart(4, '0')}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
}

/** The first instant of the local day `date` in `timeZone` (local midnight, or the end of a DST gap). */
export function startOfDayIn(date: IsoDate, timeZone: string): Date {
  const utcMidnight = requireDay(date) * DAY_MS;
  // Local midnight lies within ±14 h of UTC midnight; the offsets in force at both ends of that window
  // cover a DST change on either side of it. Every candidate that falls on `date` is at or after the
  // start of the day, and the true start is one of them, so the earliest one is the answer.
  const offsets = new Set([
    offsetMs(utcMidnight - 14 * 3_600_000, timeZone),
    offsetMs(utcMidnight, timeZone),
    offsetMs(utcMidnight + 14 * 3_600_000, timeZone),
  ]);
  const candidates = [...offsets]
    .map((offset) => utcMidnight - offset)
    .filter((instant) => isoDateIn(new Date(instant), timeZone) === date);
  if (candidates.length === 0) throw new RangeError(`cannot find the start of ${date} in ${timeZone}`);
  return new Date(Math.min(...candidates));
}

/** The last instant (millisecond) of the local day `date` in `timeZone`: next local midnight − 1 ms. */
export function endOfDayIn(date: IsoDate, timeZone: string): Date {
  const next = fromDayNumber(requireDay(date) + 1);
  return new Date(startOfDayIn(next, timeZone).getTime() - 1);
}

// ---------------------------------------------------------------------------------------------------
// The calendar

/** A tenant's own schedule (e.g. next year's State Council notice, loaded before the package has it). */
export interface CalendarOverride {
  holidays: IsoDate[];
  workdays: IsoDate[];
  /** Years whose full official schedule this override holds; they count as known. */
  covers?: number[];
}

export interface WorkCalendarOptions {
  override?: CalendarOverride;
  /**
   * Called once per year and calendar when a computation needs a year with no holiday data (it is then
   * computed with plain weekends). Defaults to `console.warn` with {@link unknownYearMessage}.
   */
  onUnknownYear?: (year: number) => void;
}

const packageHolidays: Readonly<Record<string, string>> = packageData.holidays;
const packageWorkdays: Readonly<Record<string, string>> = packageData.workdays;

// A year counts as covered when the package has its Spring Festival: every year's State Council
// notice has one, and it always falls inside the Gregorian year, whereas other holidays may spill over
// (the 2008 notice made 2007-12-30/31 holidays).
const PACKAGE_YEARS: readonly number[] = [
  ...new Set(
    Object.entries(packageHolidays)
      .filter(([, name]) => name.includes('春节'))
      .map(([date]) => yearOf(date)),
  ),
].sort((a, b) => a - b);

/** The years for which the `chinese-days` package has official holiday data (2004–2026 in v1.5.7). */
export function packageYears(): readonly number[] {
  return PACKAGE_YEARS;
}

/** The warning shown to users when a deadline is computed without a year's holiday schedule. */
export function unknownYearMessage(years: number | readonly number[]): string {
  const list = typeof years === 'number' ? [years] : [...years].sort((a, b) => a - b);
  return `${list.join('、')}年节假日安排尚未导入，按普通周末计算`;
}

export class WorkCalendar {
  readonly #holidays = new Set<IsoDate>();
  readonly #workdays = new Set<IsoDate>();
  readonly #known: ReadonlySet<number>;
  readonly #warned = new Set<number>();
  readonly #onUnknownYear: (year: number) => void;

  constructor(options: WorkCalendarOptions = {}) {
    const { override } = options;
    for (const date of [...(override?.holidays ?? []), ...(override?.workdays ?? [])]) requireDay(date);
    for (const date of override?.holidays ?? []) this.#holidays.add(date);
    for (const date of override?.workdays ?? []) {
      if (this.#holidays.has(date)) throw new RangeError(`${date} is both a holiday and a workday`);
      this.#workdays.add(date);
    }
    this.#known = new Set([...PACKAGE_YEARS, ...(override?.covers ?? [])]);
    this.#onUnknownYear =
      options.onUnknownYear ?? ((year) => console.warn(`[calendar] ${unknownYearMessage(year)}`));
  }

  /** The years with holiday data (package or override), ascending. */
  get knownYears(): number[] {
    return [...this.#known].sort((a, b) => a - b);
  }

  /** Whether the year of `date` has holiday data (from the package or the override's `covers`). */
  knows(date: IsoDate): boolean {
    requireDay(date);
    return this.#known.has(yearOf(date));
  }

  /** Mon–Fri unless a statutory holiday; Sat/Sun only when a make-up workday (调休上班). */
  isWorkingDay(date: IsoDate): boolean {
    return this.#isWorking(requireDay(date));
  }

  /** The n-th working day after `date` (n ≥ 0; n = 0 gives `date` itself). */
  addWorkingDays(date: IsoDate, n: number): IsoDate {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`working days must be a whole number ≥ 0, not ${n}`);
    let day = requireDay(date);
    for (let left = n; left > 0; ) {
      day += 1;
      if (this.#isWorking(day)) left -= 1;
    }
    return fromDayNumber(day);
  }

  /** `date` plus n calendar days (n may be negative). */
  addCalendarDays(date: IsoDate, n: number): IsoDate {
    if (!Number.isInteger(n)) throw new RangeError(`calendar days must be a whole number, not ${n}`);
    return fromDayNumber(requireDay(date) + n);
  }

  /** The number of working days in (a, b]; negative (the count in (b, a]) when b is before a. */
  workingDaysBetween(a: IsoDate, b: IsoDate): number {
    const from = requireDay(a);
    const to = requireDay(b);
    if (to < from) return -this.workingDaysBetween(b, a);
    let count = 0;
    for (let day = from + 1; day <= to; day++) if (this.#isWorking(day)) count++;
    return count;
  }

  #isWorking(day: number): boolean {
    const date = fromDayNumber(day);
    if (this.#workdays.has(date)) return true;
    if (this.#holidays.has(date)) return false;
    const year = yearOf(date);
    if (!this.#known.has(year) && !this.#warned.has(year)) {
      this.#warned.add(year);
      this.#onUnknownYear(year);
    }
    if (packageWorkdays[date] !== undefined) return true;
    if (packageHolidays[date] !== undefined) return false;
    const weekday = new Date(day * DAY_MS).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }
}

// ---------------------------------------------------------------------------------------------------
// Deadlines

export interface DeadlineSpec {
  days: number;
  unit: 'calendar' | 'working';
}

/**
 * The end (last millisecond) of the local day that is `days` calendar or working days after the local
 * date of `start`; e.g. 20 working days from a 约谈 on a Friday afternoon.
 */
export function deadlineFrom(
  start: Date,
  spec: DeadlineSpec,
  timeZone: string,
  calendar: WorkCalendar,
): Date {
  if (!Number.isInteger(spec.days) || spec.days < 0) {
    throw new RangeError(`deadline days must be a whole number ≥ 0, not ${spec.days}`);
  }
  const from = isoDateIn(start, timeZone);
  const due =
    spec.unit === 'working'
      ? calendar.addWorkingDays(from, spec.days)
      : calendar.addCalendarDays(from, spec.days);
  return endOfDayIn(due, timeZone);
}

// ---------------------------------------------------------------------------------------------------
// Override files

export class CalendarOverrideError extends Error {
  override name = 'CalendarOverrideError';
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`).join('\n'));
  }
}

const dateString = z
  .string({ error: (issue) => `${JSON.stringify(issue.input)} is not a date; write it like 2027-01-01` })
  .superRefine((value, ctx) => {
    if (!ISO_DATE.test(value)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a date in YYYY-MM-DD form` });
    } else if (dayNumber(value) === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a real date` });
    }
  });

const yearEntry = z.strictObject({
  year: z
    .number({
      error: (issue) =>
        issue.input === undefined ? 'is required (e.g. 2027)' : 'must be a year such as 2027',
    })
    .int('must be a whole year')
    .min(2000, 'must be a year from 2000 to 2100')
    .max(2100, 'must be a year from 2000 to 2100'),
  /** Where the schedule comes from (the State Council notice), for the operator's reference. */
  source: z.string().optional(),
  note: z.string().optional(),
  holidays: z.array(dateString, { error: 'must be a list of dates' }).default([]),
  workdays: z.array(dateString, { error: 'must be a list of dates' }).default([]),
});

type YearEntry = z.output<typeof yearEntry>;
type PathPart = string | number;

const formatPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  ) || '(root)';

/**
 * Parses a tenant's holiday override (YAML or JSON): one `{ year, holidays, workdays }` entry or a list
 * of them. Throws CalendarOverrideError naming the file, the path and the reason of every problem.
 */
export function parseCalendarOverride(file: string, source: string): CalendarOverride {
  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new CalendarOverrideError(
      file,
      document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '(yaml)',
        message: (error.message.split('\n')[0] ?? 'YAML syntax error').replace(
          / at line \d+, column \d+:?$/,
          '',
        ),
      })),
    );
  }
  const raw: unknown = document.toJS();
  const listed = Array.isArray(raw);
  const items: unknown[] = listed ? raw : [raw];
  if (raw === null || typeof raw !== 'object' || items.length === 0) {
    throw new CalendarOverrideError(file, [
      {
        path: '(root)',
        message: 'expected { year, holidays, workdays } or a list of such entries',
      },
    ]);
  }

  const problems: { path: string; message: string }[] = [];
  const entries: { entry: YearEntry; prefix: PathPart[] }[] = [];
  items.forEach((item, index) => {
    const prefix: PathPart[] = listed ? [index] : [];
    const parsed = yearEntry.safeParse(item);
    if (parsed.success) entries.push({ entry: parsed.data, prefix });
    else {
      for (const issue of parsed.error.issues) {
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key ${issue.keys.map((key) => `"${key}"`).join(', ')} (allowed: ${Object.keys(yearEntry.shape).join(', ')})`
            : issue.message;
        problems.push({ path: formatPath([...prefix, ...issue.path]), message });
      }
    }
  });

  const years = new Map<number, string>();
  const holidays = new Map<IsoDate, string>();
  for (const { entry, prefix } of entries) {
    const yearPath = formatPath([...prefix, 'year']);
    const earlier = years.get(entry.year);
    if (earlier) problems.push({ path: yearPath, message: `${entry.year} is already given at ${earlier}` });
    years.set(entry.year, yearPath);
    entry.holidays.forEach((date, i) => {
      const path = formatPath([...prefix, 'holidays', i]);
      if (yearOf(date) !== entry.year) {
        problems.push({ path, message: `"${date}" is not in ${entry.year}` });
      }
      if (!holidays.has(date)) holidays.set(date, path);
    });
  }
  const workdays = new Set<IsoDate>();
  for (const { entry, prefix } of entries) {
    entry.workdays.forEach((date, i) => {
      const path = formatPath([...prefix, 'workdays', i]);
      const asHoliday = holidays.get(date);
      if (asHoliday) {
        problems.push({ path, message: `"${date}" is also a holiday (${asHoliday})` });
      }
      // A make-up workday may fall just outside the year (the 2012 notice: 2011-12-31 上班).
      if (Math.abs(yearOf(date) - entry.year) > 1) {
        problems.push({ path, message: `"${date}" is too far from ${entry.year}` });
      }
      workdays.add(date);
    });
  }
  if (problems.length > 0) throw new CalendarOverrideError(file, problems);

  return {
    holidays: [...holidays.keys()].sort(),
    workdays: [...workdays].sort(),
    covers: [...years.keys()].sort((a, b) => a - b),
  };
}
