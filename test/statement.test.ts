// The 述职述安 report (DOMAIN §7; 003 §四.1-2; seed 000) over real HTTP against the real service, on the
// example school with a year of records made through the real core (console driver) — hazards reported,
// accepted, rectified with 整改资金 and closed, one listed, meetings, a drill, a school-wide 大检查, the
// 责任书 round signed — and, for closed duty periods, direct inserts (the obligations job writes them).
// The principal's DOCX is read back (word/document.xml through fflate): the four parts with the numbers.

import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  auditEvents,
  hazards,
  letters,
  obligationPeriods,
  obligations,
  people,
  postHolders,
  posts,
  statementDrafts,
  tenants,
  units,
} from '../db/schema.ts';
import { registerAccident } from '../handlers/accidents.ts';
import { PART_HEADINGS, statementBlocks } from '../handlers/statement.ts';
import { accidentInput } from './helpers/accidents.ts';
import { useConsoleHarness } from './helpers/console-harness.ts';
import { BUREAU, BUREAU_PASSWORD, csrfOf, login, SCHOOL } from './helpers/console-http.ts';
import { docxParagraphs } from './helpers/files.ts';

/** 2027-01-10 10:00 in Shanghai: 2026 is over. */
const NOW = new Date('2027-01-10T02:00:00Z');
const at = (iso: string) => new Date(iso);

const t = useConsoleHarness(NOW);

async function headOf(unitId: number | null): Promise<string> {
  const [row] = await t.database.db
    .select({ code: people.code })
    .from(posts)
    .innerJoin(postHolders, eq(postHolders.postId, posts.id))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(posts.unitId, unitId!), eq(posts.isUnitHead, true)));
  return row!.code;
}

/** The first obligation of a person's post, for a closed period inserted directly. */
async function obligationOf(code: string) {
  const person = await t.personId(code);
  const [row] = await t.database.db
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(postHolders, eq(postHolders.postId, obligations.postId))
    .where(eq(postHolders.personId, person))
    .orderBy(obligations.id)
    .limit(1);
  return { person, id: row!.id };
}

/**
 * 2026 at the school: 4 hazards — one closed on time with 整改资金, one accepted and left past its deadline,
 * one listed by the principal, one rejected —; two meetings chaired by the principal; a school-wide
 * inspection (大检查) by the office and a drill by 安保处; the 2026 责任书 round, signed by the principal and 安保处's
 * head; two closed monthly periods: 安保处's met, the principal's missed.
 */
