import { readFileSync } from 'node:fs';
import cd from 'chinese-days';
import { describe, expect, it, vi } from 'vitest';
import {
  type CalendarOverride,
  CalendarOverrideError,
  deadlineFrom,
  endOfDayIn,
  isIsoDate,
  isoDateIn,
  packageYears,
  parseCalendarOverride,
  startOfDayIn,
  unknownYearMessage,
  WorkCalendar,
} from '../handlers/calendar.ts';

const SH = 'Asia/Shanghai';
const example = readFileSync(new URL('../examples/calendar-2027.yaml', import.meta.url), 'utf8');

/** A calendar that records the unknown years it was asked about instead of warning on the console. */
function calendar(override?: CalendarOverride) {
  const onUnknownYear = vi.fn<(year: number) => void>();
  return { cal: new WorkCalendar({ override, onUnknownYear }), onUnknownYear };
}

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function overrideError(source: string, file = 'cal.yaml'): CalendarOverrideError {
  try {
    parseCalendarOverride(file, source);
  } catch (error) {
    if (error instanceof CalendarOverrideError) return error;
    throw error;
  }
  throw new Error('expected a CalendarOverrideError');
}

describe('package data', () => {
  it('covers 2004 to 2026 and nothing later', () => {
    const years = packageYears();
    expect(years[0]).toBe(2004);
    expect(years.at(-1)).toBe(2026);
    expect(years).toHaveLength(2026 - 2004 + 1);
    expect(new WorkCalendar({ onUnknownYear: () => {} }).knows('2027-01-01')).toBe(false);
  });

  // The package's own functions shift dates by a day when the process runs west of UTC; in UTC and
  // east of it they must agree with the calendar day for day.
  it.skipIf(new Date(2025, 0, 1).getTimezoneOffset() > 0)('agrees with chinese-days for 2004–2026', () => {
    const { cal, onUnknownYear } = calendar();
    const mismatches = days('2004-01-01', '2026-12-31').filter(
      (date) => cal.isWorkingDay(date) !== cd.isWorkday(date),
    );
    expect(mismatches).toEqual([]);
    expect(onUnknownYear).not.toHaveBeenCalled();
  });
});

describe('2025 National Day and Mid-Autumn (国办发明电〔2024〕12号)', () => {
  const { cal } = calendar();

  it('has 10月1日至8日 off and 9月28日（周日）、10月11日（周六） as make-up workdays', () => {
    for (const date of days('2025-10-01', '2025-10-08')) expect(cal.isWorkingDay(date), date).toBe(false);
    expect(cal.isWorkingDay('2025-09-28')).toBe(true);
    expect(cal.isWorkingDay('2025-10-11')).toBe(true);
    expect(cal.isWorkingDay('2025-09-27')).toBe(false);
    expect(cal.isWorkingDay('2025-10-09')).toBe(true);
    expect(cal.isWorkingDay('2025-10-12')).toBe(false);
  });

  it('counts 20 working days across the holiday (003 §五.3)', () => {
    // 9-28, 9-29, 9-30, then 10-9, 10-10, 10-11 (Sat), 10-13…17, 10-20…24, 10-27…30.
    expect(cal.addWorkingDays('2025-09-26', 20)).toBe('2025-10-30');
    expect(cal.workingDaysBetween('2025-09-26', '2025-10-30')).toBe(20);
    expect(cal.workingDaysBetween('2025-09-30', '2025-10-08')).toBe(0);
  });

  it('gives the end of the 20th working day in Beijing time as the deadline', () => {
    // 01:00 on Friday 26 September in Beijing is still the 25th in UTC: the local date counts.
    const start = new Date('2025-09-25T17:00:00Z');
    expect(deadlineFrom(start, { days: 20, unit: 'working' }, SH, cal).toISOString()).toBe(
      '2025-10-30T15:59:59.999Z',
    );
  });
});

