// The office dashboard (/console/dashboard) over real HTTP against the real service and PGlite, with a
// fixed clock. Hazards come through the real core (the console driver: 报隐患, accept, rectify, 销号,
// 挂牌督办); obligation periods, shifts and outbox rows are inserted directly. Checks the numbers the
// charts and tables carry, the login, and that another tenant's data never shows.
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import {
  categories,
  hazards,
  obligationPeriods,
  obligations,
  outbox,
  people,
  posts,
  shiftAssignees,
  shifts,
  units,
} from '../db/schema.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  fetchFrom,
  login as loginAs,
  PASSWORD,
  resetConsoleTenants,
  SCHOOL,
} from './helpers/console-http.ts';
import { openTestDatabase } from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Saturday 2026-11-28, 10:00 in Shanghai. */
const NOW = new Date('2026-11-28T02:00:00Z');

const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const OFFICE = 'zhouyinyin';
const PRINCIPAL = 'wangxiaofang';

/** The part of the page in the element with this id (up to the end of its section or table). */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no #${id}`);
  const end = html.indexOf('</section>', start);
  return html.slice(start, end < 0 ? undefined : end);
}

describe('office dashboard', () => {
  let database: Database;
  let harness: Harness;
  let bot: ConsoleDriver;
  let schoolId: number;
  let bureauId: number;

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
    ({ schoolId, bureauId } = await resetConsoleTenants(harness, database));
    bot.tenantId = schoolId;
  });

  async function login(tenant = SCHOOL, password = PASSWORD) {
    const browser = new Browser(fetchFrom(() => harness.url));
    await loginAs(browser, tenant, password);
    return browser;
  }

  const personId = async (code: string, tenantId = schoolId) =>
    (
      await database.db
        .select({ id: people.id })
        .from(people)
        .where(and(eq(people.code, code), eq(people.tenantId, tenantId)))
    )[0]!.id;

  const hazardByDescription = async (text: string) =>
    (
      await database.db
        .select()
        .from(hazards)
        .where(like(hazards.description, `%${text}%`))
    )[0]!;

  /** Three school hazards through the core, one bureau hazard, periods, shifts and outbox rows. */
  async function seed() {
    // A: reported Tue 2026-10-20 and accepted: 7 working days → 2026-10-29, 30 days overdue on 11-28.
    bot.now = new Date('2026-10-20T02:00:00Z');
    await bot.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const a = await hazardByDescription('灭火器过期');
    expect(a).toBeDefined();
    await bot.press(HEAD, 'hazard.accept', { id: String(a.id) });

    // B: reported Tue 2026-11-24, rectified and closed (销号).
    bot.now = new Date('2026-11-24T02:00:00Z');
    await bot.say(REPORTER, '报隐患 体育馆一楼 灭火器压力不足，一般');
    const b = await hazardByDescription('灭火器压力不足');
    await bot.press(HEAD, 'hazard.accept', { id: String(b.id) });
    await bot.press(HEAD, 'hazard.submit', { id: String(b.id) }, { measures: '已加固' });
    await bot.press(OFFICE, 'hazard.pass', { id: String(b.id) });

    // C: reported Wed 2026-11-25, listed by the principal with a deadline already past on 11-28.
    bot.now = new Date('2026-11-25T02:00:00Z');
    await bot.say(REPORTER, '报隐患 实验楼 配电箱门锁损坏，一般');
    const c = await hazardByDescription('配电箱门锁损坏');
    expect(await bot.say(PRINCIPAL, `挂牌督办 ${c.code} 更换配电箱门锁 截止 2026-11-26`)).toContain(
      '已挂牌督办',
    );
    bot.now = NOW;

    // The bureau: an overdue, listed hazard the school must never see.
    const [bureauUnit] = await database.db.select().from(units).where(eq(units.tenantId, bureauId));
    const [bureauPerson] = await database.db.select().from(people).where(eq(people.tenantId, bureauId));
    await database.db.insert(hazards).values({
      tenantId: bureauId,
      code: 'YH-2026-0777',
      description: '局机关消防通道堵塞',
      reporterId: bureauPerson!.id,
      sourceChannel: 'console',
      unitId: bureauUnit!.id,
      status: 'accepted',
      listed: true,
      deadline: new Date('2026-11-01T15:59:59.999Z'),
      createdAt: new Date('2026-11-20T02:00:00Z'),
    });

    // Obligation periods of 安保处主任: Q3 missed, Q4 (October) met.
    const [obligation] = await database.db
      .select({ id: obligations.id })
      .from(obligations)
      .innerJoin(posts, eq(posts.id, obligations.postId))
      .where(and(eq(posts.code, 'an-bao-chu-zhu-ren'), eq(posts.tenantId, schoolId)));
    const head = await personId(HEAD);
    await database.db.insert(obligationPeriods).values([
      {
        tenantId: schoolId,
        obligationId: obligation!.id,
        personId: head,
        periodKey: '2026Q3',
        periodStart: '2026-07-01',
        periodEnd: '2026-09-30',
        done: 0,
        needed: 1,
        met: false,
      },
      {
        tenantId: schoolId,
        obligationId: obligation!.id,
        personId: head,
        periodKey: '2026-10',
        periodStart: '2026-10-01',
        periodEnd: '2026-10-31',
        done: 2,
        needed: 1,
        met: true,
      },
    ]);

    // Shifts: 11-27 with two on duty (one confirmed), 11-26 with one (confirmed).
    const start = (date: string) => new Date(`${date}T00:00:00Z`);
    const end = (date: string) => new Date(`${date}T10:00:00Z`);
    const [s27] = await database.db
      .insert(shifts)
      .values({
        tenantId: schoolId,
        date: '2026-11-27',
        name: '白班',
        startsAt: start('2026-11-27'),
        endsAt: end('2026-11-27'),
      })
      .returning();
    const [s26] = await database.db
      .insert(shifts)
      .values({
        tenantId: schoolId,
        date: '2026-11-26',
        name: '白班',
        startsAt: start('2026-11-26'),
        endsAt: end('2026-11-26'),
      })
      .returning();
    await database.db.insert(shiftAssignees).values([
      { shiftId: s27!.id, personId: head, confirmedAt: new Date('2026-11-26T23:50:00Z') },
      { shiftId: s27!.id, personId: await personId(OFFICE) },
      { shiftId: s26!.id, personId: head, confirmedAt: new Date('2026-11-25T23:50:00Z') },
    ]);

    // Outbox: one failed Feishu message and one Wechaty message due far in the future (stays pending).
    const base = {
      tenantId: schoolId,
      op: 'send' as const,
      targetKind: 'id',
      targetId: 'x',
      body: { kind: 'text' as const, text: '测试' },
    };
    await database.db.insert(outbox).values([
      { ...base, channel: 'feishu', status: 'failed', lastError: 'boom' },
      { ...base, channel: 'wechaty', status: 'pending', nextAttemptAt: new Date('2099-01-01T00:00:00Z') },
      // The bureau's failed message is not the school's.
      { ...base, tenantId: bureauId, channel: 'feishu', status: 'failed', lastError: 'boom' },
    ]);
    return { a, b, c };
  }

  it('requires login outside demo mode, and is linked from the navigation', async () => {
    const anonymous = new Browser(fetchFrom(() => harness.url));
    const response = await anonymous.get('/console/dashboard');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/console/dashboard')}`);
    const browser = await login();
    const home = await browser.page('/console/tasks');
    expect(home.html).toContain('<a href="/console/dashboard"');
    const page = await browser.page('/console/dashboard');
    expect(page.response.status).toBe(200);
    expect(page.html).toMatch(/<a href="\/console\/dashboard" class="on">工作看板<\/a>/);
    expect(page.html).not.toContain('<script');
    expect(page.html).toContain('没有超期隐患。');
  });

  it('shows the numbers of the seeded data in the charts and tables', async () => {
    const { c } = await seed();
    const accepted = await hazardByDescription('灭火器过期');
    expect(accepted.status).toBe('accepted');
    expect(accepted.deadline?.toISOString()).toBe('2026-10-29T15:59:59.999Z');

    const browser = await login();
    const { response, html } = await browser.page('/console/dashboard');
    expect(response.status).toBe(200);

    // By state: 1 reported (C), 1 accepted (A), 1 closed (B); 3 in all.
    const states = section(html, 'by-state');
    expect(states).toContain('隐患状态（共 3 条）');
    expect(states).toContain('data-label="已上报" data-value="1"');
    expect(states).toContain('data-label="已受理" data-value="1"');
    expect(states).toContain('data-label="已销号" data-value="1"');
    expect(states).toContain('data-label="整改中" data-value="0"');
    expect(states).toContain('<svg');

    // By category: the names the core recognised, with their counts.
    const byCategory = new Map<string, number>();
    for (const row of await database.db
      .select({ name: categories.name })
      .from(hazards)
      .leftJoin(categories, eq(categories.id, hazards.categoryId))
      .where(eq(hazards.tenantId, schoolId))) {
      const name = row.name ?? '未分类';
      byCategory.set(name, (byCategory.get(name) ?? 0) + 1);
    }
    const categoryChart = section(html, 'by-category');
    for (const [name, n] of byCategory) {
      expect(categoryChart).toContain(`data-label="${name}" data-value="${n}"`);
    }

    // By unit: 安保处 has A open and B closed.
    const unitOfA = (await database.db.select().from(units).where(eq(units.id, accepted.unitId!)))[0]!;
    expect(unitOfA.name).toBe('安保处');
    expect(section(html, 'by-unit')).toMatch(/data-label="安保处" data-open="\d+" data-closed="1"/);

    // Weekly: the week of Mon 10-19 has A, the week of Mon 11-23 has B and C; 12 weeks shown.
    const weekly = section(html, 'weekly');
    expect(weekly).toContain('data-label="2026-10-19" data-values="上报=1"');
    expect(weekly).toContain('data-label="2026-11-23" data-values="上报=2"');
    expect(weekly).toContain('data-label="2026-09-07"');
    expect(weekly.match(/data-values=/g)).toHaveLength(12);

    // Overdue: A, 30 days past 2026-10-29.
    const overdue = html.slice(
      html.indexOf('id="overdue"'),
      html.indexOf('</table>', html.indexOf('id="overdue"')),
    );
    expect(overdue).toMatch(
      new RegExp(
        `<td class="nowrap">${accepted.code}</td><td>安保处</td><td class="nowrap">2026-10-29</td><td class="num late">30 天</td>`,
      ),
    );
    expect(overdue).not.toContain(c.code);
    expect(html).toContain('超期未整改隐患（1）');

    // Listed: C, listed until 2026-11-26, 2 days past.
    const listed = html.slice(
      html.indexOf('id="listed"'),
      html.indexOf('</table>', html.indexOf('id="listed"')),
    );
    expect(listed).toContain(`<td class="nowrap">${c.code}</td>`);
    expect(listed).toContain('<td class="nowrap">2026-11-26</td><td class="num late">2 天</td>');
    expect(html).toContain('挂牌督办隐患（1）');

    // Heat map: 安保处 missed in 2026Q3, met in 2026Q4; 2025Q4 grey.
    expect(html).toContain('2026年第3季度');
    expect(html).toContain(
      'class="cell missed" data-unit="安保处" data-quarter="2026Q3" data-met="0" data-missed="1">达标 0 · 未达标 1',
    );
    expect(html).toContain(
      'class="cell met" data-unit="安保处" data-quarter="2026Q4" data-met="1" data-missed="0">达标 1 · 未达标 0',
    );
    expect(html).toContain('class="cell none" data-unit="安保处" data-quarter="2026Q1"');

    // Shifts: the last 7 days (11-22 … 11-28).
    const shiftChart = section(html, 'shifts');
    expect(shiftChart).toContain('data-label="2026-11-27" data-values="已确认=1;未确认=1"');
    expect(shiftChart).toContain('data-label="2026-11-26" data-values="已确认=1;未确认=0"');
    expect(shiftChart).toContain('data-label="2026-11-22" data-values="已确认=0;未确认=0"');
    expect(shiftChart.match(/data-values=/g)).toHaveLength(7);

    // Outbox: Feishu 1 failed (not the bureau's), Wechaty 1 pending; the link to the failed list.
    const outboxPanel = section(html, 'outbox');
    expect(outboxPanel).toMatch(
      /<tr data-channel="feishu"><td>飞书<\/td><td class="num">0<\/td><td class="num late">1<\/td><\/tr>/,
    );
    expect(outboxPanel).toMatch(/<tr data-channel="wechaty"><td>微信<\/td><td class="num">1<\/td>/);
    expect(outboxPanel).toContain('<a href="/console/outbox">');

    // Nothing of the bureau.
    expect(html).not.toContain('YH-2026-0777');
    expect(html).not.toContain('局机关');
  });

  it('shows the bureau its own hazards only', async () => {
    const { a, c } = await seed();
    const browser = await login(BUREAU, BUREAU_PASSWORD);
    const { response, html } = await browser.page('/console/dashboard');
    expect(response.status).toBe(200);
    expect(html).toContain('YH-2026-0777');
    expect(html).not.toContain(a.code);
    expect(html).not.toContain(c.code);
    expect(section(html, 'by-state')).toContain('隐患状态（共 1 条）');
    expect(html).toContain('超期未整改隐患（1）');
    expect(html).not.toContain('安保处');
    expect(section(html, 'outbox')).not.toContain('data-channel="wechaty"');
  });
});
