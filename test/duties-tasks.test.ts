// 我的职责, 我的待办, 记录 (obligations and their progress), and tasks with acknowledgement and escalation,
// through the real core and router on the example school and bureau, with a fixed clock.
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { ensureOutsidePerson } from '../db/queries/org.ts';
import { auditEvents, completions, reminders, tasks } from '../db/schema.ts';
import { periodOf } from '../handlers/periods.ts';
import { runTaskDeadlines } from '../jobs/task-deadlines.ts';
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
  bot.now = new Date('2026-11-24T02:00:00Z'); // Tuesday 10:00 in Shanghai
});

describe('periods', () => {
  it('cuts quarters, semesters, ISO weeks and half-years at their boundaries', () => {
    expect(periodOf('2026-12-31', 'quarterly')).toMatchObject({
      key: '2026-Q4',
      start: '2026-10-01',
      end: '2026-12-31',
    });
    expect(periodOf('2027-01-01', 'quarterly')?.key).toBe('2027-Q1');
    expect(periodOf('2027-01-31', 'semester')).toMatchObject({
      key: '2026-autumn',
      label: '2026-2027学年第一学期',
    });
    expect(periodOf('2027-02-01', 'semester')).toMatchObject({ key: '2027-spring', end: '2027-07-31' });
    expect(periodOf('2026-08-15', 'semester')).toBeUndefined();
    expect(
      periodOf('2026-08-15', 'semester', { autumnStart: '08-15', springStart: '02-01', springEnd: '07-31' })
        ?.key,
    ).toBe('2026-autumn');
    expect(periodOf('2027-01-01', 'weekly')).toMatchObject({
      key: '2026-W53',
      start: '2026-12-28',
      end: '2027-01-03',
    });
    expect(periodOf('2026-06-30', 'half_year')?.key).toBe('2026-H1');
  });
});

describe('我的职责', () => {
  it('shows each post with its level, business and safety duties, and this period’s progress', async () => {
    const card = await bot.say('yinxianju', '我的职责');
    expect(card).toContain('安保处主任');
    expect(card).toContain('岗位责任人');
    expect(card).toContain('业务职责');
    expect(card).toContain('安全职责');
    expect(card).toContain('2026年11月 本部门安全隐患排查 0/1');
    expect(card).toContain('2026-2027学年第一学期 组织全校应急疏散演练 0/1');

    await bot.say('yinxianju', '记录 演练 全校应急疏散演练，用时 4 分钟');
    await bot.say('yinxianju', '记录 检查 日期 11月2日 检查消防器材');
    const after = await bot.say('yinxianju', '/duties');
    expect(after).toContain('本部门安全隐患排查 1/1 ✓');
    expect(after).toContain('组织全校应急疏散演练 1/1 ✓');
    const rows = await database.db.select().from(completions).orderBy(asc(completions.id));
    expect(rows.map((row) => [row.kind, row.date])).toEqual([
      ['drill', '2026-11-24'],
      ['inspection', '2026-11-02'],
    ]);
    expect((await database.db.select().from(auditEvents)).map((row) => row.action)).toEqual([
      'record',
      'record',
    ]);
  });

  it('shows a leader the units under them with what is overdue', async () => {
    await bot.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
    const card = await bot.say('xuejianping', '我的职责');
    expect(card).toContain('直接责任人');
    expect(card).toContain('分管处室');
    expect(card).toContain('安保处：未销号隐患 1');
    expect(card).toContain('主持召开校园安全工作例会');
  });

  it('tells someone outside the organization how to be added', async () => {
    const outsider = await ensureOutsidePerson(
      database.db,
      bot.tenantId,
      'feishu',
      { kind: 'open_id', value: 'ou_visitor' },
      '访客',
    );
    const text = await bot.say(outsider.code, '我的职责');
    expect(text).toContain('你还不在');
    expect(text).toContain('周尹尹');
    expect(text).toContain('上报隐患不受影响');
  });

  it('counts a supervision visit per contracted school (bureau)', async () => {
    bot.tenantId = (await seedExample(database, 'bureau.yaml')).tenantId;
    expect(await bot.say('zhaoguoping', '记录 督查 检查校门')).toContain('请写明督查的学校');
    expect(await bot.say('zhaoguoping', '记录 督查 学校 不存在小学 检查')).toContain('不在你的分包学校中');
    await bot.say('zhaoguoping', '记录 督查 学校 区实验小学 检查校门值守');
    await bot.say('zhaoguoping', '记录 督查 学校 区实验小学 检查食堂');
    expect(await bot.say('zhaoguoping', '我的职责')).toContain(
      '分包学校专门督查（名单为示例） 2/2（区实验小学 2） ✓',
    );
  });

  it('refuses a bad record politely and writes nothing', async () => {
    expect(await bot.say('yinxianju', '记录 野餐 去公园')).toContain('请写明记录的类型');
    expect(await bot.say('yinxianju', '记录 会议')).toContain('请写明说明');
    expect(await bot.say('yinxianju', '记录 会议 日期 2027-01-05 未来的会')).toContain('不能记录将来的日期');
    expect(await database.db.select().from(completions)).toHaveLength(0);
  });
});

