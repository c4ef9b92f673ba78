// `npm run doctor`'s checks (bot/doctor), in process against the fake platforms and a real database: every
// check ok; WeCom refusing the server's IP (60020) → an error naming the IP and the setting, exit code 1;
// a Feishu scope missing → an error naming it; the calendar not covering the next 12 months → a warning;
// people without an identity → a warning naming them; no secret in what is printed. Then the WeCom sender
// meeting 60020 (rows failed at once with the advice, logged once) and the console's 运行状态 page (the
// office's, refused to anyone else). The command itself: tools-doctor.test.ts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWecomSender } from '../bot/channels/wecom/sender.ts';
import { createWecomStore } from '../bot/channels/wecom/store.ts';
import type { Logger } from '../bot/core/log.ts';
import { type CheckRow, exitCodeOf, runDoctor } from '../bot/doctor/index.ts';
import { formatTable } from '../bot/doctor/table.ts';
import { parseConfig } from '../bot/env.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { leaseHolder } from '../db/queries/leases.ts';
import { migrationJournal, migrationStatus } from '../db/queries/migrations.ts';
import { failedMessages, insertOutbox } from '../db/queries/outbox.ts';
import { tenantOfCode } from '../db/queries/tenants.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';
import { FakeWecomBot } from './fakes/wecom-bot.ts';
import { Browser, fetchFrom, login, resetConsoleTenants, SCHOOL } from './helpers/console-http.ts';
import { exampleFile, openTestDatabase, resetDatabase, seedExample } from './helpers/db.ts';
import { APP } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';
import { WECOM_APP, wecomEnv } from './helpers/wecom-events.ts';

const BOT = { botId: 'aibot-doctor-test', secret: 'bot-secret-for-the-doctor' };
const SECRETS = [FAKE_APP_SECRET, APP.encryptKey, APP.token, WECOM_APP.secret, WECOM_APP.token, BOT.secret];
/** 2026-01-10 in Shanghai: the next 12 months are 2026's, which chinese-days covers. */
const COVERED = new Date('2026-01-10T02:00:00Z');

const byItem = (rows: CheckRow[], item: string) => {
  const found = rows.find((entry) => entry.item === item);
  if (!found) throw new Error(`no row ${item} in:\n${formatTable(rows)}`);
  return found;
};

function expectNoSecret(rows: CheckRow[]) {
  const printed = formatTable(rows);
  for (const secret of SECRETS) expect(printed).not.toContain(secret);
}

