import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadGate } from '../bot/core/load-gate.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards, inboundEvents } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf, loadExample, openTestDatabase } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

let database: Database;
let harness: Harness;

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(
    database,
    {},
    { loadGate: { maxInFlight: 1, maxQueue: 2, maxWaitMs: 20, answerWithinMs: 60_000 } },
  );
  await loadExample(database);
});
afterAll(async () => {
  await harness.close();
  await database.close();
});

describe('webhook load shedding', () => {
  it('answers a burst beyond the gate with 503 at once, and processes every event once when retried', async () => {
    const reporter = await identityOf(database, 'chenjing', 'open_id');
    const events = Array.from({ length: 30 }, (_, index) =>
      messageEvent({
        openId: reporter,
        chatId: 'oc_burst',
        mention: [FAKE_BOT_OPEN_ID],
        text: `报隐患 三楼东侧第${index + 1}个灭火器过期`,
      }),
    );
    const answers = await Promise.all(
      events.map((event) => harness.post('/webhooks/feishu', feishuRequest(event))),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(await refused[0]!.json()).toEqual({ error: 'busy, retry later' });

    // The platform's retries, one at a time, as Feishu spaces them; refused events left no row behind.
    const accepted = statuses.filter((status) => status === 200).length;
    expect(await database.db.select().from(inboundEvents)).toHaveLength(accepted);
    for (const [index, event] of events.entries()) {
      if (statuses[index] === 200) continue;
      const again = await harness.post('/webhooks/feishu', feishuRequest(event));
      expect(again.status).toBe(200);
    }
    // And a second full redelivery of everything changes nothing.
    for (const event of events) {
      expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
    }
    await harness.service.dispatcher.drain();
    const rows = await database.db.select({ title: hazards.description }).from(hazards);
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((row) => row.title)).size).toBe(30);
    const replies = harness.feishu.messages.filter((message) => message.replyTo !== undefined);
    expect(replies).toHaveLength(30);
  });
});

describe('the answer deadline', () => {
  it('answers 503 when the work is not done in time, lets the work finish, and holds its place until then', async () => {
    const gate = createLoadGate({ maxInFlight: 1, maxQueue: 0, answerWithinMs: 100, log: silentLogger });
    const finished: string[] = [];
    const app = new Hono();
    app.use('*', gate.middleware);
    app.post('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      finished.push('slow');
      return c.json({ ok: true });
    });
    app.post('/fast', (c) => c.json({ ok: true }));

    const started = Date.now();
    const slow = await app.request('/slow', { method: 'POST' });
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(350);
    expect(finished).toEqual([]);
    // The slow work still holds the only place: the next request finds no room.
    expect((await app.request('/fast', { method: 'POST' })).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(finished).toEqual(['slow']);
    expect((await app.request('/fast', { method: 'POST' })).status).toBe(200);
    expect(gate.shed).toBe(2);
  });
});