describe('tasks', () => {
  it('is assigned by a leader or the office only; the assignee acknowledges and completes; the assigner sees both', async () => {
    expect(await bot.say('chenjing', '派任务 @安保处 检查校门 截止 2026-12-01')).toContain(
      '只有学校领导或安全办公室可以派任务',
    );
    expect(await database.db.select().from(tasks)).toHaveLength(0);

    const reply = await bot.say('zhouyinyin', '派任务 @安保处 检查校门监控是否完好 截止 2026-12-01');
    expect(reply).toContain('已派发 RW-2026-0001（安保处）');
    const [task] = await database.db.select().from(tasks);
    expect(task).toMatchObject({ kind: 'plain', status: 'assigned', content: '检查校门监控是否完好' });
    expect(task!.dueAt.toISOString()).toBe('2026-12-01T15:59:59.999Z');
    const head = await bot.personId('yinxianju');
    expect((await bot.inbox(head)).join('\n')).toContain('task.ack');

    const wrong = await bot.press('chenjing', 'task.ack', { id: String(task!.id) });
    expect(wrong?.toast.kind).toBe('error');
    const ack = await bot.press('yinxianju', 'task.ack', { id: String(task!.id) });
    expect(ack?.toast.text).toBe('已确认收到 RW-2026-0001');
    expect(await bot.say('yinxianju', '完成 RW-2026-0001')).toContain('请写明完成情况');
    expect(await bot.say('yinxianju', '完成 RW-2026-0001 已检查 12 个摄像头，均正常')).toContain('已完成');
    const [done] = await database.db.select().from(tasks);
    expect(done).toMatchObject({
      status: 'done',
      completionNote: '已检查 12 个摄像头，均正常',
      acknowledgedById: head,
    });
    const office = (await bot.inbox(await bot.personId('zhouyinyin'))).join('\n');
    expect(office).toContain('已确认收到任务 RW-2026-0001');
    expect(office).toContain('已完成任务 RW-2026-0001');
    const trail = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(trail.map((row) => [row.action, row.fromStatus, row.toStatus])).toEqual([
      ['assign', null, 'assigned'],
      ['ack', 'assigned', 'acknowledged'],
      ['done', 'acknowledged', 'done'],
    ]);
  });

  it('gives a 整改通知书 a written-report deadline of 20 Chinese working days', async () => {
    bot.now = new Date('2026-09-25T02:00:00Z'); // Fri 2026-09-25 (中秋), before the National Day break
    await bot.say('wangxiaofang', '派任务 @总务处 整改通知书：食堂燃气管道老化，限期整改并书面报告');
    const [task] = await database.db.select().from(tasks);
    expect(task!.kind).toBe('rectification_notice');
    // 20 working days after 09-25: 09-28…09-30 (3), then Oct 8, 9, the make-up Saturday Oct 10, and
    // the weekdays Oct 12–29 (17): Oct 1–7 are the National Day holiday.
    expect(task!.dueAt.toISOString()).toBe('2026-10-29T15:59:59.999Z');
  });

  it('asks for the missing parts of a task command', async () => {
    expect(await bot.say('zhouyinyin', '派任务 检查校门 截止 2026-12-01')).toContain('请 @ 承办人或处室');
    expect(await bot.say('zhouyinyin', '派任务 @安保处 检查校门')).toContain('请写明截止日期');
    expect(await bot.say('zhouyinyin', '派任务 @不存在处 检查 截止 2026-12-01')).toContain(
      '找不到“不存在处”',
    );
    // Today is 2026-11-24: a due date already past is refused, as the console refuses it.
    expect(await bot.say('zhouyinyin', '派任务 @安保处 检查校门 截止 2026-11-23')).toContain(
      '截止日期 2026-11-23 已过：不能早于今天（2026-11-24）。',
    );
    expect(await database.db.select().from(tasks)).toHaveLength(0);
    expect(await bot.say('zhouyinyin', '派任务 @安保处 检查校门 截止 2026-11-24')).toContain('已派发');
  });

  it('reminds, escalates when unacknowledged and overdue, each step once', async () => {
    await bot.say('zhouyinyin', '派任务 @安保处 检查校门监控 截止 2026-11-26');
    const run = () =>
      runTaskDeadlines({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
    const steps = async () =>
      (await database.db.select().from(reminders)).map((row) => `${row.step}:${row.personId}`).sort();
    const [head, direct, office, principal] = await Promise.all(
      ['yinxianju', 'xuejianping', 'zhouyinyin', 'wangxiaofang'].map((code) => bot.personId(code)),
    );
    bot.now = new Date('2026-11-25T03:00:00Z'); // 25 h after assignment, 1.5 days before the deadline
    await Promise.all([run(), run()]);
    expect(await steps()).toEqual([`unacknowledged:${direct}`, `unacknowledged:${head}`].sort());
    bot.now = new Date('2026-11-26T03:00:00Z');
    await run();
    expect(await steps()).toContain(`due-soon:${head}`);
    bot.now = new Date('2026-11-27T03:00:00Z');
    await run();
    await run();
    expect((await steps()).filter((step) => step.startsWith('overdue:'))).toEqual(
      [`overdue:${direct}`, `overdue:${office}`].sort(),
    );
    bot.now = new Date('2026-11-28T03:00:00Z');
    await run();
    const escalated = (await steps()).filter((step) => step.startsWith('overdue-escalated'));
    expect(escalated).toContain(`overdue-escalated:${principal}`);
    expect(escalated).toContain(`overdue-escalated:${office}`);
    const before = (await database.db.select().from(reminders)).length;
    await run();
    expect((await database.db.select().from(reminders)).length).toBe(before);
  });
});

describe('我的待办', () => {
  it('lists my open hazards and tasks', async () => {
    await bot.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
    await bot.say('zhouyinyin', '派任务 @尹仙菊 更新安保值班表 截止 2026-12-01');
    const todo = await bot.say('yinxianju', '我的待办');
    expect(todo).toContain('YH-JSZX-2026-0001 已上报（待受理）');
    expect(todo).toContain('RW-2026-0001 待确认');
    expect(await bot.say('zhaoming', '/todo')).toContain('没有待办事项');
  });
});
