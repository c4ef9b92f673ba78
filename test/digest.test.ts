// One message per person per job run (issue 15 §5): reminder steps due to the same person in the same
// run go out as one digest with a line each; every step is still claimed once, across runs and instances.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { claimReminder } from '../db/queries/reminders.ts';
import { hazards, outbox, reminders, tenants } from '../db/schema.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
import { runObligations } from '../jobs/obligations.ts';
import { runTaskDeadlines } from '../jobs/task-deadlines.ts';
import { runWeeklyDigest } from '../jobs/weekly-digest.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { identityOf } from './helpers/db.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

let database: Database;
let harness: Harness;
let bot: ConsoleDriver;
harnessPerFile((opened) => {
  ({ database, harness } = opened);
  bot = consoleDriver(database, new Date());
});

const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const DIRECT = 'xuejianping'; // 分管安保处 的副校长
const OFFICE = 'zhouyinyin'; // 办公室主任

beforeEach(async () => {
  bot.tenantId = (await database.db.select({ id: tenants.id }).from(tenants))[0]!.id;
  bot.now = new Date('2026-09-30T02:00:00Z'); // 10:00 in Shanghai
});

const context = (channels = bot.channels) => ({
  db: database.db,
  channels,
  log: silentLogger,
  now: bot.now,
});
const runHazards = (channels = bot.channels) => runHazardDeadlines(context(channels));

/** Two hazards of 安保处, accepted by its head at the same moment: the same deadline. */
async function twoAcceptedHazards() {
  await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
  await bot.say(REPORTER, '报隐患 实验楼一楼灭火器压力不足，一般');
  const rows = await database.db.select().from(hazards).orderBy(asc(hazards.id));
  expect(rows).toHaveLength(2);
  for (const row of rows) await bot.press(HEAD, 'hazard.accept', { id: String(row.id) });
  return database.db.select().from(hazards).orderBy(asc(hazards.id));
}

/** What the jobs sent a person: the outbox rows addressed to them since `after`. */
async function sentTo(code: string, after = 0) {
  const personId = await bot.personId(code);
  const rows = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.personId, personId))
    .orderBy(asc(outbox.id));
  return rows.filter((row) => row.id > after).map((row) => ({ ...row, json: JSON.stringify(row.body) }));
}
const lastOutboxId = async () =>
  (await database.db.select({ id: outbox.id }).from(outbox).orderBy(asc(outbox.id))).at(-1)?.id ?? 0;

