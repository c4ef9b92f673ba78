// The obligations job against the example school with a fake clock: period-start notices, reminders
// while a duty is not met, catch-up after downtime, missed periods recorded and reported, each once.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { obligationPeriods, obligations, outbox, posts, reminders } from '../db/schema.ts';
import { tenantSettings } from '../handlers/settings.ts';
import { startJobs } from '../jobs/node-runner.ts';
import { plan, runObligations } from '../jobs/obligations.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;
beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, new Date());
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
});

const run = () =>
  runObligations({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
/** The principal's quarterly safety meeting (002 §三(一)(3)). */
async function principalMeeting() {
  const [row] = await database.db
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(and(eq(posts.code, 'xiao-zhang'), eq(obligations.code, 'safety-meeting')));
  return row!.id;
}
/** The messages that carry an obligation to a person: its own card, or a line of a digest. */
async function cardsFor(code: string, obligationId: number) {
  const personId = await bot.personId(code);
  const [obligation] = await database.db
    .select({ title: obligations.title })
    .from(obligations)
    .where(eq(obligations.id, obligationId));
  const title = obligation!.title;
  const rows = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.personId, personId))
    .orderBy(asc(outbox.id));
  return rows
    .filter((row) =>
      row.subject === null
        ? JSON.stringify(row.body).includes(`${title}：`)
        : row.subject === `obligation:${obligationId}`,
    )
    .map((row) => JSON.stringify(row.body));
}

describe('obligation reminders', () => {
  it('announces the period at its start once, however often and concurrently the job runs', async () => {
    const meeting = await principalMeeting();
    bot.now = new Date('2026-10-01T00:00:00Z'); // 08:00 on the first day of Q4 in Shanghai
    await Promise.all([run(), run()]);
    await run();
    const cards = await cardsFor('wangxiaofang', meeting);
    expect(cards).toHaveLength(1);
    // The principal's other steps of this run come in the same message: a line each.
    expect(cards[0]).toContain(
      '主持召开学校安全工作会议：2026年第四季度至少 1 次，已完成 0，截止 2026-12-31',
    );
    expect(cards[0]).toContain('记录 会议 <说明>');
  });

  it('reminds at mid-period only while the duty is not met', async () => {
    const meeting = await principalMeeting();
    bot.now = new Date('2026-10-01T00:00:00Z');
    await run();
    bot.now = new Date('2026-11-16T00:00:00Z');
    await run();
    expect(await cardsFor('wangxiaofang', meeting)).toHaveLength(2);
    // Once the principal records the meeting, the quarter is met: no more reminders.
    await bot.say('wangxiaofang', '记录 会议 第四季度学校安全工作会议');
    bot.now = new Date('2026-12-21T00:00:00Z'); // d10 of the quarter
    await run();
    expect(await cardsFor('wangxiaofang', meeting)).toHaveLength(2);
  });

  it('after downtime sends only the latest due step, not the whole backlog', async () => {
    const meeting = await principalMeeting();
    bot.now = new Date('2026-12-29T00:00:00Z'); // 3 days before the quarter ends; start/mid/d10 were missed
    await run();
    const cards = await cardsFor('wangxiaofang', meeting);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toContain('主持召开学校安全工作会议：2026年第四季度至少 1 次，已完成 0');
    const steps = await database.db
      .select({ step: reminders.step })
      .from(reminders)
      .where(eq(reminders.subject, `obligation:${meeting}`));
    expect(steps.map((row) => row.step).sort()).toEqual(['d10', 'd3', 'd3-sent', 'mid', 'start'].sort());
  });

  it('records a closed period as met or missed, and reports a miss to the 直接责任人 and the office once', async () => {
    const meeting = await principalMeeting();
    // The 安保处 head runs the semester drill in time; nobody holds the Q4 principal meeting.
    bot.now = new Date('2026-12-10T02:00:00Z');
    await bot.say('yinxianju', '记录 演练 全校应急疏散演练');
    bot.now = new Date('2027-01-01T00:00:00Z');
    await run();
    await run();
    const closed = await database.db
      .select()
      .from(obligationPeriods)
      .where(eq(obligationPeriods.obligationId, meeting));
    expect(closed).toMatchObject([{ periodKey: '2026-Q4', done: 0, needed: 1, met: false }]);
    const office = await bot.personId('zhouyinyin');
    const toOffice = (await bot.inbox(office)).filter((text) =>
      text.includes('王晓芳（主持召开学校安全工作会议）'),
    );
    expect(toOffice).toHaveLength(1);
    expect(toOffice[0]).toContain('2026年第四季度未完成：0/1');
    expect((await bot.inbox(await bot.personId('wangxiaofang'))).join('\n')).toContain('已记为未履职');
    const duties = await bot.say('wangxiaofang', '我的职责');
    expect(duties).toContain('未履职记录');
    expect(duties).toContain('2026-10-01至2026-12-31 主持召开学校安全工作会议 0/1');
    // The semester drill is still running (autumn ends 2027-01-31): not closed yet.
    const drill = await database.db
      .select()
      .from(obligationPeriods)
      .where(eq(obligationPeriods.personId, await bot.personId('yinxianju')));
    expect(drill.every((row) => !row.periodKey.endsWith('autumn'))).toBe(true);
  });

  it('records a completion from the reminder card’s 记录完成 form', async () => {
    const meeting = await principalMeeting();
    bot.now = new Date('2026-10-20T02:00:00Z');
    const refused = await bot.press('wangxiaofang', 'obligation.record', { id: String(meeting) }, {});
    expect(refused?.toast).toMatchObject({ kind: 'error' });
    const done = await bot.press(
      'wangxiaofang',
      'obligation.record',
      { id: String(meeting) },
      { note: '专题研究校园安全形势', date: '10月15日' },
    );
    expect(done?.toast.text).toBe('已记录：主持召开学校安全工作会议');
    expect(await bot.say('wangxiaofang', '我的职责')).toContain('主持召开学校安全工作会议 1/1 ✓');
  });
});