describe('2026 Spring Festival (2月15日至23日, 2月14日、28日上班)', () => {
  const { cal } = calendar();

  it('has the nine days off and the two make-up Saturdays', () => {
    for (const date of days('2026-02-15', '2026-02-23')) expect(cal.isWorkingDay(date), date).toBe(false);
    expect(cal.isWorkingDay('2026-02-13')).toBe(true);
    expect(cal.isWorkingDay('2026-02-14')).toBe(true);
    expect(cal.isWorkingDay('2026-02-24')).toBe(true);
    expect(cal.isWorkingDay('2026-02-28')).toBe(true);
    expect(cal.isWorkingDay('2026-03-01')).toBe(false);
  });

  it('counts a make-up Saturday as a working day', () => {
    expect(cal.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(cal.addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
    expect(cal.workingDaysBetween('2026-02-13', '2026-02-28')).toBe(6);
    expect(cal.workingDaysBetween('2026-02-28', '2026-02-13')).toBe(-6);
  });

  it('adds calendar days straight through the holiday', () => {
    expect(cal.addCalendarDays('2026-02-13', 10)).toBe('2026-02-23');
    expect(cal.addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
    const start = new Date('2026-02-13T02:00:00Z');
    expect(deadlineFrom(start, { days: 10, unit: 'calendar' }, SH, cal).toISOString()).toBe(
      '2026-02-23T15:59:59.999Z',
    );
  });
});

describe('working days', () => {
  const { cal } = calendar();

  it('steps over a plain weekend', () => {
    expect(cal.addWorkingDays('2025-03-07', 1)).toBe('2025-03-10');
    expect(cal.addWorkingDays('2025-03-08', 1)).toBe('2025-03-10');
    expect(cal.addWorkingDays('2025-03-07', 5)).toBe('2025-03-14');
    expect(cal.workingDaysBetween('2025-03-07', '2025-03-10')).toBe(1);
  });

  it('returns the date itself for zero days and rejects bad input', () => {
    expect(cal.addWorkingDays('2025-03-08', 0)).toBe('2025-03-08');
    expect(() => cal.addWorkingDays('2025-03-07', -1)).toThrow(RangeError);
    expect(() => cal.addWorkingDays('2025-03-07', 1.5)).toThrow(RangeError);
    expect(() => cal.isWorkingDay('2025-02-29')).toThrow('"2025-02-29" is not a real date');
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-2-1')).toBe(false);
  });

  it('lets a tenant override win over the package', () => {
    const { cal: custom } = calendar({ holidays: ['2026-03-02'], workdays: ['2026-02-15'] });
    expect(custom.isWorkingDay('2026-03-02')).toBe(false);
    expect(custom.isWorkingDay('2026-02-15')).toBe(true);
    expect(custom.isWorkingDay('2026-02-16')).toBe(false);
    expect(
      () => new WorkCalendar({ override: { holidays: ['2026-03-02'], workdays: ['2026-03-02'] } }),
    ).toThrow('2026-03-02 is both a holiday and a workday');
  });
});

describe('years without holiday data', () => {
  it('warns once per year and uses plain weekends for 2027', () => {
    const { cal, onUnknownYear } = calendar();
    // 12-31 (Thu), then 2027-01-01 (Fri) counts as a plain working day.
    expect(cal.addWorkingDays('2026-12-30', 5)).toBe('2027-01-06');
    expect(onUnknownYear).toHaveBeenCalledTimes(1);
    expect(onUnknownYear).toHaveBeenCalledWith(2027);
    expect(cal.isWorkingDay('2027-02-08')).toBe(true);
    expect(cal.isWorkingDay('2027-02-06')).toBe(false);
    expect(cal.knows('2027-02-08')).toBe(false);
    expect(onUnknownYear).toHaveBeenCalledTimes(1);
    cal.workingDaysBetween('2027-12-30', '2028-01-05');
    expect(onUnknownYear.mock.calls).toEqual([[2027], [2028]]);
  });

  it('does not warn for calendar days or known years', () => {
    const { cal, onUnknownYear } = calendar();
    cal.addCalendarDays('2026-12-30', 400);
    cal.addWorkingDays('2026-01-05', 100);
    expect(onUnknownYear).not.toHaveBeenCalled();
  });

  it('warns on the console when no callback is given', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      new WorkCalendar().isWorkingDay('2030-06-03');
      expect(warn).toHaveBeenCalledWith('[calendar] 2030年节假日安排尚未导入，按普通周末计算');
    } finally {
      warn.mockRestore();
    }
  });

  it('builds the Chinese warning', () => {
    expect(unknownYearMessage(2027)).toBe('2027年节假日安排尚未导入，按普通周末计算');
    expect(unknownYearMessage([2028, 2027])).toBe('2027、2028年节假日安排尚未导入，按普通周末计算');
  });

  it('respects the example 2027 override without warning', () => {
    const override = parseCalendarOverride('examples/calendar-2027.yaml', example);
    expect(override.covers).toEqual([2027]);
    const { cal, onUnknownYear } = calendar(override);
    expect(cal.knows('2027-06-01')).toBe(true);
    expect(cal.knownYears.at(-1)).toBe(2027);
    // 12-31, then 1月1日至3日 off: 1-4, 1-5, 1-6, 1-7.
    expect(cal.addWorkingDays('2026-12-30', 5)).toBe('2027-01-07');
    for (const date of days('2027-02-05', '2027-02-13')) expect(cal.isWorkingDay(date), date).toBe(false);
    expect(cal.isWorkingDay('2027-01-31')).toBe(true);
    expect(cal.isWorkingDay('2027-02-14')).toBe(true);
    expect(cal.isWorkingDay('2027-10-09')).toBe(true);
    expect(cal.workingDaysBetween('2027-09-30', '2027-10-08')).toBe(1);
    expect(onUnknownYear).not.toHaveBeenCalled();
  });
});

describe('time zones', () => {
  it('takes the local date of an instant', () => {
    expect(isoDateIn(new Date('2026-02-28T16:00:00Z'), SH)).toBe('2026-03-01');
    expect(isoDateIn(new Date('2026-02-28T15:59:59.999Z'), SH)).toBe('2026-02-28');
    expect(isoDateIn(new Date('2026-02-28T16:00:00Z'), 'UTC')).toBe('2026-02-28');
  });

  it('gives the first and last instant of a Beijing day', () => {
    expect(startOfDayIn('2026-03-01', SH).toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(endOfDayIn('2026-03-01', SH).toISOString()).toBe('2026-03-01T15:59:59.999Z');
    expect(endOfDayIn('2026-12-31', SH).toISOString()).toBe('2026-12-31T15:59:59.999Z');
  });

  it('follows daylight saving time in Berlin', () => {
    // 29 March 2026: 02:00 CET → 03:00 CEST, a 23-hour day.
    expect(startOfDayIn('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfDayIn('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-29T21:59:59.999Z');
    // 25 October 2026: 03:00 CEST → 02:00 CET, a 25-hour day.
    expect(startOfDayIn('2026-10-25', 'Europe/Berlin').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(endOfDayIn('2026-10-25', 'Europe/Berlin').toISOString()).toBe('2026-10-25T22:59:59.999Z');
  });

  it('finds the day boundaries in every zone, including DST changes at midnight', () => {
    const zones = [
      SH,
      'Europe/Berlin',
      'America/New_York',
      'America/Santiago', // DST starts at 24:00
      'America/Havana', // DST starts at 00:00
      'Asia/Beirut', // DST starts at 00:00
      'Australia/Lord_Howe', // 30-minute DST
      'Asia/Kolkata',
      'Pacific/Kiritimati', // UTC+14
      'Pacific/Pago_Pago', // UTC−11
    ];
    for (const zone of zones) {
      for (const date of days('2026-01-01', '2026-12-31')) {
        const start = startOfDayIn(date, zone).getTime();
        const end = endOfDayIn(date, zone).getTime();
        expect(isoDateIn(new Date(start), zone), `${zone} ${date}`).toBe(date);
        expect(isoDateIn(new Date(start - 1), zone), `${zone} ${date}`).not.toBe(date);
        expect(isoDateIn(new Date(end), zone), `${zone} ${date}`).toBe(date);
        expect(isoDateIn(new Date(end + 1), zone), `${zone} ${date}`).not.toBe(date);
      }
    }
  });
});

describe('override files', () => {
  it('parses YAML and JSON, one year or several', () => {
    expect(
      parseCalendarOverride(
        'cal.json',
        '{"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-31"]}',
      ),
    ).toEqual({ holidays: ['2027-01-01'], workdays: ['2027-01-31'], covers: [2027] });
    const two = parseCalendarOverride(
      'cal.yaml',
      '- year: 2028\n  holidays: [2028-01-01]\n- year: 2027\n  holidays: [2027-01-01]\n  workdays: []\n',
    );
    expect(two).toEqual({ holidays: ['2027-01-01', '2028-01-01'], workdays: [], covers: [2027, 2028] });
  });

  it('rejects a date that does not exist', () => {
    const error = overrideError('year: 2027\nholidays: [2027-01-01, 2027-02-05, 2027-02-06, 2027-02-30]\n');
    expect(error.message).toBe('cal.yaml: holidays[3]: "2027-02-30" is not a real date');
    expect(error.file).toBe('cal.yaml');
    expect(error.problems).toEqual([{ path: 'holidays[3]', message: '"2027-02-30" is not a real date' }]);
  });

  it('rejects malformed dates', () => {
    expect(overrideError('year: 2027\nholidays: [2027/01/02]\n').message).toBe(
      'cal.yaml: holidays[0]: "2027/01/02" is not a date in YYYY-MM-DD form',
    );
    expect(overrideError('year: 2027\nworkdays: [20270131]\n').message).toBe(
      'cal.yaml: workdays[0]: 20270131 is not a date; write it like 2027-01-01',
    );
  });

  it('rejects a date that is both a holiday and a workday', () => {
    expect(
      overrideError('year: 2027\nholidays: [2027-02-06, 2027-02-07]\nworkdays: [2027-02-07]\n').message,
    ).toBe('cal.yaml: workdays[0]: "2027-02-07" is also a holiday (holidays[1])');
  });

  it('rejects a holiday outside its year', () => {
    expect(overrideError('year: 2027\nholidays: [2026-12-31]\n').message).toBe(
      'cal.yaml: holidays[0]: "2026-12-31" is not in 2027',
    );
    // A make-up workday may fall in the adjacent year, as 2011-12-31 did for 2012.
    expect(parseCalendarOverride('cal.yaml', 'year: 2027\nworkdays: [2026-12-26]\n').workdays).toEqual([
      '2026-12-26',
    ]);
  });

  it('names every problem with its path in a list of years', () => {
    const error = overrideError(
      '- year: 2027\n- year: 2027\n  holidays: [2028-01-01]\n- year: 2028\n  holiday: [2028-01-01]\n',
    );
    expect(error.message.split('\n')).toEqual([
      'cal.yaml: [2]: unknown key "holiday" (allowed: year, source, note, holidays, workdays)',
      'cal.yaml: [1].year: 2027 is already given at [0].year',
      'cal.yaml: [1].holidays[0]: "2028-01-01" is not in 2027',
    ]);
    expect(overrideError('holidays: []\n').message).toBe('cal.yaml: year: is required (e.g. 2027)');
  });

  it('rejects what is not YAML or not an override', () => {
    expect(overrideError('year: 2027\nholidays: [2027-01-01\n').message).toMatch(
      /^cal\.yaml: line \d+, column \d+: Flow sequence in block collection must be sufficiently indented and end with a \]$/,
    );
    expect(overrideError('这不是日历').message).toBe(
      'cal.yaml: (root): expected { year, holidays, workdays } or a list of such entries',
    );
    expect(overrideError('').message).toBe(
      'cal.yaml: (root): expected { year, holidays, workdays } or a list of such entries',
    );
  });
});