describe('one message per person per job run', () => {
  it('sends the head one digest with a line for each hazard due soon, and nothing again', async () => {
    const [a, b] = await twoAcceptedHazards();
    const before = await lastOutboxId();
    bot.now = new Date('2026-10-14T02:00:00Z'); // one day before both deadlines
    expect(await runHazards()).toEqual({ sent: 2 });
    const messages = await sentTo(HEAD, before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.json).toContain('待办汇总（2 项）');
    expect(messages[0]!.json).toContain(`隐患 ${a!.code} 的整改期限是`);
    expect(messages[0]!.json).toContain(`隐患 ${b!.code} 的整改期限是`);
    // Each step keeps its own claim: a later run sends nothing more.
    await runHazards();
    expect(await sentTo(HEAD, before)).toHaveLength(1);
    const steps = await database.db.select().from(reminders).where(eq(reminders.step, 'due-soon'));
    expect(steps).toHaveLength(2);
    expect(steps.every((row) => row.held === null)).toBe(true);
    // What the simulator shows the head: the digest.
    const shown = (await bot.inbox(await bot.personId(HEAD))).at(-1)!;
    expect(shown).toContain(a!.code);
    expect(shown).toContain(b!.code);
  });

  it('keeps the step’s own card when a person has a single line', async () => {
    const [a] = await twoAcceptedHazards();
    await bot.press(HEAD, 'hazard.submit', { id: String(a!.id) }, { measures: '已更换灭火器' });
    const before = await lastOutboxId();
    bot.now = new Date('2026-10-14T02:00:00Z');
    await runHazards();
    const messages = await sentTo(HEAD, before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.subject).toMatch(/^hazard:\d+$/);
    expect(messages[0]!.json).toContain('hazard.submit');
  });

  it('neither loses nor doubles a line when two instances run the job at once', async () => {
    const [a, b] = await twoAcceptedHazards();
    const before = await lastOutboxId();
    bot.now = new Date('2026-10-16T02:00:00Z'); // overdue: the head and the 直接责任人, both hazards
    const results = await Promise.all([runHazards(), runHazards(), runHazards()]);
    expect(results.reduce((sum, result) => sum + result.sent, 0)).toBe(4); // the head and the 直接责任人, two hazards each
    for (const code of [HEAD, DIRECT]) {
      const text = (await sentTo(code, before)).map((row) => row.json).join('\n');
      for (const hazard of [a!, b!]) {
        expect(text.split(`隐患 ${hazard.code} 已超过整改期限`).length - 1).toBe(1);
      }
    }
    // Each instance hands out the steps it claimed: at most one message per run.
    expect((await sentTo(DIRECT, before)).length).toBeLessThanOrEqual(3);
  });

  it('keeps a run’s steps together while other jobs end at the same moment', async () => {
    await twoAcceptedHazards();
    const before = await lastOutboxId();
    bot.now = new Date('2026-10-14T02:00:00Z');
    // As the Workers cron does: every job at once, on one clock.
    await Promise.all([runHazards(), runTaskDeadlines(context()), runObligations(context())]);
    const messages = await sentTo(HEAD, before);
    const hazardMessages = messages.filter((row) => row.json.includes('的整改期限是'));
    expect(hazardMessages).toHaveLength(1);
    expect(hazardMessages[0]!.json).toContain('待办汇总（2 项）');
  });

  it('hands out steps a crashed run left waiting with a run of any job 15 minutes later', async () => {
    const office = await bot.personId(OFFICE);
    // A run that claimed a step and died before its end: the step waits in its reminders row.
    await claimReminder(
      database.db,
      { tenantId: bot.tenantId, subject: 'hazard:0', period: 'p', step: 'test', personId: office },
      bot.now,
      { body: { kind: 'text', text: '上一轮未发出的提醒' }, run: 'a run that died' },
    );
    await runTaskDeadlines(context()); // the same moment: the run may still be going
    expect(await sentTo(OFFICE)).toHaveLength(0);
    bot.now = new Date(bot.now.getTime() + 15 * 60_000);
    await runTaskDeadlines(context());
    const messages = await sentTo(OFFICE);
    expect(messages.map((row) => row.json)).toEqual([
      JSON.stringify({ kind: 'text', text: '上一轮未发出的提醒' }),
    ]);
    expect(
      await database.db
        .select()
        .from(reminders)
        .where(and(eq(reminders.personId, office), isNull(reminders.held))),
    ).toHaveLength(1);
  });

  it('gives the office one summary of the day’s misses, not one message per miss', async () => {
    bot.now = new Date('2027-01-01T00:00:00Z'); // 08:00: Q4 and December have just closed
    await runObligations(context());
    const messages = await sentTo(OFFICE);
    expect(messages).toHaveLength(1);
    const misses = messages[0]!.json.split('已记为未履职').length - 1;
    expect(misses).toBeGreaterThan(1);
    expect(messages[0]!.json).toContain('未履职（');
    // Run again the same day (a restart): nothing more.
    await runObligations(context());
    expect(await sentTo(OFFICE)).toHaveLength(1);
  });

  it('delivers the digest to Feishu as one interactive card', async () => {
    const [a, b] = await twoAcceptedHazards();
    bot.now = new Date('2026-10-14T02:00:00Z');
    await runHazards(harness.service.channels);
    await harness.service.dispatcher.drain();
    const openId = await identityOf(database, HEAD, 'open_id');
    const cards = harness.feishu.messages.filter((message) => message.receiveId === openId);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.msgType).toBe('interactive');
    expect(cards[0]!.rawContent).toContain(a!.code);
    expect(cards[0]!.rawContent).toContain(b!.code);
  });
});

