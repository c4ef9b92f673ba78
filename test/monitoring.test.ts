// Issue 21, item 4: the probes (`/livez`, `/readyz`, `/healthz`), the opt-in `/metrics` in the Prometheus
// text format, and the logs: one JSON object a line, the request's id on every line of a request, the
// level LOG_LEVEL asks for, no secret. Through the real service over HTTP, with the fake Feishu.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService } from '../bot/service.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { migrationJournal } from '../db/queries/migrations.ts';
import { FAKE_APP_SECRET, FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf, openTestDatabase, seedExample } from './helpers/db.ts';
import { APP, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** One parsed exposition: `name{label="v",…}` (labels as written) → value; and the families' types. */
interface Scrape {
  value(name: string, labels?: Record<string, string>): number | undefined;
  types: Map<string, string>;
}

/**
 * Parses the text format strictly enough to catch a malformed line: every sample belongs to a family
 * declared by `# HELP` and `# TYPE` before it, and the text ends with a line feed.
 */
function parseExposition(text: string): Scrape {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (help) {
      helps.add(help[1]!);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    expect(sample, line).not.toBeNull();
    const [, name, labels = '', value] = sample!;
    const family = [...types.keys()].find(
      (declared) => name === declared || (types.get(declared) === 'histogram' && name!.startsWith(declared)),
    );
    expect(family, `${name} has no # TYPE before it`).toBeDefined();
    expect(helps.has(family!), `${family} has no # HELP`).toBe(true);
    samples.set(`${name}${labels}`, value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value));
  }
  return {
    types,
    value(name, labels = {}) {
      const written = Object.entries(labels)
        .map(([label, value]) => `${label}="${value}"`)
        .join(',');
      return samples.get(written ? `${name}{${written}}` : name);
    },
  };
}

let database: Database;
let harness: Harness;
let lines: string[];

/** The log lines written so far, parsed. */
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

