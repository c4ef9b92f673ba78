// The web console over real HTTP against the real service and a real database: login and sessions,
// CSRF, tenant isolation, the chat simulator as the fourth channel (report → 受理 → 整改 through cards),
// the ledger download and the failed-message list; and demo mode, open without login.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSigningKey, SESSION_COOKIE, sealValue } from '../bot/console/auth.ts';
import { silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService, type Service } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import {
  adminAccounts,
  hazardEvents,
  hazards,
  inboundEvents,
  letterRounds,
  outbox,
  people,
  tasks,
  tenants,
} from '../db/schema.ts';
import { SHEET_NAME, XLSX_HEADER } from '../handlers/ledger-export.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  csrfOf,
  fetchFrom,
  PASSWORD,
  pressForms,
  resetConsoleTenants,
  SCHOOL,
  submitLogin,
} from './helpers/console-http.ts';
import { openTestDatabase, resetDatabase } from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const REPORT = '报隐患 教学楼三楼东侧灭火器过期，一般';

async function personId(database: Database, tenantCode: string, code: string): Promise<number> {
  const [row] = await database.db
    .select({ id: people.id })
    .from(people)
    .innerJoin(tenants, eq(tenants.id, people.tenantId))
    .where(and(eq(people.code, code), eq(tenants.code, tenantCode)));
  if (!row) throw new Error(`no person ${code} in ${tenantCode}`);
  return row.id;
}

/**
 * A member reports in chat, through the core as a platform's webhook would: outside demo mode the console
 * has no simulator to do it with (issue 14).
 */
async function reportInChat(
  service: Service,
  database: Database,
  tenantCode: string,
  code: string,
  text: string,
) {
  const person = await personId(database, tenantCode, code);
  const [tenant] = await database.db.select().from(tenants).where(eq(tenants.code, tenantCode));
  const id = randomUUID();
  await service.core.handle({
    type: 'message',
    channel: 'console',
    eventKey: id,
    sender: { ids: [{ kind: 'person', value: String(person) }], name: code },
    chat: { id: `console:${person}`, type: 'p2p' },
    at: new Date(),
    platformTenant: String(tenant!.id),
    messageId: id,
    text,
    mentionedBot: false,
    mentions: [],
    attachments: [],
  });
}

// ---------------------------------------------------------------------------------------------------

