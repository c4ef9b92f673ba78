// What flows between a bureau and its schools (issue 19), through the core as the console drives it:
// a school's 重大 hazard goes up to the bureau's office and the school's 分包 members (once); the bureau
// lists a school's hazard (区教育局挂牌督办) and follows its deadline; a bureau member opens a school's
// hazard by number (its own schools only, nobody else's); the bureau sends 整改通知书 / 约谈整改 to a
// school's 第一责任人, who alone answers 收到 / 完成, and overdue ones are chased over the days.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards, outbox, tasks } from '../db/schema.ts';
import { ledgerExportRows } from '../handlers/ledger-rows.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
import { runTaskDeadlines } from '../jobs/task-deadlines.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExamples } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;
let ids: { bureau: number; school: number; school2: number };
const START = new Date('2026-11-24T02:00:00Z'); // Tuesday 10:00 in Shanghai

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, START);
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  const [bureau, school, school2] = await seedExamples(database, [
    'bureau.yaml',
    'school.yaml',
    'school-2.yaml',
  ]);
  ids = { bureau: bureau!.tenantId, school: school!.tenantId, school2: school2!.tenantId };
  bot.now = START;
});

async function sayIn(tenantId: number, person: string, text: string) {
  bot.tenantId = tenantId;
  return bot.say(person, text);
}
async function pressIn(tenantId: number, person: string, action: string, args: Record<string, string>) {
  bot.tenantId = tenantId;
  return bot.press(person, action, args);
}
/** Everything sent to a person (texts and cards as JSON). */
const sentTo = async (code: string) => bot.inbox(await bot.personId(code));
const hazardOf = async (code: string) =>
  (await database.db.select().from(hazards).where(eq(hazards.code, code)))[0]!;
const runJob = (job: typeof runHazardDeadlines, at: Date) =>
  job({ db: database.db, channels: bot.channels, log: silentLogger, now: at });
const daysLater = (days: number, hours = 0) => new Date(START.getTime() + (days * 24 + hours) * 3600_000);

// 集善中学's 分包 members: 郑卫东 (head of 法规安全科, which is contracted to it; also the office director),
// 钱立新 and 孙文华 (their posts' 督查 obligations name it). 赵国平 (局长) is contracted to 区实验小学 only.
const JISHAN_CONTRACTED = ['zhengweidong', 'qianlixin', 'sunwenhua'];

describe('a 重大 hazard goes up', () => {
  it('reaches the bureau’s office and the school’s 分包 members with a card, once per hazard', async () => {
    const answer = await sayIn(
      ids.school,
      'yinxianju',
      '报隐患 教学楼东侧围墙倾斜开裂 地点：教学楼东侧 重大',
    );
    expect(answer).toContain('YH-JSZX-2026-0001');
    for (const code of JISHAN_CONTRACTED) {
      const cards = (await sentTo(code)).filter((sent) => sent.includes('YH-JSZX-2026-0001'));
      expect(cards, code).toHaveLength(1);
      expect(cards[0]).toContain('昆山市花桥集善中学 重大隐患 YH-JSZX-2026-0001');
      expect(cards[0]).toContain('教学楼东侧围墙倾斜开裂');
      expect(cards[0]).toContain('bureau.hazard');
    }
    // Neither a bureau leader not contracted to it nor another school's people.
    expect((await sentTo('zhaoguoping')).join()).not.toContain('YH-JSZX');
    expect((await sentTo('sy-liming')).join()).not.toContain('YH-JSZX');
    // The rows are the school's, so the school's later changes refresh the bureau's copies.
    const rows = await database.db.select().from(outbox).where(eq(outbox.view, 'bureau'));
    expect(rows.map((row) => row.tenantId)).toEqual([ids.school, ids.school, ids.school]);

    // Said again (补充 程度 重大): nothing twice.
    await sayIn(ids.school, 'yinxianju', '补充 YH-JSZX-2026-0001 程度 重大');
    expect(await database.db.select().from(outbox).where(eq(outbox.view, 'bureau'))).toHaveLength(3);

    // The head accepts with interim measures: the bureau's card now shows them.
    await sayIn(ids.school, 'huangchun', '受理 YH-JSZX-2026-0001 措施 拉设警戒线，学生绕行');
    const refreshed = await database.db.select().from(outbox).where(eq(outbox.view, 'bureau'));
    expect(refreshed.every((row) => JSON.stringify(row.body).includes('拉设警戒线，学生绕行'))).toBe(true);
  });

  it('goes up when a report is graded 重大 later, and not at all from a school without a bureau', async () => {
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动');
    expect((await sentTo('chenhongmei')).join()).not.toContain('YH-SYXX-2026-0001');
    await sayIn(ids.school2, 'sy-sunhong', '补充 YH-SYXX-2026-0001 程度 重大');
    // 区实验小学's 分包: 赵国平 (局长), 孙文华, 陈红梅 (教育科); and the office.
    for (const code of ['zhaoguoping', 'sunwenhua', 'chenhongmei', 'zhengweidong']) {
      expect(
        (await sentTo(code)).filter((sent) => sent.includes('YH-SYXX-2026-0001')),
        code,
      ).toHaveLength(1);
    }
    expect((await sentTo('qianlixin')).join()).not.toContain('YH-SYXX');

    const [alone] = await seedExamples(database, ['school.yaml']);
    bot.now = START;
    await sayIn(alone!.tenantId, 'yinxianju', '报隐患 教学楼东侧围墙倾斜开裂 重大');
    expect(await database.db.select().from(outbox).where(eq(outbox.view, 'bureau'))).toHaveLength(0);
  });
});

