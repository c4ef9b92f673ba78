// The office's reports (DOMAIN §7) over real HTTP against the real service, with data made through the
// real core (console driver) and, for closed obligation periods, direct inserts: the quarterly numbers
// and their XLSX, the year-end table with a 一票否决 flag set through the console form (CSRF), the
// 述职述安 draft from the records only (its DOCX and edits: statement.test.ts), and tenant isolation
// against the bureau's admin.

import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  adminAccounts,
  auditEvents,
  hazards,
  obligationPeriods,
  obligations,
  people,
  postHolders,
  posts,
  units,
  vetoFlags,
} from '../db/schema.ts';
import { NO_RECORDS_LINE, PART_HEADINGS } from '../handlers/statement.ts';
import { useConsoleHarness } from './helpers/console-harness.ts';
import { BUREAU, BUREAU_PASSWORD, cellByHeader, csrfOf, login } from './helpers/console-http.ts';

/** 2027-01-10 10:00 in Shanghai: 2026-Q4 is over. */
const NOW = new Date('2027-01-10T02:00:00Z');

const t = useConsoleHarness(NOW);

async function unitName(id: number | null) {
  const [row] = await t.database.db.select({ name: units.name }).from(units).where(eq(units.id, id!));
  return row!.name;
}

/** The first obligation of a person's post, for a closed period inserted directly. */
async function obligationOf(code: string) {
  const person = await t.personId(code);
  const [row] = await t.database.db
    .select({ id: obligations.id, title: obligations.title, unitId: posts.unitId })
    .from(obligations)
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .innerJoin(postHolders, eq(postHolders.postId, posts.id))
    .where(eq(postHolders.personId, person))
    .orderBy(obligations.id)
    .limit(1);
  return { person, ...row! };
}

const at = (iso: string) => new Date(iso);

/**
 * 2026-Q4 at the school: 3 hazards reported (one closed, one accepted and past its deadline, one listed
 * by the principal), 2 tasks (one done, one overdue), two meetings chaired by the principal, and two
 * closed monthly periods: 安保处's met, the principal's missed.
 */
async function seedQuarter() {
  t.bot.now = at('2026-11-02T02:00:00Z');
  await t.bot.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
  await t.bot.say('chenjing', '报隐患 食堂 食堂卫生差，一般');
  await t.bot.say('chenjing', '报隐患 食堂后门 食品配送车辆无证进出 较大');
  const rows = (await t.database.db.select().from(hazards).orderBy(hazards.id)).map((row) => row);
  expect(rows).toHaveLength(3);
  const [first, second, third] = rows as [
    typeof hazards.$inferSelect,
    typeof hazards.$inferSelect,
    typeof hazards.$inferSelect,
  ];
  const headOf = async (unitId: number | null) => {
    const [row] = await t.database.db
      .select({ code: people.code })
      .from(posts)
      .innerJoin(postHolders, eq(postHolders.postId, posts.id))
      .innerJoin(people, eq(people.id, postHolders.personId))
      .where(and(eq(posts.unitId, unitId!), eq(posts.isUnitHead, true)));
    return row!.code;
  };
  const head1 = await headOf(first.unitId);
  await t.bot.press(head1, 'hazard.accept', { id: String(first.id) });
  await t.bot.press(head1, 'hazard.submit', { id: String(first.id) }, { measures: '已更换 3 具灭火器' });
  t.bot.now = at('2026-11-04T02:00:00Z');
  await t.bot.press('zhouyinyin', 'hazard.pass', { id: String(first.id) });
  await t.bot.press(await headOf(second.unitId), 'hazard.accept', { id: String(second.id) });
  t.bot.now = at('2026-11-05T02:00:00Z');
  expect(
    await t.bot.say('wangxiaofang', `挂牌督办 ${third.code} 整治配送车辆进出管理 截止 2027-03-31`),
  ).toContain('挂牌督办');
  expect(
    await t.bot.say('wangxiaofang', '记录 会议 日期 11月5日 召开学校安全工作会议，部署冬季消防'),
  ).toBeTruthy();
  await t.bot.say('zhouyinyin', '派任务 @安保处 检查校门监控是否完好 截止 2026-12-01');
  await t.bot.say('zhouyinyin', '派任务 @总务处 检查食堂燃气管道 截止 2026-12-01');
  t.bot.now = at('2026-11-20T02:00:00Z');
  expect(await t.bot.say('yinxianju', '完成 RW-2026-0001 已检查 12 个摄像头，均正常')).toContain('已完成');
  t.bot.now = at('2026-12-18T02:00:00Z');
  await t.bot.say('wangxiaofang', '记录 会议 日期 12月18日 主持安全工作会议，研究寒假安全');

  const principal = await obligationOf('wangxiaofang');
  const anbao = await obligationOf('yinxianju');
  await t.database.db.insert(obligationPeriods).values([
    {
      tenantId: t.schoolId,
      obligationId: principal.id,
      personId: principal.person,
      periodKey: '2026-11',
      periodStart: '2026-11-01',
      periodEnd: '2026-11-30',
      done: 0,
      needed: 1,
      met: false,
      closedAt: at('2026-12-01T01:00:00Z'),
    },
    {
      tenantId: t.schoolId,
      obligationId: anbao.id,
      personId: anbao.person,
      periodKey: '2026-11',
      periodStart: '2026-11-01',
      periodEnd: '2026-11-30',
      done: 1,
      needed: 1,
      met: true,
      closedAt: at('2026-12-01T01:00:00Z'),
    },
  ]);
  await t.harness.service.dispatcher.idle();
  return { hazards: [first, second, third], principal, anbao };
}

