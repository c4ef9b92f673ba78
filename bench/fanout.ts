// Benchmark 2 — fan-out. The bureau chief starts the year's 责任书 round by chat (发起责任书 over the
// signed webhook), which issues one letter to each of the district's 10,002 post holders: 10,002 cards
// to 10,002 people, through the outbox, to fake platform servers that enforce the real limits.
//
// Feishu: 50 calls/s and 1000/min per app, 5 messages/s per receiver. Those limits make 10,002 messages
// take ten minutes, so the fake and the dispatcher both run them TIME_SCALE times faster (windows of
// 100 ms and 6 s): the fake counts on a clock running TIME_SCALE times real time, the dispatcher is
// given the same limits with their windows divided by TIME_SCALE. The ratio compared against the
// target is the minimum time the limits allow for the messages sent over the time they took.
// WeCom: the same round on a WeCom-only service; the fake drops (silently, as WeCom does) what exceeds
// 30 messages a minute per member and answers 45009 nowhere else, so there the time is our own.
// Both: every person gets exactly one letter (the fakes dedupe by uuid / enable_duplicate_check, as the
// platforms do, and count resends), no 429, no row left unsent.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
import { silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService } from '../bot/service.ts';
import { openDatabase } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { outbox } from '../db/schema.ts';
import { createRateLimiter, DEFAULT_LIMITS, DEFAULT_MARGIN_MS, type LimitRules } from '../jobs/rate-limit.ts';
import { FAKE_APP_SECRET, startFakeFeishu } from '../test/fakes/feishu-api.ts';
import { FakeWecomApi } from '../test/fakes/wecom-api.ts';
import { APP, feishuRequest, messageEvent } from '../test/helpers/feishu-events.ts';
import { startPgServer } from '../test/helpers/pg-server.ts';
import { textMessage, WECOM_APP, wecomCallback } from '../test/helpers/wecom-events.ts';
import { round, sleep, writeResult } from './lib/common.ts';
import { CHIEF, districtOrg } from './lib/district-org.ts';

const TIME_SCALE = 10;
const YEAR = 2026;
const FEISHU = { appPerSecond: 50, appPerMinute: 1000, receiverPerSecond: 5 };

const scaled = (rules: LimitRules, factor: number): LimitRules =>
  Object.fromEntries(
    Object.entries(rules).map(([name, windows]) => [
      name,
      windows.map((window) => ({ limit: window.limit, windowMs: window.windowMs / factor })),
    ]),
  );

/** The earliest the n-th message (0-based) may go under 50/s and 1000/min, in seconds. */
const earliestFeishu = (n: number) =>
  Math.floor(n / FEISHU.appPerMinute) * 60 + Math.floor((n % FEISHU.appPerMinute) / FEISHU.appPerSecond);

