// The accident register and the scored year-end assessment (issue 20 §4-5, issue 19 §4) over real HTTP
// against the real service: an accident recorded in the console proposes 一票否决 for its unit and for the
// responsible person; the office confirms them with reasons (audited); the year table and its XLSX show
// the score and the 等次 (不合格 by 否决, 优秀 for a clean unit); an adjusted cell; the report-upward
// reminder; confidential fields in chat; the bureau's 科室 scored on their contracted school's accidents.

import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import {
  accidents,
  auditEvents,
  outbox,
  people,
  personVetoFlags,
  posts,
  tenants,
  units,
  vetoFlags,
  vetoProposals,
} from '../db/schema.ts';
import { runAccidentReports } from '../jobs/accident-reports.ts';
import { useConsoleHarness } from './helpers/console-harness.ts';
import {
  type Browser,
  BUREAU,
  BUREAU_PASSWORD,
  cellByHeader,
  csrfOf,
  login,
} from './helpers/console-http.ts';
import { docxParagraphs, sheetRows } from './helpers/files.ts';

/** 2027-01-10 10:00 in Shanghai: 2026 is over. */
const NOW = new Date('2027-01-10T02:00:00Z');

const t = useConsoleHarness(NOW);

async function unitId(name: string, tenantId = t.schoolId) {
  const [row] = await t.database.db
    .select({ id: units.id })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.name, name)));
  return row!.id;
}

async function postId(code: string) {
  const [row] = await t.database.db
    .select({ id: posts.id })
    .from(posts)
    .where(and(eq(posts.tenantId, t.schoolId), eq(posts.code, code)));
  return row!.id;
}

/** The food poisoning of 2026-11-03 in the canteen: 总务处 and the 食堂管理员 (张丽) responsible. */
async function recordPoisoning(as: Browser) {
  const page = await as.page('/console/accidents?year=2026');
  expect(page.response.status).toBe(200);
  return as.post('/console/accidents', {
    _csrf: csrfOf(page.html),
    kind: 'food_poisoning',
    severity: 'general',
    occurred_at: '2026-11-03T12:30',
    place: '学校食堂',
    summary: '午餐后 6 名学生腹痛呕吐，送医观察',
    students: '6',
    staff: '0',
    injured: '6',
    deaths: '0',
    responsible: 'yes',
    injured_names: '初二（3）班 李明 等 6 人',
    handling: '送昆山市第三人民医院观察，当晚出院；封存留样送检',
    follow_up: '更换供货商，食堂从业人员培训',
    reported_at: '',
    reported_to: '',
    units: String(await unitId('总务处')),
    posts: String(await postId('shi-tang-guan-li-yuan')),
  });
}

async function yearXlsx(as: Browser, query = 'year=2026') {
  const file = await as.get(`/console/reports/year.xlsx?${query}`);
  expect(file.status).toBe(200);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await file.arrayBuffer());
  const sheet = workbook.worksheets[0]!;
  const header = (sheet.getRow(2).values as unknown[]).slice(1).map(String);
  const rows = new Map<string, (column: string) => unknown>();
  sheet.eachRow((row, index) => {
    if (index > 2)
      rows.set(String(row.getCell(1).value), (column) => row.getCell(header.indexOf(column) + 1).value);
  });
  // The footer: the last row, its first cell.
  const last = sheet.getRow(sheet.rowCount);
  rows.set('footer', () => last.getCell(1).value);
  return rows;
}