describe('the doctor against the fake platforms', () => {
  let database: Database;
  let feishu: FakeFeishu;
  let wecom: FakeWecomApi;
  let bot: FakeWecomBot;

  beforeAll(async () => {
    database = await openTestDatabase();
    feishu = await startFakeFeishu();
    wecom = new FakeWecomApi({
      corpId: WECOM_APP.corpId,
      corpSecret: WECOM_APP.secret,
      agentId: WECOM_APP.agentId,
    });
    await wecom.start();
    bot = new FakeWecomBot(BOT);
    await bot.start();
  });
  afterAll(async () => {
    await bot.close();
    await wecom.close();
    await feishu.close();
    await database.close();
  });
  beforeEach(async () => {
    await seedExample(database);
    feishu.reset();
    wecom.reset();
  });

  const config = (extra: Record<string, string> = {}) =>
    parseConfig({
      FEISHU_APP_ID: FAKE_APP_ID,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_DOMAIN: feishu.url,
      FEISHU_MODE: 'websocket',
      ...wecomEnv(wecom.url),
      WECOM_BOT_ID: BOT.botId,
      WECOM_BOT_SECRET: BOT.secret,
      WECOM_BOT_WS_URL: bot.url,
      ...extra,
    });
  const doctor = (options: { env?: Record<string, string>; now?: Date; workers?: boolean } = {}) =>
    runDoctor({
      config: config(options.env),
      database,
      now: options.now ?? COVERED,
      workers: options.workers,
    });

  it('all ok: every channel, the database, the calendar, the people and the outbox; exit code 0', async () => {
    const subscriptions = bot.subscriptions;
    const started = Date.now();
    const rows = await doctor();
    const elapsed = Date.now() - started;
    expect(
      rows.filter((entry) => entry.status !== 'ok'),
      formatTable(rows),
    ).toEqual([]);
    expect(rows.map((entry) => entry.item)).toEqual([
      '飞书 · 凭据',
      '飞书 · 权限',
      '飞书 · 事件接收',
      '企业微信 · 凭据',
      '企业微信 · 可信IP与可见范围',
      '企业微信 · 回调',
      '企业微信智能机器人 · 长连接',
      '数据库',
      '数据库迁移',
      '节假日',
      '人员身份',
      '发送失败的消息',
    ]);
    expect(exitCodeOf(rows)).toBe(0);
    // What the fakes received: a token each, Feishu's scopes and long-connection handshake, agent/get,
    // one subscription of the bot (with the lease given back afterwards).
    expect(feishu.calls.map((call) => call.kind)).toEqual(
      expect.arrayContaining(['auth.tenant_token', 'bot.info', 'scopes.list', 'ws.endpoint']),
    );
    expect(wecom.log.map((call) => call.endpoint)).toEqual(['gettoken', 'agent_get']);
    expect(wecom.log[1]!.query.agentid).toBe(String(WECOM_APP.agentId));
    expect(bot.subscriptions).toBe(subscriptions + 1);
    expect(await leaseHolder(database.db, `wecom_bot:${BOT.botId}`)).toBeUndefined();
    expect(byItem(rows, '数据库迁移').detail).toMatch(/已全部应用（\d+ 个）/);
    expect(elapsed).toBeLessThan(10_000);
    expectNoSecret(rows);
  });

  it('WeCom refuses the server IP (60020): an error with the IP WeCom saw and the setting; exit code 1', async () => {
    wecom.untrusted = true;
    const rows = await doctor();
    expect(byItem(rows, '企业微信 · 凭据').status).toBe('ok');
    const trusted = byItem(rows, '企业微信 · 可信IP与可见范围');
    expect(trusted.status).toBe('error');
    expect(trusted.detail).toContain('60020');
    expect(trusted.detail).toContain('IP 127.0.0.1');
    expect(trusted.detail).toContain('应用管理 → 本应用 → 企业可信IP');
    // The fake refused agent/get as WeCom does, with the caller's IP in errmsg.
    const refused = wecom.log.find((call) => call.endpoint === 'agent_get')!.response as { errmsg: string };
    expect(refused.errmsg).toMatch(
      /^not allow to access from your ip, hint: \[\d+\], from ip: 127\.0\.0\.1, more info at/,
    );
    expect(exitCodeOf(rows)).toBe(1);
    expectNoSecret(rows);
  });

  it('on Workers a WeCom app is an error: no fixed egress IP', async () => {
    const rows = await doctor({ workers: true });
    const workers = byItem(rows, '企业微信 · 部署方式');
    expect(workers.status).toBe('error');
    expect(workers.detail).toContain('Cloudflare Workers 没有固定的出口 IP');
    expect(exitCodeOf(rows)).toBe(1);
  });

  it('a Feishu scope missing or not granted: an error naming it (and why user_id needs its scope)', async () => {
    feishu.scopes = {
      'im:message': 1,
      'im:message.group_at_msg:readonly': 1,
      'im:message.p2p_msg:readonly': 1,
      'contact:user.employee_id:readonly': 2,
    };
    const rows = await doctor();
    const scopes = byItem(rows, '飞书 · 权限');
    expect(scopes.status).toBe('error');
    expect(scopes.detail).toContain('未申请：im:message:send_as_bot');
    expect(scopes.detail).toContain('已申请但未获授权：contact:user.employee_id:readonly');
    expect(scopes.detail).toContain('按 user_id 登记的人员');
    expect(exitCodeOf(rows)).toBe(1);
  });

  it('the fake refuses a send without the send scopes: 99991672 naming them', async () => {
    feishu.scopes = { 'im:message.p2p_msg:readonly': 1 };
    const token = feishu.tenantTokenFor();
    const response = await fetch(`${feishu.url}/open-apis/im/v1/messages?receive_id_type=open_id`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ receive_id: 'ou_x', msg_type: 'text', content: '{"text":"hi"}' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: number; msg: string };
    expect(body.code).toBe(99991672);
    expect(body.msg).toContain('[im:message, im:message:send_as_bot]');
    expect(feishu.messages).toHaveLength(0);
  });

  it('the calendar not covering the next 12 months: a warning naming the months and the import', async () => {
    const rows = await doctor({ now: new Date('2026-12-06T02:00:00Z') });
    const calendar = byItem(rows, '节假日');
    expect(calendar.status).toBe('warning');
    expect(calendar.detail).toContain('2027年1月—2027年11月没有节假日安排');
    expect(calendar.detail).toContain('npm run calendar:import');
    expect(exitCodeOf(rows.filter((entry) => entry.item !== '节假日'))).toBe(0);
  });

  it('people with no identity on the configured channels: a warning naming them', async () => {
    await resetDatabase(database);
    const file = exampleFile('school.yaml');
    const text = readFileSync(file, 'utf8').replace(
      / {4}feishu: \{ open_id: ou_32d7a6f8fe5b054f3e5ab8cac12fac10, user_id: js_wangxiaofang \}\n {4}wecom: \{ userid: wangxiaofang \}\n/,
      '',
    );
    await importOrganization(database.db, parseOrgFile(file, text), new Date('2020-01-01T00:00:00Z'));
    const rows = await doctor();
    const people = byItem(rows, '人员身份');
    expect(people.status).toBe('warning');
    expect(people.detail).toMatch(/^1 人在已配置的渠道（飞书、企业微信）上没有任何身份.*：王晓芳。/);
    // Wechaty reaches her: with only Wechaty configured nobody is missing.
    const wechatyOnly = await runDoctor({
      config: parseConfig({ WECHATY_PUPPET: 'wechaty-puppet-mock' }),
      database,
      now: COVERED,
      connections: () => ({ wechaty: { ok: true, state: 'logged-in' } }),
    });
    expect(byItem(wechatyOnly, '人员身份').status).toBe('ok');
  });

  it('migrations: those of the journal newer than the last applied are missing', async () => {
    const journal = migrationJournal();
    const applied = await migrationStatus(database.db, journal);
    expect(applied).toEqual({ total: journal.length, applied: journal.length, missing: [] });
    // A migration committed after the database was migrated (as after an upgrade without db:migrate).
    const later = [...journal, { tag: '9999_later', when: journal.at(-1)!.when + 1 }];
    expect((await migrationStatus(database.db, later)).missing).toEqual(['9999_later']);
  });

  it('prints no secret, even one a platform echoes back', async () => {
    wecom.forceNext({ endpoint: 'agent_get', body: { errcode: 40058, errmsg: `bad ${WECOM_APP.secret}` } });
    const rows = await doctor({ env: { FEISHU_APP_SECRET: 'a-wrong-feishu-secret' } });
    expect(byItem(rows, '飞书 · 凭据').status).toBe('error');
    const app = byItem(rows, '企业微信 · 可信IP与可见范围');
    expect(app.detail).toContain('bad ***');
    const printed = formatTable(rows);
    for (const secret of [...SECRETS, 'a-wrong-feishu-secret']) expect(printed).not.toContain(secret);
  });
});