async function seedYear() {
  t.bot.now = at('2026-03-02T02:00:00Z');
  expect(await t.bot.say('zhouyinyin', '发起责任书 2026')).toContain('责任书');
  expect(await t.bot.say('wangxiaofang', '签订责任书 2026')).toContain('签订');
  expect(await t.bot.say('yinxianju', '签订责任书 2026')).toContain('签订');

  t.bot.now = at('2026-11-02T02:00:00Z');
  await t.bot.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
  await t.bot.say('chenjing', '报隐患 食堂 食堂卫生差，一般');
  await t.bot.say('chenjing', '报隐患 食堂后门 食品配送车辆无证进出 较大');
  await t.bot.say('chenjing', '报隐患 操场 跑道上有积水，一般');
  const rows = await t.database.db.select().from(hazards).orderBy(hazards.id);
  expect(rows).toHaveLength(4);
  const [first, second, third, fourth] = rows as [
    typeof hazards.$inferSelect,
    typeof hazards.$inferSelect,
    typeof hazards.$inferSelect,
    typeof hazards.$inferSelect,
  ];
  const head1 = await headOf(first.unitId);
  await t.bot.press(head1, 'hazard.accept', { id: String(first.id) });
  expect(await t.bot.say(head1, `整改完成 ${first.code} 已更换 3 具灭火器 资金 1200`)).toBeTruthy();
  t.bot.now = at('2026-11-04T02:00:00Z');
  await t.bot.press('zhouyinyin', 'hazard.pass', { id: String(first.id) }, { opinion: '已更换，符合要求' });
  await t.bot.press(await headOf(second.unitId), 'hazard.accept', { id: String(second.id) });
  await t.bot.say('zhouyinyin', `驳回 ${fourth.code} 已自然排干，非隐患`);
  t.bot.now = at('2026-11-05T02:00:00Z');
  expect(
    await t.bot.say('wangxiaofang', `挂牌督办 ${third.code} 整治配送车辆进出管理 截止 2027-03-31`),
  ).toContain('挂牌督办');
  await t.bot.say('wangxiaofang', '记录 会议 日期 11月5日 召开学校安全工作会议，部署冬季消防');
  t.bot.now = at('2026-11-25T08:00:00Z');
  expect(
    await t.bot.say('zhouyinyin', '记录 检查 范围：全校 日期：11月20日 安全保卫工作大检查，检查 12 个区域'),
  ).toContain('已记录');
  expect(await t.bot.say('yinxianju', '记录 演练 日期 11月25日 全校应急疏散演练，1200 名师生参加')).toContain(
    '已记录',
  );
  t.bot.now = at('2026-12-18T02:00:00Z');
  await t.bot.say('wangxiaofang', '记录 会议 日期 12月18日 主持安全工作会议，研究寒假安全');

  const principal = await obligationOf('wangxiaofang');
  const anbao = await obligationOf('yinxianju');
  const period = { periodKey: '2026-11', periodStart: '2026-11-01', periodEnd: '2026-11-30' };
  await t.database.db.insert(obligationPeriods).values([
    {
      tenantId: t.schoolId,
      obligationId: principal.id,
      personId: principal.person,
      ...period,
      done: 0,
      needed: 1,
      met: false,
      closedAt: at('2026-12-01T01:00:00Z'),
    },
    {
      tenantId: t.schoolId,
      obligationId: anbao.id,
      personId: anbao.person,
      ...period,
      done: 1,
      needed: 1,
      met: true,
      closedAt: at('2026-12-01T01:00:00Z'),
    },
  ]);
  await t.harness.service.dispatcher.idle();
  return { first, second, third, fourth };
}

