// What a bureau sees of its schools in chat (issue 19): `隐患台账 学校 <名称>` for the office and leaders,
// only of its own schools; a school's people never see the bureau's or another school's hazards.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { openTestDatabase, seedExamples } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;
let ids: { bureau: number; school: number; school2: number };

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, new Date());
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
  bot.now = new Date('2026-11-24T02:00:00Z'); // Tuesday 10:00 in Shanghai
});

/** Says `text` as `person` of the tenant `tenantId`. */
async function sayIn(tenantId: number, person: string, text: string) {
  bot.tenantId = tenantId;
  return bot.say(person, text);
}

describe('the bureau in chat', () => {
  it('numbers each organization’s hazards with its prefix, and a typed short number finds its own', async () => {
    expect(await sayIn(ids.school, 'yinxianju', '报隐患 教学楼三楼东侧灭火器过期，一般')).toContain(
      'YH-JSZX-2026-0001',
    );
    expect(await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般')).toContain(
      'YH-SYXX-2026-0001',
    );
    expect(await sayIn(ids.school, 'yinxianju', '隐患 YH-2026-0001')).toContain('教学楼三楼东侧灭火器过期');
    // Another organization's number is not found from a school.
    expect(await sayIn(ids.school, 'yinxianju', '隐患 YH-SYXX-2026-0001')).toContain('没有找到');
  });

  it('gives the office and the leaders a school’s ledger, and only of the bureau’s schools', async () => {
    await sayIn(ids.school, 'yinxianju', '报隐患 教学楼三楼东侧灭火器过期，一般');
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般');

    const office = await sayIn(ids.bureau, 'zhengweidong', '隐患台账 学校 昆山市花桥集善中学');
    expect(office).toContain('隐患台账（昆山市花桥集善中学）');
    expect(office).toContain('YH-JSZX-2026-0001');
    expect(office).not.toContain('YH-SYXX');
    const leader = await sayIn(ids.bureau, 'zhaoguoping', '隐患台账 学校：区实验小学');
    expect(leader).toContain('YH-SYXX-2026-0001');
    expect(leader).not.toContain('YH-JSZX');

    expect(await sayIn(ids.bureau, 'zhengweidong', '隐患台账 学校 区第三中学')).toContain(
      '“区第三中学”不是本单位所辖学校。所辖学校：区实验小学、昆山市花桥集善中学',
    );
    // A 科室 head who is neither the office nor a leader.
    const other = await sayIn(ids.bureau, 'kongfanxing', '隐患台账 学校 区实验小学');
    expect(other).toContain('只有领导小组办公室和单位领导可以查看所辖学校的隐患台账');
    expect(other).not.toContain('YH-SYXX');
  });

  it('never shows a school the bureau’s or a sibling school’s hazards', async () => {
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般');
    await sayIn(ids.bureau, 'zhengweidong', '报隐患 局机关大院监控损坏，一般');
    for (const name of ['区实验小学', '某区教育体育局']) {
      const answer = await sayIn(ids.school, 'wangxiaofang', `隐患台账 学校 ${name}`);
      expect(answer).toContain('本单位没有所辖学校');
      expect(answer).not.toMatch(/YH-(SYXX|QJTJ)/);
    }
    const own = await sayIn(ids.school, 'wangxiaofang', '隐患台账 全部');
    expect(own).not.toMatch(/YH-(SYXX|QJTJ)/);
    expect(await sayIn(ids.school, 'wangxiaofang', '隐患 YH-QJTJ-2026-0001')).toContain('没有找到');
  });

  it('lists a 分包 member’s contracted schools in 我的职责 with open, overdue and listed counts and the visits', async () => {
    await sayIn(ids.school, 'yinxianju', '报隐患 教学楼三楼东侧灭火器过期，一般');
    await sayIn(ids.school2, 'sy-sunhong', '报隐患 食堂后门插座松动，一般');
    await sayIn(ids.bureau, 'zhaoguoping', '记录 督查 学校 区实验小学 检查校门值守');
    // 局长 赵国平 is contracted to 区实验小学 only (posts[0].obligations[0].schools).
    const duties = await sayIn(ids.bureau, 'zhaoguoping', '我的职责');
    expect(duties).toContain(
      '· 区实验小学：未销号隐患 1 项，超期 0 项，挂牌督办 0 项；2026年第四季度督查 1/2',
    );
    expect(duties).not.toContain('· 昆山市花桥集善中学：');
    // The office director heads 法规安全科, whose 分包学校 is the 集善中学 (units[0].schools).
    expect(await sayIn(ids.bureau, 'zhengweidong', '我的职责')).toContain(
      '· 昆山市花桥集善中学：未销号隐患 1 项，超期 0 项，挂牌督办 0 项',
    );
    // A school's member has no 分包学校.
    expect(await sayIn(ids.school, 'yinxianju', '我的职责')).not.toContain('分包学校：');
  });
});
