// Business dates are shown and computed in the tenant's time zone (DESIGN.md §4).
import { formatter } from './calendar.ts';

function parts(date: Date, timeZone: string) {
  const formatted = formatter(timeZone).formatToParts(date);
  const get = (type: string) => formatted.find((part) => part.type === type)?.value ?? '';
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
  };
}

/** 2026-03-05 14:07 in the given zone. */
export function formatDateTime(date: Date, timeZone: string): string {
  const p = parts(date, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function yearIn(date: Date, timeZone: string): number {
  return Number(parts(date, timeZone).year);
}

export interface ZonedFormatter {
  /** `2026-03-05 14:07`, as formatDateTime writes it. */
  dateTime(date: Date): string;
  /** `2026-03-05`. */
  date(date: Date): string;
}

const QUARTER_HOUR = 15 * 60_000;

/**
 * Formats instants in a zone, fast enough for hundreds of thousands of timestamps: the zone's offset is
 * looked up once per quarter hour of UTC (Intl is ~5 µs a call, ~70 µs with a new formatter) and reused
 * when it is the same at both ends of that quarter hour; inside a quarter hour with a transition, each
 * instant is looked up on its own. The result is the same as formatDateTime's.
 */
export function zonedFormatter(timeZone: string): ZonedFormatter {
  const format = formatter(timeZone);
  const offsetAt = (instant: number): number => {
    const parts = format.formatToParts(new Date(instant));
    const get = (type: Intl.DateTimeFormatPartTypes) =>
      Number(parts.find((part) => part.type === type)?.value ?? Number.NaN);
    const wall = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    return wall - Math.floor(instant / 1000) * 1000;
  };
  /** Quarter hour → its offset, or NaN when the offset changes inside it. */
  const offsets = new Map<number, number>();
  const offsetOf = (instant: number): number => {
    const quarter = Math.floor(instant / QUARTER_HOUR);
    let offset = offsets.get(quarter);
    if (offset === undefined) {
      const start = offsetAt(quarter * QUARTER_HOUR);
      offset = start === offsetAt((quarter + 1) * QUARTER_HOUR - 1) ? start : Number.NaN;
      offsets.set(quarter, offset);
    }
    return Number.isNaN(offset) ? offsetAt(instant) : offset;
  };
  const pad = (value: number) => String(value).padStart(2, '0');
  const local = (date: Date) => new Date(date.getTime() + offsetOf(date.getTime()));
  const ymd = (wall: Date) =>
    `${String(wall.getUTCFullYear()).padStart(4, '0')}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  return {
    dateTime(date) {
      const wall = local(date);
      return `${ymd(wall)} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
    },
    date: (date) => ymd(local(date)),
  };
}
