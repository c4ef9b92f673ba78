// Issue 15 §1: every open state of a hazard is chased — a report nobody accepts, a rectification nobody
// re-inspects, an extension nobody decides — and a 挂牌督办 whose 督办期限 comes before the rectification
// deadline is flagged. The simulator (console channel) drives the flows; the job runs with later clocks.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards, people, postHolders, reminders, tenants } from '../db/schema.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { settingsSchema } from '../handlers/settings.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
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

const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // head of 安保处
const OFFICE = 'zhouyinyin'; // office director
const DEPUTY = 'wangxiaohua'; // office deputy
const DIRECT = 'xuejianping'; // 分管安保处 (直接责任人)
const PRINCIPAL = 'wangxiaofang'; // 第一责任人
const WALL_HEAD = 'huangchun'; // head of the unit a leaning wall goes to

/** 2026-09-30T10:00 in Shanghai is `shanghai('2026-09-30 10:00')`. */
const shanghai = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const run = (at?: string) => {
  if (at) bot.now = shanghai(at);
  return runHazardDeadlines({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
};
const theHazard = async () => (await database.db.select().from(hazards).orderBy(asc(hazards.id)))[0]!;
/** The steps sent, as `step:person code`, in the order they were claimed. */
async function steps(prefix = ''): Promise<string[]> {
  const rows = await database.db.select().from(reminders).orderBy(asc(reminders.id));
  const codes = new Map(
    (await database.db.select({ id: people.id, code: people.code }).from(people)).map((row) => [
      row.id,
      row.code,
    ]),
  );
  return rows
    .filter((row) => row.step !== 'grave-notice')
    .map((row) => `${row.step}:${codes.get(row.personId) ?? row.personId}`)
    .filter((step) => step.startsWith(prefix));
}
const inboxOf = async (code: string) => bot.inbox(await bot.personId(code));
const mentions = async (code: string, text: string) =>
  (await inboxOf(code)).filter((message) => message.includes(text)).length;

async function report(text: string, at: string) {
  bot.now = shanghai(at);
  await bot.say(REPORTER, text);
  return theHazard();
}

describe('a report nobody accepts (已上报)', () => {
  it('a 重大 hazard on a Friday evening: the unit head after 1 hour, the 第一责任人 and the office after 2, once each', async () => {
    const hazard = await report('报隐患 学生放学路线旁围墙倾斜 重大', '2026-09-25 17:30');
    expect(hazard.severity).toBe('grave');
    expect(await run('2026-09-25 18:20')).toEqual({ sent: 0 });
    await run('2026-09-25 18:31');
    expect(await steps()).toEqual([`accept-remind:${WALL_HEAD}`]);
    expect((await inboxOf(WALL_HEAD)).at(-1)).toContain('至今未受理');
    expect((await inboxOf(WALL_HEAD)).at(-1)).toContain('hazard.accept');
    // Clock hours, not working hours: 19:31 on a Friday evening escalates, with runs overlapping.
    bot.now = shanghai('2026-09-25 19:31');
    await Promise.all([run(), run(), run()]);
    await run();
    expect((await steps('accept-escalated')).sort()).toEqual(
      [`accept-escalated:${PRINCIPAL}`, `accept-escalated:${OFFICE}`, `accept-escalated:${DEPUTY}`].sort(),
    );
    expect(await mentions(PRINCIPAL, '超过 2 小时仍未受理')).toBe(1);
    // Accepting stops the chase at once.
    // A 重大 one is accepted with its 临时管控措施 (issue 15 §3).
    await bot.press(
      WALL_HEAD,
      'hazard.accept',
      { id: String(hazard.id) },
      { interim: '拉设警戒线，学生绕行' },
    );
    expect((await theHazard()).status).toBe('accepted');
    const before = await steps();
    expect(await run('2026-09-28 10:00')).toEqual({ sent: 0 });
    expect(await steps()).toEqual(before);
  });

  it('counts a hazard made 重大 later from the moment the 第一责任人 was told, not from the report', async () => {
    const hazard = await report('报隐患 实验楼二楼 有个东西看起来不太对劲', '2026-09-25 09:00');
    bot.now = shanghai('2026-09-25 15:00');
    await bot.press(REPORTER, 'hazard.complete', { id: String(hazard.id), severity: 'grave' });
    expect(await run('2026-09-25 15:50')).toEqual({ sent: 0 });
    await run('2026-09-25 17:01');
    expect(await steps('accept-escalated')).toContain(`accept-escalated:${PRINCIPAL}`);
  });

  it('a 一般 hazard before the National Day holiday: the head on the next working day, then 分管, then the office', async () => {
    // Reported Wed 09-30; 10-01..07 are holidays, so the next working day is Thu 10-08.
    const hazard = await report('报隐患 教学楼三楼东侧灭火器过期，一般', '2026-09-30 10:00');
    for (const day of ['2026-10-01 09:00', '2026-10-03 12:00', '2026-10-07 20:00', '2026-10-08 07:50'])
      expect(await run(day), day).toEqual({ sent: 0 });
    await run('2026-10-08 08:00');
    expect(await steps()).toEqual([`accept-remind:${HEAD}`]);
    expect((await inboxOf(HEAD)).at(-1)).toContain('请于 2026-10-08 23:59 前受理或驳回');
    await run('2026-10-08 23:00');
    expect(await steps()).toHaveLength(1);
    await run('2026-10-09 00:10');
    expect(await steps()).toEqual([`accept-remind:${HEAD}`, `accept-direct:${DIRECT}`]);
    await run('2026-10-09 23:00');
    expect(await steps()).toHaveLength(2);
    bot.now = shanghai('2026-10-10 00:10');
    await Promise.all([run(), run()]);
    expect((await steps('accept-office')).sort()).toEqual(
      [`accept-office:${OFFICE}`, `accept-office:${DEPUTY}`].sort(),
    );
    // The office gets a card it can accept from.
    expect((await inboxOf(OFFICE)).at(-1)).toContain('hazard.accept');
    await run('2026-10-20 10:00');
    expect(await steps()).toHaveLength(4);
    // A rejection ends it.
    await bot.say(OFFICE, `驳回 ${hazard.code} 已于 10-09 更换，不再构成隐患`);
    expect((await theHazard()).status).toBe('rejected');
  });

  it('takes its thresholds from the tenant settings', async () => {
    await database.db
      .update(tenants)
      .set({ settings: { hazard_accept_grave_hours: 6, hazard_accept_working_days: 3 } })
      .where(eq(tenants.id, bot.tenantId));
    await report('报隐患 学生放学路线旁围墙倾斜 重大', '2026-09-25 17:30');
    await run('2026-09-25 20:00');
    expect(await steps()).toEqual([]);
    await run('2026-09-25 20:31');
    expect(await steps()).toEqual([`accept-remind:${WALL_HEAD}`]);
    await run('2026-09-25 23:29');
    expect(await steps()).toHaveLength(1);
    await run('2026-09-25 23:31');
    expect(await steps('accept-escalated')).toHaveLength(3);
  });

  it('refuses a bad threshold in the organization file, naming it', () => {
    expect(settingsSchema.safeParse({ hazard_accept_grave_hours: 0 }).success).toBe(false);
    expect(settingsSchema.safeParse({ hazard_review_working_days: 1.5 }).success).toBe(false);
    expect(settingsSchema.parse({})).toMatchObject({
      hazard_accept_grave_hours: 2,
      hazard_accept_working_days: 1,
      hazard_accept_office_after_working_days: 1,
      hazard_review_working_days: 2,
      hazard_review_first_after_working_days: 2,
      hazard_extension_working_days: 1,
      hazard_extension_office_after_working_days: 1,
    });
    const yaml = `tenant: { code: t, name: 测试学校, kind: school }
units: [{ code: u, name: 办公室 }]
posts: []
people: []
leading_group: { office: u }
settings: { hazard_extension_working_days: -1 }
`;
    expect(() => parseOrgFile('org.yaml', yaml)).toThrow(/settings\.hazard_extension_working_days/);
  });
});

/** A 一般 hazard accepted on Wed 2026-09-30 (deadline 2026-10-15) and rectified when asked. */
async function acceptedHazard() {
  const hazard = await report('报隐患 教学楼三楼东侧灭火器过期，一般', '2026-09-30 10:00');
  await bot.press(HEAD, 'hazard.accept', { id: String(hazard.id) });
  return theHazard();
}

describe('a rectification nobody re-inspects (待复查)', () => {
  it('tells the office director after 2 working days and the 第一责任人 after 2 more, then stops when re-inspected', async () => {
    const hazard = await acceptedHazard();
    // Submitted Fri 10-09; Sat 10-10 is a make-up workday, so 2 working days end with Mon 10-12.
    bot.now = shanghai('2026-10-09 10:00');
    await bot.press(HEAD, 'hazard.submit', { id: String(hazard.id) }, { measures: '已更换 3 具灭火器' });
    await run('2026-10-12 23:00');
    expect(await steps('review')).toEqual([]);
    await run('2026-10-13 00:10');
    await run('2026-10-13 09:00');
    expect(await steps('review')).toEqual([`review-office:${OFFICE}`]);
    expect((await inboxOf(OFFICE)).at(-1)).toContain('已超过 2 个工作日未复查');
    expect((await inboxOf(OFFICE)).at(-1)).toContain('hazard.pass');
    await run('2026-10-14 23:50');
    expect(await steps('review')).toHaveLength(1);
    await run('2026-10-15 00:10');
    expect(await steps('review')).toEqual([`review-office:${OFFICE}`, `review-first:${PRINCIPAL}`]);
    await bot.press(OFFICE, 'hazard.fail', { id: String(hazard.id) }, { reason: '压力表仍在红区' });
    expect((await theHazard()).status).toBe('rectifying');
    expect(await run('2026-10-20 10:00')).toMatchObject({ sent: expect.any(Number) });
    expect(await steps('review')).toHaveLength(2);
  });

  it('arms the steps again for a second submission', async () => {
    const hazard = await acceptedHazard();
    bot.now = shanghai('2026-10-09 10:00');
    await bot.press(HEAD, 'hazard.submit', { id: String(hazard.id) }, { measures: '已更换' });
    await run('2026-10-13 09:00');
    bot.now = shanghai('2026-10-13 10:00');
    await bot.press(OFFICE, 'hazard.fail', { id: String(hazard.id) }, { reason: '未贴检验标签' });
    await bot.press(HEAD, 'hazard.submit', { id: String(hazard.id) }, { measures: '已贴标签' });
    await run('2026-10-15 23:00');
    expect(await steps('review')).toHaveLength(1);
    await run('2026-10-16 00:10');
    expect(await steps('review')).toEqual([`review-office:${OFFICE}`, `review-office:${OFFICE}`]);
    await bot.press(OFFICE, 'hazard.pass', { id: String(hazard.id) });
    expect(await run('2026-10-30 10:00')).toEqual({ sent: 0 });
  });
});

describe('an extension nobody decides', () => {
  it('goes to the approver again after 1 working day, then to the office, and stops when decided', async () => {
    const hazard = await acceptedHazard();
    bot.now = shanghai('2026-10-12 10:00');
    await bot.press(
      HEAD,
      'hazard.extend',
      { id: String(hazard.id) },
      { days: '5', reason: '等待消防器材到货' },
    );
    expect(await mentions(DIRECT, 'hazard.extension')).toBe(1);
    await run('2026-10-13 23:00');
    expect(await steps('extension')).toEqual([]);
    await run('2026-10-14 00:10');
    expect(await steps('extension')).toEqual([`extension-again:${DIRECT}`]);
    expect((await inboxOf(DIRECT)).at(-1)).toContain('延期 5 天的申请');
    expect((await inboxOf(DIRECT)).at(-1)).toContain('hazard.extension');
    await run('2026-10-15 00:10');
    expect((await steps('extension')).sort()).toEqual(
      [`extension-again:${DIRECT}`, `extension-office:${OFFICE}`, `extension-office:${DEPUTY}`].sort(),
    );
    expect((await inboxOf(OFFICE)).at(-1)).toContain('审批人：薛建平');
    await bot.say(DIRECT, `批准延期 ${hazard.code}`);
    await run('2026-10-16 10:00');
    expect(await steps('extension')).toHaveLength(3);
  });
});

describe('a 挂牌督办 whose 督办期限 comes before the rectification deadline', () => {
  it('is flagged on its card and to the leader who listed it when the hazard is accepted', async () => {
    const hazard = await report('报隐患 教学楼三楼东侧灭火器过期，一般', '2026-09-30 10:00');
    expect(await bot.say(PRINCIPAL, `挂牌督办 ${hazard.code} 国庆后立即更换 截止 2026-10-09`)).not.toContain(
      '督办期限（',
    );
    const answer = await bot.say(HEAD, `受理 ${hazard.code}`);
    expect(answer).toContain('注意：督办期限（2026-10-09 23:59）早于整改期限（2026-10-15 23:59）');
    const told = (await inboxOf(PRINCIPAL)).filter((text) => text.includes('早于整改期限'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`您挂牌督办的隐患 ${hazard.code}`);
    expect(await bot.say(REPORTER, `隐患 ${hazard.code}`)).toContain('请调整整改期限或督办期限');
  });

  it('tells the lister at listing time only through the answer, and once when an extension would pass it', async () => {
    const hazard = await acceptedHazard(); // deadline 2026-10-15
    const listed = await bot.say(PRINCIPAL, `挂牌督办 ${hazard.code} 限期更换 截止 2026-10-12`);
    expect(listed).toContain('已挂牌督办');
    expect(listed).toContain('督办期限（2026-10-12 23:59）早于整改期限（2026-10-15 23:59）');

    // A listing that leaves room, then an extension that would pass it.
    await bot.say(PRINCIPAL, `挂牌督办 ${hazard.code} 限期更换 截止 2026-10-20`);
    expect(await bot.say(REPORTER, `隐患 ${hazard.code}`)).not.toContain('⚠');
    bot.now = shanghai('2026-10-12 10:00');
    const before = await mentions(PRINCIPAL, '早于整改期限');
    const asked = await bot.say(HEAD, `申请延期 ${hazard.code} 5 等待到货`);
    expect(asked).toContain('申请的延期将超过督办期限');
    expect(await mentions(PRINCIPAL, '早于整改期限（2026-10-22 23:59）')).toBe(1);
    expect((await inboxOf(DIRECT)).at(-1)).toContain('若批准延期，督办期限（2026-10-20 23:59）早于整改期限');
    // Approving makes it a fact: the lister hears it once more, and the card says so.
    await bot.say(DIRECT, `批准延期 ${hazard.code}`);
    expect(await mentions(PRINCIPAL, '早于整改期限')).toBe(before + 2);
    expect(await bot.say(REPORTER, `隐患 ${hazard.code}`)).toContain('请调整整改期限或督办期限');
  });
});

describe('a vacant 分管 post', () => {
  it('sends what would go to the 直接责任人 to the 第一责任人 instead, for a report and for an overdue rectification', async () => {
    await database.db
      .update(postHolders)
      .set({ endedAt: shanghai('2026-09-01 00:00') })
      .where(eq(postHolders.personId, await bot.personId(DIRECT)));
    const hazard = await acceptedHazard(); // deadline 2026-10-15
    await report('报隐患 校门口监控探头损坏，一般', '2026-10-12 09:00');
    await run('2026-10-14 00:10');
    expect(await steps('accept-direct')).toEqual([`accept-direct:${PRINCIPAL}`]);
    await run('2026-10-16 00:10');
    expect((await steps('overdue:')).sort()).toEqual([`overdue:${HEAD}`, `overdue:${PRINCIPAL}`].sort());
    expect(await mentions(PRINCIPAL, `隐患 ${hazard.code} 已超过整改期限`)).toBe(1);
  });
});

describe('a fresh install', () => {
  it('sends nothing on any day of the year with the example school', async () => {
    for (let day = 0; day < 366; day += 7) {
      bot.now = new Date(Date.UTC(2026, 0, 1 + day, 1));
      expect(await run()).toEqual({ sent: 0 });
    }
  });
});
