// A Feishu card press is answered within its 3 s, on the webhook and on the long connection, with the
// real outcome, and never with an error for an action that was applied (issue 18, rule 7). The fakes play
// Feishu's part: a callback not answered 200 within 3 s shows the presser Feishu's error and its late
// answer is discarded (test/fakes/feishu-api.ts `callback`, test/fakes/feishu-ws.ts `pressSeenOver`).
// The database is slowed by a transaction of the test's own holding the hazards table: on PGlite it holds
// every statement back, on PostgreSQL those that touch hazards.
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PRESS_BUSY,
  PRESS_DONE_ALREADY,
  PRESS_PENDING,
  PRESS_UNAVAILABLE,
} from '../bot/channels/feishu/events.ts';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazards, inboundEvents, outbox } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID, type FakeCallback } from './fakes/feishu-api.ts';
import { type PressSeen, pressSeenOver } from './fakes/feishu-ws.ts';
import { identityOf } from './helpers/db.ts';
import { feishuRequest, messageEvent, pressOnHazardCard } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';

let database: Database;
let harness: Harness;

// Both transports at once: the long connection, and the webhook (it can verify what it receives). One
// places in the load gate and no waiting line: two presses held by a slow database fill it.
harnessPerFile((opened) => ({ database, harness } = opened), {
  env: { FEISHU_MODE: 'websocket' },
  loadGate: { maxInFlight: 2, maxQueue: 0 },
});

beforeAll(async () => {
  harness.service.startConnections();
  await harness.feishu.ws.waitReady();
});

/** A hazard reported in the group, and the 受理 press on the card its office head got. */
async function reportedHazard(text: string) {
  const reporter = await identityOf(database, 'chenjing', 'open_id');
  const head = await identityOf(database, 'yinxianju', 'open_id');
  const report = messageEvent({ openId: reporter, chatId: GROUP, mention: [FAKE_BOT_OPEN_ID], text });
  expect((await harness.post('/webhooks/feishu', feishuRequest(report))).status).toBe(200);
  await harness.service.dispatcher.drain();
  const hazard = (await database.db.select().from(hazards)).find((row) => text.includes(row.description))!;
  return { hazard, ...pressOnHazardCard(harness.feishu.messages, head, hazard) };
}

/**
 * Holds the hazards table in a transaction of the test's own until `release` is called: the database of a
 * press that touches hazards is slow for as long. Resolves once the lock is taken.
 */
const holds = new Set<() => Promise<void>>();
afterEach(async () => {
  // A test that failed while holding the database lets it go, or every later one would wait on it.
  for (const release of holds) await release();
});

async function holdHazards() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const taken = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const held = database.db.transaction(async (tx) => {
    await tx.execute(sql`lock table hazards in access exclusive mode`);
    locked();
    await released;
  });
  await taken;
  const end = async () => {
    holds.delete(end);
    release();
    await held;
  };
  holds.add(end);
  return { release: end };
}

const statusOf = async (id: number) =>
  (await database.db.select({ status: hazards.status }).from(hazards).where(eq(hazards.id, id)))[0]!.status;
const stepsOf = async (id: number) =>
  (await database.db.select().from(hazardEvents).where(eq(hazardEvents.hazardId, id))).map(
    (row) => row.action,
  );

/**
 * Keeps the database slow until 3.5 s after the press (past Feishu's 3 s), lets it go, and checks that the
 * press was applied once and its outcome reached the pressed card afterwards, by one update with the
 * toast inside it.
 */
async function appliedOnceAfterwards(given: {
  pressed: number;
  hold: { release(): Promise<void> };
  hazard: { id: number; code: string };
  card: { messageId: string };
}) {
  const { pressed, hold, hazard, card } = given;
  await new Promise((resolve) => setTimeout(resolve, 3500 - (Date.now() - pressed)));
  await hold.release();
  await harness.service.core.pressesSettled();
  expect(Date.now() - pressed).toBeGreaterThan(3000);
  await harness.service.dispatcher.drain();
  expect(await statusOf(hazard.id)).toBe('accepted');
  expect(await stepsOf(hazard.id)).toEqual(['report', 'accept']);
  const updates = harness.feishu.patches.filter((patch) => patch.messageId === card.messageId);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.rawContent).toContain(`已受理 ${hazard.code}`);
}