describe('the 述职述安 report', () => {
  it('gives the principal a DOCX with the four parts of seed 000 and the year’s real numbers', async () => {
    const { third } = await seedYear();
    // The accident register: a food poisoning 总务处 is responsible for.
    const [school] = await t.database.db.select().from(tenants).where(eq(tenants.code, SCHOOL));
    const [general] = await t.database.db
      .select()
      .from(units)
      .where(and(eq(units.tenantId, school!.id), eq(units.name, '总务处')));
    await registerAccident(
      t.database.db,
      school!,
      accidentInput({
        kind: 'food_poisoning',
        occurredAt: at('2026-11-03T04:30:00Z'),
        place: '学校食堂',
        summary: '午餐后 6 名学生腹痛呕吐，送医观察',
        students: 6,
        injured: 6,
        unitIds: [general!.id],
      }),
      { by: '安全办公室', at: at('2026-11-03T06:00:00Z'), accountId: null },
    );
    await login(t.browser);
    const principal = await t.personId('wangxiaofang');
    const response = await t.browser.get(`/console/reports/statement.docx?person=${principal}&year=2026`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(response.headers.get('content-disposition')).toContain(
      encodeURIComponent('述职述安_王晓芳_2026.docx'),
    );
    const paragraphs = docxParagraphs(new Uint8Array(await response.arrayBuffer()));
    expect(paragraphs[0]).toBe('2026年度述职述安报告');
    // The four parts, in order, each a paragraph of its own.
    const heads = PART_HEADINGS.map((heading) => paragraphs.indexOf(heading));
    expect(heads.every((index) => index > 0)).toBe(true);
    expect([...heads].sort((a, b) => a - b)).toEqual(heads);
    const partOf = (index: number) =>
      paragraphs.slice(heads[index]! + 1, heads[index + 1] ?? paragraphs.length).join('\n');

    const duties = partOf(0);
    expect(duties).toContain('（一）业务工作');
    expect(duties).toContain('（二）安全工作');
    expect(duties).toContain(
      '主持或参加安全工作会议 2 次：2026-11-05 召开学校安全工作会议，部署冬季消防；2026-12-18',
    );
    expect(duties).toContain(`挂牌督办隐患 1 项（挂牌督办 ${third.code}）`);
    expect(duties).toContain('签订2026年度《一岗双责安全责任书》');
    expect(duties).toContain('签订日期 2026-03-02');

    // The whole school's results: 4 reported, one rejected; 1 closed on time; 2 open, 1 past its deadline.
    const results = partOf(1);
    expect(results).toContain(
      '全校全年排查发现安全隐患 4 项，整改销号 1 项，其中按期销号 1 项（按期销号率 100%）；挂牌督办 1 项；截至 2026-12-31，未销号 2 项，其中逾期 1 项。',
    );
    expect(results).toContain(
      '召开安全工作会议 2 次，开展安全检查 1 次（其中全校性大检查 1 次），开展督查 0 次，组织应急演练 1 次。',
    );
    const issued = (await t.database.db.select().from(letters)).length;
    expect(issued).toBeGreaterThan(2);
    expect(results).toContain(
      `安全责任书：应签订 ${issued} 份，已签订 2 份（签订率 ${Math.round((2 / issued) * 1000) / 10}%）。`,
    );
    expect(results).toContain('职责达标 1 项、未达标 1 项（达标率 50%）');

    expect(results).toContain('安全事故：2026年度发生安全事故（事件）1 起，见“存在不足”。');

    const shortfalls = partOf(2);
    expect(shortfalls).toContain('未按要求完成的职责 1 项：2026-11');
    expect(shortfalls).toContain('（完成 0/1）');
    expect(shortfalls).toContain(
      '2026-11-03 学校食堂发生食物中毒事故（一般）：午餐后 6 名学生腹痛呕吐，送医观察。',
    );
    // The head of 总务处 answers for it; the head of 安保处 does not.
    const textOf = async (code: string) =>
      (
        await t.browser.get(`/console/reports/statement.txt?person=${await t.personId(code)}&year=2026`)
      ).text();
    expect(await textOf('huangchun')).toContain('发生食物中毒事故（一般）');
    expect(await textOf('yinxianju')).toContain('安全事故：2026年度安保处未发生安全事故。');

    const plans = partOf(3);
    expect(plans).toContain('针对未按要求完成的 1 项职责逐项整改，确保2027年按期完成。');
    expect(plans).toContain('签订2027年度《一岗双责安全责任书》');
    expect(paragraphs).toContain('述职人：王晓芳');
  });

  it('drafts a 部门负责人’s report on their own unit, and refuses someone who writes none', async () => {
    const { second } = await seedYear();
    await login(t.browser);
    const page = await t.browser.page('/console/reports/statement');
    expect(page.html).toContain('<optgroup label="部门负责人">');
    const headCode = await headOf(second.unitId);
    const head = await t.personId(headCode);
    expect(page.html).toContain(`value="${head}"`);
    const text = await (
      await t.browser.get(`/console/reports/statement.txt?person=${head}&year=2026`)
    ).text();
    const blocks = statementBlocks(text);
    expect(blocks.filter((block) => block.kind === 'part').map((block) => block.text)).toEqual([
      ...PART_HEADINGS,
    ]);
    expect(text).toContain('（部门负责人）');
    // Their unit's hazard is open past its deadline: a shortfall, and the next year's plan.
    expect(text).toContain(`逾期未整改销号的隐患 1 项：${second.code}`);
    expect(text).toMatch(new RegExp(`督促 \\d+ 项未销号隐患按期整改销号：[^。]*${second.code}`));

    // A class teacher writes no 述职述安 here.
    expect(
      (await t.browser.get(`/console/reports/statement?person=${await t.personId('chenjing')}&year=2026`))
        .status,
    ).toBe(404);
  });

  it('saves the edited report per person and year; regenerating keeps it unless the office discards it', async () => {
    await seedYear();
    await login(t.browser);
    const principal = await t.personId('wangxiaofang');
    const url = `/console/reports/statement?person=${principal}&year=2026`;
    const page = await t.browser.page(url);
    expect(page.html).toContain('data-state="draft"');
    const edited =
      '2026年度述职述安报告\n\n一、履职情况\n本人补充：全年听课 40 节。\n二、主要成绩\n三、存在不足\n四、下步打算\n';
    const fields = { person: String(principal), year: '2026', text: edited };
    expect((await t.browser.post('/console/reports/statement/save', fields)).status).toBe(403);
    expect(await t.database.db.select().from(statementDrafts)).toHaveLength(0);
    const saved = await t.browser.post('/console/reports/statement/save', {
      ...fields,
      _csrf: csrfOf(page.html),
    });
    expect(saved.status).toBe(303);
    const [row] = await t.database.db.select().from(statementDrafts);
    expect(row).toMatchObject({ tenantId: t.schoolId, personId: principal, year: 2026, text: edited });

    // The page, the text, the DOCX and the print page all follow the saved version.
    const again = await t.browser.page(url);
    expect(again.html).toContain('data-state="saved"');
    expect(again.html).toContain('本人补充：全年听课 40 节。');
    expect(again.html).toContain('按最新记录生成的草稿（供对照）');
    const docx = await t.browser.get(`/console/reports/statement.docx?person=${principal}&year=2026`);
    expect(docxParagraphs(new Uint8Array(await docx.arrayBuffer()))).toContain('本人补充：全年听课 40 节。');
    const print = await t.browser.page(`/console/reports/statement/print?person=${principal}&year=2026`);
    expect(print.html).toContain('<h2>三、存在不足</h2>');
    expect(print.html).toContain('<p>本人补充：全年听课 40 节。</p>');

    // New records do not overwrite it.
    t.bot.now = at('2026-12-20T02:00:00Z');
    await t.bot.say('wangxiaofang', '记录 会议 日期 12月20日 安全工作专题会');
    expect((await t.browser.page(url)).html).toContain('本人补充：全年听课 40 节。');

    // Discarding needs the box ticked; then the draft is generated again (with the new record).
    const csrf = csrfOf(again.html);
    await t.browser.post('/console/reports/statement/discard', { ...fields, _csrf: csrf });
    expect(await t.database.db.select().from(statementDrafts)).toHaveLength(1);
    await t.browser.post('/console/reports/statement/discard', { ...fields, _csrf: csrf, confirm: 'yes' });
    expect(await t.database.db.select().from(statementDrafts)).toHaveLength(0);
    const fresh = await (
      await t.browser.get(`/console/reports/statement.txt?person=${principal}&year=2026`)
    ).text();
    expect(fresh).toContain('主持或参加安全工作会议 3 次');
    const trail = await t.database.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.subject, `statement:${principal}:2026`));
    expect(trail.map((event) => event.action)).toEqual(['statement.save', 'statement.discard']);
  });

  it('keeps the bureau admin out of the school’s reports', async () => {
    await seedYear();
    const bureau = t.newBrowser();
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    const principal = await t.personId('wangxiaofang');
    for (const path of ['statement', 'statement.docx', 'statement.txt', 'statement/print'])
      expect((await bureau.get(`/console/reports/${path}?person=${principal}&year=2026`)).status).toBe(404);
    const page = await bureau.page('/console/reports/statement');
    const save = await bureau.post('/console/reports/statement/save', {
      _csrf: csrfOf(page.html),
      person: String(principal),
      year: '2026',
      text: '越权',
    });
    expect(save.status).toBe(404);
    expect(await t.database.db.select().from(statementDrafts)).toHaveLength(0);
  });
});