describe('the console with platform credentials (login required)', () => {
  let database: Database;
  let harness: Harness;
  let browser: Browser;
  const fetcher = fetchFrom(() => harness.url);

  beforeAll(async () => {
    database = await openTestDatabase();
    harness = await startHarness(database);
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });
  beforeEach(async () => {
    await resetConsoleTenants(harness, database);
    browser = new Browser(fetcher);
  });

  it('sends every console page to the login page without a session', async () => {
    for (const path of [
      '/',
      '/console/ledger',
      '/console/outbox',
      '/console/ledger/export?from=2026-01-01&to=2026-12-31',
    ]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const login = await browser.page('/login');
    expect(login.html).toContain('管理员登录');
    expect(login.html).not.toContain('演示模式');
    // /healthz and the webhooks stay as they were.
    expect((await browser.get('/healthz')).status).toBe(200);
  });

  it('refuses a wrong password (401, one message for every wrong part) and logs in with the right one', async () => {
    const wrong = await submitLogin(browser, SCHOOL, 'not the password');
    expect(wrong.status).toBe(401);
    const text = await wrong.text();
    expect(text).toContain('单位代码、用户名或密码不正确');
    const unknownTenant = await submitLogin(browser, 'no-such-school', PASSWORD);
    expect(unknownTenant.status).toBe(401);
    expect(await unknownTenant.text()).toContain('单位代码、用户名或密码不正确');
    expect((await browser.get('/')).status).toBe(302);

    const right = await submitLogin(browser);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    const cookie = right.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    expect(cookie).toMatch(/Max-Age=43200/);

    // `/` is the dashboard once logged in: the chat simulator is a demo feature.
    expect((await browser.get('/')).headers.get('location')).toBe('/console/dashboard');
    const home = await browser.page('/console/dashboard');
    expect(home.response.status).toBe(200);
    expect(home.html).toContain('昆山市花桥集善中学');
    expect(home.html).toContain('周尹尹');
    expect(home.html).not.toContain('演示模式');
    expect(home.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const [account] = await database.db
      .select()
      .from(adminAccounts)
      .where(eq(adminAccounts.displayName, '周尹尹'));
    expect(account!.lastLoginAt).toBeInstanceOf(Date);
    expect(account!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);

    // Behind an https proxy the cookie is Secure.
    const secure = new Browser(fetcher);
    const form = await secure.page('/login');
    const viaHttps = await secure.post(
      '/login',
      { _csrf: csrfOf(form.html), tenant: SCHOOL, username: 'office', password: PASSWORD },
      { 'x-forwarded-proto': 'https' },
    );
    expect(viaHttps.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))).toMatch(
      /Secure/,
    );

    // Logout (a POST with the token) ends the session.
    const out = await browser.post('/logout', { _csrf: csrfOf(home.html) });
    expect(out.status).toBe(303);
    expect((await browser.get('/')).status).toBe(302);
  });

  it('slows down repeated failed logins of one user name (429), whatever the password', async () => {
    const form = await browser.page('/login');
    const attempt = (password: string) =>
      browser.post('/login', { _csrf: csrfOf(form.html), tenant: SCHOOL, username: 'guesswho', password });
    for (let index = 0; index < 5; index += 1) expect((await attempt(`guess ${index}`)).status).toBe(401);
    const blocked = await attempt('guess 6');
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('登录失败次数过多');
    // Other user names are not affected.
    expect((await submitLogin(browser)).status).toBe(303);
  });

  it('refuses a forged, tampered or expired session cookie', async () => {
    await submitLogin(browser);
    const genuine = browser.cookies.get(SESSION_COOKIE)!;
    const [data, mac] = genuine.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
    // The same claims with a later expiry, under the original signature.
    const tampered = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3_600_000 })).toString(
      'base64url',
    );
    const key = await loadSigningKey(database.db);
    const cases = {
      tampered: `${tampered}.${mac}`,
      forged: sealValue(Buffer.alloc(32, 7), 'session', claims),
      garbage: 'not-a-cookie',
      expired: sealValue(key, 'session', { ...claims, exp: Date.now() - 1000 }),
      // A genuine signature over a login token the server has no session for.
      stale: sealValue(key, 'session', { ...claims, login: randomBytes(32).toString('base64url') }),
    };
    for (const [name, value] of Object.entries(cases)) {
      const other = new Browser(fetcher);
      other.cookies.set(SESSION_COOKIE, value);
      const response = await other.get('/console/ledger');
      expect(response.status, name).toBe(302);
      expect(response.headers.get('location'), name).toContain('/login');
    }
    // The genuine one still works.
    expect((await browser.get('/console/ledger')).status).toBe(200);
  });

  it('refuses a POST without or with a wrong CSRF token, or from another origin (403), and changes nothing', async () => {
    await submitLogin(browser);
    const home = await browser.page('/console/tasks');
    const token = csrfOf(home.html);
    const person = `person:${await personId(database, SCHOOL, 'chenjing')}`;
    const task = { assignee: person, kind: 'plain', content: '检查灭火器', due: '2099-12-31' };
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ['no token', task, {}],
      ['wrong token', { ...task, _csrf: `${token.slice(0, -2)}xx` }, {}],
      ['other origin', { ...task, _csrf: token }, { origin: 'https://evil.example' }],
      ['cross-site', { ...task, _csrf: token }, { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [name, fields, headers] of attempts) {
      const response = await browser.post('/console/tasks', fields, headers);
      expect(response.status, name).toBe(403);
      expect(await response.text(), name).toContain('安全校验未通过');
    }
    const letters = await browser.post('/console/letters', { year: '2026' });
    expect(letters.status).toBe(403);
    const logout = await browser.post('/logout', {});
    expect(logout.status).toBe(403);
    expect(await database.db.select().from(tasks)).toHaveLength(0);
    expect(await database.db.select().from(letterRounds)).toHaveLength(0);
    expect(await database.db.select().from(outbox)).toHaveLength(0);
    // The same request with the token and this origin goes through.
    const ok = await browser.post('/console/tasks', { ...task, _csrf: token }, { origin: harness.url });
    expect(ok.status).toBe(303);
    expect(await database.db.select().from(tasks)).toHaveLength(1);
  });

  it('keeps tenants apart: no people, conversations, ledger rows or failed messages of another tenant', async () => {
    // The bureau's admin reports something in the bureau.
    const bureau = new Browser(fetcher);
    await submitLogin(bureau, BUREAU, BUREAU_PASSWORD);
    const bureauPerson = await personId(database, BUREAU, 'zhaoguoping');
    await reportInChat(
      harness.service,
      database,
      BUREAU,
      'zhaoguoping',
      '报隐患 局机关食堂燃气管道老化，较大',
    );
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    const bureauId = (await database.db.select().from(tenants).where(eq(tenants.code, BUREAU)))[0]!.id;
    await database.db.insert(outbox).values({
      tenantId: bureauId,
      channel: 'feishu',
      op: 'send',
      targetKind: 'open_id',
      targetId: 'ou_bureau_only',
      body: { kind: 'text', text: '只属于教育局的消息' },
      status: 'failed',
      lastError: 'bureau-only failure',
    });

    await submitLogin(browser);
    const home = await browser.page('/console/tasks');
    expect(home.html).not.toContain('赵国平');
    expect(home.html).not.toContain(`value="person:${bureauPerson}"`);
    const hazardsPage = await browser.page('/console/hazards');
    expect(hazardsPage.html).not.toContain('燃气管道');
    const act = await browser.post('/console/say', {
      _csrf: csrfOf(home.html),
      person: String(bureauPerson),
      text: '帮助',
    });
    expect(act.status).toBe(404);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(1);

    const year = new Date().getFullYear();
    const query = `from=${year}-01-01&to=${year}-12-31&format=csv`;
    const schoolCsv = await (await browser.get(`/console/ledger/export?${query}`)).text();
    expect(schoolCsv).toContain('隐患编号');
    expect(schoolCsv).not.toContain('燃气管道');
    const bureauCsv = await (await bureau.get(`/console/ledger/export?${query}`)).text();
    expect(bureauCsv).toContain('局机关食堂燃气管道老化');

    const failures = await browser.page('/console/outbox');
    expect(failures.html).not.toContain('bureau-only failure');
    expect(failures.html).not.toContain('只属于教育局');
    const bureauFailures = await bureau.page('/console/outbox');
    expect(bureauFailures.html).toContain('bureau-only failure');
  });

  it('downloads the ledger as XLSX with the right header row, and refuses a bad period', async () => {
    await submitLogin(browser);
    await reportInChat(harness.service, database, SCHOOL, 'chenjing', REPORT);
    const [hazard] = await database.db.select().from(hazards);

    const form = await browser.page('/console/ledger');
    expect(form.response.status).toBe(200);
    expect(form.html).toContain('隐患台账导出');
    const year = new Date().getFullYear();
    const response = await browser.get(
      `/console/ledger/export?from=${year}-01-01&to=${year}-12-31&format=xlsx`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const disposition = response.headers.get('content-disposition')!;
    expect(disposition).toContain(`filename="ledger_${SCHOOL}_${year}-01-01_${year}-12-31.xlsx"`);
    expect(disposition).toContain(
      `filename*=UTF-8''${encodeURIComponent(`隐患台账_昆山市花桥集善中学_${year}-01-01_${year}-12-31.xlsx`)}`,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet(SHEET_NAME)!;
    const header = (sheet.getRow(2).values as unknown[]).slice(1);
    expect(header).toEqual([...XLSX_HEADER]);
    expect(sheet.getRow(3).getCell(2).value).toBe(hazard!.code);

    const bad = await browser.get(`/console/ledger/export?from=${year}-12-31&to=${year}-01-01&format=xlsx`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('早于开始日期');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the console in demo mode (no platform credentials)', () => {
  let database: Database;
  let service: Service;
  let browser: Browser;

  beforeAll(async () => {
    database = await openTestDatabase();
    await resetDatabase(database);
    // Demo mode loads the example school into the empty database.
    service = await createService({ config: parseConfig({}), log: silentLogger, database });
  });
  afterAll(async () => {
    await service.close();
    await database.close();
  });
  beforeEach(() => {
    browser = new Browser((path, init) => service.app.request(path, init));
  });

  it('opens / without login, with the demo banner on every page', async () => {
    const home = await browser.page('/');
    expect(home.response.status).toBe(200);
    expect(home.html).toContain('演示模式：无需登录，任何人都可操作');
    expect(home.html).toContain('昆山市花桥集善中学');
    expect(home.html).toContain('尹仙菊');
    expect(home.html).toContain('Noto Sans CJK SC');
    for (const path of ['/console/ledger', '/console/outbox', '/login']) {
      const page = await browser.page(path);
      expect(page.response.status, path).toBe(200);
      expect(page.html, path).toContain('演示模式：无需登录，任何人都可操作');
    }
  });

  it('lets anyone act as a member, and still needs the page’s CSRF token', async () => {
    const home = await browser.page('/');
    const person = String(await personId(database, SCHOOL, 'chenjing'));
    const refused = await browser.post('/console/say', { person, text: '帮助' });
    expect(refused.status).toBe(403);
    const said = await browser.post('/console/say', { _csrf: csrfOf(home.html), person, text: '帮助' });
    expect(said.status).toBe(303);
    const page = await browser.page(`/?person=${person}`);
    expect(page.html).toContain('报隐患 &lt;隐患情况&gt;');
    // A refusal (answered before the sender is identified, so without a tenant) is in the conversation too.
    await browser.post('/console/say', { _csrf: csrfOf(home.html), person, text: '报隐患' });
    expect((await browser.page(`/?person=${person}`)).html).toContain('请在“报隐患”后写明隐患情况');
    // A browser without the cookie cannot use another's token.
    const stranger = new Browser((path, init) => service.app.request(path, init));
    expect(
      (await stranger.post('/console/say', { _csrf: csrfOf(home.html), person, text: '帮助' })).status,
    ).toBe(403);
  });

  it('reports a hazard through the simulator; the 安保处 head presses 受理 and submits 整改 in the card form', async () => {
    const reporter = await personId(database, SCHOOL, 'chenjing');
    const head = await personId(database, SCHOOL, 'yinxianju');
    const home = await browser.page(`/?person=${reporter}`);
    expect(home.html).toContain(`<option value="${reporter}" selected>陈静`);

    const said = await browser.post('/console/say', {
      _csrf: csrfOf(home.html),
      person: String(reporter),
      text: REPORT,
    });
    expect(said.status).toBe(303);
    expect(said.headers.get('location')).toBe(`/?person=${reporter}`);

    const [hazard] = await database.db.select().from(hazards);
    expect(hazard).toMatchObject({
      description: '教学楼三楼东侧灭火器过期',
      status: 'reported',
      severity: 'general',
      reporterId: reporter,
      sourceChannel: 'console',
      sourceChatId: `console:${reporter}`,
    });

    const conversation = await browser.page(`/?person=${reporter}`);
    // The typed text as the member's bubble, then the bot's card.
    expect(conversation.html).toMatch(
      /class="msg user"[\s\S]*?<div class="text-body">报隐患 教学楼三楼东侧灭火器过期，一般<\/div>/,
    );
    expect(conversation.html).toContain(`隐患 ${hazard!.code}`);
    expect(conversation.html).toMatch(/<dt>责任处室<\/dt><dd>安保处<\/dd>/);
    expect(conversation.html).not.toContain('hazard.accept');

    // The head of 安保处 has the handler's card with 受理 and the 驳回 form.
    const headPage = await browser.page(`/?person=${head}`);
    const forms = pressForms(headPage.html);
    const accept = forms.find((form) => form.hidden.action === 'hazard.accept');
    expect(accept?.label).toBe('受理');
    expect(JSON.parse(accept!.hidden.args!)).toEqual({ id: String(hazard!.id) });
    const reject = forms.find((form) => form.hidden.action === 'hazard.reject');
    expect(reject?.inputs).toEqual(['form.reason']);

    const pressed = await browser.post('/console/press', accept!.hidden);
    expect(pressed.status).toBe(303);
    const [accepted] = await database.db.select().from(hazards);
    expect(accepted!.status).toBe('accepted');
    expect(accepted!.acceptedById).toBe(head);

    // The toast is shown once, and the card now shows the new state with the 整改 form instead of 受理.
    const after = await browser.page(`/?person=${head}`);
    expect(after.html).toMatch(/class="flash success"[^>]*>[^<]*已受理/);
    expect(after.html).toContain('已更新');
    const afterForms = pressForms(after.html);
    expect(afterForms.some((form) => form.hidden.action === 'hazard.accept')).toBe(false);
    const rectify = afterForms.find((form) => form.hidden.action === 'hazard.submit');
    // 整改措施, and the optional 整改资金 (yuan) of the ledger.
    expect(rectify?.inputs).toEqual(['form.measures', 'form.funds']);
    expect((await browser.page(`/?person=${head}`)).html).not.toContain('class="flash');

    // A form block posts its values with the action.
    const submitted = await browser.post('/console/press', {
      ...rectify!.hidden,
      'form.measures': '已更换 3 具灭火器',
      'form.funds': '1,200',
    });
    expect(submitted.status).toBe(303);
    const [rectified] = await database.db.select().from(hazards);
    expect(rectified!.status).toBe('pending_review');
    expect(rectified!.measures).toBe('已更换 3 具灭火器');
    expect(rectified!.rectificationFunds).toBe(1200);
    const trail = await database.db.select().from(hazardEvents).orderBy(hazardEvents.id);
    expect(trail.map((row) => row.action)).toEqual(['report', 'accept', 'submit']);

    // The reporter's copy of the card was refreshed too.
    const reporterView = await browser.page(`/?person=${reporter}`);
    expect(reporterView.html).toContain('待复查');
  });

  it('shows a refusal as a toast: 受理 by someone who may not', async () => {
    const reporter = await personId(database, SCHOOL, 'chenjing');
    const home = await browser.page(`/?person=${reporter}`);
    await browser.post('/console/say', { _csrf: csrfOf(home.html), person: String(reporter), text: REPORT });
    const [hazard] = await database.db.select().from(hazards).where(eq(hazards.status, 'reported'));
    const pressed = await browser.post('/console/press', {
      _csrf: csrfOf(home.html),
      person: String(reporter),
      action: 'hazard.accept',
      args: JSON.stringify({ id: String(hazard!.id) }),
    });
    expect(pressed.status).toBe(303);
    const page = await browser.page(`/?person=${reporter}`);
    expect(page.html).toMatch(/class="flash error"[^>]*>[^<]*安保处负责人/);
    expect((await database.db.select().from(hazards).where(eq(hazards.id, hazard!.id)))[0]!.status).toBe(
      'reported',
    );
  });
});