describe('the reminder plan and the runners', () => {
  it('follows the tenant’s plan', () => {
    const quarter = {
      cadence: 'quarterly' as const,
      key: '2026-Q4',
      start: '2026-10-01',
      end: '2026-12-31',
      label: '',
    };
    const defaults = tenantSettings({}).obligation_reminders;
    expect(plan(quarter, defaults)).toEqual([
      { step: 'start', from: '2026-10-01' },
      { step: 'mid', from: '2026-11-15' },
      { step: 'd10', from: '2026-12-21' },
      { step: 'd3', from: '2026-12-28' },
    ]);
    expect(plan(quarter, { at_start: false, at_mid: false, days_before_end: [5] })).toEqual([
      { step: 'd5', from: '2026-12-26' },
    ]);
    const week = {
      cadence: 'weekly' as const,
      key: '2026-W48',
      start: '2026-11-23',
      end: '2026-11-29',
      label: '',
    };
    expect(plan(week, defaults).map((entry) => entry.step)).toEqual(['start', 'mid', 'd3']);
  });

  it('runs every job once at start-up, so a run missed while the process was down catches up', async () => {
    const ran: string[] = [];
    const jobs = startJobs(
      { db: database.db, channels: bot.channels, log: silentLogger },
      {
        log: silentLogger,
        jobs: [
          { name: 'a', cron: '0 8 * * *', run: async () => ran.push('a') },
          { name: 'b', cron: '0 9 1 * *', run: async () => ran.push('b') },
        ],
      },
    );
    // No cron time has come (08:00 daily, 09:00 on the 1st): only the start-up run can have run them.
    await jobs.caughtUp;
    await jobs.stop();
    expect(ran).toEqual(['a', 'b']);
  });

  it('stops catching up at a stop: the run under way finishes, the next ones do not start', async () => {
    const ran: string[] = [];
    let release: () => void = () => {};
    const jobs = startJobs(
      { db: database.db, channels: bot.channels, log: silentLogger },
      {
        log: silentLogger,
        jobs: [
          {
            name: 'slow',
            cron: '0 8 * * *',
            run: () => new Promise<void>((resolve) => (release = resolve)).then(() => void ran.push('slow')),
          },
          { name: 'next', cron: '0 9 1 * *', run: async () => void ran.push('next') },
        ],
      },
    );
    const stopped = jobs.stop();
    release();
    await stopped;
    expect(ran).toEqual(['slow']);
  });
});
