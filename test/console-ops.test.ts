// The console's operations over real HTTP against the real service and a real database, with a fixed
// clock: 派任务 from /console/tasks (the same cards as the chat command, through the outbox), the roster
// upload of /console/rosters (every bad row listed, nothing written), 发起责任书 and its progress on
// /console/letters, CSRF on every form, and tenant isolation against the bureau's admin.
import { readFileSync } from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import {
  adminAccounts,
  auditEvents,
  hazardEvents,
  hazards,
  identities,
  inboundEvents,
  letterRounds,
  letters,
  outbox,
  people,
  postHolders,
  shiftAssignees,
  shifts,
  tasks,
  tenants,
  units,
} from '../db/schema.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  csrfOf,
  fetchFrom,
  login,
  resetConsoleTenants,
  SCHOOL,
  unescapeHtml,
} from './helpers/console-http.ts';
import { exampleFile, openTestDatabase } from './helpers/db.ts';
import { useDemoService } from './helpers/demo-service.ts';
import { schoolDirectories, schoolWithMobilesOnly } from './helpers/org-directory.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Saturday 2026-11-28, 10:00 in Shanghai: the example roster (11-30 … 12-06) lies ahead. */
const NOW = new Date('2026-11-28T02:00:00Z');

/** The options of a named select: value → label. */
function optionsOf(html: string, name: string): Map<string, string> {
  const select = new RegExp(`<select name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  if (!select) throw new Error(`no select ${name}`);
  return new Map(
    [...select[1]!.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [
      unescapeHtml(m[1]!),
      unescapeHtml(m[2]!),
    ]),
  );
}

const utf8 = (text: string) => new TextEncoder().encode(text);

// ---------------------------------------------------------------------------------------------------

describe('console operations (login required)', () => {
  let database: Database;
  let harness: Harness;
  let browser: Browser;
  let schoolId: number;
  let bureauId: number;
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
    ({ schoolId, bureauId } = await resetConsoleTenants(harness, database));
    browser = new Browser(fetcher);
  });

  async function personId(code: string, tenantCode = SCHOOL): Promise<number> {
    const [row] = await database.db
      .select({ id: people.id })
      .from(people)
      .innerJoin(tenants, eq(tenants.id, people.tenantId))
      .where(and(eq(people.code, code), eq(tenants.code, tenantCode)));
    if (!row) throw new Error(`no person ${code}`);
    return row.id;
  }

  /** The school's office account (`office`), which the console acts as once logged in. */
  async function accountId(): Promise<number> {
    const [row] = await database.db
      .select({ id: adminAccounts.id })
      .from(adminAccounts)
      .where(and(eq(adminAccounts.tenantId, schoolId), eq(adminAccounts.username, 'office')));
    return row!.id;
  }

  async function unitId(name: string, tenantId = schoolId): Promise<number> {
    const [row] = await database.db
      .select({ id: units.id })
      .from(units)
      .where(and(eq(units.name, name), eq(units.tenantId, tenantId)));
    return row!.id;
  }

  /**
   * The one message a member got, a card about `subject` on Feishu (their channel), as JSON; and nobody's
   * console chat written as if a member had acted.
   */
  async function onlyFeishuCard(person: number, subject: string, view: string): Promise<string> {
    const rows = await database.db.select().from(outbox).where(eq(outbox.personId, person));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      tenantId: schoolId,
      channel: 'feishu',
      targetKind: 'open_id',
      subject,
      view,
    });
    expect(await database.db.select().from(outbox).where(eq(outbox.channel, 'console'))).toEqual([]);
    return JSON.stringify(rows[0]!.body);
  }

  it('sends the operation pages to the login page without a session, and links every page', async () => {
    for (const path of ['/console/tasks', '/console/rosters', '/console/letters']) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    await login(browser);
    // Outside demo mode `/` is the dashboard: the chat simulator (acting as any member) is a demo feature.
    const root = await browser.get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/dashboard');
    const home = await browser.page('/console/dashboard');
    expect(home.html).not.toContain('对话模拟');
    for (const href of [
      '/console/tasks',
      '/console/rosters',
      '/console/letters',
      '/console/ledger',
      '/console/outbox',
    ]) {
      expect(home.html, href).toContain(`<a href="${href}"`);
    }
    const tasksPage = await browser.page('/console/tasks');
    expect(tasksPage.response.status).toBe(200);
    expect(tasksPage.html).toMatch(/<a href="\/console\/tasks" class="on">任务督办<\/a>/);
  });

  it('assigns a task to 安保处: the row, the audit, and the head’s card with 确认收到 in the outbox', async () => {
    await login(browser);
    const form = await browser.page('/console/tasks');
    const office = await personId('zhouyinyin');
    const head = await personId('yinxianju');
    const anbao = await unitId('安保处');
    const account = await accountId();

    // The console assigns as the logged-in office account, in its own name: there is no member to pick.
    expect(form.html).not.toContain('name="assigner"');
    expect(form.html).toContain('派发人<strong>周尹尹（后台账号 office）</strong>');
    const assigneeChoices = optionsOf(form.html, 'assignee');
    expect(assigneeChoices.get(`unit:${anbao}`)).toBe('安保处（负责人：尹仙菊）');
    expect(assigneeChoices.get(`person:${await personId('chenjing')}`)).toContain('陈静');
    expect([...optionsOf(form.html, 'kind').values()]).toEqual([
      '工作任务',
      '整改通知书',
      '约谈整改',
      '专项行动',
    ]);

    // A member named in the post (a forged field) changes nothing: the account acts.
    const posted = await browser.post('/console/tasks', {
      _csrf: csrfOf(form.html),
      assigner: String(await personId('wangxiaofang')),
      assignee: `unit:${anbao}`,
      kind: 'plain',
      content: '检查校门监控是否完好',
      due: '2026-12-15',
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/tasks');

    const [task] = await database.db.select().from(tasks);
    expect(task).toMatchObject({
      tenantId: schoolId,
      code: 'RW-2026-0001',
      kind: 'plain',
      status: 'assigned',
      content: '检查校门监控是否完好',
      assignerId: null,
      assignerAccountId: account,
      assigneeUnitId: anbao,
      assigneeId: null,
    });
    expect(task!.dueAt.toISOString()).toBe('2026-12-15T15:59:59.999Z');
    const trail = await database.db.select().from(auditEvents);
    expect(trail.map((row) => [row.subject, row.action, row.actorId, row.actorAccountId])).toEqual([
      [`task:${task!.id}`, 'assign', null, account],
    ]);

    // The head of 安保处 gets the assignee's card on their own channel (Feishu here), as from the chat.
    const card = await onlyFeishuCard(head, `task:${task!.id}`, 'assignee');
    expect(card).toContain('"action":"task.ack"');
    expect(card).toContain('"action":"task.done"');
    expect(card).toContain('检查校门监控是否完好');

    const list = await browser.page('/console/tasks');
    expect(list.html).toMatch(
      /class="flash success"[^>]*>已派发 RW-2026-0001（安保处），截止 2026-12-15 23:59。</,
    );
    expect(list.html).not.toContain('的名义');
    expect(list.html).toMatch(
      /<tr data-task="RW-2026-0001">[\s\S]*?检查校门监控是否完好[\s\S]*?安保处[\s\S]*?周尹尹（后台账号 office）[\s\S]*?待确认/,
    );

    // The card works like the chat's: the head presses 确认收到 (here through the core, as the Feishu
    // webhook would), the list follows, and the office (the assigner) hears of it.
    await harness.service.core.handle({
      type: 'action',
      channel: 'console',
      eventKey: 'ack-1',
      sender: { ids: [{ kind: 'person', value: String(head) }], name: '尹仙菊' },
      chat: { id: `console:${head}`, type: 'p2p' },
      at: NOW,
      platformTenant: String(schoolId),
      action: 'task.ack',
      args: { id: String(task!.id) },
    });
    const toOffice = await database.db.select().from(outbox).where(eq(outbox.personId, office));
    expect(toOffice.map((row) => row.body)).toContainEqual({
      kind: 'text',
      text: '尹仙菊 已确认收到任务 RW-2026-0001。',
    });
    const open = await browser.page('/console/tasks?status=open');
    expect(open.html).toMatch(
      /<tr data-task="RW-2026-0001">[\s\S]*?已确认收到[\s\S]*?尹仙菊<br><span class="muted nowrap">2026-11-28 10:00/,
    );
    expect((await browser.page('/console/tasks?status=done')).html).toContain('没有已完成的任务');
    expect((await browser.page('/console/tasks?status=overdue')).html).toContain('没有已超期的任务');
  });

  it('gives a 整改通知书 without a due date 20 working days, and lists it under its kind', async () => {
    await login(browser);
    const form = await browser.page('/console/tasks');
    const posted = await browser.post('/console/tasks', {
      _csrf: csrfOf(form.html),
      assignee: `unit:${await unitId('总务处')}`,
      kind: 'rectification_notice',
      content: '食堂燃气管道老化，限期整改并书面报告',
      due: '',
    });
    expect(posted.status).toBe(303);
    const [task] = await database.db.select().from(tasks);
    expect(task!.kind).toBe('rectification_notice');
    // From Saturday 11-28: Mon 11-30 … Fri 12-25 are the 20 working days (no holiday in December).
    expect(task!.dueAt.toISOString()).toBe('2026-12-25T15:59:59.999Z');
    const head = await personId('huangchun');
    const card = await database.db.select().from(outbox).where(eq(outbox.personId, head));
    expect(JSON.stringify(card[0]!.body)).toContain('整改通知书 RW-2026-0001');
    const list = await browser.page('/console/tasks?status=open');
    expect(list.html).toMatch(
      /<tr data-task="RW-2026-0001">\s*<td class="nowrap">RW-2026-0001<\/td>\s*<td class="nowrap">整改通知书<\/td>[\s\S]*?总务处[\s\S]*?周尹尹（后台账号 office）[\s\S]*?2026-12-25 23:59/,
    );
  });

  it('refuses bad input with the form again (400) and a precise message, writing nothing', async () => {
    await login(browser);
    const form = await browser.page('/console/tasks');
    const good = {
      _csrf: csrfOf(form.html),
      assigner: String(await personId('zhouyinyin')),
      assignee: `unit:${await unitId('安保处')}`,
      kind: 'plain',
      content: '检查校门监控是否完好',
      due: '2026-12-15',
    };
    const cases: [string, Record<string, string>, string][] = [
      ['no due date for a plain task', { due: '' }, '请写明截止日期：工作任务须有截止日期'],
      ['no due date for a 专项行动', { kind: 'campaign', due: '' }, '专项行动须有截止日期'],
      ['no content', { content: '   ' }, '请填写任务内容'],
      ['no assignee', { assignee: '' }, '请选择承办处室或人员'],
      ['an unknown assignee', { assignee: 'unit:999999' }, '不属于本单位'],
      ['a bad kind', { kind: 'party' }, '请选择任务类型'],
      ['a bad date', { due: '2026-12-32' }, '截止日期请写成 2026-12-31 或 12月31日'],
      ['a past date', { due: '2026-11-01' }, '截止日期 2026-11-01 已过'],
      ['too long', { content: '长'.repeat(1001) }, '任务内容太长：最多 1000 字'],
    ];
    for (const [name, change, message] of cases) {
      const response = await browser.post('/console/tasks', { ...good, ...change });
      expect(response.status, name).toBe(400);
      const html = await response.text();
      expect(html, name).toMatch(new RegExp(`class="flash error" role="alert">[^<]*${message}`));
      // The form comes back with what was typed.
      if (change.content === undefined) expect(html, name).toContain('检查校门监控是否完好</textarea>');
    }
    expect(await database.db.select().from(tasks)).toHaveLength(0);
    expect(await database.db.select().from(auditEvents)).toHaveLength(0);
    expect(await database.db.select().from(outbox)).toHaveLength(0);
  });

  it('refuses every operation’s post without the CSRF token (403), and writes nothing', async () => {
    await login(browser);
    const anbao = await unitId('安保处');
    const office = String(await personId('zhouyinyin'));
    const task = await browser.post('/console/tasks', {
      assigner: office,
      assignee: `unit:${anbao}`,
      kind: 'plain',
      content: '检查校门监控是否完好',
      due: '2026-12-15',
    });
    expect(task.status).toBe(403);
    expect(await task.text()).toContain('安全校验未通过');
    const wrong = await browser.post('/console/tasks', {
      _csrf: 'not-the-token-of-this-session',
      assigner: office,
      assignee: `unit:${anbao}`,
      content: '检查',
      due: '2026-12-15',
    });
    expect(wrong.status).toBe(403);
    const roster = await browser.upload(
      '/console/rosters',
      {},
      {
        name: 'roster.csv',
        bytes: readFileSync(exampleFile('roster.csv')),
      },
    );
    expect(roster.status).toBe(403);
    const letter = await browser.post('/console/letters', { actor: office, year: '2026' });
    expect(letter.status).toBe(403);
    expect(await database.db.select().from(tasks)).toHaveLength(0);
    expect(await database.db.select().from(shifts)).toHaveLength(0);
    expect(await database.db.select().from(letterRounds)).toHaveLength(0);
    expect(await database.db.select().from(outbox)).toHaveLength(0);
  });

  it('imports examples/roster.csv and shows the next 7 days with people, leader and confirmation', async () => {
    await login(browser);
    const form = await browser.page('/console/rosters');
    expect(form.html).toContain('enctype="multipart/form-data"');
    expect(form.html).toContain('2026-11-28 至 2026-12-04 没有班次');
    const posted = await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: 'roster.csv', bytes: readFileSync(exampleFile('roster.csv')) },
    );
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/rosters');
    const rows = await database.db.select().from(shifts).orderBy(asc(shifts.id));
    expect(rows).toHaveLength(19);
    expect(rows.every((row) => row.tenantId === schoolId)).toBe(true);
    expect(await database.db.select().from(shiftAssignees)).toHaveLength(24);
    // Each shift's `roster.import` row of the trail names the office's account that uploaded it.
    const trail = await database.db.select().from(auditEvents);
    expect(trail).toHaveLength(19);
    expect(new Set(trail.map((row) => `${row.action}/${row.actorId}/${row.actorAccountId}`))).toEqual(
      new Set([`roster.import/null/${await accountId()}`]),
    );

    const page = await browser.page('/console/rosters');
    expect(page.html).toMatch(
      /class="flash success"[^>]*>已导入值班表 roster\.csv（2026-11-30 至 2026-12-06）：新建 19 个班次。/,
    );
    // 11-30 … 12-04 are within the next 7 days (from Saturday 11-28); the weekend after is not.
    expect(page.html).toContain('未来 7 天的班次（2026-11-28 至 2026-12-04）');
    expect(page.html.match(/<tr data-shift=/g)).toHaveLength(15);
    expect(page.html).not.toContain('周末白班');
    const first = /<tr data-shift="\d+">([\s\S]*?)<\/tr>/.exec(page.html)![1]!;
    expect(first).toContain('2026-11-30');
    expect(first).toContain('日间值班');
    expect(first).toContain('07:30–17:30');
    expect(first).toContain('行政楼一楼值班室');
    expect(first).toMatch(/陈静：<span class="wait">待确认<\/span>/);
    expect(first).toMatch(/吴玉南：<span class="wait">待确认<\/span>/);
    expect(first).toContain('<td>薛建平</td>');
    expect(page.html).toContain('17:30–次日 07:30');

    // A confirmation shows with its time.
    const liguoqiang = await personId('liguoqiang');
    const night = rows.find((row) => row.date === '2026-11-30' && row.name === '夜间值班')!;
    await database.db
      .update(shiftAssignees)
      .set({ confirmedAt: new Date('2026-11-30T09:00:00Z') })
      .where(and(eq(shiftAssignees.shiftId, night.id), eq(shiftAssignees.personId, liguoqiang)));
    expect((await browser.page('/console/rosters')).html).toMatch(
      /李国强：<span class="good">已到岗确认<\/span> <span class="muted nowrap">2026-11-30 17:00<\/span>/,
    );
  });

  it('refuses a bad roster (400) listing every bad row, and writes no shift', async () => {
    await login(browser);
    const form = await browser.page('/console/rosters');
    const bad = [
      '日期,班次,时间,值班人员,带班领导,地点',
      '2026-11-30,日间值班,07:30-17:30,陈静、不存在的人,薛建平,值班室',
      '2026-11-31,夜间值班,17:30-07:30,李国强,章方辉,门卫室',
      '2026-12-01,日间值班,07:30-17:30,赵明,薛建平,值班室',
      '2026-12-02,放学护导,午后,张丽,尹仙菊,校门口',
    ].join('\n');
    const response = await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: '值班表.csv', bytes: utf8(bad) },
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('值班表 值班表.csv 有 3 处问题，未导入任何班次');
    const problems = [
      ...html.matchAll(/<tr><td>(第 \d+ 行)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g),
    ].map((m) => [m[1], m[2], unescapeHtml(m[3]!)]);
    expect(problems.map(([row, column]) => [row, column])).toEqual([
      ['第 2 行', '值班人员'],
      ['第 3 行', '日期'],
      ['第 5 行', '时间'],
    ]);
    expect(problems[0]![2]).toContain('找不到“不存在的人”');
    expect(await database.db.select().from(shifts)).toHaveLength(0);

    // Neither a file of another type, nor none at all.
    const text = await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: 'roster.txt', bytes: utf8('hello') },
    );
    expect(text.status).toBe(400);
    expect(await text.text()).toContain('只能导入 .xlsx 或 .csv 文件');
    const empty = await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: 'roster.csv', bytes: new Uint8Array() },
    );
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('请选择要导入的值班表文件');
    expect(await database.db.select().from(shifts)).toHaveLength(0);
  });

  it('starts a 责任书 round as the office account and shows the signing progress per unit', async () => {
    await login(browser);
    const form = await browser.page('/console/letters');
    expect(form.html).toContain('2026年度一岗双责安全责任书尚未发起');
    const office = await personId('zhouyinyin');
    const account = await accountId();
    // The office's account starts it in its own name: there is no member to pick.
    expect(form.html).not.toContain('name="actor"');
    expect(form.html).toContain('发起人<strong>周尹尹（后台账号 office）</strong>');
    expect([...optionsOf(form.html, 'year').keys()]).toEqual(['2026', '2027', '2025']);

    const far = await browser.post('/console/letters', {
      _csrf: csrfOf(form.html),
      year: '2030',
    });
    expect(far.status).toBe(400);
    expect(await far.text()).toContain('年度 2030 不在可办理的范围内（2025–2027 年）');
    expect(await database.db.select().from(letterRounds)).toHaveLength(0);

    const posted = await browser.post('/console/letters', {
      _csrf: csrfOf(form.html),
      actor: String(office),
      year: '2026',
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/letters?year=2026');
    const [round] = await database.db.select().from(letterRounds);
    expect(round).toMatchObject({
      tenantId: schoolId,
      year: 2026,
      startedById: null,
      startedByAccountId: account,
    });
    const issued = await database.db.select().from(letters);
    // Every `issue` row of the trail names the account, none a member.
    const trail = await database.db.select().from(auditEvents);
    expect(trail).toHaveLength(issued.length);
    expect(new Set(trail.map((row) => `${row.action}/${row.actorId}/${row.actorAccountId}`))).toEqual(
      new Set([`issue/null/${account}`]),
    );
    expect(issued.length).toBeGreaterThan(10);
    expect(issued.every((letter) => letter.tenantId === schoolId && letter.signedAt === null)).toBe(true);
    // Each holder has their letter's card with 确认签订, through the outbox.
    const head = await personId('yinxianju');
    const toHead = await database.db.select().from(outbox).where(eq(outbox.personId, head));
    expect(toHead.map((row) => row.view)).toEqual(['holder']);
    expect(JSON.stringify(toHead[0]!.body)).toContain('"action":"letter.sign"');

    const page = await browser.page('/console/letters?year=2026');
    expect(page.html).toMatch(
      /class="flash success"[^>]*>已发起2026年度一岗双责安全责任书签订：向 \d+ 人下发 \d+ 份责任书/,
    );
    expect(page.html).toContain(`总体 <strong>0/${issued.length}</strong> 已签订`);
    expect(page.html).toContain('2026-11-28 10:00 由周尹尹（后台账号 office）发起');
    for (const unit of ['校领导', '总务处', '安保处', '教技室', '教务处', '德育处', '办公室', '人事科']) {
      expect(page.html, unit).toContain(`<tr data-unit="${unit}">`);
    }
    expect(page.html).toMatch(
      /<tr data-unit="安保处">\s*<td>安保处<\/td>\s*<td class="nowrap wait">0\/2<\/td>\s*<td>0%<\/td>\s*<td>尹仙菊（安保处主任）、李国强（门卫）<\/td>/,
    );

    // The office cannot sign for the holder: the simulator is gone outside demo mode.
    const letter = issued.find((row) => row.personId === head)!;
    const forged = await browser.post('/console/press', {
      _csrf: csrfOf(form.html),
      person: String(head),
      action: 'letter.sign',
      args: JSON.stringify({ id: String(letter.id) }),
    });
    expect(forged.status).toBe(404);
    expect((await database.db.select().from(letters).where(eq(letters.id, letter.id)))[0]!.signedAt).toBe(
      null,
    );
    // Signing (the holder presses 确认签订 on their card, here through the core) shows in the progress.
    await harness.service.core.handle({
      type: 'action',
      channel: 'console',
      eventKey: 'sign-1',
      sender: { ids: [{ kind: 'person', value: String(head) }], name: '尹仙菊' },
      chat: { id: `console:${head}`, type: 'p2p' },
      at: NOW,
      platformTenant: String(schoolId),
      action: 'letter.sign',
      args: { id: String(letter.id) },
    });
    const after = await browser.page('/console/letters?year=2026');
    expect(after.html).toMatch(
      /<tr data-unit="安保处">\s*<td>安保处<\/td>\s*<td class="nowrap wait">1\/2<\/td>\s*<td>50%<\/td>\s*<td>李国强（门卫）<\/td>/,
    );
    expect(after.html).toContain(`总体 <strong>1/${issued.length}</strong> 已签订`);

    // Starting it again issues nothing more.
    const again = await browser.post('/console/letters', {
      _csrf: csrfOf(form.html),
      actor: String(office),
      year: '2026',
    });
    expect(again.status).toBe(303);
    expect(await database.db.select().from(letters)).toHaveLength(issued.length);
    expect((await browser.page('/console/letters?year=2026')).html).toMatch(
      /class="flash info"[^>]*>2026年度一岗双责安全责任书已于 2026-11-28 10:00 由周尹尹（后台账号 office）发起，无需重复发起。签订进度见下表。/,
    );
  });

  it('keeps tenants apart: the bureau’s admin neither sees nor acts on the school’s tasks, rosters or letters', async () => {
    // The school's admin assigns a task, imports the roster and starts the 2026 round.
    await login(browser);
    const form = await browser.page('/console/tasks');
    const office = await personId('zhouyinyin');
    const anbao = await unitId('安保处');
    await browser.post('/console/tasks', {
      _csrf: csrfOf(form.html),
      assigner: String(office),
      assignee: `unit:${anbao}`,
      kind: 'plain',
      content: '检查校门监控是否完好',
      due: '2026-12-15',
    });
    await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: 'roster.csv', bytes: readFileSync(exampleFile('roster.csv')) },
    );
    await browser.post('/console/letters', { _csrf: csrfOf(form.html), actor: String(office), year: '2026' });
    expect(await database.db.select().from(tasks)).toHaveLength(1);
    expect(await database.db.select().from(shifts)).toHaveLength(19);
    const schoolLetters = (await database.db.select().from(letters)).length;

    const bureau = new Browser(fetcher);
    await login(bureau, BUREAU, BUREAU_PASSWORD);
    const bureauTasks = await bureau.page('/console/tasks');
    expect(bureauTasks.response.status).toBe(200);
    expect(bureauTasks.html).toContain('某区教育体育局');
    expect(bureauTasks.html).not.toContain('RW-2026-0001');
    expect(bureauTasks.html).not.toContain('检查校门监控是否完好');
    expect(bureauTasks.html).toContain('还没有任务');
    // Its selects hold the bureau's people and units only.
    expect(bureauTasks.html).not.toContain('尹仙菊');
    expect(bureauTasks.html).not.toContain(`value="unit:${anbao}"`);
    expect(bureauTasks.html).not.toContain(`value="${office}"`);
    const bureauAssigner = String(office);

    // Assigning to the school's unit or people is refused.
    const token = csrfOf(bureauTasks.html);
    for (const assignee of [`unit:${anbao}`, `person:${await personId('yinxianju')}`]) {
      const toSchool = await bureau.post('/console/tasks', {
        _csrf: token,
        assigner: bureauAssigner,
        assignee,
        kind: 'plain',
        content: '越权派发',
        due: '2026-12-15',
      });
      expect(toSchool.status, assignee).toBe(400);
      expect(await toSchool.text(), assignee).toContain('所选承办处室或人员不属于本单位');
    }
    expect(await database.db.select().from(tasks)).toHaveLength(1);

    // The school's shifts are not the bureau's; the school's roster names no one in the bureau.
    const bureauRosters = await bureau.page('/console/rosters');
    expect(bureauRosters.html).not.toContain('日间值班');
    expect(bureauRosters.html).not.toContain('陈静');
    const upload = await bureau.upload(
      '/console/rosters',
      { _csrf: token },
      { name: 'roster.csv', bytes: readFileSync(exampleFile('roster.csv')) },
    );
    expect(upload.status).toBe(400);
    expect(await upload.text()).toContain('找不到“陈静”');
    expect(await database.db.select().from(shifts)).toHaveLength(19);

    // The school's round is not the bureau's: not started there; starting there is the bureau's own.
    const bureauLetters = await bureau.page('/console/letters?year=2026');
    expect(bureauLetters.html).toContain('2026年度一岗双责安全责任书尚未发起');
    expect(bureauLetters.html).not.toContain('安保处');
    expect(bureauLetters.html).not.toContain('周尹尹');
    expect(await database.db.select().from(letterRounds)).toHaveLength(1);
    expect(await database.db.select().from(letters)).toHaveLength(schoolLetters);

    // And the school still sees its own.
    expect((await browser.page('/console/tasks')).html).toContain('RW-2026-0001');
  });
  // -------------------------------------------------------------------------------------------------
  // /console/org and /console/hazards

  async function orgSnapshot() {
    return {
      tenants: await database.db.select().from(tenants).orderBy(asc(tenants.id)),
      people: await database.db.select().from(people).orderBy(asc(people.id)),
      units: await database.db.select().from(units).orderBy(asc(units.id)),
      holders: await database.db.select().from(postHolders).orderBy(asc(postHolders.id)),
    };
  }

  it('re-imports examples/school.yaml from /console/org: the summary, nothing started or ended', async () => {
    const anon = await browser.get('/console/org');
    expect(anon.status).toBe(302);
    await login(browser);
    const form = await browser.page('/console/org');
    expect(form.html).toMatch(/<a href="\/console\/org" class="on">组织信息<\/a>/);
    expect(form.html).toContain('安保处');
    expect(form.html).toContain('尹仙菊');
    // Each unit's own safety duties (units.safety_duties), as imported.
    expect(form.html).toContain('<th>处室安全职责</th>');
    expect(form.html).toContain('<li>校园水、电、气、油安全使用；配电间及用电线路安全维护</li>');
    const before = await orgSnapshot();
    const posted = await browser.upload(
      '/console/org',
      { _csrf: csrfOf(form.html) },
      { name: 'school.yaml', bytes: readFileSync(exampleFile('school.yaml')) },
    );
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/org');
    const after = await browser.page('/console/org');
    expect(after.html).toMatch(
      /已导入组织文件 school\.yaml：处室 \d+ 个，岗位 \d+ 个，人员 \d+ 人，隐患类别 \d+ 个；新任岗位 0 人次，离任 0 人次。/,
    );
    expect(await orgSnapshot()).toEqual(before);
  });

  it('imports a file that gives people by mobile: found on Feishu, the one out of range named', async () => {
    harness.feishu.directory = schoolDirectories().feishu.map((user) => ({
      ...user,
      inRange: user.mobile !== '13800000017',
    }));
    try {
      await login(browser);
      const form = await browser.page('/console/org');
      const posted = await browser.upload(
        '/console/org',
        { _csrf: csrfOf(form.html) },
        { name: 'school-mobiles.yaml', bytes: utf8(schoolWithMobilesOnly()) },
      );
      expect(posted.status).toBe(303);
      const after = await browser.page('/console/org');
      expect(after.html).toContain('1 人次未能按手机号或邮箱找到账号');
      expect(unescapeHtml(after.html)).toContain('zhaoming（赵明）飞书 手机号 13800000017：未查到');
      const rows = await database.db
        .select({ code: people.code, kind: identities.kind, value: identities.value })
        .from(identities)
        .innerJoin(people, eq(people.id, identities.personId))
        .innerJoin(tenants, eq(tenants.id, people.tenantId))
        .where(and(eq(tenants.code, SCHOOL), eq(identities.channel, 'feishu')));
      const school = schoolDirectories().feishu;
      expect(rows.filter((row) => row.kind === 'open_id')).toHaveLength(16);
      expect(rows).toContainEqual({ code: 'wangxiaofang', kind: 'open_id', value: school[0]!.openId });
      expect(rows.some((row) => row.code === 'zhaoming')).toBe(false);
    } finally {
      harness.feishu.directory = [];
    }
  });

  it('refuses an invalid organization file (400) listing every problem, and changes nothing', async () => {
    await login(browser);
    const form = await browser.page('/console/org');
    const before = await orgSnapshot();
    const source = readFileSync(exampleFile('school.yaml'), 'utf8')
      .replace('code: zong-wu-chu', 'code: an-bao-chu-dup\n    bogus: 1')
      .concat('\nposts_typo: []\n');
    const posted = await browser.upload(
      '/console/org',
      { _csrf: csrfOf(form.html) },
      { name: 'broken.yaml', bytes: utf8(source) },
    );
    expect(posted.status).toBe(400);
    const html = await posted.text();
    expect(html).toContain('组织文件 broken.yaml 有');
    expect(html).toContain('未导入任何内容');
    const problems = [...html.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => unescapeHtml(m[1]!));
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const problem of problems) expect(problem).toMatch(/^broken\.yaml: \S+.*: .+/);
    expect(problems.some((problem) => problem.includes('bogus'))).toBe(true);
    expect(problems.some((problem) => problem.includes('posts_typo'))).toBe(true);

    const yamlError = await browser.upload(
      '/console/org',
      { _csrf: csrfOf(form.html) },
      { name: 'bad.yaml', bytes: utf8('tenant: [unclosed\n') },
    );
    expect(yamlError.status).toBe(400);
    expect(await yamlError.text()).toMatch(/bad\.yaml: line \d+, column \d+: /);
    expect(await orgSnapshot()).toEqual(before);
  });

  it('refuses a file naming another tenant (403): no tenant created or overwritten', async () => {
    await login(browser);
    const form = await browser.page('/console/org');
    const before = await orgSnapshot();
    for (const [name, code] of [
      ['bureau.yaml', BUREAU],
      ['new.yaml', 'some-new-school'],
    ]) {
      const source = readFileSync(exampleFile('school.yaml'), 'utf8').replace(
        'code: jishan-school',
        `code: ${code}`,
      );
      const posted = await browser.upload(
        '/console/org',
        { _csrf: csrfOf(form.html) },
        { name: name!, bytes: utf8(source) },
      );
      expect(posted.status, name).toBe(403);
      const html = await posted.text();
      expect(html).toContain(`单位代码（tenant.code）是“${code}”`);
      expect(html).toContain('不能新建或覆盖其他单位');
    }
    expect(await orgSnapshot()).toEqual(before);
  });

  async function openHazard() {
    const [hazard] = await database.db
      .insert(hazards)
      .values({
        tenantId: schoolId,
        code: 'YH-2026-0001',
        description: '教学楼三楼东侧灭火器过期',
        severity: 'general',
        reporterId: await personId('chenjing'),
        sourceChannel: 'console',
        unitId: await unitId('安保处'),
        createdAt: NOW,
        updatedAt: NOW,
      })
      .returning();
    return hazard!;
  }

  it('lists a hazard for supervision as the office account, in its own name: the row, the trail, the head’s card, the ledger', async () => {
    const hazard = await openHazard();
    const head = await personId('yinxianju');
    const anbao = await unitId('安保处');
    const account = await accountId();
    await login(browser);
    const form = await browser.page('/console/hazards');
    expect(form.html).toMatch(/<a href="\/console\/hazards" class="on">隐患督办<\/a>/);
    expect(form.html).toContain('YH-2026-0001');
    // The form lists in the account's own name: there is no leader to pick.
    expect(form.html).toContain('action="/console/hazards/list"');
    expect(form.html).not.toContain('name="actor"');
    expect(form.html).toContain('督办人<strong>周尹尹（后台账号 office）</strong>');

    // A leader named in the post (a forged field) changes nothing: the account lists.
    const posted = await browser.post('/console/hazards/list', {
      _csrf: csrfOf(form.html),
      hazard: String(hazard.id),
      actor: String(await personId('wangxiaofang')),
      matter: '更换全部过期灭火器',
      deadline: '2026-12-10',
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/hazards');

    const [fresh] = await database.db.select().from(hazards).where(eq(hazards.id, hazard.id));
    expect(fresh).toMatchObject({
      status: 'reported',
      listed: true,
      listedMatter: '更换全部过期灭火器',
      listedUnitId: anbao,
      listedById: null,
      listedByAccountId: account,
      listedAt: NOW,
    });
    expect(fresh!.listedDeadline!.toISOString()).toBe('2026-12-10T15:59:59.999Z');
    const trail = await database.db.select().from(hazardEvents);
    expect(trail.map((row) => [row.hazardId, row.action, row.actorId, row.actorAccountId, row.note])).toEqual(
      [[hazard.id, 'list', null, account, '更换全部过期灭火器，期限 2026-12-10 23:59']],
    );

    // The head of 安保处 gets the listed card on their own channel (Feishu here), naming the office account.
    const card = await onlyFeishuCard(head, `hazard:${hazard.id}`, 'handler');
    expect(card).toContain('【挂牌督办】');
    expect(card).toContain('更换全部过期灭火器');
    expect(card).toContain('周尹尹（后台账号 office）');

    const list = await browser.page('/console/hazards');
    // In its own name: not "（以某某的名义）" as the demo console says.
    expect(list.html).toMatch(/class="flash success"[^>]*>YH-2026-0001 已挂牌督办</);
    expect(list.html).not.toMatch(/（以[^）]*的名义）/);
    expect(list.html).toMatch(
      /<tr data-hazard="YH-2026-0001">[\s\S]*?已挂牌[\s\S]*?更换全部过期灭火器[\s\S]*?督办人 周尹尹（后台账号 office）/,
    );

    // The ledger (台账) names the account in the listing column and in the trail.
    const csv = await (
      await browser.get('/console/ledger/export?from=2026-11-01&to=2026-11-30&format=csv')
    ).text();
    expect(csv).toContain(
      '更换全部过期灭火器；督办处室：安保处；期限：2026-12-10 23:59；督办人：周尹尹（后台账号 office）',
    );
    expect(csv).toContain(
      '2026-11-28 10:00 周尹尹（后台账号 office） 挂牌督办；更换全部过期灭火器，期限 2026-12-10 23:59',
    );
  });

  it('re-lists a hazard a leader listed: the account replaces the leader, never both (the database refuses both)', async () => {
    const hazard = await openHazard();
    const principal = await personId('wangxiaofang');
    const account = await accountId();
    await database.db
      .update(hazards)
      .set({ listed: true, listedMatter: '限期整改', listedById: principal, listedAt: NOW })
      .where(eq(hazards.id, hazard.id));
    await login(browser);
    const form = await browser.page('/console/hazards');
    expect(form.html).toContain('督办人 王晓芳');
    const posted = await browser.post('/console/hazards/list', {
      _csrf: csrfOf(form.html),
      hazard: String(hazard.id),
      matter: '请于期限内完成更换并报安全办',
      deadline: '2026-12-20',
    });
    expect(posted.status).toBe(303);
    const [fresh] = await database.db.select().from(hazards).where(eq(hazards.id, hazard.id));
    expect(fresh).toMatchObject({
      listedMatter: '请于期限内完成更换并报安全办',
      listedById: null,
      listedByAccountId: account,
    });
    /** What the database answers: the violated constraint's message, or 'accepted'. */
    const refusal = (query: PromiseLike<unknown>) =>
      Promise.resolve(query).then(
        () => 'accepted',
        (error: { message?: string; cause?: { message?: string } }) => error.cause?.message ?? error.message,
      );
    expect(
      await refusal(
        database.db.update(hazards).set({ listedById: principal }).where(eq(hazards.id, hazard.id)),
      ),
    ).toContain('hazards_one_lister');
    expect(
      await refusal(
        database.db.insert(hazardEvents).values({
          tenantId: schoolId,
          hazardId: hazard.id,
          actorId: principal,
          actorAccountId: account,
          action: 'list',
        }),
      ),
    ).toContain('hazard_events_one_actor');
  });

  it('refuses a bad listing from the office account (400) with the form and a precise message, writing nothing', async () => {
    const hazard = await openHazard();
    const [closed] = await database.db
      .insert(hazards)
      .values({
        tenantId: schoolId,
        code: 'YH-2026-0002',
        description: '操场围栏松动',
        severity: 'general',
        status: 'closed',
        reporterId: await personId('chenjing'),
        sourceChannel: 'console',
        unitId: await unitId('安保处'),
        createdAt: NOW,
        updatedAt: NOW,
        closedAt: NOW,
      })
      .returning();
    const [theirs] = await database.db
      .insert(hazards)
      .values({
        tenantId: bureauId,
        code: 'YH-2026-0001',
        description: '局机关食堂燃气管道老化',
        reporterId: await personId('zhaoguoping', BUREAU),
        sourceChannel: 'console',
        createdAt: NOW,
        updatedAt: NOW,
      })
      .returning();
    await login(browser);
    const form = await browser.page('/console/hazards');
    const before = {
      hazards: await database.db.select().from(hazards).orderBy(asc(hazards.id)),
      outbox: await database.db.select().from(outbox),
    };
    const fields = { _csrf: csrfOf(form.html), hazard: String(hazard.id), matter: '更换全部过期灭火器' };
    const cases: [Record<string, string>, string][] = [
      [{ ...fields, matter: '  ', deadline: '2026-12-10' }, '请填写督办事项。'],
      [{ ...fields, matter: '换'.repeat(501), deadline: '2026-12-10' }, '督办事项太长：最多 500 字。'],
      [{ ...fields, deadline: '2026-11-27' }, '督办期限 2026-11-27 已过：不能早于今天（2026-11-28）。'],
      [{ ...fields, deadline: '明天' }, '督办期限“明天”无效'],
      [{ ...fields, hazard: '', deadline: '2026-12-10' }, '请选择要挂牌督办的隐患。'],
      [
        { ...fields, hazard: String(closed!.id), deadline: '2026-12-10' },
        'YH-2026-0002 当前状态为“已销号”，不能挂牌督办。',
      ],
      [{ ...fields, hazard: String(theirs!.id), deadline: '2026-12-10' }, '找不到这条隐患，可能已被删除。'],
    ];
    for (const [post, message] of cases) {
      const refused = await browser.post('/console/hazards/list', post);
      expect(refused.status, message).toBe(400);
      const html = unescapeHtml(await refused.text());
      expect(html, message).toContain(message);
      expect(html, message).toContain('action="/console/hazards/list"');
    }
    expect(await database.db.select().from(hazards).orderBy(asc(hazards.id))).toEqual(before.hazards);
    expect(await database.db.select().from(hazardEvents)).toEqual([]);
    expect(await database.db.select().from(outbox)).toEqual(before.outbox);
  });

  it('refuses the org upload and 挂牌督办 without the CSRF token (403)', async () => {
    const hazard = await openHazard();
    await login(browser);
    const before = await orgSnapshot();
    const upload = await browser.upload(
      '/console/org',
      {},
      { name: 'school.yaml', bytes: readFileSync(exampleFile('school.yaml')) },
    );
    expect(upload.status).toBe(403);
    const listed = await browser.post('/console/hazards/list', {
      hazard: String(hazard.id),
      actor: String(await personId('wangxiaofang')),
      matter: '更换灭火器',
      deadline: '2026-12-10',
    });
    expect(listed.status).toBe(403);
    const [fresh] = await database.db.select().from(hazards).where(eq(hazards.id, hazard.id));
    expect(fresh!.listed).toBe(false);
    expect(await orgSnapshot()).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('console operations in demo mode (app.request on the real app)', () => {
  const demo = useDemoService(NOW);

  it('opens the pages without login, with the banner, and still needs the page’s CSRF token', async () => {
    const browser = new Browser((path, init) => demo.service.app.request(path, init));
    for (const path of ['/console/tasks', '/console/rosters', '/console/letters']) {
      const page = await browser.page(path);
      expect(page.response.status, path).toBe(200);
      expect(page.html, path).toContain('演示模式：无需登录，任何人都可操作');
    }
    const form = await browser.page('/console/tasks');
    const [office] = await demo.database.db.select().from(people).where(eq(people.code, 'zhouyinyin'));
    const [unit] = await demo.database.db.select().from(units).where(eq(units.name, '安保处'));
    const fields = {
      assigner: String(office!.id),
      assignee: `unit:${unit!.id}`,
      kind: 'plain',
      content: '检查校门监控是否完好',
      due: '2026-12-15',
    };
    expect((await browser.post('/console/tasks', fields)).status).toBe(403);
    const posted = await browser.post('/console/tasks', { ...fields, _csrf: csrfOf(form.html) });
    expect(posted.status).toBe(303);
    expect(await demo.database.db.select().from(tasks)).toHaveLength(1);
    // In demo mode everyone is reached in the console: the head's card is there.
    const toHeads = await demo.database.db.select().from(outbox).where(eq(outbox.view, 'assignee'));
    expect(toHeads.map((row) => row.channel)).toEqual(['console']);
    expect(await demo.database.db.select().from(inboundEvents)).toHaveLength(0);
  });

  it('lists a hazard for supervision as a chosen leader (demo only): the flag, the audit row, refusals', async () => {
    const byCode = async (code: string) =>
      (await demo.database.db.select().from(people).where(eq(people.code, code)))[0]!.id;
    const [unit] = await demo.database.db.select().from(units).where(eq(units.name, '安保处'));
    const [hazard] = await demo.database.db
      .insert(hazards)
      .values({
        tenantId: unit!.tenantId,
        code: 'YH-2026-0001',
        description: '教学楼三楼东侧灭火器过期',
        severity: 'general',
        reporterId: await byCode('chenjing'),
        sourceChannel: 'console',
        unitId: unit!.id,
        createdAt: NOW,
        updatedAt: NOW,
      })
      .returning();
    const browser = new Browser((path, init) => demo.service.app.request(path, init));
    const form = await browser.page('/console/hazards');
    const leader = await byCode('wangxiaofang');
    const choices = optionsOf(form.html, 'actor');
    expect(choices.has(String(leader))).toBe(true);
    expect(choices.has(String(await byCode('chenjing')))).toBe(false);
    const fields = { _csrf: csrfOf(form.html), hazard: String(hazard!.id), matter: '更换全部过期灭火器' };
    const refused = await browser.post('/console/hazards/list', {
      ...fields,
      actor: String(await byCode('chenjing')),
      deadline: '2026-12-10',
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/只有.*可以挂牌督办隐患 YH-2026-0001/);
    const late = await browser.post('/console/hazards/list', {
      ...fields,
      actor: String(leader),
      deadline: '2026-11-01',
    });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('督办期限 2026-11-01 已过');
    expect(await demo.database.db.select().from(hazardEvents)).toEqual([]);

    const posted = await browser.post('/console/hazards/list', {
      ...fields,
      actor: String(leader),
      deadline: '2026-12-10',
    });
    expect(posted.status).toBe(303);
    const [fresh] = await demo.database.db.select().from(hazards).where(eq(hazards.id, hazard!.id));
    expect(fresh).toMatchObject({ listed: true, listedMatter: '更换全部过期灭火器', listedById: leader });
    const events = await demo.database.db.select().from(hazardEvents);
    expect(events.map((row) => [row.action, row.actorId])).toEqual([['list', leader]]);
    expect((await browser.page('/console/hazards')).html).toContain(
      'YH-2026-0001 已挂牌督办（以王晓芳的名义）',
    );
  });
});