async function withService<T>(
  env: Record<string, string>,
  run: (context: {
    url: string;
    count: (status?: string) => Promise<number>;
    dispatcher: { idle(): Promise<void> };
    /** The webhook answers once the command is in the inbox: this resolves once it is processed. */
    inbox: { idle(): Promise<void> };
  }) => Promise<T>,
): Promise<T> {
  const pg = await startPgServer({ durable: true });
  const database = await openDatabase({ databaseUrl: pg.url, maxConnections: 10 });
  try {
    const imported = performance.now();
    await importOrganization(database.db, districtOrg());
    process.stdout.write(`  organization imported in ${Math.round(performance.now() - imported)} ms\n`);
    const service = await createService({
      config: parseConfig({ DATABASE_URL: pg.url, ...env }),
      log: silentLogger,
      database,
      limiter: createRateLimiter({
        rules: scaled(DEFAULT_LIMITS, TIME_SCALE),
        marginMs: DEFAULT_MARGIN_MS / TIME_SCALE,
      }),
    });
    service.dispatcher.start();
    const server = serve({ fetch: service.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      return await run({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        dispatcher: service.dispatcher,
        inbox: service.inbox,
        count: async (status) => {
          const [row] = await database.db
            .select({ n: sql<number>`count(*)::int` })
            .from(outbox)
            .where(status ? eq(outbox.status, status as 'sent') : undefined);
          return row!.n;
        },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await service.close();
    }
  } finally {
    await database.close();
    await pg.stop();
  }
}

/** Delivers a webhook again, as the platform does, until it is answered 200; returns the 200 and the tries. */
async function untilAccepted(deliver: () => Promise<Response>) {
  for (let tries = 1; ; tries++) {
    const response = await deliver();
    if (response.status === 200 || tries >= 60) return { status: response.status, tries };
    await sleep(2000);
  }
}

async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

async function feishuFanout() {
  const start = Date.now();
  const feishu = await startFakeFeishu({
    rateLimits: FEISHU,
    now: () => start + (Date.now() - start) * TIME_SCALE,
  });
  try {
    return await withService(
      {
        FEISHU_APP_ID: APP.appId,
        FEISHU_APP_SECRET: FAKE_APP_SECRET,
        FEISHU_VERIFICATION_TOKEN: APP.token,
        FEISHU_ENCRYPT_KEY: APP.encryptKey,
        FEISHU_DOMAIN: feishu.url,
      },
      async ({ url, count, inbox }) => {
        const asked = performance.now();
        const event = messageEvent({
          openId: CHIEF.openId,
          chatId: 'oc_chief_p2p',
          chatType: 'p2p',
          text: `发起责任书 ${YEAR}`,
        });
        // The webhook answers once the command is in the inbox; the round is built after the answer.
        const answer = await untilAccepted(() => {
          const signed = feishuRequest(event);
          return fetch(`${url}/webhooks/feishu`, {
            method: 'POST',
            headers: signed.headers,
            body: signed.body,
          });
        });
        await inbox.idle();
        const roundStartMs = Math.round(performance.now() - asked);
        const rows = await count();
        process.stdout.write(
          `  feishu: round started (${answer.status} after ${answer.tries} deliveries) in ${roundStartMs} ms, ${rows} rows\n`,
        );
        const finished = await waitFor(async () => (await count('sent')) >= rows, 30 * 60_000);
        const isSend = (kind: string) => kind === 'message.create' || kind === 'message.reply';
        const sends = feishu.calls.filter((call) => isSend(call.kind) && call.status === 200);
        const first = Math.min(...sends.map((call) => call.time));
        const last = Math.max(...sends.map((call) => call.time));
        // The fake's clock runs TIME_SCALE times real time.
        const tookS = (last - first) / 1000 / TIME_SCALE;
        const minimumS = earliestFeishu(feishu.messages.length - 1) / TIME_SCALE;
        const letters = feishu.messages.filter((message) => message.receiveIdType === 'open_id');
        const perPerson = new Map<string, number>();
        for (const message of letters)
          perPerson.set(message.chatId, (perPerson.get(message.chatId) ?? 0) + 1);
        const result = {
          timeScale: TIME_SCALE,
          limits: FEISHU,
          roundStartMs,
          roundDeliveries: answer.tries,
          outboxRows: rows,
          finished,
          messagesDelivered: feishu.messages.length,
          lettersDelivered: letters.length,
          peopleReached: perPerson.size,
          peopleReachedTwice: [...perPerson.values()].filter((n) => n > 1).length,
          resends: feishu.calls.filter((call) => isSend(call.kind)).length - sends.length,
          http429: feishu.calls.filter((call) => call.status === 429).length,
          rowsNotSent: rows - (await count('sent')),
          deliverySeconds: round(tookS, 2),
          minimumSeconds: round(minimumS, 2),
          ratio: round(minimumS / tookS, 3),
        };
        process.stdout.write(
          `  feishu: ${result.lettersDelivered} letters in ${result.deliverySeconds} s (minimum ${result.minimumSeconds} s, ratio ${result.ratio}), 429s ${result.http429}\n`,
        );
        return result;
      },
    );
  } finally {
    await feishu.close();
  }
}

async function wecomFanout() {
  const api = new FakeWecomApi({
    corpId: WECOM_APP.corpId,
    corpSecret: WECOM_APP.secret,
    agentId: WECOM_APP.agentId,
    perMemberLimitPerMinute: 30,
  });
  await api.start();
  try {
    return await withService(
      {
        WECOM_CORP_ID: api.corpId,
        WECOM_AGENT_ID: String(WECOM_APP.agentId),
        WECOM_SECRET: api.corpSecret,
        WECOM_TOKEN: WECOM_APP.token,
        WECOM_ENCODING_AES_KEY: WECOM_APP.encodingAesKey,
        WECOM_API_BASE: api.url,
      },
      async ({ url, count, inbox }) => {
        const asked = performance.now();
        const message = textMessage({ from: CHIEF.wecom, content: `发起责任书 ${YEAR}` });
        const answer = await untilAccepted(() => {
          const signed = wecomCallback(message);
          return fetch(`${url}/webhooks/wecom${signed.query}`, {
            method: 'POST',
            headers: { 'content-type': 'text/xml' },
            body: signed.body,
          });
        });
        await inbox.idle();
        const roundStartMs = Math.round(performance.now() - asked);
        const rows = await count();
        process.stdout.write(
          `  wecom: round started (${answer.status} after ${answer.tries} deliveries) in ${roundStartMs} ms, ${rows} rows\n`,
        );
        const began = performance.now();
        const finished = await waitFor(async () => (await count('sent')) >= rows, 30 * 60_000);
        const tookS = (performance.now() - began) / 1000;
        const perPerson = new Map<string, number>();
        for (const body of api.sent)
          for (const user of (body.touser ?? '').split('|').filter(Boolean))
            perPerson.set(user, (perPerson.get(user) ?? 0) + 1);
        const result = {
          roundStartMs,
          roundDeliveries: answer.tries,
          outboxRows: rows,
          finished,
          sendCalls: api.sent.length,
          peopleReached: perPerson.size,
          peopleReachedTwice: [...perPerson.values()].filter((n) => n > 1).length,
          deduplicatedByPlatform: api.deduplicated.length,
          droppedByMemberLimit: api.dropped.length,
          rowsNotSent: rows - (await count('sent')),
          deliverySeconds: round(tookS, 2),
          messagesPerSecond: round(api.sent.length / tookS),
        };
        process.stdout.write(
          `  wecom: ${result.sendCalls} calls to ${result.peopleReached} people in ${result.deliverySeconds} s, dropped ${result.droppedByMemberLimit}\n`,
        );
        return result;
      },
    );
  } finally {
    await api.close();
  }
}

export async function benchFanout() {
  process.stdout.write('fanout: Feishu\n');
  const feishu = await feishuFanout();
  process.stdout.write('fanout: WeCom\n');
  const wecom = await wecomFanout();
  return writeResult('fanout', {
    workload: `发起责任书 ${YEAR} for a district of 200 schools: one letter card per post holder`,
    database: 'PostgreSQL 15',
    feishu,
    wecom,
  });
}
