// The State Council's holiday notice read into a tenant's calendar: the parser against chinese-days'
// own data. Storage that survives re-importing the organization file, and `npm run calendar:import`, are
// in tools-calendar.test.ts.
import { readFileSync } from 'node:fs';
import packageData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { type HolidayNotice, parseHolidayNotice } from '../handlers/holiday-notice.ts';

const fixture = (year: number) =>
  readFileSync(new URL(`./fixtures/holiday-notice-${year}.txt`, import.meta.url), 'utf8');

/** The package's dates of `year`, leaving out one-off days the yearly notice does not set. */
function packageDates(year: number) {
  const of = (table: Record<string, string>) =>
    Object.entries(table)
      .filter(([date, name]) => date.startsWith(`${year}-`) && !name.includes('Anti-Fascist'))
      .map(([date]) => date)
      .sort();
  return { holidays: of(packageData.holidays), workdays: of(packageData.workdays) };
}

function parsed(text: string, options: { year?: number } = {}): HolidayNotice {
  const result = parseHolidayNotice(text, options);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.notice;
}

function problems(text: string, options: { year?: number } = {}) {
  const result = parseHolidayNotice(text, options);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

/** A whole notice for 2027 in the style of the real ones (the example's dates, not official ones). */
const NOTICE_2027 = readFileSync(new URL('./fixtures/holiday-notice-2027.txt', import.meta.url), 'utf8');

describe('parseHolidayNotice', () => {
  it.each([2025, 2026])('reads the %i notice into exactly chinese-days’ dates for that year', (year) => {
    const notice = parsed(fixture(year));
    expect(notice.year).toBe(year);
    expect({ holidays: notice.holidays, workdays: notice.workdays }).toEqual(packageDates(year));
  });

  it('reads the 2015 notice (星期X, 补休, 与周末连休) into chinese-days’ dates', () => {
    const notice = parsed(fixture(2015));
    expect(notice.source).toBe('国办发明电〔2014〕28号');
    expect({ holidays: notice.holidays, workdays: notice.workdays }).toEqual(packageDates(2015));
    // 5月1日放假，与周末连休: Friday off; the weekend stays a weekend.
    expect(notice.items.find((item) => item.name === '劳动节')?.holidays).toEqual(['2015-05-01']);
  });

  it('names the notice number, the festivals and their lines', () => {
    const notice = parsed(fixture(2025));
    expect(notice.source).toBe('国办发明电〔2024〕12号');
    expect(notice.items.map((item) => [item.line, item.name])).toEqual([
      [6, '元旦'],
      [7, '春节'],
      [8, '清明节'],
      [9, '劳动节'],
      [10, '端午节'],
      [11, '国庆节、中秋节'],
    ]);
  });

  it('takes a range across months and a 元旦 that starts in the year before', () => {
    const notice = parsed(
      `${NOTICE_2027.replace('一、元旦：1月1日（周五）至3日（周日）放假，共3天。', '一、元旦：12月31日（周四）至1月2日（周六）放假，共3天。12月27日（周日）上班。')}`,
    );
    expect(notice.items[0]!.holidays).toEqual(['2026-12-31', '2027-01-01', '2027-01-02']);
    expect(notice.items[0]!.workdays).toEqual(['2026-12-27']);
    expect(notice.items[3]!.holidays).toEqual([
      '2027-05-01',
      '2027-05-02',
      '2027-05-03',
      '2027-05-04',
      '2027-05-05',
    ]);
  });

  it('takes the year from the office when the title is left out, and refuses when neither says it', () => {
    const body = NOTICE_2027.split('\n').slice(1).join('\n');
    expect(parsed(body, { year: 2027 }).holidays).toContain('2027-02-08');
    expect(problems(body)[0]!.message).toMatch(/看不出是哪一年/);
    expect(problems(NOTICE_2027, { year: 2026 })[0]).toEqual({
      line: 1,
      message: '通知标题是 2027 年，填写的年份是 2026 年，请核对',
    });
  });

  it('names every bad line: a weekday that does not match, a wrong count, a date that does not exist', () => {
    const bad = NOTICE_2027.replace('1月31日（周日）', '1月31日（周六）')
      .replace('放假，共3天。\n二', '放假，共4天。\n二')
      .replace('6月9日（周三）', '6月31日（周三）')
      .replace('七、国庆节：', '七、国庆节 ');
    expect(problems(bad)).toEqual([
      { line: 2, message: '元旦：写的是共 4 天，1月1日（周五）至1月3日（周日）却是 3 天' },
      { line: 3, message: '春节：2027年1月31日是周日，通知写的是周六：请核对年份或日期' },
      { line: 6, message: '端午节：2027年没有6月31日' },
      { line: 8, message: expect.stringMatching(/^看不懂这一行：七、国庆节 10月1日（周五）/) },
      { line: 0, message: expect.stringMatching(/通知不完整，缺少：国庆节/) },
    ]);
  });

  it('refuses the wrong year: the example line of 2027 read as 2026 has the wrong weekdays', () => {
    expect(problems(NOTICE_2027.replace('2027年', '2026年')).map((problem) => problem.line)).toContain(2);
  });

  it('refuses a text without a schedule and a notice that is not whole', () => {
    expect(
      problems('国务院办公厅关于2027年部分节假日安排的通知\n节假日期间，各地区要妥善安排好值班。'),
    ).toEqual([{ line: 0, message: expect.stringMatching(/没有找到放假安排/) }]);
    expect(problems(NOTICE_2027.split('\n').slice(0, 3).join('\n')).at(-1)!.message).toMatch(
      /缺少：清明节、劳动节、端午节、中秋节、国庆节/,
    );
  });
});