async function scrape(): Promise<Scrape> {
  const response = await fetch(`${harness.url}/metrics`, {
    headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await response.text());
}

/** A Feishu report to the bot in the safety group: a hazard, cards to the group and the people on duty. */
async function report(text: string, headers: Record<string, string> = {}) {
  const reporter = await identityOf(database, 'chenjing', 'open_id');
  const request = feishuRequest(
    messageEvent({ openId: reporter, chatId: GROUP, mention: [FAKE_BOT_OPEN_ID], text }),
  );
  return fetch(`${harness.url}/webhooks/feishu`, {
    method: 'POST',
    headers: { ...request.headers, ...headers },
    body: request.body,
  });
}

beforeAll(async () => {
  database = await openTestDatabase();
  lines = [];
  harness = await startHarness(
    database,
    { METRICS_TOKEN },
    {
      log: createLogger((line) => lines.push(line), { level: 'debug' }),
      // What these tests count is a webhook answered 200; on a busy 2-core machine an inbox write can take
      // longer than the gate's 2 s (load-gate.test.ts tests that 503), which is not what they are about.
      loadGate: { answerWithinMs: 30_000 },
    },
  );
});
afterAll(async () => {
  await harness?.close();
  await database?.close();
});
beforeEach(async () => {
  await harness.service.inbox.idle();
  await harness.service.dispatcher.idle();
  await seedExample(database);
  harness.feishu.reset();
  lines.length = 0;
});

describe('the probes', () => {
  it('/livez and /readyz answer 200 on a healthy service; /healthz keeps its shape', async () => {
    const live = await fetch(`${harness.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    const ready = await fetch(`${harness.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ok: boolean; migrations: { missing: string[]; total: number } };
    expect(body).toMatchObject({ ok: true, ready: true, notReady: [], database: 'up' });
    expect(body.migrations.missing).toEqual([]);
    expect(body.migrations.total).toBeGreaterThan(20);
    const health = await fetch(`${harness.url}/healthz`);
    expect(health.status).toBe(200);
    expect(Object.keys((await health.json()) as object)).toEqual([
      'ok',
      'db',
      'demo',
      'channels',
      'gate',
      'inbox',
    ]);
  });

  it('/readyz and /healthz answer 503 naming a migration not applied; /livez stays 200', async () => {
    const rows = (await database.db.execute(
      sql`select id, hash, created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
    )) as unknown as { rows?: Array<{ id: number; hash: string; created_at: string }> };
    const last = (rows.rows ??
      (rows as unknown as Array<{ id: number; hash: string; created_at: string }>))[0]!;
    await database.db.execute(sql`delete from drizzle.__drizzle_migrations where id = ${last.id}`);
    try {
      const ready = await fetch(`${harness.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as {
        ok: boolean;
        notReady: string[];
        migrations: { missing: string[] };
      };
      expect(body.ok).toBe(false);
      const latest = migrationJournal().at(-1)!.tag;
      expect(body.migrations.missing).toEqual([latest]);
      expect(body.notReady).toEqual([`migrations not applied: ${latest} (npm run db:migrate)`]);
      const health = await fetch(`${harness.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false, notReady: body.notReady });
      expect((await fetch(`${harness.url}/livez`)).status).toBe(200);
    } finally {
      await database.db.execute(
        sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${last.id}, ${last.hash}, ${last.created_at})`,
      );
    }
    expect((await fetch(`${harness.url}/readyz`)).status).toBe(200);
  });

  it('during a database outage /livez stays 200 while /readyz and /healthz answer 503', async () => {
    // A database of its own, then closed under the running service: every query fails from then on.
    const lost = process.env.TEST_DATABASE_URL ? await openTestDatabase() : await openDatabase({});
    const service = await createService({
      config: parseConfig({ METRICS_TOKEN }),
      log: createLogger(() => {}),
      database: lost,
    });
    try {
      expect((await service.app.request('/readyz')).status).toBe(200);
      await lost.close();
      const live = await service.app.request('/livez');
      expect(live.status).toBe(200);
      const ready = await service.app.request('/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        ok: false,
        database: 'down',
        notReady: ['database unreachable'],
      });
      expect((await service.app.request('/healthz')).status).toBe(503);
      // The process's own counters are still scraped; the database's gauges say it is down.
      const metrics = await service.app.request('/metrics', {
        headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(metrics.status).toBe(200);
      const scraped = parseExposition(await metrics.text());
      expect(scraped.value('yigang_database_up')).toBe(0);
      expect(scraped.value('yigang_inbox_pending')).toBeUndefined();
    } finally {
      await service.close();
    }
  });
});

describe('/metrics', () => {
  it('is 404 when METRICS_TOKEN is not set, 401 without the token or with another', async () => {
    const service = await createService({ config: parseConfig({}), log: createLogger(() => {}), database });
    try {
      const off = await service.app.request('/metrics', {
        headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(off.status).toBe(404);
    } finally {
      await service.close();
    }
    for (const authorization of [
      undefined,
      `Bearer ${METRICS_TOKEN}x`,
      'Bearer ',
      METRICS_TOKEN,
      `Basic ${METRICS_TOKEN}`,
    ]) {
      const response = await fetch(`${harness.url}/metrics`, {
        headers: authorization === undefined ? {} : { Authorization: authorization },
      });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await response.text()).not.toContain('yigang_');
    }
  });

  it('counts a webhook, its inbox backlog and the outbox sends it caused', async () => {
    const before = await scrape();
    expect(before.types.get('yigang_webhook_duration_seconds')).toBe('histogram');
    expect(before.types.get('yigang_outbox_sent_total')).toBe('counter');
    expect(before.value('yigang_database_up')).toBe(1);
    expect(before.value('yigang_inbox_pending')).toBe(0);
    const route = { route: '/webhooks/feishu' };
    const count = (scraped: Scrape) => scraped.value('yigang_webhook_duration_seconds_count', route) ?? 0;
    const sent = (scraped: Scrape) => scraped.value('yigang_outbox_sent_total', { channel: 'feishu' }) ?? 0;

    // Written to the inbox and answered, not processed: the backlog shows, with its age.
    await harness.service.inbox.stop();
    try {
      expect((await report('报隐患 实验楼二楼走廊应急灯不亮，一般')).status).toBe(200);
      const waiting = await scrape();
      expect(waiting.value('yigang_inbox_pending')).toBe(1);
      expect(waiting.value('yigang_inbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
      expect(count(waiting)).toBe(count(before) + 1);
      expect(waiting.value('yigang_webhook_duration_seconds_bucket', { ...route, le: '+Inf' })).toBe(
        count(waiting),
      );
      expect(waiting.value('yigang_webhook_duration_seconds_sum', route)).toBeGreaterThan(0);
    } finally {
      harness.service.inbox.start(60_000);
    }
    await harness.service.inbox.idle();
    await harness.service.dispatcher.drain();
    const after = await scrape();
    expect(after.value('yigang_inbox_pending')).toBe(0);
    expect(harness.feishu.messages.length).toBeGreaterThan(0);
    expect(sent(after) - sent(before)).toBe(harness.feishu.messages.length);
    expect(after.value('yigang_outbox_pending', { channel: 'feishu' }) ?? 0).toBe(0);
  });

  it('counts a platform that refuses a send: errors, and rate limits apart', async () => {
    const before = await scrape();
    const feishu = { channel: 'feishu' };
    const errors = (scraped: Scrape) => scraped.value('yigang_platform_errors_total', feishu) ?? 0;
    const limited = (scraped: Scrape) => scraped.value('yigang_platform_rate_limited_total', feishu) ?? 0;
    // A server error, then a 429 naming its reset (faults.test.ts sends the same).
    harness.feishu.force({ match: 'messages', status: 500 });
    harness.feishu.force({ match: 'messages', status: 429, headers: { 'x-ogw-ratelimit-reset': '3' } });
    expect((await report('报隐患 操场东侧围栏松动，一般')).status).toBe(200);
    await harness.service.inbox.idle();
    await harness.service.dispatcher.drain();
    const after = await scrape();
    expect(errors(after) - errors(before)).toBe(1);
    expect(limited(after) - limited(before)).toBe(1);
  });
});

describe('the logs', () => {
  it('carry the request id on every line of a request, taken from X-Request-Id when sane', async () => {
    // A request refused deep in the Feishu handler (a wrong signature) logs there, and the access line.
    const event = messageEvent({ openId: 'ou_x', chatId: GROUP, text: 'hello' });
    const forged = feishuRequest(event, { encryptKey: 'not-the-key' });
    const refused = await fetch(`${harness.url}/webhooks/feishu`, {
      method: 'POST',
      headers: { ...forged.headers, 'X-Request-Id': 'req-from-the-proxy-1' },
      body: forged.body,
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.headers.get('x-request-id')).toBe('req-from-the-proxy-1');
    const ofRequest = logged().filter((line) => line.requestId === 'req-from-the-proxy-1');
    expect(ofRequest.map((line) => line.msg)).toEqual(['feishu request refused', 'request']);
    expect(ofRequest[1]).toMatchObject({ level: 'info', method: 'POST', path: '/webhooks/feishu' });
    for (const line of logged()) {
      expect(Object.keys(line).slice(0, 3)).toEqual(['time', 'level', 'msg']);
    }

    // An id that is not sane (spaces, a line feed, too long) is replaced by a generated one.
    for (const given of ['two words', 'a'.repeat(200)]) {
      const response = await fetch(`${harness.url}/livez`, { headers: { 'X-Request-Id': given } });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(logged().find((line) => line.requestId === id)).toMatchObject({
        msg: 'request',
        level: 'debug',
      });
    }
  });

  it('never show a secret: tokens in bodies, query strings and the metrics bearer', async () => {
    const plain = feishuRequest(
      { type: 'url_verification', token: `${APP.token}-wrong`, challenge: APP.encryptKey },
      { encryptKey: undefined },
    );
    await fetch(`${harness.url}/webhooks/feishu?token=${APP.token}&secret=${FAKE_APP_SECRET}`, {
      method: 'POST',
      headers: plain.headers,
      body: plain.body,
    });
    expect((await report('报隐患 图书馆消防通道堆放杂物，一般')).status).toBe(200);
    await harness.service.inbox.idle();
    await harness.service.dispatcher.drain();
    await fetch(`${harness.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    await fetch(`${harness.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}-guess` } });
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const secret of [APP.token, APP.encryptKey, FAKE_APP_SECRET, METRICS_TOKEN]) {
      expect(text).not.toContain(secret);
    }
  });

  it('LOG_LEVEL=warn writes warnings and errors only', async () => {
    const written: string[] = [];
    const level: LogLevel = parseConfig({ LOG_LEVEL: 'WARN' }).logLevel;
    const service = await createService({
      config: parseConfig({ LOG_LEVEL: 'warn' }),
      log: createLogger((line) => written.push(line), { level }),
      database,
    });
    try {
      expect((await service.app.request('/webhooks/feishu', { method: 'POST', body: '{}' })).status).toBe(
        404,
      );
      expect((await service.app.request('/console/no-such-page')).status).toBeGreaterThanOrEqual(300);
      // The demo mode refused on a database holding a school is a warning; the requests' lines are info.
      const levels = written.map((line) => JSON.parse(line).level);
      expect(levels).toContain('warn');
      expect(levels.filter((one) => one !== 'warn' && one !== 'error')).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