describe('the WeCom sender meeting 60020', () => {
  let wecom: FakeWecomApi;
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
    wecom = new FakeWecomApi({ corpId: WECOM_APP.corpId, corpSecret: WECOM_APP.secret, untrusted: true });
    await wecom.start();
  });
  afterAll(async () => {
    await wecom.close();
    await database.close();
  });

  it('fails each row at once with the advice (not retried), and logs it once', async () => {
    const lines: { message: string }[] = [];
    const log: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (message) => lines.push({ message }),
    };
    const config = parseConfig({
      ...wecomEnv(wecom.url),
    }).wecom!;
    const sender = createWecomSender({ config, store: createWecomStore(database.db), log });
    const row = (id: number) => ({
      id,
      tenantId: null,
      channel: 'wecom' as const,
      op: 'send' as const,
      targetKind: 'userid',
      targetId: 'wangxiaofang',
      refMessageId: null,
      personId: null,
      body: { kind: 'text' as const, text: '提醒' },
      subject: null,
      view: null,
      status: 'sending' as const,
      attempts: 1,
      nextAttemptAt: new Date(),
      lockedUntil: null,
      lastError: null,
      platformMessageId: null,
      platformRef: null,
      createdAt: new Date(),
      sentAt: null,
    });
    for (const id of [1, 2]) {
      const error = await sender.deliver(row(id) as never).then(
        () => undefined,
        (caught: unknown) => caught as { retryable: boolean; message: string },
      );
      expect(error?.retryable).toBe(false);
      expect(error?.message).toContain('IP 127.0.0.1');
      expect(error?.message).toContain('企业可信IP');
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain('60020');
    expect(wecom.sent).toHaveLength(0);
  });
});