describe('a bureau member opens a school’s hazard by number', () => {
  beforeEach(async () => {
    await sayIn(ids.school, 'yinxianju', '报隐患 教学楼三楼东侧灭火器过期，一般');
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般');
  });

  it('the office and the leaders open any school’s, a 分包 member only their schools’', async () => {
    const office = await sayIn(ids.bureau, 'zhengweidong', 'YH-JSZX-2026-0001');
    expect(office).toContain('昆山市花桥集善中学 隐患 YH-JSZX-2026-0001');
    expect(office).toContain('教学楼三楼东侧灭火器过期');
    expect(await sayIn(ids.bureau, 'zhaoguoping', '隐患 YH-JSZX-2026-0001')).toContain(
      '教学楼三楼东侧灭火器过期',
    );
    // 陈红梅 (教育科) is contracted to 区实验小学, not to 集善中学.
    expect(await sayIn(ids.bureau, 'chenhongmei', 'YH-SYXX-2026-0001')).toContain('食堂后门插座松动');
    const other = await sayIn(ids.bureau, 'chenhongmei', '隐患 YH-JSZX-2026-0001');
    expect(other).toContain('没有找到');
    expect(other).not.toContain('灭火器');
    // A 科室 head with no 分包学校.
    expect(await sayIn(ids.bureau, 'kongfanxing', 'YH-SYXX-2026-0001')).not.toContain('食堂后门');
  });

  it('a school never opens a sibling’s or the bureau’s, and the answer is the one for no such number', async () => {
    await sayIn(ids.bureau, 'zhengweidong', '报隐患 局机关大院监控损坏，一般');
    for (const code of ['YH-SYXX-2026-0001', 'YH-QJTJ-2026-0001', 'YH-SYXX-2026-0099']) {
      const answer = await sayIn(ids.school, 'wangxiaofang', code);
      expect(answer, code).toContain(`没有找到隐患 ${code}`);
      expect(answer).not.toMatch(/食堂后门|监控损坏/);
    }
  });

  it('the button on the bureau’s card answers with the card as it is now, for those who may see it', async () => {
    const hazard = await hazardOf('YH-JSZX-2026-0001');
    const opened = await pressIn(ids.bureau, 'qianlixin', 'bureau.hazard', { id: String(hazard.id) });
    expect(opened?.toast?.text).toContain('YH-JSZX-2026-0001');
    expect(JSON.stringify(opened?.card)).toContain('教学楼三楼东侧灭火器过期');
    const refused = await pressIn(ids.bureau, 'chenhongmei', 'bureau.hazard', { id: String(hazard.id) });
    expect(refused?.toast).toEqual({ kind: 'error', text: '找不到这条隐患。' });
    expect(refused?.card).toBeUndefined();
    // A school's member pressing it with the id: not found either.
    const school = await pressIn(ids.school2, 'sy-liming', 'bureau.hazard', { id: String(hazard.id) });
    expect(school?.toast?.kind).toBe('error');
  });
});

