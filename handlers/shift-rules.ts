// The pure rules of duty shifts (值班带班, DOMAIN §5): timing policy, local wall-clock times, and the words
// people use to name a shift ("12-03", "明天", "夜班"). No database here.

import { type IsoDate, isIsoDate, isoDateIn } from './calendar.ts';
import { tenantSettings } from './settings.ts';
import { formatDateTime } from './time.ts';

export type { IsoDate };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** `date` plus n calendar days. */
export function addDays(date: IsoDate, n: number): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export interface ShiftPolicy {
  /** How long before the start each person on duty gets the card with 确认到岗. */
  leadMs: number;
  /** No confirmation by start + grace → the 带班领导; by start + 2 × grace → the office. */
  graceMs: number;
}

/** How long after its end a shift still takes its handover note (交班). */
export const HANDOVER_AFTER_MS = 2 * 3_600_000;

/** The tenant's shift policy (settings `shift_lead_minutes`, `shift_grace_minutes`). */
export function shiftPolicy(settings: unknown): ShiftPolicy {
  const { shift_lead_minutes: lead, shift_grace_minutes: grace } = tenantSettings(settings);
  return { leadMs: lead * MINUTE_MS, graceMs: grace * MINUTE_MS };
}

export const shiftSubject = (shiftId: number) => `shift:${shiftId}`;

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** 星期二 for 2026-12-01. */
export function weekdayOf(date: IsoDate): string {
  return `星期${WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]}`;
}

/** The weekday index (0 = Sunday) a Chinese weekday word names: 周二, 星期日, 礼拜天. */
export function weekdayIndex(word: string): number | undefined {
  const match = /^(?:星期|周|礼拜)([日天一二三四五六])$/.exec(word);
  if (!match) return undefined;
  return match[1] === '天' ? 0 : WEEKDAYS.indexOf(match[1]!);
}

/**
 * The instant of a local wall-clock time: `minutes` after local midnight of `date` (may pass 24 h, e.g.
 * 08:00 the next day is 32 × 60). Correct in any zone, DST included (a time in a DST gap moves forward).
 */
export function localInstant(date: IsoDate, minutes: number, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const wanted = Date.UTC(year, month - 1, day, 0, minutes);
  const wallOf = (instant: number) => {
    const text = formatDateTime(new Date(instant), timeZone); // YYYY-MM-DD HH:mm
    return Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(5, 7)) - 1,
      Number(text.slice(8, 10)),
      Number(text.slice(11, 13)),
      Number(text.slice(14, 16)),
    );
  };
  let instant = wanted;
  for (let i = 0; i < 3; i++) {
    const drift = wanted - wallOf(instant);
    if (drift === 0) break;
    instant += drift;
  }
  return new Date(instant);
}

/** `20:00–次日 08:00`, or with the dates when the shift is not on `date` (e.g. `12-01 20:00–12-02 08:00`). */
export function formatShiftTime(
  shift: { date: string; startsAt: Date; endsAt: Date },
  timeZone: string,
): string {
  const start = formatDateTime(shift.startsAt, timeZone);
  const end = formatDateTime(shift.endsAt, timeZone);
  const startDate = start.slice(0, 10);
  const endDate = end.slice(0, 10);
  if (startDate === shift.date) {
    if (endDate === startDate) return `${start.slice(11)}–${end.slice(11)}`;
    if (endDate === addDays(startDate, 1)) return `${start.slice(11)}–次日 ${end.slice(11)}`;
  }
  return `${start.slice(5)}–${end.slice(5)}`;
}

/** `2026-12-01（星期二）夜班` — how a shift is named in messages. */
export const shiftLabel = (shift: { date: string; name: string }) =>
  `${shift.date}（${weekdayOf(shift.date)}）${shift.name}`;

/**
 * A day named in a chat command: 今天, 明天, 后天, 2026-12-03, 12-03, 12/3, 12月3日, 3日/3号 (this month or
 * the next), 周三 / 星期三 (the next one, today included). Dates without a year are the next such date.
 */
export function parseDayWord(word: string, timeZone: string, now: Date): IsoDate | undefined {
  const today = isoDateIn(now, timeZone);
  const text = word.trim();
  const relative: Record<string, number> = { 今天: 0, 今日: 0, 明天: 1, 明日: 1, 后天: 2 };
  // Own words only: `toString` is in every object.
  if (Object.hasOwn(relative, text)) return addDays(today, relative[text]!);
  const pad = (n: string) => n.padStart(2, '0');
  const full = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$/.exec(text);
  if (full) {
    const iso = `${full[1]}-${pad(full[2]!)}-${pad(full[3]!)}`;
    return isIsoDate(iso) ? iso : undefined;
  }
  const year = Number(today.slice(0, 4));
  const short = /^(\d{1,2})[-/.月](\d{1,2})[日号]?$/.exec(text);
  if (short) {
    const candidate = `${year}-${pad(short[1]!)}-${pad(short[2]!)}`;
    const next = `${year + 1}-${pad(short[1]!)}-${pad(short[2]!)}`;
    if (isIsoDate(candidate) && candidate >= today) return candidate;
    return isIsoDate(next) ? next : undefined;
  }
  const dayOnly = /^(\d{1,2})[日号]$/.exec(text);
  if (dayOnly) {
    const [y, m] = today.split('-').map(Number) as [number, number];
    for (let ahead = 0; ahead < 3; ahead++) {
      const month = ((m - 1 + ahead) % 12) + 1;
      const candidate = `${y + Math.floor((m - 1 + ahead) / 12)}-${pad(String(month))}-${pad(dayOnly[1]!)}`;
      if (isIsoDate(candidate) && candidate >= today) return candidate;
    }
    return undefined;
  }
  const weekday = weekdayIndex(text);
  if (weekday !== undefined) {
    const todayIndex = new Date(`${today}T00:00:00Z`).getUTCDay();
    return addDays(today, (weekday - todayIndex + 7) % 7);
  }
  return undefined;
}
