// Demo mode never opens a real database (issue 14): without credentials the service enters demo mode only
// on an empty database (which it marks demo-made) or a demo-made one; a database holding an imported
// organization starts with the console behind its login and the chat channels off, and says why.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { type Logger, silentLogger } from '../bot/core/log.ts';
import { listenHost, parseConfig } from '../bot/env.ts';
import { createService, type Service } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { inboundEvents, outbox, tenants } from '../db/schema.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { Browser, csrfOf, login, PASSWORD, SCHOOL } from './helpers/console-http.ts';
import { exampleFile, loadExample, openTestDatabase, resetDatabase } from './helpers/db.ts';

/** A logger that keeps what it was told. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

const NO_CREDENTIALS = parseConfig({});

describe('demo mode and the database it opens', () => {
  let database: Database;
  const started: Service[] = [];

  async function start(log: Logger = silentLogger) {
    const service = await createService({ config: NO_CREDENTIALS, log, database });
    started.push(service);
    return service;
  }

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  beforeEach(async () => {
    for (const service of started.splice(0)) await service.close();
    await resetDatabase(database);
  });
  afterAll(async () => {
    for (const service of started.splice(0)) await service.close();
    await database.close();
  });

  it('enters demo mode on an empty database, marks the example school demo-made, and again on restart', async () => {
    const first = await start();
    expect(first.demo).toBe(true);
    const rows = await database.db.select({ code: tenants.code, demo: tenants.demo }).from(tenants);
    expect(rows).toEqual([{ code: SCHOOL, demo: true }]);
    await first.close();
    started.pop();

    // A restart of the demo on the same database is still the demo, open without login.
    const again = await start();
    expect(again.demo).toBe(true);
    const home = await again.app.request('/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('演示模式：无需登录，任何人都可操作');
    expect((await (await again.app.request('/healthz')).json()) as object).toMatchObject({ demo: true });
  });

  it('refuses demo mode on a database holding an imported organization: login required, and says why', async () => {
    await loadExample(database, 'school.yaml');
    const log = recordingLogger();
    const service = await start(log);
    expect(service.demo).toBe(false);
    expect([...service.channels]).toEqual(['console']);
    expect((await (await service.app.request('/healthz')).json()) as object).toMatchObject({
      demo: false,
      channels: ['console'],
    });
    // The log says why, in English.
    expect(log.lines.some((line) => line.startsWith('warn demo mode refused') && line.includes(SCHOOL))).toBe(
      true,
    );

    // Nothing is served without a login: `/` and every console page go to the login page, which says why.
    const browser = new Browser((path, init) => service.app.request(path, init));
    for (const path of [
      '/',
      '/console/hazards',
      '/console/ledger/export?from=2026-01-01&to=2026-12-31',
      '/console/org',
    ]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toMatch(/^\/login/);
    }
    const loginPage = await browser.page('/login');
    expect(loginPage.html).toContain('未进入演示模式');
    expect(loginPage.html).toContain('控制台须登录后使用，各聊天渠道均未开启');
    expect(loginPage.html).not.toContain('演示模式：无需登录');

    // The simulator's posts are refused with the page's own CSRF token, and nothing is written.
    const csrf = csrfOf(loginPage.html);
    const said = await browser.post('/console/say', { _csrf: csrf, person: '1', text: '报隐患 灭火器过期' });
    expect(said.status).toBe(404);
    const org = await browser.upload(
      '/console/org',
      { _csrf: csrf },
      { name: 'school.yaml', bytes: readFileSync(exampleFile('school.yaml')) },
    );
    expect(org.status).toBe(303);
    expect(org.headers.get('location')).toBe('/login');
    expect(await database.db.select().from(inboundEvents)).toEqual([]);
    expect(await database.db.select().from(outbox)).toEqual([]);

    // The office logs in: `/` is its dashboard; the simulator (acting as any member) stays gone.
    await addAdminAccount(database.db, {
      tenantCode: SCHOOL,
      username: 'office',
      displayName: '周尹尹',
      password: PASSWORD,
    });
    await login(browser);
    const root = await browser.get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/dashboard');
    const dashboard = await browser.page('/console/dashboard');
    expect(dashboard.html).toContain('未进入演示模式');
    expect(dashboard.html).not.toContain('对话模拟');
    const token = csrfOf(dashboard.html);
    expect((await browser.post('/console/say', { _csrf: token, person: '1', text: '帮助' })).status).toBe(
      404,
    );
    const pressed = await browser.post('/console/press', {
      _csrf: token,
      person: '1',
      action: 'task.ack',
      args: '{"id":"1"}',
    });
    expect(pressed.status).toBe(404);
    expect(await database.db.select().from(inboundEvents)).toEqual([]);
    expect(await database.db.select().from(outbox)).toEqual([]);
  });

  it('refuses demo mode once an organization is imported over the demo database (npm run org:import)', async () => {
    await start();
    // Importing the example file itself is a real import: it clears the mark.
    const file = exampleFile('school.yaml');
    await importOrganization(database.db, parseOrgFile(file, readFileSync(file, 'utf8')));
    expect((await start()).demo).toBe(false);

    await resetDatabase(database);
    await start();
    await loadExample(database, 'bureau.yaml');
    expect((await start()).demo).toBe(false);
  });

  it('listens on loopback in demo mode and on every interface otherwise, unless HOST says', () => {
    expect(listenHost(parseConfig({}), true)).toBe('127.0.0.1');
    expect(listenHost(parseConfig({}), false)).toBe('0.0.0.0');
    expect(listenHost(parseConfig({ HOST: '0.0.0.0' }), true)).toBe('0.0.0.0');
    expect(listenHost(parseConfig({ HOST: '::1' }), false)).toBe('::1');
    expect(() => parseConfig({ HOST: 'http://example.com' })).toThrow(
      'HOST: must be an IP address or a host name',
    );
  });
});
