// Issue 15 §6: until the office imports next year's holiday notice, a deadline counted in working days
// through that year is an estimate: marked （估算） where it is shown, and the office is told in its
// 我的职责 (the dashboard's warning is in holiday-calendar-console.test.ts). After the import, deadlines
// count the holidays and carry no mark. The simulator drives the chat; the clock is fixed per step.
import { readFileSync } from 'node:fs';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { saveHolidayNotice } from '../db/queries/calendar.ts';
import { hazardExtensions, hazards } from '../db/schema.ts';
import { parseHolidayNotice } from '../handlers/holiday-notice.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';

const NOTICE_2027 = readFileSync(new URL('./fixtures/holiday-notice-2027.txt', import.meta.url), 'utf8');
const REPORTER = 'chenjing';
const HEAD = 'huangchun'; // head of 总务处, where a leaning wall goes
const OFFICE = 'zhouyinyin';
/** Monday 2026-12-28, 09:00 in Shanghai: 7 working days reach past 元旦 2027. */
const MONDAY = new Date('2026-12-28T01:00:00Z');

let database: Database;
let bot: ConsoleDriver;

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, MONDAY);
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = MONDAY;
});

const allHazards = () => database.db.select().from(hazards).orderBy(asc(hazards.id));

async function reportAndAccept(description: string, deadline = '') {
  await bot.say(REPORTER, `报隐患 ${description} 一般`);
  const hazard = (await allHazards()).at(-1)!;
  const answer = await bot.say(HEAD, `受理 ${hazard.code}${deadline ? ` 期限 ${deadline}` : ''}`);
  return { answer, hazard: (await allHazards()).at(-1)! };
}

describe('deadlines before next year’s holidays are imported', () => {
  it('marks a computed deadline （估算） in the answer, the card and the hazard; a typed one is not', async () => {
    const { answer, hazard } = await reportAndAccept('学生放学路线旁围墙倾斜');
    // Plain weekends: 12-29, 30, 31, 01-01, 04, 05, 06.
    expect(hazard.deadline!.toISOString()).toBe('2027-01-06T15:59:59.999Z');
    expect(hazard.deadlineEstimated).toBe(true);
    expect(answer).toContain('整改期限 2027-01-06 23:59（估算）');
    expect(await bot.say(REPORTER, `隐患 ${hazard.code}`)).toContain('2027-01-06 23:59（估算）');

    const typed = await reportAndAccept('操场东侧围墙裂缝', '2027-01-05');
    expect(typed.hazard.deadlineEstimated).toBe(false);
    expect(typed.answer).toContain('整改期限 2027-01-05 23:59（提前于规定期限 2027-01-06 23:59）');
    expect(typed.answer).not.toContain('（估算）');
  });

  it('tells the office in its 我的职责 until the year is imported; others are not told', async () => {
    const warning = '2027年节假日安排尚未导入，按普通周末计算，涉及的期限标注“（估算）”';
    expect(await bot.say(OFFICE, '我的职责')).toContain(warning);
    expect(await bot.say(HEAD, '我的职责')).not.toContain('节假日安排');

    const parsed = parseHolidayNotice(NOTICE_2027);
    if (!parsed.ok) throw new Error('the fixture notice should parse');
    await saveHolidayNotice(database.db, bot.tenantId, parsed.notice, { label: '测试' }, MONDAY);
    expect(await bot.say(OFFICE, '我的职责')).not.toContain('节假日安排');

    // Now 元旦 counts: one working day later, and no mark.
    const { answer, hazard } = await reportAndAccept('学生放学路线旁围墙倾斜');
    expect(hazard.deadline!.toISOString()).toBe('2027-01-07T15:59:59.999Z');
    expect(hazard.deadlineEstimated).toBe(false);
    expect(answer).toContain('整改期限 2027-01-07 23:59');
    expect(answer).not.toContain('（估算）');
  });

  it('marks the new deadline an extension asks for through the unknown year', async () => {
    const { hazard } = await reportAndAccept('学生放学路线旁围墙倾斜');
    await bot.say(HEAD, `申请延期 ${hazard.code} 3 等待施工队`);
    const card = await bot.say(HEAD, `隐患 ${hazard.code}`);
    expect(card).toContain('2027-01-11 23:59（估算）');
    const [request] = await database.db.select().from(hazardExtensions);
    expect(request).toMatchObject({ days: 3, newDeadlineEstimated: true });
  });
});
