// The Cloudflare Workers entry in the real Workers runtime (wrangler's unstable_dev runs workerd
// locally): the same app answers webhooks there, and `scheduled()` runs the jobs, each step once.
import { fileURLToPath } from 'node:url';
import { count, eq, gt, isNotNull, like, max, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Unstable_DevWorker, unstable_dev } from 'wrangler';
import { type Database, openDatabase } from '../db/client.ts';
import { hazards, outbox, reminders } from '../db/schema.ts';
import { FAKE_APP_SECRET, FAKE_BOT_OPEN_ID, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { identityOf, loadExample } from './helpers/db.ts';
import { APP, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type PgServer, startPgServer } from './helpers/pg-server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let server: PgServer;
let database: Database;
let feishu: FakeFeishu;
let worker: Unstable_DevWorker;

beforeAll(async () => {
  server = await startPgServer();
  // Workers do not migrate at start (no file system): the operator runs `npm run db:migrate` first.
  database = await openDatabase({ databaseUrl: server.url, maxConnections: 2 });
  await loadExample(database);
  feishu = await startFakeFeishu();
  process.chdir(root);
  worker = await unstable_dev(`${root}bot/worker.ts`, {
    config: `${root}wrangler.toml`,
    experimental: { disableExperimentalWarning: true, testScheduled: true },
    vars: {
      DATABASE_URL: server.url,
      FEISHU_APP_ID: APP.appId,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_VERIFICATION_TOKEN: APP.token,
      FEISHU_ENCRYPT_KEY: APP.encryptKey,
      FEISHU_DOMAIN: feishu.url,
    },
    ip: '127.0.0.1',
    logLevel: 'none',
  });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await feishu?.close();
  await database?.close();
  await server?.stop();
});

const reminderCount = async () => (await database.db.select({ n: count() }).from(reminders))[0]!.n;

describe('the Workers entry', () => {
  it('answers /healthz from PostgreSQL', async () => {
    const response = await worker.fetch('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, db: 'postgres' });
  });

  it('takes a signed Feishu event and records the hazard', async () => {
    const openId = await identityOf(database, 'chenjing', 'open_id');
    const event = messageEvent({
      openId: openId,
      chatId: 'oc_jishan_safety',
      mention: [FAKE_BOT_OPEN_ID],
      text: '报隐患 教学楼三楼东侧灭火器过期，一般',
    });
    const request = feishuRequest(event);
    const response = await worker.fetch('/webhooks/feishu', {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBe(200);
    // Answered from the inbox; the hazard is written after the answer (waitUntil).
    const hazardRows = () =>
      database.db.select().from(hazards).where(eq(hazards.description, '教学楼三楼东侧灭火器过期'));
    let rows = await hazardRows();
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await hazardRows();
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sourceChannel).toBe('feishu');
  });

  it('runs the jobs on a cron trigger, and a second trigger sends nothing twice', async () => {
    const before = await reminderCount();
    const outboxBefore = (await database.db.select({ id: max(outbox.id) }).from(outbox))[0]?.id ?? 0;
    const first = await worker.fetch('/__scheduled?cron=*+*+*+*+*');
    expect(first.status).toBe(200);
    // scheduled() hands the work to waitUntil: wait for its rows.
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await reminderCount();
    }
    expect(after).toBeGreaterThan(before);
    // The run is over when the reminders stop changing and what it queued is one message per person
    // reminded (or sent the weekly digest): polled, as a fixed wait of 1 s was too short on a busy
    // machine. The checks below fail if it never gets there.
    const queuedAndReminded = async () => {
      const queued = await database.db
        .select({ personId: outbox.personId })
        .from(outbox)
        .where(gt(outbox.id, outboxBefore));
      const reminded = await database.db
        .selectDistinct({ personId: reminders.personId })
        .from(reminders)
        .where(or(like(reminders.step, '%-sent'), eq(reminders.step, 'missed')));
      // The weekly digest (the tenant was loaded long before this week) is a message of its own.
      const weekly = await database.db
        .select({ personId: reminders.personId })
        .from(reminders)
        .where(eq(reminders.step, 'weekly'));
      return {
        queued: queued.map((row) => row.personId).sort(),
        expected: [...reminded, ...weekly].map((row) => row.personId).sort(),
      };
    };
    let settled = after;
    let state = await queuedAndReminded();
    for (let i = 0; i < 60; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const count = await reminderCount();
      const stable = count === settled;
      settled = count;
      state = await queuedAndReminded();
      if (stable && JSON.stringify(state.queued) === JSON.stringify(state.expected)) break;
    }
    // The reminders went out as one message per person (here to Feishu, the members' channel); none waits.
    expect(state.queued.length).toBeGreaterThan(0);
    expect(state.queued).toEqual(state.expected);
    expect(await database.db.select().from(reminders).where(isNotNull(reminders.held))).toEqual([]);
    await worker.fetch('/__scheduled?cron=*+*+*+*+*');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await reminderCount()).toBe(settled);
  });
});
