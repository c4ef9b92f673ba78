// Schools report upward (issue 19; 003 §四-§五): the quarterly report and the leaders' 述职述安 submitted to
// the bureau from the school's console, listed, acknowledged and commented by the bureau's console, the
// comment kept and shown to the school; the reminders before 1月10日 and the note to the bureau after, over
// days of an injected clock; isolation both ways (guessed ids, another school's console).
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { submit } from '../db/queries/submissions.ts';
import { outbox, people, submissions, tenants } from '../db/schema.ts';
import { runSubmissions } from '../jobs/submissions.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  csrfOf,
  fetchFrom,
  login,
  resetConsoleTenants,
  SCHOOL,
  stripTags,
  unescapeHtml,
} from './helpers/console-http.ts';
import { loadExample, openTestDatabase, seedExamples } from './helpers/db.ts';
import { failedEvents } from './helpers/properties.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Tuesday 2027-01-05, 10:00 in Shanghai: 2026-Q4 and the 2026 述职述安 are due on 01-10. */
const NOW = new Date('2027-01-05T02:00:00Z');
const SCHOOL2_PASSWORD = 'a third long password';

describe('reports upward in the console', () => {
  let database: Database;
  let harness: Harness;
  let ids: { school: number; bureau: number; school2: number };
  const fetcher = fetchFrom(() => harness.url);

  beforeAll(async () => {
    database = await openTestDatabase();
    harness = await startHarness(database, {}, { clock: () => NOW });
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });
  beforeEach(async () => {
    const { schoolId, bureauId } = await resetConsoleTenants(harness, database);
    const school2 = (await loadExample(database, 'school-2.yaml')).tenantId;
    await addAdminAccount(database.db, {
      tenantCode: 'shiyan-xiaoxue',
      username: 'office',
      displayName: '实小安全办',
      password: SCHOOL2_PASSWORD,
    });
    ids = { school: schoolId, bureau: bureauId, school2 };
  });

  async function as(tenant: string, password: string) {
    const browser = new Browser(fetcher);
    await login(browser, tenant, password);
    return browser;
  }

  async function personId(code: string) {
    const [row] = await database.db.select({ id: people.id }).from(people).where(eq(people.code, code));
    return row!.id;
  }

  it('the school submits its quarterly report and a leader’s 述职述安; the bureau lists, comments; the school sees the comment', async () => {
    // 钱立新 of the bureau visited the school in December: its record and its quarterly report show it.
    const bot = consoleDriver(database, NOW);
    bot.tenantId = ids.bureau;
    expect(
      await bot.say('qianlixin', '记录 督查 学校：昆山市花桥集善中学 检查食堂 日期：2026-12-15'),
    ).toContain('已记录督查');
    const visit = '区教育局督查：钱立新 2026-12-15 检查食堂';
    const school = await as(SCHOOL, 'correct horse battery');
    expect((await school.page('/console/records')).html).toContain(visit);
    const quarterly = await school.page('/console/reports/quarterly?quarter=2026-Q4');
    expect(quarterly.html).toContain(visit);
    expect(quarterly.html).toContain('报送某区教育体育局');
    // The sibling school's record does not show it.
    const sibling = await as('shiyan-xiaoxue', SCHOOL2_PASSWORD);
    expect((await sibling.page('/console/records')).html).not.toContain('区教育局督查');
    const posted = await school.post('/console/submissions/quarterly', {
      _csrf: csrfOf(quarterly.html),
      quarter: '2026-Q4',
    });
    expect(posted.status).toBe(303);

    // The 述职述安 draft is edited and submitted from the statement page.
    const principal = await personId('wangxiaofang');
    const statement = await school.page(`/console/reports/statement?person=${principal}&year=2026`);
    expect(statement.html).toContain('formaction="/console/submissions/statement"');
    const edited = `${unescapeHtml(/<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(statement.html)![1]!)}\n本人补充：全年无安全事故。`;
    expect(
      (
        await school.post('/console/submissions/statement', {
          _csrf: csrfOf(statement.html),
          person: String(principal),
          year: '2026',
          text: edited,
        })
      ).status,
    ).toBe(303);

    const rows = await database.db.select().from(submissions).orderBy(asc(submissions.id));
    expect(rows.map((row) => [row.tenantId, row.toTenantId, row.kind, row.period, row.personId])).toEqual([
      [ids.school, ids.bureau, 'quarterly_report', '2026-Q4', null],
      [ids.school, ids.bureau, 'statement', '2026', principal],
    ]);
    expect(rows[0]!.title).toBe('昆山市花桥集善中学2026年第四季度安全工作报告');
    expect(rows[0]!.body).toContain('全单位合计：职责达标');
    expect(rows[0]!.body).toContain(`二、上级督查\n${visit}`);
    expect(rows[1]!.body).toContain('2026年度述职述安报告\n\n昆山市花桥集善中学 校长 王晓芳');
    expect(rows[1]!.body).toContain('本人补充：全年无安全事故。');
    expect(rows[1]!.submittedBy).toBe('周尹尹（后台账号 office）');
    // The bureau's office is told, with 确认收到.
    const office = await personId('zhengweidong');
    const told = await database.db.select().from(outbox).where(eq(outbox.personId, office));
    expect(told.map((row) => row.tenantId)).toEqual([ids.bureau, ids.bureau]);
    expect(JSON.stringify(told[1]!.body)).toContain('收到述职述安报告：昆山市花桥集善中学');

    const bureau = await as(BUREAU, BUREAU_PASSWORD);
    const list = await bureau.page('/console/submissions');
    expect(list.response.status).toBe(200);
    expect(list.html).toContain('王晓芳2026年度述职述安报告');
    expect(list.html).toContain('尚未报送：区实验小学（2026年第四季度季度报告，2027-01-10截止）');
    const detail = await bureau.page(`/console/submissions/${rows[1]!.id}`);
    expect(detail.html).toContain('本人补充：全年无安全事故。');
    const answered = await bureau.post(`/console/submissions/${rows[1]!.id}/ack`, {
      _csrf: csrfOf(detail.html),
      comment: '请补充隐患整改的具体数字。',
    });
    expect(answered.status).toBe(303);
    const [kept] = await database.db.select().from(submissions).where(eq(submissions.id, rows[1]!.id));
    expect(kept).toMatchObject({
      comment: '请补充隐患整改的具体数字。',
      commentedBy: '局安全办（后台账号 office）',
      acknowledgedBy: '局安全办（后台账号 office）',
    });

    // The school sees the comment; its office is told; it can no longer replace the commented report.
    const mine = await school.page('/console/submissions');
    expect(stripTags(mine.html)).toContain('请补充隐患整改的具体数字。');
    const schoolOffice = await personId('zhouyinyin');
    const schoolTold = await database.db.select().from(outbox).where(eq(outbox.personId, schoolOffice));
    expect(schoolTold.map((row) => [row.tenantId, JSON.stringify(row.body)]).at(-1)).toEqual([
      ids.school,
      expect.stringContaining('意见：请补充隐患整改的具体数字。'),
    ]);
    const again = await school.post('/console/submissions/statement', {
      _csrf: csrfOf(mine.html),
      person: String(principal),
      year: '2026',
      text: '另一版',
    });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('已由某区教育体育局确认，不能再修改');
    expect(
      (await database.db.select().from(submissions).where(eq(submissions.id, rows[1]!.id)))[0]!.body,
    ).toBe(kept!.body);
  });

  it('keeps each side to its own: a sibling school and guessed ids are not found, a school cannot answer', async () => {
    const school = await as(SCHOOL, 'correct horse battery');
    const page = await school.page('/console/submissions');
    await school.post('/console/submissions/quarterly', { _csrf: csrfOf(page.html), quarter: '2026-Q4' });
    const [row] = await database.db.select().from(submissions);

    const sibling = await as('shiyan-xiaoxue', SCHOOL2_PASSWORD);
    expect((await sibling.get(`/console/submissions/${row!.id}`)).status).toBe(404);
    const siblingPage = await sibling.page('/console/submissions');
    expect(siblingPage.html).not.toContain('昆山市花桥集善中学2026年第四季度');
    expect(
      (
        await sibling.post(`/console/submissions/${row!.id}/ack`, {
          _csrf: csrfOf(siblingPage.html),
          comment: 'x',
        })
      ).status,
    ).toBe(404);
    // The school itself reads its own, but cannot acknowledge it.
    expect((await school.get(`/console/submissions/${row!.id}`)).status).toBe(200);
    expect(
      (await school.post(`/console/submissions/${row!.id}/ack`, { _csrf: csrfOf(page.html), comment: 'x' }))
        .status,
    ).toBe(404);
    expect((await database.db.select().from(submissions))[0]!.acknowledgedAt).toBeNull();
    // A bad quarter is refused and nothing is written.
    const bad = await school.post('/console/submissions/quarterly', {
      _csrf: csrfOf(page.html),
      quarter: '2026-Q9',
    });
    expect(bad.status).toBe(400);
    expect(await database.db.select().from(submissions)).toHaveLength(1);
  });

  it('lists a 分包 member’s 督查报告 in the bureau’s console, where the office acknowledges and comments it', async () => {
    const bot = consoleDriver(database, NOW);
    bot.tenantId = ids.bureau;
    expect(await bot.say('qianlixin', '督查报告 提交')).toContain('督查报告已提交（2026-Q4）');
    const [row] = await database.db.select().from(submissions);
    const bureau = await as(BUREAU, BUREAU_PASSWORD);
    const list = await bureau.page('/console/submissions');
    expect(list.html).toContain('钱立新2026年第四季度分包学校督查报告');
    const detail = await bureau.page(`/console/submissions/${row!.id}`);
    expect(detail.html).toContain('区第一中学：督查 0 次');
    expect(
      (
        await bureau.post(`/console/submissions/${row!.id}/ack`, {
          _csrf: csrfOf(detail.html),
          comment: '下季度补齐督查。',
        })
      ).status,
    ).toBe(303);
    expect((await database.db.select().from(submissions))[0]).toMatchObject({
      comment: '下季度补齐督查。',
      acknowledgedBy: '局安全办（后台账号 office）',
    });
    expect((await bot.inbox(await personId('qianlixin'))).at(-1)).toContain('意见：下季度补齐督查。');
    // The school's console does not see the bureau's own reports.
    const school = await as(SCHOOL, 'correct horse battery');
    expect((await school.get(`/console/submissions/${row!.id}`)).status).toBe(404);
    expect((await school.page('/console/submissions')).html).not.toContain('钱立新');
  });

  it('lets the bureau’s office acknowledge a school’s report with the button of its card', async () => {
    const school = await as(SCHOOL, 'correct horse battery');
    const page = await school.page('/console/submissions');
    await school.post('/console/submissions/quarterly', { _csrf: csrfOf(page.html), quarter: '2026-Q4' });
    const [row] = await database.db.select().from(submissions);
    const bot = consoleDriver(database, NOW);
    bot.tenantId = ids.bureau;
    expect(
      (await bot.press('zhengweidong', 'submission.ack', { id: String(row!.id) }))?.toast.text,
    ).toContain('已确认收到');
    // A school's member pressing the same button finds nothing of theirs.
    bot.tenantId = ids.school2;
    expect((await bot.press('sy-qianjun', 'submission.ack', { id: String(row!.id) }))?.toast.text).toBe(
      '找不到这份报告。',
    );
    expect((await database.db.select().from(submissions))[0]!.acknowledgedBy).toBe('郑卫东');
    // An id no integer column can hold (found by the property test of random presses): refused, no failure.
    bot.tenantId = ids.bureau;
    expect((await bot.press('zhengweidong', 'submission.ack', { id: '2147483648' }))?.toast.text).toBe(
      '找不到这份报告。',
    );
    expect(await failedEvents(database)).toEqual([]);
  });
});

