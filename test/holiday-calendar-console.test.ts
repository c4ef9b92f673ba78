import { readFileSync } from 'node:fs';
// /console/calendar: the office pastes the State Council's notice, checks the table, confirms; a
// 整改通知书 given afterwards counts the new year's holidays (元旦). Real HTTP, real database, fixed clock.
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { taskCard } from '../cards/task.ts';
import type { Database } from '../db/client.ts';
import { auditEvents, tasks, tenants, units } from '../db/schema.ts';
import {
  Browser,
  csrfOf,
  fetchFrom,
  login,
  resetConsoleTenants,
  unescapeHtml,
} from './helpers/console-http.ts';
import { openTestDatabase } from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Monday 2026-12-21, 10:00 in Shanghai: 20 working days reach past 元旦 2027. */
const NOW = new Date('2026-12-21T02:00:00Z');

/** A whole notice for 2027 in the style of the real ones (the example's dates, not official ones). */
const NOTICE_2027 = readFileSync(new URL('./fixtures/holiday-notice-2027.txt', import.meta.url), 'utf8');

describe('/console/calendar', () => {
  let database: Database;
  let harness: Harness;
  let browser: Browser;
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
    await resetConsoleTenants(harness, database);
    browser = new Browser(fetcher);
  });

  const schoolSettings = async () =>
    (await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school')))[0]!.settings;

  it('says 2027 is missing, names bad lines (400, nothing written), previews, and imports on confirm', async () => {
    await login(browser);
    const page = await browser.page('/console/calendar');
    expect(page.html).toContain('2027年节假日安排尚未导入');
    const csrf = csrfOf(page.html);
    // The dashboard says so too, with the way to the page.
    const dashboard = unescapeHtml((await browser.page('/console/dashboard')).html);
    expect(dashboard).toContain('2027年节假日安排尚未导入，按普通周末计算，涉及的期限标注“（估算）”');
    expect(dashboard).toContain('<a href="/console/calendar">去导入</a>');
    // A 整改通知书 given before the import: 20 working days counted over plain weekends, marked an estimate.
    const [unit] = await database.db.select().from(units).where(eq(units.name, '总务处'));
    const giveNotice = async () => {
      const tasksForm = await browser.page('/console/tasks');
      const posted = await browser.post('/console/tasks', {
        _csrf: csrfOf(tasksForm.html),
        assignee: `unit:${unit!.id}`,
        kind: 'rectification_notice',
        content: '食堂燃气管道老化，限期整改并书面报告',
        due: '',
      });
      expect(posted.status).toBe(303);
      return (await database.db.select().from(tasks).orderBy(desc(tasks.id)))[0]!;
    };
    const estimated = await giveNotice();
    expect(estimated.dueAt.toISOString()).toBe('2027-01-18T15:59:59.999Z');
    expect(estimated.dueEstimated).toBe(true);
    expect(
      taskCard({ task: estimated, assignerName: '', assigneeName: '' }, 'Asia/Shanghai', 'assignee', NOW)
        .blocks,
    ).toContainEqual(
      expect.objectContaining({
        kind: 'fields',
        fields: expect.arrayContaining([{ label: '截止', value: '2027-01-18 23:59（估算）' }]),
      }),
    );

    const bad = await browser.post('/console/calendar', {
      _csrf: csrf,
      action: 'preview',
      text: NOTICE_2027.replace('6月9日（周三）', '6月9日（周四）'),
      year: '',
    });
    expect(bad.status).toBe(400);
    expect(unescapeHtml(await bad.text())).toContain('第 6 行：端午节：2027年6月9日是周三，通知写的是周四');

    const preview = await browser.post('/console/calendar', {
      _csrf: csrf,
      action: 'preview',
      text: NOTICE_2027,
      year: '',
    });
    expect(preview.status).toBe(200);
    const shown = unescapeHtml(await preview.text());
    expect(shown).toContain('核对 2027 年节假日安排');
    expect(shown).toContain('2月5日（周五）至2月13日（周六）（9天）');
    expect(shown).toContain('确认导入');
    expect((await schoolSettings()).holiday_notices).toBeUndefined();

    const confirmed = await browser.post('/console/calendar', {
      _csrf: csrf,
      action: 'confirm',
      text: NOTICE_2027,
      year: '2027',
    });
    expect(confirmed.status).toBe(303);
    expect((await schoolSettings()).holiday_notices).toMatchObject([
      { year: 2027, imported_by: expect.stringContaining('office') },
    ]);
    expect(
      await database.db.select().from(auditEvents).where(eq(auditEvents.subject, 'calendar:2027')),
    ).toHaveLength(1);
    const after = await browser.page('/console/calendar');
    expect(after.html).not.toContain('尚未导入');
    expect(after.html).toContain('已导入 2027 年节假日安排');
    expect((await browser.page('/console/dashboard')).html).not.toContain('尚未导入');

    // A 整改通知书 now: 20 working days from Monday 12-21 skip 元旦 → Tuesday 2027-01-19 (not 01-18).
    const task = await giveNotice();
    expect(task.dueAt.toISOString()).toBe('2027-01-19T15:59:59.999Z');
    expect(task.dueEstimated).toBe(false);
  });

  it('refuses a post without the CSRF token (403) and an empty or non-notice text (400)', async () => {
    await login(browser);
    const page = await browser.page('/console/calendar');
    expect(
      (await browser.post('/console/calendar', { action: 'confirm', text: NOTICE_2027, year: '' })).status,
    ).toBe(403);
    const empty = await browser.post('/console/calendar', {
      _csrf: csrfOf(page.html),
      action: 'confirm',
      text: ' ',
      year: '',
    });
    expect(empty.status).toBe(400);
    const year = await browser.post('/console/calendar', {
      _csrf: csrfOf(page.html),
      action: 'confirm',
      text: NOTICE_2027,
      year: '27',
    });
    expect(year.status).toBe(400);
    expect((await schoolSettings()).holiday_notices).toBeUndefined();
  });
});
