// Demo mode across levels (issue 19 item 6): DEMO_LEVEL=bureau loads the example bureau with its three
// schools (all demo-made), the console opens as the bureau, and the chat simulator acts as a person of any
// of them — a 分包 member records a visit at a school, the school's office sees it in its record — through
// the same core as every channel. A logged-in admin acts only in their own organization.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService, type Service } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { completions, people, tenants } from '../db/schema.ts';
import { Browser, csrfOf, stripTags } from './helpers/console-http.ts';
import { openTestDatabase, resetDatabase } from './helpers/db.ts';

const NOW = new Date('2026-11-24T02:00:00Z');

describe('DEMO_LEVEL=bureau', () => {
  let database: Database;
  let service: Service | undefined;

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  beforeEach(async () => {
    await service?.close();
    service = undefined;
    await resetDatabase(database);
  });
  afterAll(async () => {
    await service?.close();
    await database.close();
  });

  async function start(env: Record<string, string>) {
    service = await createService({
      config: parseConfig(env),
      log: silentLogger,
      database,
      clock: () => NOW,
    });
    return service;
  }

  it('is refused when it is not school or bureau', () => {
    expect(() => parseConfig({ DEMO_LEVEL: 'city' })).toThrow(/DEMO_LEVEL: must be one of: school, bureau/);
    expect(parseConfig({}).demoLevel).toBe('school');
  });

  it('loads the bureau and its three schools, opens as the bureau, and the simulator acts in any of them', async () => {
    const app = (await start({ DEMO_LEVEL: 'bureau' })).app;
    const rows = await database.db
      .select({ id: tenants.id, code: tenants.code, demo: tenants.demo, parent: tenants.parentId })
      .from(tenants)
      .orderBy(asc(tenants.id));
    expect(rows.map((row) => [row.code, row.demo])).toEqual([
      ['district-bureau', true],
      ['jishan-school', true],
      ['shiyan-xiaoxue', true],
      ['diyi-zhongxue', true],
    ]);
    expect(rows.slice(1).every((row) => row.parent !== null)).toBe(true);

    const browser = new Browser((path, init) => app.request(path, init));
    const home = await browser.page('/');
    expect(home.response.status).toBe(200);
    expect(home.html).toContain('某区教育体育局');
    expect(home.html).toContain('<select id="tenant" name="tenant">');
    for (const name of ['昆山市花桥集善中学', '区实验小学', '区第一中学']) expect(home.html).toContain(name);

    // As 钱立新 of the bureau: a visit at the 集善中学.
    const bureauId = rows[0]!.id;
    const [member] = await database.db.select().from(people).where(eq(people.code, 'qianlixin'));
    const asMember = await browser.page(`/?tenant=${member!.tenantId}&person=${member!.id}`);
    expect(asMember.html).toContain('钱立新');
    const said = await browser.post('/console/say', {
      _csrf: csrfOf(asMember.html),
      tenant: String(member!.tenantId),
      person: String(member!.id),
      page: crypto.randomUUID(),
      text: '记录 督查 学校：昆山市花桥集善中学 检查食堂',
    });
    expect(said.status).toBe(303);
    const [visit] = await database.db.select().from(completions);
    expect(visit).toMatchObject({ tenantId: member!.tenantId, school: '昆山市花桥集善中学' });
    expect(bureauId).toBe(member!.tenantId);

    // As the school's office director, in the school: 我的职责 answers as the school's member.
    const [office] = await database.db.select().from(people).where(eq(people.code, 'zhouyinyin'));
    const asOffice = await browser.page(`/?tenant=${office!.tenantId}&person=${office!.id}`);
    expect(asOffice.html).toContain('周尹尹');
    expect(asOffice.html).toContain('（昆山市花桥集善中学）');
    const location = (
      await browser.post('/console/say', {
        _csrf: csrfOf(asOffice.html),
        tenant: String(office!.tenantId),
        person: String(office!.id),
        page: crypto.randomUUID(),
        text: '我的职责',
      })
    ).headers.get('location');
    expect(location).toBe(`/?tenant=${office!.tenantId}&person=${office!.id}`);
    expect(stripTags((await browser.page(location!)).html)).toContain('周尹尹的职责');

    // A person of another organization than the one named is not found; nor is an unknown organization.
    const wrong = await browser.post('/console/say', {
      _csrf: csrfOf(asOffice.html),
      tenant: String(bureauId),
      person: String(office!.id),
      page: crypto.randomUUID(),
      text: '我的职责',
    });
    expect(wrong.status).toBe(404);
    expect((await browser.get('/?tenant=999999')).status).toBe(404);
  });

  it('keeps the school demo by default, with no choice of organization', async () => {
    const app = (await start({})).app;
    const rows = await database.db.select({ code: tenants.code }).from(tenants);
    expect(rows).toEqual([{ code: 'jishan-school' }]);
    const home = await new Browser((path, init) => app.request(path, init)).page('/');
    expect(home.html).not.toContain('<select id="tenant"');
  });
});