describe('挂牌督办 by the bureau', () => {
  beforeEach(async () => {
    await sayIn(ids.school, 'yinxianju', '报隐患 教学楼东侧围墙倾斜开裂 一般');
  });

  it('lists a school’s hazard, tells its 第一责任人 and office, and the school cannot change it', async () => {
    const answer = await sayIn(
      ids.bureau,
      'zhengweidong',
      '挂牌督办 YH-JSZX-2026-0001 围墙加固，消除倒塌风险 截止 2026-12-15',
    );
    expect(answer).toContain('YH-JSZX-2026-0001（昆山市花桥集善中学）已挂牌督办');
    const hazard = await hazardOf('YH-JSZX-2026-0001');
    expect(hazard).toMatchObject({
      listed: true,
      listedMatter: '围墙加固，消除倒塌风险',
      listedById: await bot.personId('zhengweidong'),
      listedByTenantId: ids.bureau,
      listedByAccountId: null,
    });
    for (const code of ['wangxiaofang', 'zhouyinyin']) {
      const card = (await sentTo(code)).find((sent) => sent.includes('某区教育体育局挂牌督办'));
      expect(card, code).toContain('某区教育体育局（郑卫东）');
    }
    const own = await sayIn(
      ids.school,
      'wangxiaofang',
      '挂牌督办 YH-JSZX-2026-0001 另定事项 截止 2026-12-31',
    );
    expect(own).toContain('已由上级挂牌督办');
    expect((await hazardOf('YH-JSZX-2026-0001')).listedMatter).toBe('围墙加固，消除倒塌风险');
    expect(await sayIn(ids.school, 'wangxiaofang', '隐患 YH-JSZX-2026-0001')).toContain(
      '【某区教育体育局挂牌督办】',
    );
    // The school's ledger says who listed it.
    const [row] = await ledgerExportRows(
      database.db,
      ids.school,
      { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') },
      bot.now,
    );
    expect(row!.listed).toContain('督办人：某区教育体育局（郑卫东）');
  });

  it('refuses a 分包 member who is no leader, a past deadline, and a number of no school of the bureau', async () => {
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般');
    expect(
      await sayIn(ids.bureau, 'chenhongmei', '挂牌督办 YH-SYXX-2026-0001 更换插座 截止 2026-12-15'),
    ).toContain('只有教育局领导和领导小组办公室');
    expect(
      await sayIn(ids.bureau, 'zhengweidong', '挂牌督办 YH-JSZX-2026-0001 加固 截止 2026-11-01'),
    ).toContain('已过');
    expect(
      await sayIn(ids.school2, 'sy-liming', '挂牌督办 YH-JSZX-2026-0001 加固 截止 2026-12-15'),
    ).toContain('没有找到隐患 YH-JSZX-2026-0001');
    expect((await hazardOf('YH-JSZX-2026-0001')).listed).toBe(false);
    expect((await hazardOf('YH-SYXX-2026-0001')).listed).toBe(false);
  });

  it('follows the 督办期限: the 第一责任人 before it, the bureau’s office after it, once; not once closed', async () => {
    await sayIn(ids.school, 'yinxianju', '报隐患 实验楼二楼应急灯不亮，一般');
    await sayIn(ids.bureau, 'zhengweidong', '挂牌督办 YH-JSZX-2026-0001 围墙加固 截止 2026-11-30');
    expect(
      await sayIn(ids.bureau, 'qianlixin', '挂牌督办 YH-JSZX-2026-0002 更换应急灯 截止 2026-11-30'),
    ).toContain('已挂牌督办');
    // The second one is found no hazard and rejected: closed ones are not chased.
    await sayIn(ids.school, 'zhouyinyin', '驳回 YH-JSZX-2026-0002 现场核实应急灯正常');
    // The lister hears of it.
    expect(await sentTo('qianlixin')).toContain(
      '贵局挂牌督办的隐患 YH-JSZX-2026-0002（昆山市花桥集善中学）已被学校驳回：现场核实应急灯正常。如有异议，请发送“隐患 YH-JSZX-2026-0002”查看后督办。',
    );

    await runJob(runHazardDeadlines, daysLater(5)); // 11-29, a day before
    expect((await sentTo('wangxiaofang')).filter((sent) => sent.includes('督办期限是'))).toHaveLength(1);
    expect((await sentTo('zhengweidong')).join()).not.toContain('已超过督办期限');

    await runJob(runHazardDeadlines, daysLater(7)); // 12-01: past the 督办期限
    await runJob(runHazardDeadlines, daysLater(7, 3));
    const office = (await sentTo('zhengweidong')).filter((sent) => sent.includes('已超过督办期限'));
    expect(office).toHaveLength(1);
    expect(office[0]).toContain('某区教育体育局挂牌督办的隐患 YH-JSZX-2026-0001（昆山市花桥集善中学）');
    expect(office[0]).not.toContain('YH-JSZX-2026-0002');
    expect((await sentTo('wangxiaofang')).filter((sent) => sent.includes('已超过督办期限'))).toHaveLength(1);
    expect((await sentTo('qianlixin')).filter((sent) => sent.includes('督办期限'))).toHaveLength(0);
  });
});

describe('整改通知书 and 约谈整改 down to a school', () => {
  it('go to the 第一责任人, who alone answers 收到 / 完成; the bureau hears of each step and sees the state', async () => {
    const answer = await sayIn(
      ids.bureau,
      'zhengweidong',
      '整改通知 集善中学 食堂后门消防通道堵塞，限期清理并书面报告 截止 2026-12-10',
    );
    expect(answer).toContain('已向昆山市花桥集善中学下发 RW-2026-0001（王晓芳）');
    const [task] = await database.db.select().from(tasks);
    expect(task).toMatchObject({
      tenantId: ids.school,
      kind: 'rectification_notice',
      assigneeId: await bot.personId('wangxiaofang'),
      assignerId: await bot.personId('zhengweidong'),
      assignerTenantId: ids.bureau,
    });
    const card = (await sentTo('wangxiaofang')).find((sent) => sent.includes('整改通知书 RW-2026-0001'));
    expect(card).toContain('某区教育体育局（郑卫东）');
    expect(card).toContain('task.ack');

    const other = await pressIn(ids.school, 'zhouyinyin', 'task.ack', { id: String(task!.id) });
    expect(other?.toast?.text).toContain('只有任务 RW-2026-0001 的承办人');
    const ack = await pressIn(ids.school, 'wangxiaofang', 'task.ack', { id: String(task!.id) });
    expect(ack?.toast?.kind).toBe('success');
    expect(await sentTo('zhengweidong')).toContain('王晓芳 已确认收到任务 RW-2026-0001。');

    await sayIn(ids.bureau, 'zhaoguoping', '约谈整改 区实验小学 约谈后落实校门值守整改，书面报告整改情况');
    const progress = await sayIn(ids.bureau, 'zhengweidong', '通知进度');
    expect(progress).toContain('昆山市花桥集善中学：');
    expect(progress).toContain('RW-2026-0001｜整改通知书｜王晓芳｜已确认收到｜截止 2026-12-10');
    // 约谈整改 without a date: 20 working days (11-24 + 20 working days = 12-22).
    expect(progress).toContain('区实验小学：');
    expect(progress).toContain('约谈整改｜李明｜待确认｜截止 2026-12-22');

    expect(await sayIn(ids.school, 'wangxiaofang', '完成 RW-2026-0001 通道已清理，书面报告已报送')).toContain(
      '已完成 RW-2026-0001',
    );
    expect(await sentTo('zhengweidong')).toContain(
      '王晓芳 已完成任务 RW-2026-0001：通道已清理，书面报告已报送',
    );
  });

  it('are refused to a school, to a bureau member who is no leader, and for a school not the bureau’s', async () => {
    expect(await sayIn(ids.school, 'wangxiaofang', '整改通知 区实验小学 清理通道')).toContain(
      '本单位没有所辖学校',
    );
    expect(await sayIn(ids.bureau, 'chenhongmei', '整改通知 区实验小学 清理通道')).toContain(
      '只有教育局领导和领导小组办公室',
    );
    expect(await sayIn(ids.bureau, 'zhengweidong', '整改通知 外区某中学 清理通道')).toContain(
      '“外区某中学”不是本单位所辖学校',
    );
    expect(await database.db.select().from(tasks)).toHaveLength(0);
  });

  it('are chased over the days: the 第一责任人 before, the bureau when overdue, the school’s office after', async () => {
    await sayIn(ids.bureau, 'zhengweidong', '整改通知 集善中学 清理消防通道 截止 2026-11-27');
    await runJob(runTaskDeadlines, daysLater(0, 20)); // 11-25 06:00: within a day of nothing
    expect((await sentTo('wangxiaofang')).filter((sent) => sent.includes('【提醒】'))).toHaveLength(0);
    await runJob(runTaskDeadlines, daysLater(2, 16)); // 11-27 02:00: due within a day, not acknowledged
    // Due within a day and not acknowledged after a day: one message with both.
    const reminded = (await sentTo('wangxiaofang')).filter((sent) => sent.includes('将于'));
    expect(reminded).toHaveLength(1);
    expect(reminded[0]).toContain('尚未确认收到');
    expect((await sentTo('zhengweidong')).join()).not.toContain('已超过截止时间');

    await runJob(runTaskDeadlines, daysLater(4)); // 11-28: overdue
    await runJob(runTaskDeadlines, daysLater(4, 2));
    expect((await sentTo('zhengweidong')).filter((sent) => sent.includes('已超过截止时间'))).toHaveLength(1);
    expect((await sentTo('zhouyinyin')).join()).not.toContain('超期未完成');

    await runJob(runTaskDeadlines, daysLater(5, 2)); // a day later: the school's office and 第一责任人
    expect((await sentTo('zhouyinyin')).filter((sent) => sent.includes('超期未完成'))).toHaveLength(1);
    // Done: nothing more.
    await sayIn(ids.school, 'wangxiaofang', '完成 RW-2026-0001 已清理');
    const before = (await database.db.select().from(outbox)).length;
    await runJob(runTaskDeadlines, daysLater(9));
    expect(await database.db.select().from(outbox)).toHaveLength(before);
  });

  it('are in the bureau’s 帮助, not in a school’s', async () => {
    expect(await sayIn(ids.bureau, 'zhengweidong', '帮助')).toContain('整改通知 <学校> <内容> [截止 <日期>]');
    expect(await sayIn(ids.school, 'zhouyinyin', '帮助')).not.toContain('整改通知');
  });
});