/** The card the presser has now: the pressed message's latest content at the fake. */
const shownCard = (messageId: string) => JSON.stringify(harness.feishu.contentOf(messageId));

const toastOf = (seen: PressSeen) => (seen.error ? undefined : seen.toast);

describe('a press whose work outlasts Feishu’s 3 s', () => {
  it('webhook: answered 处理中 in time, applied once, the card updated with the outcome afterwards', async () => {
    const { hazard, card, press } = await reportedHazard('报隐患 实验楼1层灭火器过期，一般');
    const url = `${harness.url}/webhooks/feishu`;
    const hold = await holdHazards();
    const pressed = Date.now();
    // The press, and Feishu's resend of it while the first is still being worked on.
    const [first, again] = await Promise.all([
      harness.feishu.callback(url, feishuRequest(press), card.messageId),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        harness.feishu.callback(url, feishuRequest(press), card.messageId),
      ),
    ]);
    // Both answered 200 in time, neutrally, while the database is still held.
    for (const answer of [first, again]) {
      expect(answer.seen).toEqual({ error: false, toast: { type: 'info', content: PRESS_PENDING } });
      expect(answer.ms).toBeLessThan(3000);
    }
    await appliedOnceAfterwards({ pressed, hold, hazard, card });
    expect(
      await database.db.select().from(inboundEvents).where(eq(inboundEvents.eventKey, press.header.event_id)),
    ).toHaveLength(1);
    expect(shownCard(card.messageId)).toContain(`已受理 ${hazard.code}`);
    expect(harness.feishu.callbacks.filter((callback) => callback.seen.error)).toEqual([]);
    // A press later still is told it is done, without a second step.
    const late = await harness.feishu.callback(url, feishuRequest(press), card.messageId);
    expect(toastOf(late.seen)).toEqual({ type: 'info', content: PRESS_DONE_ALREADY });
    expect(await stepsOf(hazard.id)).toEqual(['report', 'accept']);
  }, 20_000);

  it('long connection: answered 处理中 in time, applied once, the card updated with the outcome afterwards', async () => {
    const { hazard, card, press } = await reportedHazard('报隐患 实验楼2层灭火器过期，一般');
    const hold = await holdHazards();
    const pressed = Date.now();
    const delivery = await harness.feishu.ws.deliver(press);
    expect(pressSeenOver(delivery)).toEqual({
      error: false,
      toast: { type: 'info', content: PRESS_PENDING },
    });
    await appliedOnceAfterwards({ pressed, hold, hazard, card });
    expect(harness.feishu.ws.deliveries.map(pressSeenOver).filter((seen) => seen.error)).toEqual([]);
  }, 20_000);

  it('a press answered in time carries the card as it now is, and no update follows', async () => {
    const { hazard, card, press } = await reportedHazard('报隐患 实验楼3层灭火器过期，一般');
    const answer = await harness.feishu.callback(
      `${harness.url}/webhooks/feishu`,
      feishuRequest(press),
      card.messageId,
    );
    expect(toastOf(answer.seen)).toEqual({
      type: 'success',
      content: expect.stringContaining(`已受理 ${hazard.code}`),
    });
    expect(shownCard(card.messageId)).toContain('**状态**：已受理');
    await harness.service.dispatcher.drain();
    expect(harness.feishu.patches.filter((patch) => patch.messageId === card.messageId)).toEqual([]);
    expect(await stepsOf(hazard.id)).toEqual(['report', 'accept']);
  });
});

/**
 * Both places of the gate taken by presses that wait on a held database. Each is answered 处理中 in time
 * (`settle` checks it, lets the database go and waits for both to be applied).
 */
async function gateFull(url: string) {
  const reported = [
    await reportedHazard('报隐患 实验楼5层灭火器过期，一般'),
    await reportedHazard('报隐患 实验楼6层灭火器过期，一般'),
  ];
  const hold = await holdHazards();
  const answers = reported.map(({ press, card }) =>
    harness.feishu.callback(url, feishuRequest(press), card.messageId),
  );
  // Both are in: their bodies read, their work waiting on the database.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { others: { reported, answers }, hold };
}

