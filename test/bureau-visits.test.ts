// 督查 visits linked to real schools and the member's quarterly 督查 report (issue 19), through the core
// as the console channel drives it: a visit at a contracted school points at the school's tenant, counts
// for the member's obligation (per school) and shows in the school's record; the report is drafted from
// the visits, submitted to the bureau's office and acknowledged there.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { visitsAtSchool } from '../db/queries/bureau.ts';
import { completions, obligationPeriods, submissions } from '../db/schema.ts';
import { runObligations } from '../jobs/obligations.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExamples } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;
let ids: { bureau: number; school: number; school2: number; school3: number };

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, new Date());
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  const [bureau, school, school2, school3] = await seedExamples(database, [
    'bureau.yaml',
    'school.yaml',
    'school-2.yaml',
    'school-3.yaml',
  ]);
  ids = {
    bureau: bureau!.tenantId,
    school: school!.tenantId,
    school2: school2!.tenantId,
    school3: school3!.tenantId,
  };
  bot.now = new Date('2026-11-24T02:00:00Z'); // Tuesday 10:00 in Shanghai
  bot.tenantId = ids.bureau;
});

const visitRows = () => database.db.select().from(completions).where(eq(completions.kind, 'supervision'));

describe('督查 visits at contracted schools', () => {
  it('links a visit to the school’s tenant, by name or code, and counts it for that school', async () => {
    // 钱立新 (分管安全副局长) is contracted to 昆山市花桥集善中学 and 区第一中学.
    const first = await bot.say('qianlixin', '记录 督查 学校：昆山市花桥集善中学 检查食堂和消防通道');
    expect(first).toContain('已记录督查');
    // The obligation is met per school: the least visited one counts.
    expect(first).toContain('2026年第四季度 分包学校专门督查（名单为示例）：0/2');
    await bot.say('qianlixin', '记录 督查 学校：diyi-zhongxue 检查校门值守 日期：2026-11-20');
    const rows = await visitRows();
    expect(rows.map((row) => [row.school, row.schoolTenantId, row.date])).toEqual([
      ['昆山市花桥集善中学', ids.school, '2026-11-24'],
      ['区第一中学', ids.school3, '2026-11-20'],
    ]);
    const duties = await bot.say('qianlixin', '我的职责');
    expect(duties).toContain(
      '· 昆山市花桥集善中学：未销号隐患 0 项，超期 0 项，挂牌督办 0 项；2026年第四季度督查 1/2',
    );
    expect(duties).toContain(
      '· 区第一中学：未销号隐患 0 项，超期 0 项，挂牌督办 0 项；2026年第四季度督查 1/2',
    );
  });

  it('refuses a school that is not one of the member’s, listing them, and writes nothing', async () => {
    const answer = await bot.say('qianlixin', '记录 督查 学校：区实验小学 检查食堂');
    expect(answer).toContain('“区实验小学”不在你的分包学校中（区第一中学、昆山市花桥集善中学），未记录');
    expect(await bot.say('qianlixin', '记录 督查 学校：区第九中学 检查')).toContain('不在你的分包学校中');
    expect(await bot.say('qianlixin', '记录 督查 检查食堂')).toContain(
      '请写明督查的学校（你的分包学校：区第一中学、昆山市花桥集善中学）',
    );
    expect(await visitRows()).toEqual([]);
  });

  it('assesses the quarter per school: met only when every contracted school had its two visits', async () => {
    for (const [date, school] of [
      ['2026-10-10', '昆山市花桥集善中学'],
      ['2026-11-10', '昆山市花桥集善中学'],
      ['2026-10-12', '区第一中学'],
    ] as const) {
      await bot.say('qianlixin', `记录 督查 学校：${school} 专门督查 日期：${date}`);
    }
    // 2027-01-02 08:00 in Shanghai: the job closes 2026-Q4.
    bot.now = new Date('2027-01-02T00:00:00Z');
    const person = await bot.personId('qianlixin');
    await runObligations({ db: database.db, now: bot.now, channels: bot.channels, log: silentLogger });
    const [closed] = await database.db
      .select()
      .from(obligationPeriods)
      .where(and(eq(obligationPeriods.personId, person), eq(obligationPeriods.periodKey, '2026-Q4')));
    expect(closed).toMatchObject({ done: 1, needed: 2, met: false });
  });

  it('shows the visit in the school’s record, and only the school’s own bureau’s visits there', async () => {
    await bot.say('qianlixin', '记录 督查 学校：昆山市花桥集善中学 检查食堂和消防通道');
    const visits = await visitsAtSchool(database.db, ids.school, undefined);
    expect(visits.map((visit) => [visit.personName, visit.date, visit.note])).toEqual([
      ['钱立新', '2026-11-24', '检查食堂和消防通道'],
    ]);
    expect(await visitsAtSchool(database.db, ids.school2, undefined)).toEqual([]);
    // A row of a tenant that is not the school's parent, naming the school, is not read.
    const [row] = await visitRows();
    await database.db.update(completions).set({ tenantId: ids.school2 }).where(eq(completions.id, row!.id));
    expect(await visitsAtSchool(database.db, ids.school, undefined)).toEqual([]);
  });
});