describe('reminders before 1月10日 and the note to the bureau after', () => {
  let database: Database;
  let bot: ConsoleDriver;

  beforeAll(async () => {
    database = await openTestDatabase();
    bot = consoleDriver(database, NOW);
  });
  afterAll(async () => {
    await database.close();
  });

  it('reminds the school office and the leaders on 1月3日 and 1月8日, tells the bureau on 1月11日, never chases a school loaded after the year', async () => {
    const [bureau, school, school2, school3] = await seedExamples(database, [
      'bureau.yaml',
      'school.yaml',
      'school-2.yaml',
      'school-3.yaml',
    ]);
    await database.db.update(tenants).set({ createdAt: new Date('2026-09-01T00:00:00Z') });
    // 区第一中学 was loaded on 2027-01-02: its 2026 reports are not chased.
    await database.db
      .update(tenants)
      .set({ createdAt: new Date('2027-01-02T00:00:00Z') })
      .where(eq(tenants.id, school3!.tenantId));
    const id = (code: string) => bot.personId(code);
    // 区实验小学 has sent everything already: its two leaders' 述职述安 and the quarterly report.
    for (const code of ['sy-liming', 'sy-zhaoli']) {
      await submit(database.db, {
        tenantId: school2!.tenantId,
        toTenantId: bureau!.tenantId,
        kind: 'statement',
        period: '2026',
        personId: await id(code),
        title: '述职述安',
        body: '…',
        submittedBy: '实小安全办',
        submittedAt: new Date('2026-12-30T02:00:00Z'),
      });
    }
    await submit(database.db, {
      tenantId: school2!.tenantId,
      toTenantId: bureau!.tenantId,
      kind: 'quarterly_report',
      period: '2026-Q4',
      personId: null,
      title: '季度报告',
      body: '…',
      submittedBy: '实小安全办',
      submittedAt: new Date('2026-12-30T02:00:00Z'),
    });

    const watched = {
      schoolOffice: await id('zhouyinyin'),
      principal: await id('wangxiaofang'),
      school2Office: await id('sy-qianjun'),
      school3Office: await id('dy-zhengqiang'),
      school3Principal: await id('dy-chengang'),
      bureauOffice: await id('zhengweidong'),
      member: await id('qianlixin'),
    };
    const days: Record<string, Record<string, number>> = {};
    for (let day = 1; day <= 12; day++) {
      const date = `2027-01-${String(day).padStart(2, '0')}`;
      bot.now = new Date(`${date}T00:15:00Z`); // 08:15 in Shanghai
      const before = (await database.db.select().from(outbox)).length;
      await runSubmissions({ db: database.db, now: bot.now, channels: bot.channels, log: silentLogger });
      // Twice the same day: nothing more.
      await runSubmissions({ db: database.db, now: bot.now, channels: bot.channels, log: silentLogger });
      const rows = (await database.db.select().from(outbox).orderBy(asc(outbox.id))).slice(before);
      for (const [name, personId] of Object.entries(watched)) {
        const n = rows.filter((row) => row.personId === personId).length;
        if (n > 0) days[date] = { ...days[date], [name]: n };
      }
    }
    expect(days).toEqual({
      '2027-01-03': { schoolOffice: 1, principal: 1, member: 1 },
      '2027-01-08': { schoolOffice: 1, principal: 1, member: 1 },
      '2027-01-11': { bureauOffice: 1 },
    });
    const [note] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.personId, watched.bureauOffice)));
    const said = JSON.stringify(note!.body);
    expect(said).toContain(
      '昆山市花桥集善中学述职述安报告（2026年，2027-01-10截止）尚未报送：王晓芳的2026年度述职述安报告',
    );
    expect(said).toContain('昆山市花桥集善中学季度安全工作报告');
    expect(said).toContain('钱立新的2026年第四季度督查报告');
    expect(said).not.toContain('区实验小学');
    expect(said).not.toContain('区第一中学');
    const reminder = (await bot.inbox(watched.schoolOffice))[0]!;
    expect(reminder).toContain('请于 2027-01-10 前向某区教育体育局报送王晓芳的2026年度述职述安报告');
    expect(school).toBeDefined();
  });
});
