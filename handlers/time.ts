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
