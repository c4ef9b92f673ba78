// The console's side of inspections: the office sees the rounds and downloads the 排查登记表 of a round
// and of a period (XLSX, printable), edits a checklist (audited), and the dashboard shows the targets.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import {
  auditEvents,
  checklistItems,
  checklists,
  completions,
  hazards,
  inspectionRounds,
  people,
} from '../db/schema.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { Browser, csrfOf, fetchFrom, login, resetConsoleTenants } from './helpers/console-http.ts';
import { openTestDatabase } from './helpers/db.ts';
import { sheetRows } from './helpers/files.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Friday 2026-11-20, 10:00 in Shanghai. */
const NOW = new Date('2026-11-20T02:00:00Z');

describe('inspections in the console', () => {
  let database: Database;
  let harness: Harness;
  let browser: Browser;
  let bot: ConsoleDriver;
  const fetcher = fetchFrom(() => harness.url);

  beforeAll(async () => {
    database = await openTestDatabase();
    harness = await startHarness(database, {}, { clock: () => NOW });
    bot = consoleDriver(database, NOW);
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });
  beforeEach(async () => {
    bot.tenantId = (await resetConsoleTenants(harness, database)).schoolId;
    browser = new Browser(fetcher);
  });

  async function listItems(code: string) {
    return database.db
      .select({ id: checklistItems.id, text: checklistItems.text, listId: checklists.id })
      .from(checklistItems)
      .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
      .where(and(eq(checklists.code, code), eq(checklists.tenantId, bot.tenantId)))
      .orderBy(asc(checklistItems.position), asc(checklistItems.id));
  }

  it("lists the round, exports its register and the period's, and shows the targets on the dashboard", async () => {
    expect(await bot.say('huangchun', '开始检查 食堂安全专项检查')).toContain('已开始检查');
    const [round] = await database.db.select().from(inspectionRounds);
    for (const item of await listItems('shi-tang')) {
      await bot.press(
        'huangchun',
        'round.result',
        {
          round: String(round!.id),
          item: String(item.id),
          result: item.text === '规范食堂采购管理' ? 'fail' : 'pass',
        },
        { note: '冷库内有过期食材未清理' },
      );
    }
    expect(await bot.say('huangchun', '检查签字')).toContain('已签字');

    await login(browser);
    const page = await browser.get('/console/rounds');
    const body = await page.text();
    expect(page.status).toBe(200);
    expect(body).toContain(`data-round="${round!.code}"`);
    expect(body).toContain('每月安全保卫工作大检查');

    const one = await browser.get(`/console/rounds/${round!.id}/register?format=xlsx`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toContain('spreadsheetml');
    const rows = await sheetRows(one);
    expect(rows).toHaveLength(6);
    expect(rows.find((row) => row[4] === '不合格')).toEqual([
      '2026-11-20',
      '黄春',
      '总务处（食堂）',
      '规范食堂采购管理',
      '不合格',
      '冷库内有过期食材未清理',
      'YH-JSZX-2026-0001',
      '已上报',
    ]);
    const period = await browser.get('/console/rounds/register?from=2026-11-01&to=2026-11-30&format=html');
    expect(period.status).toBe(200);
    const printed = await period.text();
    expect(printed).toContain('2026-11-01 至 2026-11-30');
    // Its one style element carries the page's CSP nonce: the console's policy allows no other style.
    const nonce = /<style nonce="([^"]+)">/.exec(printed)?.[1];
    expect(period.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`);
    expect(printed).toContain('<td>YH-JSZX-2026-0001</td>');
    const bad = await browser.get('/console/rounds/register?from=2026-11-31&to=2026-11-30&format=xlsx');
    expect(bad.status).toBe(400);

    const dashboard = await (await browser.get('/console/dashboard')).text();
    expect(dashboard).toContain('安全目标（五有 · 九无 · 八杜绝）');
    expect(dashboard).toContain('九无：校内无采购和出售不合格食品现象 — 1 项隐患未整改');
  });

  it("enters a paper round of all items in the inspector's name: hazards filed, signed, counted", async () => {
    await login(browser);
    const items = await listItems('yue-da-jian-cha');
    const path = `/console/rounds/new?list=${items[0]!.listId}`;
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    const csrf = csrfOf(await page.text());
    const [office] = await database.db
      .select({ id: people.id })
      .from(people)
      .where(eq(people.code, 'zhouyinyin'));
    const fields: Record<string, string> = {
      _csrf: csrf,
      list: String(items[0]!.listId),
      inspector: String(office!.id),
    };
    for (const item of items) fields[`r${item.id}`] = 'pass';
    delete fields[`r${items[1]!.id}`];
    const incomplete = await browser.post('/console/rounds/new', fields);
    expect(incomplete.status).toBe(400);
    expect(await incomplete.text()).toContain('还有 1 项未填写结果');
    expect(await database.db.select().from(inspectionRounds)).toHaveLength(0);
    fields[`r${items[1]!.id}`] = 'fail';
    fields[`n${items[1]!.id}`] = '三楼教室窗户插销损坏';
    const entered = await browser.post('/console/rounds/new', fields);
    expect(entered.status).toBe(303);
    const [round] = await database.db.select().from(inspectionRounds);
    expect(round).toMatchObject({ status: 'signed', scope: 'school', inspectorId: office!.id });
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard).toMatchObject({
      origin: 'inspection',
      description: '教室门窗是否及时开关：三楼教室窗户插销损坏',
      place: '教学楼',
    });
    const records = await database.db.select().from(completions);
    expect(records.map((row) => [row.personId, row.scope])).toEqual([[office!.id, 'school']]);
  });

  it('edits, adds and archives checklist items, each audited', async () => {
    await login(browser);
    const [first] = await listItems('yue-da-jian-cha');
    const path = `/console/rounds/checklists/${first!.listId}`;
    const page = await browser.get(path);
    const csrf = csrfOf(await page.text());
    const edited = await browser.post(`${path}/items/${first!.id}`, {
      _csrf: csrf,
      op: 'edit',
      text: '学校围墙及重点基础设施安全隐患和警示标志（含北侧围墙）',
      source: '002 §四(四)1',
      area: '校舍',
    });
    expect(edited.status).toBe(303);
    const added = await browser.post(`${path}/items`, {
      _csrf: csrf,
      text: '校门口减速带和警示标志是否完好',
      source: '002 §四(四)4',
      area: '校门',
    });
    expect(added.status).toBe(303);
    const refused = await browser.post(`${path}/items`, {
      _csrf: csrf,
      text: '无依据的条目',
      source: '',
      area: '',
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('请填写依据');
    expect((await browser.post(`${path}/items/${first!.id}`, { _csrf: csrf, op: 'archive' })).status).toBe(
      303,
    );
    const items = await listItems('yue-da-jian-cha');
    expect(items).toHaveLength(17);
    const [row] = await database.db.select().from(checklistItems).where(eq(checklistItems.id, first!.id));
    expect(row).toMatchObject({
      text: '学校围墙及重点基础设施安全隐患和警示标志（含北侧围墙）',
      archived: true,
    });
    const audit = await database.db
      .select({ action: auditEvents.action, account: auditEvents.actorAccountId })
      .from(auditEvents)
      .where(eq(auditEvents.tenantId, bot.tenantId));
    expect(audit.map((event) => event.action).sort()).toEqual([
      'checklist.add',
      'checklist.archive',
      'checklist.edit',
    ]);
    expect(audit.every((event) => event.account !== null)).toBe(true);
  });
});