describe('reports', () => {
  it('counts 2026-Q4 exactly, per tenant and per unit, and the XLSX carries the same numbers', async () => {
    const seeded = await seedQuarter();
    const [first, second, third] = await t.database.db.select().from(hazards).orderBy(hazards.id);
    expect(first!.status).toBe('closed');
    expect(second!.status).toBe('accepted');
    expect(second!.deadline!.getTime()).toBeLessThan(NOW.getTime());
    expect(third!.listed).toBe(true);

    await login(t.browser);
    const { response, html } = await t.browser.page('/console/reports/quarterly?quarter=2026-Q4');
    expect(response.status).toBe(200);
    expect(html).toContain('2026年第四季度');
    expect(html).toContain('@media print');
    const total = (header: string) => cellByHeader(html, '全单位合计', header);
    expect(total('职责达标')).toBe('1');
    expect(total('职责未达标')).toBe('1');
    expect(total('职责进行中')).toBe('0');
    expect(total('发现隐患')).toBe('3');
    expect(total('销号')).toBe('1');
    expect(total('未销号')).toBe('2');
    // The listed one has no rectification deadline (only its listing deadline, 2027-03-31).
    expect(total('逾期')).toBe('1');
    expect(total('挂牌督办')).toBe('1');
    expect(total('按程度')).toBe('一般 2；较大 1');
    expect(total('派发任务')).toBe('2');
    expect(total('完成任务')).toBe('1');
    expect(total('逾期任务')).toBe('1');

    // Per unit: the closed hazard's unit counts it, 安保处 has the met period and the done task.
    const firstUnit = await unitName(first!.unitId);
    expect(Number(cellByHeader(html, firstUnit, '销号'))).toBe(1);
    expect(cellByHeader(html, '安保处', '职责达标')).toBe('1');
    expect(cellByHeader(html, '安保处', '完成任务')).toBe('1');
    expect(cellByHeader(html, '总务处', '逾期任务')).toBe('1');
    expect(seeded.principal.unitId ?? null).toBeNull();
    expect(cellByHeader(html, '校（局）领导及未归属处室', '职责未达标')).toBe('1');

    const file = await t.browser.get('/console/reports/quarterly.xlsx?quarter=2026-Q4');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('spreadsheetml');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await file.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(2).values as unknown[]).slice(1);
    const totals = (sheet.getRow(3).values as unknown[]).slice(1);
    expect(totals[0]).toBe('全单位合计');
    const value = (name: string) => totals[header.indexOf(name)];
    expect(value('发现隐患')).toBe(3);
    expect(value('销号')).toBe(1);
    expect(value('逾期')).toBe(1);
    expect(value('挂牌督办')).toBe(1);
    expect(value('派发任务')).toBe(2);
    expect(value('完成任务')).toBe(1);
    expect(value('职责未达标')).toBe(1);

    // Another quarter has none of it; a bad key is refused.
    const q3 = await t.browser.page('/console/reports/quarterly?quarter=2026-Q3');
    expect(cellByHeader(q3.html, '全单位合计', '发现隐患')).toBe('0');
    expect((await t.browser.get('/console/reports/quarterly?quarter=2026-Q9')).status).toBe(400);
  });

  it('sets a 一票否决 flag through the form (CSRF required) and shows it for that unit only', async () => {
    await login(t.browser);
    const page = await t.browser.page('/console/reports/year?year=2026');
    expect(page.response.status).toBe(200);
    for (const label of ['发生重大安全事故', '超过事故控制指标', '考核不合格', '瞒报谎报事故']) {
      expect(page.html).toContain(label);
    }
    const [anbao] = await t.database.db
      .select()
      .from(units)
      .where(and(eq(units.tenantId, t.schoolId), eq(units.name, '安保处')));
    const fields = {
      year: '2026',
      unit: String(anbao!.id),
      kind: 'concealed',
      action: 'set',
      reason: '瞒报学生校内摔伤事故',
    };
    expect((await t.browser.post('/console/reports/year/veto', fields)).status).toBe(403);
    expect(await t.database.db.select().from(vetoFlags)).toHaveLength(0);
    const set = await t.browser.post('/console/reports/year/veto', { ...fields, _csrf: csrfOf(page.html) });
    expect(set.status).toBe(303);
    const after = await t.browser.page('/console/reports/year?year=2026');
    expect(cellByHeader(after.html, '安保处', '考核结果')).toBe('一票否决');
    expect(cellByHeader(after.html, '安保处', '一票否决事项')).toContain('瞒报谎报事故');
    expect(cellByHeader(after.html, '总务处', '考核结果')).toBe('无否决项');
    expect(after.html.match(/>一票否决</g)).toHaveLength(1);

    const file = await t.browser.get('/console/reports/year.xlsx?year=2026');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await file.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(2).values as unknown[]).slice(1);
    const results = new Map<string, unknown>();
    sheet.eachRow((row, index) => {
      if (index > 2)
        results.set(String(row.getCell(1).value), row.getCell(header.indexOf('考核结果') + 1).value);
    });
    expect(results.get('安保处')).toBe('一票否决');
    expect(results.get('总务处')).toBe('无否决项');

    // Clearing it.
    const clear = await t.browser.post('/console/reports/year/veto', {
      ...fields,
      action: 'clear',
      _csrf: csrfOf(after.html),
    });
    expect(clear.status).toBe(303);
    expect(await t.database.db.select().from(vetoFlags)).toHaveLength(0);
    // The trail names the office's account that set and cleared it (issue 14).
    const [account] = await t.database.db
      .select()
      .from(adminAccounts)
      .where(and(eq(adminAccounts.tenantId, t.schoolId), eq(adminAccounts.username, 'office')));
    const trail = await t.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `unit:${anbao!.id}`));
    expect(trail.map((row) => [row.action, row.actorId, row.actorAccountId])).toEqual([
      ['veto.set', null, account!.id],
      ['veto.clear', null, account!.id],
    ]);
  });

  it('drafts the 述职述安 from the records only: meetings with dates, a missed duty; 无记录 otherwise', async () => {
    await seedQuarter();
    await login(t.browser);
    const principal = await t.personId('wangxiaofang');
    const page = await t.browser.page(`/console/reports/statement?person=${principal}&year=2026`);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('<textarea name="text"');
    const file = await t.browser.get(`/console/reports/statement.txt?person=${principal}&year=2026`);
    expect(file.headers.get('content-type')).toContain('text/plain');
    const text = await file.text();
    expect(text).toContain('王晓芳');
    expect(text).toContain('主持或参加安全工作会议 2 次');
    expect(text).toContain('2026-11-05');
    expect(text).toContain('2026-12-18');
    expect(text).toContain('挂牌督办隐患 1 项');
    expect(text).toContain('未按要求完成的职责 1 项');
    expect(text).toContain('2026-11');
    expect(text).not.toContain('无记录');
    expect(text).toContain('批评指正');

    // A leader with no records of their own: the four parts, with the 无记录 line where their records go.
    const deputy = await t.personId('zhangfanghui');
    const empty = await (
      await t.browser.get(`/console/reports/statement.txt?person=${deputy}&year=2026`)
    ).text();
    const lines = empty.trim().split('\n').filter(Boolean);
    expect(lines[0]).toBe('2026年度述职述安报告');
    expect(lines[1]).toContain('章方辉');
    expect(lines).toContain(NO_RECORDS_LINE);
    for (const heading of PART_HEADINGS) expect(lines).toContain(heading);

    // The edited text comes back as a download (CSRF required).
    const fields = { person: String(principal), year: '2026', text: '修改后的报告' };
    expect((await t.browser.post('/console/reports/statement.txt', fields)).status).toBe(403);
    const edited = await t.browser.post('/console/reports/statement.txt', {
      ...fields,
      _csrf: csrfOf(page.html),
    });
    expect(await edited.text()).toBe('修改后的报告\n');

    // Not a leader (a class teacher): 404.
    expect(
      (await t.browser.get(`/console/reports/statement?person=${await t.personId('chenjing')}&year=2026`))
        .status,
    ).toBe(404);
  });

  it('keeps the bureau admin out of the school’s reports', async () => {
    await seedQuarter();
    const bureau = t.newBrowser();
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    const principal = await t.personId('wangxiaofang');
    expect((await bureau.get(`/console/reports/statement?person=${principal}&year=2026`)).status).toBe(404);
    expect((await bureau.get(`/console/reports/statement.txt?person=${principal}&year=2026`)).status).toBe(
      404,
    );
    const quarterly = await bureau.page('/console/reports/quarterly?quarter=2026-Q4');
    expect(quarterly.response.status).toBe(200);
    expect(cellByHeader(quarterly.html, '全单位合计', '发现隐患')).toBe('0');
    expect(quarterly.html).not.toContain('安保处');
    const year = await bureau.page('/console/reports/year?year=2026');
    const [anbao] = await t.database.db
      .select()
      .from(units)
      .where(and(eq(units.tenantId, t.schoolId), eq(units.name, '安保处')));
    const veto = await bureau.post('/console/reports/year/veto', {
      _csrf: csrfOf(year.html),
      year: '2026',
      unit: String(anbao!.id),
      kind: 'grave_accident',
      action: 'set',
      reason: '越权',
    });
    expect(veto.status).toBe(404);
    expect(await t.database.db.select().from(vetoFlags)).toHaveLength(0);
  });
});