async function settle(
  others: { reported: Awaited<ReturnType<typeof reportedHazard>>[]; answers: Promise<FakeCallback>[] },
  hold: { release(): Promise<void> },
) {
  for (const answer of await Promise.all(others.answers)) {
    expect(answer.seen).toEqual({ error: false, toast: { type: 'info', content: PRESS_PENDING } });
  }
  await hold.release();
  await harness.service.core.pressesSettled();
  await harness.service.dispatcher.drain();
  for (const { hazard } of others.reported) expect(await statusOf(hazard.id)).toBe('accepted');
}

describe('a press refused before anything is done', () => {
  it('webhook: shed by the load gate → a polite refusal, nothing applied; pressed again later, applied', async () => {
    const { hazard, card, press } = await reportedHazard('报隐患 实验楼4层灭火器过期，一般');
    const url = `${harness.url}/webhooks/feishu`;
    const { others, hold } = await gateFull(url);
    // This one finds no place: refused before any work.
    const refused = await harness.feishu.callback(url, feishuRequest(press), card.messageId);
    expect(refused.seen).toEqual({ error: false, toast: { type: 'warning', content: PRESS_BUSY } });
    await settle(others, hold);

    expect(await statusOf(hazard.id)).toBe('reported');
    expect(await stepsOf(hazard.id)).toEqual(['report']);
    expect(
      await database.db.select().from(inboundEvents).where(eq(inboundEvents.eventKey, press.header.event_id)),
    ).toEqual([]);
    expect(
      (await database.db.select().from(outbox)).filter((row) => row.refMessageId === card.messageId),
    ).toEqual([]);
    // The presser presses again (a new callback): it is applied.
    const pressedAgain = { ...press, header: { ...press.header, event_id: `${press.header.event_id}-2` } };
    const answer = await harness.feishu.callback(url, feishuRequest(pressedAgain), card.messageId);
    expect(toastOf(answer.seen)?.type).toBe('success');
    expect(await stepsOf(hazard.id)).toEqual(['report', 'accept']);
    expect(harness.feishu.callbacks.filter((callback) => callback.seen.error)).toEqual([]);
  }, 20_000);

  // Only a server can end one session's backend while the others go on (PGlite is one session).
  it.runIf(process.env.TEST_DATABASE_URL)(
    'a database that fails the press before its deadline: a refusal, nothing applied',
    async () => {
      const { hazard, card, press } = await reportedHazard('报隐患 实验楼8层灭火器过期，一般');
      const hold = await holdHazards();
      const answer = harness.feishu.callback(
        `${harness.url}/webhooks/feishu`,
        feishuRequest(press),
        card.messageId,
      );
      // The press's transaction waits on the held table: its backend is ended, as a failover would.
      let waiting: { pid: number }[] = [];
      for (let i = 0; i < 100 && waiting.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        waiting = (await database.db.execute(
          sql`select pid from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        )) as unknown as { pid: number }[];
      }
      expect(waiting).toHaveLength(1);
      await database.db.execute(sql`select pg_terminate_backend(${waiting[0]!.pid})`);
      const refused = await answer;
      expect(refused.seen).toEqual({ error: false, toast: { type: 'error', content: PRESS_UNAVAILABLE } });
      expect(refused.ms).toBeLessThan(2000);
      await hold.release();
      await harness.service.core.pressesSettled();
      expect(await stepsOf(hazard.id)).toEqual(['report']);
      expect(
        await database.db
          .select()
          .from(inboundEvents)
          .where(eq(inboundEvents.eventKey, press.header.event_id)),
      ).toEqual([]);
    },
    20_000,
  );

  it('a message shed by the load gate still gets 503, so Feishu delivers it again', async () => {
    const url = `${harness.url}/webhooks/feishu`;
    const reporter = await identityOf(database, 'chenjing', 'open_id');
    const { others, hold } = await gateFull(url);
    const report = messageEvent({
      openId: reporter,
      chatId: GROUP,
      mention: [FAKE_BOT_OPEN_ID],
      text: '报隐患 图书馆二层灭火器过期，一般',
    });
    const { body, headers } = feishuRequest(report);
    const response = await fetch(url, { method: 'POST', headers, body });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    await settle(others, hold);
    expect(
      (await database.db.select().from(hazards)).some((row) => row.description.includes('图书馆二层')),
    ).toBe(false);
  }, 20_000);
});