describe('the member’s quarterly 督查 report', () => {
  it('is drafted from the quarter’s visits, submitted to the office and acknowledged with the button', async () => {
    bot.now = new Date('2026-12-20T02:00:00Z');
    await bot.say(
      'qianlixin',
      '记录 督查 学校：昆山市花桥集善中学 检查食堂，发现冷库门密封条损坏 日期：2026-12-03',
    );
    await bot.say('qianlixin', '记录 督查 学校：昆山市花桥集善中学 复查冷库门 日期：2026-12-18');
    bot.now = new Date('2027-01-05T02:00:00Z'); // the report of 2026-Q4 is due on 01-10
    const draft = await bot.say('qianlixin', '督查报告');
    expect(draft).toContain('督查报告草稿（2026-Q4）');
    expect(draft).toContain('钱立新2026年第四季度分包学校督查报告');
    expect(draft).toContain('昆山市花桥集善中学：督查 2 次（每季度要求 2 次）');
    expect(draft).toContain('2026-12-03 检查食堂，发现冷库门密封条损坏');
    expect(draft).toContain('区第一中学：督查 0 次（每季度要求 2 次，未达要求）');

    const sent = await bot.say('qianlixin', '督查报告 提交');
    expect(sent).toContain('督查报告已提交（2026-Q4）');
    const [row] = await database.db.select().from(submissions);
    expect(row).toMatchObject({
      tenantId: ids.bureau,
      toTenantId: ids.bureau,
      kind: 'supervision_report',
      period: '2026-Q4',
    });
    expect(row!.body).toContain('2026-12-18 复查冷库门');
    // The office director gets the report with 确认收到.
    const office = await bot.personId('zhengweidong');
    const card = (await bot.inbox(office)).at(-1)!;
    expect(card).toContain('收到督查报告：钱立新');
    expect(card).toContain('submission.ack');

    // Someone who is neither the office nor a leader cannot acknowledge it.
    expect((await bot.press('kongfanxing', 'submission.ack', { id: String(row!.id) }))?.toast.text).toBe(
      '只有领导小组办公室和单位领导可以确认收到报告。',
    );
    expect((await database.db.select().from(submissions))[0]!.acknowledgedAt).toBeNull();

    const pressed = await bot.press('zhengweidong', 'submission.ack', { id: String(row!.id) });
    expect(pressed?.toast.text).toContain('已确认收到');
    const [acknowledged] = await database.db.select().from(submissions);
    expect(acknowledged).toMatchObject({ acknowledgedBy: '郑卫东' });
    expect((await bot.inbox(await bot.personId('qianlixin'))).at(-1)).toContain('已由郑卫东确认收到');
    // Once acknowledged it stays as it was.
    expect(await bot.say('qianlixin', '督查报告 提交 改过的正文')).toContain('已由办公室确认，不能再修改');
    expect((await database.db.select().from(submissions))[0]!.body).toBe(row!.body);
  });

  it('takes an edited text, and refuses someone with no 分包学校', async () => {
    expect(await bot.say('qianlixin', '督查报告 提交 2026-Q4 本季度督查两所学校，详见附件。')).toContain(
      '督查报告已提交（2026-Q4）',
    );
    expect((await database.db.select().from(submissions))[0]!.body).toBe('本季度督查两所学校，详见附件。');
    expect(await bot.say('fengxiaojun', '督查报告')).toContain('你没有分包学校');
    bot.tenantId = ids.school;
    expect(await bot.say('yinxianju', '督查报告')).toContain('你没有分包学校');
  });
});