describe('the weekly digest', () => {
  const PRINCIPAL = 'wangxiaofang';
  const runWeekly = (channels = bot.channels) => runWeeklyDigest(context(channels));
  const weeklyTo = async (code: string) =>
    (await sentTo(code)).filter((row) => row.json.includes('安全工作周报'));
  /** The example school as if it had been loaded at `at`. */
  const loadedAt = (at: string) =>
    database.db
      .update(tenants)
      .set({ createdAt: new Date(at) })
      .where(eq(tenants.id, bot.tenantId));

  it('goes to the 第一责任人 and the office director on Monday 08:00, once, and not in the week of loading', async () => {
    await loadedAt('2026-11-04T02:00:00Z'); // Wednesday 10:00
    bot.now = new Date('2026-11-04T02:00:00Z');
    await runWeekly(); // the day of loading, after this week's Monday 08:00
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const [hazard] = await database.db.select().from(hazards);
    await bot.press(HEAD, 'hazard.accept', { id: String(hazard!.id) });
    bot.now = new Date('2026-11-08T23:59:00Z'); // Monday 07:59
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(0);
    expect(await weeklyTo(OFFICE)).toHaveLength(0);
    bot.now = new Date('2026-11-09T00:00:00Z'); // Monday 08:00
    await Promise.all([runWeekly(), runWeekly()]);
    bot.now = new Date('2026-11-11T03:00:00Z'); // Wednesday: a restart catches up nothing more
    await runWeekly();
    for (const code of [PRINCIPAL, OFFICE]) {
      const cards = await weeklyTo(code);
      expect(cards).toHaveLength(1);
      expect(cards[0]!.json).toContain('安全工作周报（2026-11-02 至 2026-11-08）');
      expect(cards[0]!.json).toContain('"label":"新上报隐患","value":"1 项（一般 1）"');
      expect(cards[0]!.json).toContain('本期职责完成情况（按处室）');
      expect(cards[0]!.json).toContain('安保处：');
      expect(cards[0]!.json).toContain('值班到岗确认');
      expect(cards[0]!.json).toContain('"label":"未完成任务","value":"0 项"');
    }
    expect(await weeklyTo(HEAD)).toHaveLength(0);
    // The next week has its own.
    bot.now = new Date('2026-11-16T00:30:00Z');
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(2);
  });

  it('is never sent on the day of loading, even on a Monday after 08:00', async () => {
    await loadedAt('2026-11-09T01:00:00Z'); // Monday 09:00
    bot.now = new Date('2026-11-09T01:00:00Z');
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    await runWeekly();
    bot.now = new Date('2026-11-10T01:00:00Z');
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(0);
  });

  it('skips a week with nothing to report, for good, and can be turned off', async () => {
    await loadedAt('2026-11-04T02:00:00Z');
    bot.now = new Date('2026-11-09T00:00:00Z');
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(0);
    // Something happens later that Monday: the week's digest does not go out late.
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    bot.now = new Date('2026-11-09T06:00:00Z');
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(0);
    await database.db
      .update(tenants)
      .set({ settings: { weekly_digest: false } })
      .where(eq(tenants.id, bot.tenantId));
    bot.now = new Date('2026-11-16T00:00:00Z');
    await runWeekly();
    expect(await weeklyTo(PRINCIPAL)).toHaveLength(0);
  });

  it('reaches Feishu as a card', async () => {
    await loadedAt('2026-11-04T02:00:00Z');
    bot.now = new Date('2026-11-05T02:00:00Z');
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，重大');
    bot.now = new Date('2026-11-09T00:10:00Z');
    await runWeekly(harness.service.channels);
    await harness.service.dispatcher.drain();
    const openId = await identityOf(database, PRINCIPAL, 'open_id');
    const cards = harness.feishu.messages.filter(
      (message) => message.receiveId === openId && message.rawContent.includes('安全工作周报'),
    );
    expect(cards).toHaveLength(1);
    expect(cards[0]!.msgType).toBe('interactive');
    expect(cards[0]!.rawContent).toContain('重大 1');
  });
});