describe('the console 运行状态 page', () => {
  let database: Database;
  let harness: Harness;
  const fetcher = fetchFrom(() => harness.url);

  beforeAll(async () => {
    database = await openTestDatabase();
    harness = await startHarness(database, {}, { wecom: { untrusted: true }, clock: () => COVERED });
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });
  beforeEach(async () => {
    await resetConsoleTenants(harness, database);
    harness.wecom!.reset();
    harness.wecom!.untrusted = true;
  });

  it("shows the doctor's rows to the office, with the WeCom messages failed for 60020", async () => {
    const school = (await tenantOfCode(database.db, SCHOOL))!;
    await insertOutbox(database.db, {
      tenantId: school.id,
      channel: 'wecom',
      op: 'send',
      targetKind: 'userid',
      targetId: 'wangxiaofang',
      body: { kind: 'text', text: '本周安全检查提醒' },
      // Due by the harness's clock, not the database's.
      nextAttemptAt: COVERED,
      createdAt: COVERED,
    });
    await harness.service.dispatcher.drain();
    const [failed] = await failedMessages(database.db, school.id);
    expect(failed?.lastError).toContain('应用管理 → 本应用 → 企业可信IP 中加入 127.0.0.1');
    expect(failed?.attempts).toBe(1);

    const browser = new Browser(fetcher);
    await login(browser);
    const outbox = await browser.page('/console/outbox');
    expect(outbox.html).toContain('企业可信IP 中加入 127.0.0.1');

    const started = Date.now();
    const page = await browser.page('/console/status');
    const elapsed = Date.now() - started;
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('<h1>运行状态</h1>');
    expect(page.html).toMatch(
      /<td>企业微信 · 可信IP与可见范围<\/td><td class="check-error" data-status="error">错误<\/td><td>[^<]*127\.0\.0\.1/,
    );
    expect(page.html).toMatch(/<td>飞书 · 凭据<\/td><td class="check-ok"/);
    expect(page.html).toMatch(/<td>发送失败的消息（[^<]+）<\/td><td class="check-warning"/);
    // The school's rows only: the bureau's tenant is another office's.
    expect(page.html).not.toContain('某区教育体育局');
    expect(page.html).toContain('href="/console/status"');
    expect(elapsed).toBeLessThan(5000);
    for (const secret of SECRETS) expect(page.html).not.toContain(secret);
  });

  it('is refused to anyone not logged in as the office', async () => {
    const anonymous = new Browser(fetcher);
    const answer = await anonymous.page('/console/status');
    expect(answer.response.status).toBe(302);
    expect(answer.response.headers.get('location')).toBe('/login?next=%2Fconsole%2Fstatus');
    expect(harness.wecom!.log).toHaveLength(0);
  });
});