describe('accident register and the scored year-end assessment', () => {
  it('proposes 一票否决 for the unit and the person; confirmed, the year table says 不合格 by 否决', async () => {
    await login(t.browser);
    const recorded = await recordPoisoning(t.browser);
    expect(recorded.status).toBe(303);
    const [accident] = await t.database.db.select().from(accidents);
    expect(accident!.code).toMatch(/^SG-.+-2026-0001$/);
    // Reported one hour after it happened at the latest (settings.accident_report_hours, default 1).
    expect(accident!.reportDueAt.toISOString()).toBe('2026-11-03T05:30:00.000Z');
    const proposals = await t.database.db.select().from(vetoProposals).orderBy(vetoProposals.id);
    expect(proposals.map((row) => [row.unitId, row.personId, row.kind, row.status, row.year])).toEqual([
      [await unitId('总务处'), null, 'eight_never', 'pending', 2026],
      [null, await t.personId('zhangli'), 'eight_never', 'pending', 2026],
    ]);

    // Awaiting a decision, they are on the dashboard.
    const dashboard = await t.browser.page('/console/dashboard');
    expect(dashboard.html).toContain('事故登记待办');
    expect(dashboard.html).toContain('张丽（个人）：一票否决（发生“八杜绝”责任事故）');
    expect(dashboard.html).toContain('逾期未报上级');

    const detail = await t.browser.page(`/console/accidents/${accident!.id}`);
    expect(detail.html).toContain('初二（3）班 李明 等 6 人');
    // A decision needs a reason: nothing changes without one.
    const noReason = await t.browser.post(`/console/accidents/proposals/${proposals[0]!.id}`, {
      _csrf: csrfOf(detail.html),
      decision: 'confirm',
      reason: '',
    });
    expect(noReason.status).toBe(303);
    expect((await t.database.db.select().from(vetoFlags)).length).toBe(0);
    for (const proposal of proposals) {
      const decided = await t.browser.post(`/console/accidents/proposals/${proposal.id}`, {
        _csrf: csrfOf(detail.html),
        decision: 'confirm',
        reason: '食堂留样制度未落实，负有直接责任',
      });
      expect(decided.status).toBe(303);
    }
    const [flag] = await t.database.db.select().from(vetoFlags);
    expect([flag!.unitId, flag!.year, flag!.kind]).toEqual([await unitId('总务处'), 2026, 'eight_never']);
    expect(flag!.reason).toContain(accident!.code);
    const [personFlag] = await t.database.db.select().from(personVetoFlags);
    expect([personFlag!.personId, personFlag!.year]).toEqual([await t.personId('zhangli'), 2026]);
    const trail = await t.database.db
      .select({ action: auditEvents.action, note: auditEvents.note })
      .from(auditEvents)
      .where(eq(auditEvents.tenantId, t.schoolId));
    expect(trail.map((row) => row.action)).toEqual(
      expect.arrayContaining(['accident.record', 'veto-proposal.confirm', 'veto.set']),
    );
    expect(trail.filter((row) => row.action === 'veto-proposal.confirm')).toHaveLength(2);
    // Decided, a proposal cannot be decided again; the dashboard no longer lists it.
    const again = await t.browser.post(`/console/accidents/proposals/${proposals[0]!.id}`, {
      _csrf: csrfOf(detail.html),
      decision: 'dismiss',
      reason: '改变主意',
    });
    expect(again.status).toBe(303);
    expect((await t.database.db.select().from(vetoProposals)).map((row) => row.status)).toEqual([
      'confirmed',
      'confirmed',
    ]);
    expect((await t.browser.page('/console/dashboard')).html).not.toContain('待确认：');

    // The year table: 总务处 scored, 不合格 by 否决; a clean unit 优秀.
    const year = await t.browser.page('/console/reports/year?year=2026');
    expect(cellByHeader(year.html, '总务处', '事故控制（20分）')).toBe('10');
    expect(cellByHeader(year.html, '总务处', '等次')).toBe('不合格');
    expect(cellByHeader(year.html, '总务处', '考核结果')).toBe('一票否决');
    expect(cellByHeader(year.html, '总务处', '一票否决事项')).toContain('发生“八杜绝”责任事故');
    expect(Number(cellByHeader(year.html, '总务处', '得分'))).toBeLessThan(100);
    expect(cellByHeader(year.html, '教技室', '得分')).toBe('100');
    expect(cellByHeader(year.html, '教技室', '等次')).toBe('优秀');
    expect(year.html).toContain('张丽：发生“八杜绝”责任事故');
    // The accident breaks 八杜绝(4) 食物中毒 for 总务处 and the school, not for a unit it does not name.
    const broken = '八杜绝 达标 0/8，未达标 1';
    expect(cellByHeader(year.html, '总务处', '安全目标（五有·九无·八杜绝）')).toContain(broken);
    expect(cellByHeader(year.html, '教技室', '安全目标（五有·九无·八杜绝）')).toContain('八杜绝 达标 0/8');
    expect(cellByHeader(year.html, '教技室', '安全目标（五有·九无·八杜绝）')).not.toContain('未达标');
    expect(year.html).toMatch(new RegExp(`id="school-targets">.*${broken}`));
    // 2027's targets on the dashboard start clean: the accident was 2026's.
    const now = await t.browser.page('/console/dashboard');
    expect(now.html).toContain('2027 年安全目标');
    expect(now.html).not.toContain('发生事故');
    const cells = await yearXlsx(t.browser);
    expect(cells.get('总务处')!('安全目标（五有·九无·八杜绝）')).toContain(broken);
    expect(String(cells.get('footer')!('处室'))).toContain(
      `全校安全目标：五有 达标 0/5；九无 达标 0/9；${broken}`,
    );
    expect(cells.get('总务处')!('等次')).toBe('不合格');
    expect(cells.get('总务处')!('事故控制（20分）')).toBe(10);
    expect(cells.get('总务处')!('得分')).toBe(Number(cellByHeader(year.html, '总务处', '得分')));
    expect(cells.get('教技室')!('得分')).toBe(100);
    expect(cells.get('教技室')!('等次')).toBe('优秀');
    expect(String(cells.get('footer')!('处室'))).toContain('个人一票否决');
    expect(String(cells.get('footer')!('处室'))).toContain('张丽（发生“八杜绝”责任事故');

    // The office adjusts a cell, with a reason (audited): 教技室 falls to 合格.
    const adjusted = await t.browser.post('/console/reports/year/adjust', {
      _csrf: csrfOf(year.html),
      year: '2026',
      unit: String(await unitId('教技室')),
      item: 'accidents',
      points: '5',
      reason: '实验室烫伤事件未纳入登记，酌情扣分',
    });
    expect(adjusted.status).toBe(303);
    const after = await yearXlsx(t.browser);
    expect(after.get('教技室')!('事故控制（20分）')).toBe(5);
    expect(after.get('教技室')!('得分')).toBe(25);
    expect(after.get('教技室')!('等次')).toBe('不合格');
    const [adjustment] = await t.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, t.schoolId), eq(auditEvents.action, 'assessment.adjust')));
    expect(adjustment!.note).toBe('实验室烫伤事件未纳入登记，酌情扣分');
    // Over the item's points, refused.
    const over = await t.browser.post('/console/reports/year/adjust', {
      _csrf: csrfOf(year.html),
      year: '2026',
      unit: String(await unitId('教技室')),
      item: 'accidents',
      points: '50',
      reason: '超过满分',
    });
    expect(over.status).toBe(400);
  });

  it('downloads the year’s archive for an inspection: registers, reports and every 述职述安, indexed', async () => {
    await login(t.browser);
    expect((await recordPoisoning(t.browser)).status).toBe(303);
    const year = await t.browser.page('/console/reports/year?year=2026');
    expect(year.html).toContain('href="/console/reports/archive.zip?year=2026"');
    const response = await t.browser.get('/console/reports/archive.zip?year=2026');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toContain(
      encodeURIComponent('安全管理档案_昆山市花桥集善中学_2026.zip'),
    );
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const names = Object.keys(files);
    expect(names.slice(0, 10)).toEqual([
      '00_目录.csv',
      '01_隐患排查治理台账_2026.xlsx',
      '02_安全隐患排查登记表_2026.xlsx',
      '03_事故事件登记_2026.xlsx',
      '04_季度安全工作统计_2026-Q1.xlsx',
      '04_季度安全工作统计_2026-Q2.xlsx',
      '04_季度安全工作统计_2026-Q3.xlsx',
      '04_季度安全工作统计_2026-Q4.xlsx',
      '05_年度安全工作考核_2026.xlsx',
      '06_述职述安/述职述安_王晓芳_2026.docx',
    ]);
    // Every leader and 部门负责人 has theirs: the heads of 总务处 and 安保处 among them.
    expect(names).toContain('06_述职述安/述职述安_黄春_2026.docx');
    expect(names).toContain('06_述职述安/述职述安_尹仙菊_2026.docx');
    // The index names each file and what it holds.
    const index = new TextDecoder()
      .decode(files['00_目录.csv'])
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    expect(index[0]).toBe('序号,文件,内容,说明');
    expect(index[1]).toBe('1,01_隐患排查治理台账_2026.xlsx,隐患排查治理台账（含值班日志）,隐患 0 项');
    expect(index[3]).toBe('3,03_事故事件登记_2026.xlsx,事故/事件登记表,事故（事件） 1 起');
    expect(
      index.some(
        (line) => line.includes('述职述安_王晓芳_2026.docx') && line.includes('系统根据记录生成的草稿'),
      ),
    ).toBe(true);
    // The files are the downloads': the accident with its confidential names, the year table, the report.
    const accident = await sheetRows(files['03_事故事件登记_2026.xlsx']!);
    expect(accident[0]!.join('|')).toMatch(/^SG-.+-2026-0001\|/);
    expect(accident[0]).toContain('初二（3）班 李明 等 6 人');
    const table = await sheetRows(files['05_年度安全工作考核_2026.xlsx']!, 2);
    const header = table[0]!;
    const general = table.find((row) => row[0] === '总务处')!;
    expect(general[header.indexOf('事故控制（20分）')]).toBe('10');
    expect(general[header.indexOf('安全目标（五有·九无·八杜绝）')]).toContain('八杜绝 达标 0/8，未达标 1');
    const report = docxParagraphs(files['06_述职述安/述职述安_王晓芳_2026.docx']!);
    expect(report[0]).toBe('2026年度述职述安报告');
    expect(report.join('\n')).toContain('学校食堂发生食物中毒事故（一般）');
  });

  it('sends the 事故快报 to the bureau above, without the confidential fields, and records the report once', async () => {
    await login(t.browser);
    expect((await recordPoisoning(t.browser)).status).toBe(303);
    const [accident] = await t.database.db.select().from(accidents);
    const detail = await t.browser.page(`/console/accidents/${accident!.id}`);
    expect(detail.html).toContain('报送某区教育体育局');
    const sent = await t.browser.post(`/console/accidents/${accident!.id}/report-up`, {
      _csrf: csrfOf(detail.html),
    });
    expect(sent.status).toBe(303);
    const [reported] = await t.database.db.select().from(accidents);
    expect(reported!.reportedAt).toEqual(NOW);
    expect(reported!.reportedTo).toBe('某区教育体育局');
    // To the bureau's office and the school's 分包 members: people of the bureau, each once.
    const flashes = await t.database.db
      .select({ personId: outbox.personId, body: outbox.body, tenant: people.tenantId })
      .from(outbox)
      .innerJoin(people, eq(people.id, outbox.personId))
      .where(eq(outbox.subject, `accident:${accident!.id}`));
    expect(flashes.length).toBeGreaterThan(0);
    expect(flashes.every((row) => row.tenant === t.bureauId)).toBe(true);
    expect(new Set(flashes.map((row) => row.personId)).size).toBe(flashes.length);
    const text = (flashes[0]!.body as { text: string }).text;
    expect(text).toContain(`【事故快报】昆山市花桥集善中学 ${accident!.code}`);
    expect(text).toContain('在学校食堂发生食物中毒事故（一般）：午餐后 6 名学生腹痛呕吐，送医观察。');
    expect(text).toContain('涉及学生 6 人，受伤 6 人；属责任事故。');
    expect(text).not.toContain('李明');
    expect(text).not.toContain('送昆山市第三人民医院');
    const trail = await t.database.db
      .select({ action: auditEvents.action, note: auditEvents.note })
      .from(auditEvents)
      .where(eq(auditEvents.subject, `accident:${accident!.id}`));
    expect(trail).toContainEqual({ action: 'accident.report', note: '某区教育体育局' });
    // Once: again is refused, nothing more sent; no reminder of an unreported accident follows.
    const again = await t.browser.post(`/console/accidents/${accident!.id}/report-up`, {
      _csrf: csrfOf(detail.html),
    });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('已于 2027-01-10 10:00 报某区教育体育局');
    const count = async () =>
      (
        await t.database.db
          .select()
          .from(outbox)
          .where(eq(outbox.subject, `accident:${accident!.id}`))
      ).length;
    expect(await count()).toBe(flashes.length);
    const context = {
      db: t.database.db,
      channels: new Set(['console'] as const),
      log: silentLogger,
      now: NOW,
    };
    expect((await runAccidentReports(context)).sent).toBe(0);
    expect(await count()).toBe(flashes.length);
  });

  it('refuses the 快报 where no bureau is in the system: recorded by hand instead', async () => {
    await t.database.db.update(tenants).set({ parentId: null }).where(eq(tenants.id, t.schoolId));
    await login(t.browser);
    expect((await recordPoisoning(t.browser)).status).toBe(303);
    const [accident] = await t.database.db.select().from(accidents);
    const detail = await t.browser.page(`/console/accidents/${accident!.id}`);
    expect(detail.html).not.toContain('/report-up');
    expect(detail.html).toContain('记录已上报');
    const sent = await t.browser.post(`/console/accidents/${accident!.id}/report-up`, {
      _csrf: csrfOf(detail.html),
    });
    expect(sent.status).toBe(400);
    expect(await sent.text()).toContain('上级教育局未接入本系统');
    expect((await t.database.db.select().from(accidents))[0]!.reportedAt).toBeNull();
    expect(
      await t.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.subject, `accident:${accident!.id}`)),
    ).toEqual([]);
  });

  it('refuses a bad form and a unit of another tenant, recording nothing', async () => {
    await login(t.browser);
    const page = await t.browser.page('/console/accidents');
    const base = {
      _csrf: csrfOf(page.html),
      kind: 'fire',
      severity: 'general',
      occurred_at: '2026-12-01T09:00',
      place: '',
      summary: '配电箱冒烟',
      responsible: 'no',
    };
    const missing = await t.browser.post('/console/accidents', base);
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('请填写地点。');
    const future = await t.browser.post('/console/accidents', {
      ...base,
      place: '教学楼',
      occurred_at: '2027-02-01T09:00',
    });
    expect(future.status).toBe(400);
    const foreign = await t.browser.post('/console/accidents', {
      ...base,
      place: '教学楼',
      responsible: 'yes',
      units: String(await unitId('法规安全科', t.bureauId)),
    });
    expect(foreign.status).toBe(404);
    expect(await t.database.db.select().from(accidents)).toHaveLength(0);
    // Not responsible, or of no 八杜绝 kind: recorded, no proposal.
    const plain = await t.browser.post('/console/accidents', { ...base, place: '教学楼' });
    expect(plain.status).toBe(303);
    expect(await t.database.db.select().from(accidents)).toHaveLength(1);
    expect(await t.database.db.select().from(vetoProposals)).toHaveLength(0);
  });

  it('reminds the office once when not reported in time; shows confidential fields to leaders only', async () => {
    await login(t.browser);
    await recordPoisoning(t.browser);
    const office = await t.personId('zhouyinyin');
    const context = {
      db: t.database.db,
      channels: new Set(['console'] as const),
      log: silentLogger,
      now: NOW,
    };
    expect((await runAccidentReports(context)).sent).toBeGreaterThan(0);
    expect((await runAccidentReports(context)).sent).toBe(0);
    const toOffice = await t.database.db.select().from(outbox).where(eq(outbox.personId, office));
    expect(JSON.stringify(toOffice.map((row) => row.body))).toContain('尚未记录上报');

    const principal = await t.bot.say('wangxiaofang', '事故登记 2026');
    expect(principal).toContain('食物中毒事故');
    expect(principal).toContain('李明');
    const guard = await t.bot.say('liguoqiang', '事故登记 2026');
    expect(guard).toContain('食物中毒事故');
    expect(guard).not.toContain('李明');
    expect(guard).not.toContain('第三人民医院');
    expect(guard).toContain('保密');
  });

  it('scores the bureau’s 科室 on their contracted school’s accidents, and shows the school’s table to its bureau only', async () => {
    await login(t.browser);
    await recordPoisoning(t.browser);
    const bureau = t.newBrowser();
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    const own = await bureau.page('/console/reports/year?year=2026');
    expect(cellByHeader(own.html, '法规安全科', '分包学校')).toBe('昆山市花桥集善中学');
    expect(cellByHeader(own.html, '法规安全科', '事故控制（20分）')).toBe('10');
    expect(cellByHeader(own.html, '办公室', '事故控制（20分）')).toBe('20');
    const school = await bureau.page(`/console/reports/year?year=2026&school=${t.schoolId}`);
    expect(school.response.status).toBe(200);
    expect(cellByHeader(school.html, '总务处', '事故控制（20分）')).toBe('10');
    expect(school.html).not.toContain('/console/reports/year/adjust');
    const cells = await yearXlsx(bureau, `year=2026&school=${t.schoolId}`);
    expect(cells.get('总务处')!('事故控制（20分）')).toBe(10);
    // The school cannot read its bureau's table, nor the bureau another tenant's register.
    expect((await t.browser.get(`/console/reports/year?year=2026&school=${t.bureauId}`)).status).toBe(404);
    expect((await t.browser.get(`/console/reports/year.xlsx?year=2026&school=${t.bureauId}`)).status).toBe(
      404,
    );
    const [accident] = await t.database.db.select().from(accidents);
    expect((await bureau.get(`/console/accidents/${accident!.id}`)).status).toBe(404);
  });
});
