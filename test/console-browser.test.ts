// The console in a real browser (Debian's chromium through playwright-core), in demo mode and logged in
// as an office admin (who acts in the office's own name: a task to 安保处); in demo mode a member reports a
// hazard and the 安保处 head presses 受理; screenshots go to test-artifacts/. Without
// /usr/bin/chromium the test says so and passes (install: apt-get install -y chromium fonts-noto-cjk).
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService, type Service } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { hazards, tasks } from '../db/schema.ts';
import { loadExample, openTestDatabase, resetDatabase } from './helpers/db.ts';
import { startHarness } from './helpers/service.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

let database: Database;
let service: Service;
let server: ReturnType<typeof serve>;
let url: string;

beforeAll(async () => {
  // Without a browser the tests only say so: no database (an in-memory PGlite, initdb and migrations)
  // nor service for them.
  if (!existsSync(CHROMIUM)) return;
  database = await openTestDatabase();
  await resetDatabase(database);
  service = await createService({ config: parseConfig({}), log: silentLogger, database });
  server = serve({ fetch: service.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  await new Promise((resolve) => server.close(resolve));
  await service.close();
  await database.close();
});

describe('the console in a browser', () => {
  it('reports a hazard and accepts it by pressing 受理', async () => {
    if (!existsSync(CHROMIUM)) {
      console.log(`browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium fonts-noto-cjk)`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });

      await page.goto(`${url}/`);
      expect(await page.locator('.banner').textContent()).toBe('演示模式：无需登录，任何人都可操作');

      /** Does something that loads a new page, and waits until it has. */
      const navigating = async (act: () => Promise<unknown>) => {
        const loaded = page.waitForEvent('framenavigated', {
          predicate: (frame) => frame === page.mainFrame(),
        });
        await act();
        await loaded;
        await page.waitForLoadState('load');
      };
      const choose = async (name: string) => {
        const value = await page.locator('#person option', { hasText: name }).getAttribute('value');
        // Choosing a member submits the picker (the page's one script).
        await navigating(() => page.selectOption('#person', value!));
        expect(page.url()).toBe(`${url}/?person=${value}`);
      };

      await choose('陈静');
      await page.fill('#text', '报隐患 教学楼三楼东侧灭火器过期，一般');
      await navigating(() => page.click('button:has-text("发送")'));
      const card = page.locator('.msg.bot .card').last();
      expect(await card.locator('.card-title').textContent()).toMatch(/^隐患 YH-JSZX-\d{4}-0001$/);
      expect(await card.locator('dl.card-fields').textContent()).toContain('安保处');
      await page.screenshot({ path: `${ARTIFACTS}console-report.png`, fullPage: true });

      await choose('尹仙菊');
      const accept = page.locator('.msg.bot .card button', { hasText: '受理' }).last();
      await navigating(() => accept.click());
      expect(await page.locator('.flash.success').textContent()).toContain('已受理');
      expect(await page.locator('.msg.bot .card').last().textContent()).toContain('提交整改');
      await page.screenshot({ path: `${ARTIFACTS}console-accept.png`, fullPage: true });

      const [hazard] = await database.db.select().from(hazards);
      expect(hazard?.status).toBe('accepted');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('logs in as the office admin, lands on the dashboard, and assigns a task in the office’s own name', async () => {
    if (!existsSync(CHROMIUM)) {
      console.log(`browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium fonts-noto-cjk)`);
      return;
    }
    const own = await openTestDatabase();
    await resetDatabase(own);
    await loadExample(own, 'school.yaml');
    await addAdminAccount(own.db, {
      tenantCode: 'jishan-school',
      username: 'office',
      displayName: '周尹尹',
      password: 'correct horse battery',
    });
    // Not demo mode: a (fake) Feishu app is configured.
    const harness = await startHarness(own);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      const navigating = async (act: () => Promise<unknown>) => {
        const loaded = page.waitForEvent('framenavigated', {
          predicate: (frame) => frame === page.mainFrame(),
        });
        await act();
        await loaded;
        await page.waitForLoadState('load');
      };
      const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

      await page.goto(`${harness.url}/`);
      expect(page.url()).toContain('/login');
      expect(await page.locator('.banner').count()).toBe(0);
      await page.fill('input[name="tenant"]', 'jishan-school');
      await page.fill('input[name="username"]', 'office');
      await page.fill('input[name="password"]', 'correct horse battery');
      await shot('admin-1-login');
      await navigating(() => page.click('form[action="/login"] button[type="submit"]'));
      // Outside demo mode the console is the office, not any member: `/` is the dashboard, no simulator.
      expect(page.url()).toBe(`${harness.url}/console/dashboard`);
      expect(await page.locator('.top .who').textContent()).toContain('周尹尹');
      expect(await page.locator('.top nav a', { hasText: '对话模拟' }).count()).toBe(0);
      await shot('admin-2-dashboard');

      // The office assigns a task to 安保处 in its own name.
      await page.goto(`${harness.url}/console/tasks`);
      const anbao = await page
        .locator('select[name="assignee"] option', { hasText: '安保处' })
        .first()
        .getAttribute('value');
      await page.selectOption('select[name="assignee"]', anbao!);
      await page.fill('input[name="due"]', '2099-12-31');
      await page.fill('textarea[name="content"]', '检查校门监控是否完好');
      await navigating(() => page.click('form[action="/console/tasks"] button[type="submit"]'));
      expect(await page.locator('.flash.success').textContent()).toContain('已派发');
      expect(await page.locator('tr[data-task]').first().textContent()).toContain(
        '周尹尹（后台账号 office）',
      );
      await shot('admin-3-task');

      const [task] = await own.db.select().from(tasks);
      expect(task).toMatchObject({ assignerId: null, content: '检查校门监控是否完好' });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await harness.close();
      await own.close();
    }
  }, 120_000);
});
