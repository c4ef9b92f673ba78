// The platforms' send limits (DESIGN.md §6) kept by the outbox dispatcher: the limiter on its own, then
// real HTTP against the fake Feishu and WeCom servers with their limits switched on, real database. The
// fakes count the calls that really reach them; Feishu runs on real time, WeCom on a shared fake clock
// so that its minute can pass at once.
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFeishuClient, createFeishuSender } from '../bot/channels/feishu/sender.ts';
import { textBodies } from '../bot/channels/wecom/render.ts';
import { createWecomSender } from '../bot/channels/wecom/sender.ts';
import { createWecomStore } from '../bot/channels/wecom/store.ts';
import type { OutboxRow } from '../bot/core/delivery.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import { createDispatcher } from '../jobs/outbox.ts';
import { createRateLimiter, IN_FLIGHT_LIMIT_MS, type RateLimiter } from '../jobs/rate-limit.ts';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { FakeWecomApi, type WecomSendBody } from './fakes/wecom-api.ts';
import { openTestDatabase, resetDatabase } from './helpers/db.ts';
import { WECOM_APP } from './helpers/wecom-events.ts';

let database: Database;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await resetDatabase(database);
});

const rowsOf = async (ids: number[]) =>
  database.db.select().from(outbox).where(inArray(outbox.id, ids)).orderBy(asc(outbox.id));
const rowOf = async (id: number) => (await database.db.select().from(outbox).where(eq(outbox.id, id)))[0]!;

async function enqueue(
  channel: 'feishu' | 'wecom',
  targets: { kind: string; id: string; text: string }[],
  at: Date,
): Promise<OutboxRow[]> {
  return database.db
    .insert(outbox)
    .values(
      targets.map((target) => ({
        channel,
        op: 'send' as const,
        targetKind: target.kind,
        targetId: target.id,
        body: { kind: 'text' as const, text: target.text },
        nextAttemptAt: at,
      })),
    )
    .returning();
}

/** The most calls in any window of `windowMs` (a call at t is in the window while now - t < windowMs). */
function peak(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** A call reserved at `at` and answered at once: what a finished call leaves in the limiter. */
function call(limiter: RateLimiter, keys: string[], at: number) {
  const answer = limiter.reserve(keys, at);
  if (answer.ok) limiter.answered(keys, at, at);
  return answer;
}

describe('rate limiter', () => {
  it('allows `limit` calls in any window and names when the next one may go', () => {
    const limiter = createRateLimiter({ rules: { chat: [{ limit: 5, windowMs: 1000 }] }, marginMs: 0 });
    for (let i = 0; i < 5; i++) expect(call(limiter, ['chat:a'], 1000 + i * 100)).toEqual({ ok: true });
    expect(call(limiter, ['chat:a'], 1450)).toEqual({ ok: false, retryAt: 2000 });
    expect(call(limiter, ['chat:b'], 1450)).toEqual({ ok: true }); // each chat its own window
    expect(call(limiter, ['chat:a'], 1999)).toEqual({ ok: false, retryAt: 2000 });
    expect(call(limiter, ['chat:a'], 2000)).toEqual({ ok: true });
    expect(call(limiter, ['chat:a'], 2000)).toEqual({ ok: false, retryAt: 2100 });
  });

  it('takes all keys or none, and answers the latest time any of them allows', () => {
    const limiter = createRateLimiter({
      rules: {
        app: [
          { limit: 3, windowMs: 1000 },
          { limit: 4, windowMs: 60_000 },
        ],
        to: [{ limit: 1, windowMs: 1000 }],
      },
      marginMs: 0,
    });
    expect(call(limiter, ['app', 'to:x'], 0)).toEqual({ ok: true });
    // to:x is full: app is not taken either.
    expect(call(limiter, ['app', 'to:x'], 10)).toEqual({ ok: false, retryAt: 1000 });
    expect(call(limiter, ['app', 'to:y'], 20)).toEqual({ ok: true });
    expect(call(limiter, ['app', 'to:z'], 30)).toEqual({ ok: true });
    expect(limiter.check(['app'], 40)).toEqual({ ok: false, retryAt: 1000 });
    expect(call(limiter, ['app', 'to:w'], 1000)).toEqual({ ok: true });
    // Four in the minute: the minute window is the one that waits now.
    expect(call(limiter, ['app'], 1500)).toEqual({ ok: false, retryAt: 60_000 });
    // A key without a rule is free.
    expect(call(limiter, ['free:key', 'to:v'], 1500)).toEqual({ ok: true });
    expect(limiter.check(['to:v'], 1600)).toEqual({ ok: false, retryAt: 2500 });
  });

  it('counts a key named n times as n calls, and lets a call larger than the window go into an empty one', () => {
    const limiter = createRateLimiter({ rules: { m: [{ limit: 5, windowMs: 1000 }] }, marginMs: 0 });
    expect(limiter.reserve(['m:a', 'm:a', 'm:a'], 0)).toEqual({ ok: true });
    // Three of five taken: two more fit, three do not until the first three have left the window.
    expect(limiter.check(['m:a', 'm:a'], 10)).toEqual({ ok: true });
    // (Calls under way count as made now.)
    expect(limiter.check(['m:a', 'm:a', 'm:a'], 10)).toEqual({ ok: false, retryAt: 1010 });
    expect(limiter.reserve(['m:a', 'm:a'], 10)).toEqual({ ok: true });
    expect(limiter.check(['m:a'], 20)).toEqual({ ok: false, retryAt: 1020 });
    // Answered later: all three calls of the first reservation count from the answer.
    limiter.answered(['m:a', 'm:a', 'm:a'], 0, 400);
    limiter.answered(['m:a', 'm:a'], 10, 10);
    expect(limiter.check(['m:a'], 1005)).toEqual({ ok: false, retryAt: 1010 });
    expect(limiter.check(['m:a', 'm:a', 'm:a'], 1010)).toEqual({ ok: false, retryAt: 1400 });
    // Seven calls at once never fit five: they go when the window is empty, and fill it.
    expect(limiter.check(['m:b', 'm:b', 'm:b', 'm:b', 'm:b', 'm:b', 'm:b'], 0)).toEqual({ ok: true });
  });

  it('adds the margin to every window, honours blocks, and survives a clock set back', () => {
    const limiter = createRateLimiter({ rules: { k: [{ limit: 1, windowMs: 1000 }] }, marginMs: 100 });
    expect(call(limiter, ['k'], 0).ok).toBe(true);
    expect(call(limiter, ['k'], 1000)).toEqual({ ok: false, retryAt: 1100 });
    limiter.block(['k', 'other'], 5000);
    expect(call(limiter, ['other'], 4000)).toEqual({ ok: false, retryAt: 5000 });
    expect(call(limiter, ['k'], 4000)).toEqual({ ok: false, retryAt: 5000 });
    expect(call(limiter, ['other'], 5000)).toEqual({ ok: true });
    expect(call(limiter, ['k'], 5000)).toEqual({ ok: true });
    // The clock goes back an hour: the call of "the future" counts as made now, not for an hour.
    expect(call(limiter, ['k'], 5000 - 3_600_000)).toEqual({ ok: false, retryAt: 5000 - 3_600_000 + 1100 });
  });

  it('counts a call from its answer, and schedules calls waiting in line one after the other', () => {
    const limiter = createRateLimiter({ rules: { k: [{ limit: 2, windowMs: 1000 }] }, marginMs: 0 });
    expect(limiter.reserve(['k'], 0).ok).toBe(true);
    expect(limiter.reserve(['k'], 10).ok).toBe(true);
    // The first call took 300 ms to answer: the platform may have counted it as late as that.
    limiter.answered(['k'], 0, 300);
    limiter.answered(['k'], 10, 10);
    expect(limiter.check(['k'], 900)).toEqual({ ok: false, retryAt: 1010 });
    expect(limiter.reserve(['k'], 1010)).toEqual({ ok: true });
    expect(limiter.check(['k'], 1010)).toEqual({ ok: false, retryAt: 1300 });
    // Calls waiting in line get the slots one after the other: the first when the answered call leaves
    // the window, the second when the call under way (counted as made now, 1100) does, the third when the
    // first waiting one does, counted from its expected answer (calls have taken 60 ms on average so far).
    expect([0, 1, 2].map((ahead) => limiter.freeAt(['k'], 1100, () => ahead))).toEqual([1300, 2100, 2360]);
  });

  it('holds a call under way in every window until it is answered, also once its reservation is older', () => {
    const limiter = createRateLimiter({ rules: { k: [{ limit: 2, windowMs: 1000 }] }, marginMs: 0 });
    expect(limiter.reserve(['k'], 0).ok).toBe(true); // under way: a stalled process, a slow token fetch
    expect(call(limiter, ['k'], 10).ok).toBe(true);
    // At 1500 the reservation of 0 has left the window, but the platform may count the call now.
    expect(limiter.check(['k'], 1500)).toEqual({ ok: true });
    expect(limiter.reserve(['k'], 1500).ok).toBe(true);
    // Both under way count as made now: free a window from now, unless answered before.
    expect(limiter.check(['k'], 1600)).toEqual({ ok: false, retryAt: 2600 });
    // Answered at 1700: it counts from then.
    limiter.answered(['k'], 0, 1700);
    expect(limiter.check(['k'], 2600)).toEqual({ ok: false, retryAt: 2700 });
    limiter.answered(['k'], 1500, 1500);
    expect(limiter.check(['k'], 2700)).toEqual({ ok: true });
    // A call whose answer never comes holds its place for IN_FLIGHT_LIMIT_MS at most.
    expect(limiter.reserve(['k', 'k'], 3000).ok).toBe(true);
    expect(limiter.check(['k'], 3000 + IN_FLIGHT_LIMIT_MS - 1).ok).toBe(false);
    expect(limiter.check(['k'], 3000 + IN_FLIGHT_LIMIT_MS)).toEqual({ ok: true });
  });

  it('holds a call under way in the short window too while the long one still counts its reservation', () => {
    // Feishu's two windows: a call reserved at 0 and still under way at 1500 (a process stalled on a busy
    // machine) may reach the platform now, in the per-second window of the calls reserved now.
    const limiter = createRateLimiter({
      rules: {
        k: [
          { limit: 2, windowMs: 1000 },
          { limit: 100, windowMs: 60_000 },
        ],
      },
      marginMs: 0,
    });
    expect(limiter.reserve(['k'], 0).ok).toBe(true);
    expect(limiter.reserve(['k'], 0).ok).toBe(true);
    expect(limiter.check(['k'], 1500).ok).toBe(false);
    // One was answered at once, the other at 1600: the first has left the window, the second counts.
    limiter.answered(['k'], 0, 100);
    limiter.answered(['k'], 0, 1600);
    expect(limiter.check(['k'], 1700).ok).toBe(true);
    expect(limiter.reserve(['k'], 1700).ok).toBe(true);
    expect(limiter.check(['k'], 1800)).toEqual({ ok: false, retryAt: 2600 });
    limiter.answered(['k'], 1700, 1800);
    expect(limiter.check(['k'], 2599)).toEqual({ ok: false, retryAt: 2600 });
    expect(limiter.check(['k'], 2600)).toEqual({ ok: true });
  });

  it('refuses a limit that is not one', () => {
    expect(() => createRateLimiter({ rules: { k: [{ limit: 0, windowMs: 1000 }] } })).toThrow(/not a limit/);
  });
});

describe('Feishu limits through the dispatcher', () => {
  let feishu: FakeFeishu;
  beforeAll(async () => {
    // The real limits, enforced by the fake on real time.
    feishu = await startFakeFeishu({
      rateLimits: { appPerSecond: 50, appPerMinute: 1000, receiverPerSecond: 5, messageUpdatesPerSecond: 5 },
    });
  });
  afterAll(async () => {
    await feishu.close();
  });
  beforeEach(() => {
    feishu.reset();
  });

  function feishuDispatcher(options: { clock?: () => Date; limiter?: ReturnType<typeof createRateLimiter> }) {
    const client = createFeishuClient({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, domain: feishu.url });
    return createDispatcher({
      db: database.db,
      senders: [createFeishuSender(client)],
      log: silentLogger,
      ...options,
    });
  }
  const creates = () => feishu.calls.filter((call) => call.kind === 'message.create');
  /** Another instance of the same app calling the platform in bursts of 10 until `done` (at most 10 s). */
  async function otherInstanceBusy(done: () => boolean) {
    const { client } = createFeishuClient({
      appId: FAKE_APP_ID,
      appSecret: FAKE_APP_SECRET,
      domain: feishu.url,
    });
    const sdk = await client();
    const until = Date.now() + 10_000;
    while (!done() && Date.now() < until) {
      const burst = Array.from({ length: 10 }, () =>
        sdk.request({ method: 'GET', url: '/open-apis/bot/v3/info' }).catch(() => undefined),
      );
      await Promise.all(burst);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const arrivals = () => creates().map((call) => call.time);

  it('sends 300 messages to 300 users at no more than 50 calls a second, each once, without a 429', async () => {
    const rows = await enqueue(
      'feishu',
      Array.from({ length: 300 }, (_, i) => ({ kind: 'open_id', id: `ou_user_${i}`, text: `通知 ${i}` })),
      new Date(),
    );
    const started = Date.now();
    const stats = await feishuDispatcher({}).drain();
    const elapsed = Date.now() - started;
    expect(stats).toMatchObject({ sent: 300, retried: 0, failed: 0 });
    expect(stats.held).toBeGreaterThan(0);

    expect(creates().filter((call) => call.status !== 200)).toEqual([]);
    expect(creates()).toHaveLength(300);
    expect(feishu.messages).toHaveLength(300);
    expect(new Set(feishu.messages.map((message) => message.uuid)).size).toBe(300);
    // Measured where it counts: when the calls reached the fake.
    expect(peak(arrivals(), 1000)).toBeLessThanOrEqual(50);
    // 300 at 50 per (1 s + margin): six windows, so at least five waits.
    expect(elapsed).toBeGreaterThanOrEqual(5 * 1000);
    const marked = await rowsOf(rows.map((row) => row.id));
    expect(marked.every((row) => row.status === 'sent' && row.attempts === 1)).toBe(true);
  });

  it('once started, runs again when held rows come due, not at the next poll', async () => {
    // 3 messages to one user under a limit of 2 in 1.5 s, a drain that does not wait for holds, and a
    // poll of a minute: the third message goes when the window has passed, in about 1.5 s.
    await enqueue(
      'feishu',
      [1, 2, 3].map((n) => ({ kind: 'open_id', id: 'ou_held_user', text: `第 ${n} 条` })),
      new Date(),
    );
    const dispatcher = createDispatcher({
      db: database.db,
      senders: [
        createFeishuSender(
          createFeishuClient({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, domain: feishu.url }),
        ),
      ],
      log: silentLogger,
      limiter: createRateLimiter({ rules: { 'feishu:to': [{ limit: 2, windowMs: 1500 }] } }),
      holdWaitMs: 0,
    });
    const started = Date.now();
    dispatcher.start(60_000);
    try {
      await expect.poll(() => feishu.messages.length, { timeout: 10_000, interval: 50 }).toBe(3);
    } finally {
      await dispatcher.stop();
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(5000);
  });

  it('sends 20 messages into one chat at most 5 in any second, in order, counting no attempt for waits', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `第 ${i + 1} 条`);
    const rows = await enqueue(
      'feishu',
      texts.map((text) => ({ kind: 'chat', id: 'oc_one_chat', text })),
      new Date(),
    );
    const stats = await feishuDispatcher({}).drain();
    expect(stats).toMatchObject({ sent: 20, retried: 0, failed: 0 });
    expect(creates().every((call) => call.status === 200)).toBe(true);
    // Measured where it counts: when the calls reached the fake.
    expect(peak(arrivals(), 1000)).toBeLessThanOrEqual(5);
    expect(feishu.messages.map((message) => (message.content as { text: string }).text)).toEqual(texts);
    // Each row was held back several times; only the one real try counts.
    const marked = await rowsOf(rows.map((row) => row.id));
    expect(marked.map((row) => row.attempts)).toEqual(texts.map(() => 1));
  });

  it('updates one card 12 times in a burst at no more than 5 a second, in order, ending in the last state', async () => {
    const [card] = await database.db
      .insert(outbox)
      .values({
        channel: 'feishu',
        op: 'send',
        targetKind: 'chat',
        targetId: 'oc_burst',
        body: {
          kind: 'card',
          card: { title: '隐患', tone: 'blue', blocks: [{ kind: 'text', text: '第 0 版' }] },
        },
        nextAttemptAt: new Date(),
      })
      .returning();
    await feishuDispatcher({}).drain();
    const messageId = (await rowOf(card!.id)).platformMessageId!;
    const versions = Array.from({ length: 12 }, (_, i) => `第 ${i + 1} 版`);
    const updates = await database.db
      .insert(outbox)
      .values(
        versions.map((text) => ({
          channel: 'feishu' as const,
          op: 'update' as const,
          targetKind: 'chat',
          targetId: 'oc_burst',
          refMessageId: messageId,
          body: {
            kind: 'card' as const,
            card: { title: '隐患', tone: 'blue' as const, blocks: [{ kind: 'text' as const, text }] },
          },
          nextAttemptAt: new Date(),
        })),
      )
      .returning();
    const stats = await feishuDispatcher({}).drain();
    expect(stats).toMatchObject({ sent: 12, retried: 0, failed: 0 });
    const patches = feishu.calls.filter((call) => call.kind === 'message.patch');
    expect(patches).toHaveLength(12);
    expect(patches.every((call) => call.status === 200)).toBe(true);
    expect(
      peak(
        patches.map((call) => call.time),
        1000,
      ),
    ).toBeLessThanOrEqual(5);
    expect(JSON.stringify(feishu.contentOf(messageId))).toContain('第 12 版');
    expect(feishu.patches.map((patch) => JSON.stringify(patch.content).match(/第 \d+ 版/)?.[0])).toEqual(
      versions,
    );
    const marked = await rowsOf(updates.map((row) => row.id));
    expect(marked.every((row) => row.status === 'sent' && row.platformMessageId === messageId)).toBe(true);
  });

  it('waits as long as x-ogw-ratelimit-reset says, and sends nothing else meanwhile', async () => {
    let now = new Date('2026-03-02T01:00:00Z');
    const clock = () => now;
    const d = feishuDispatcher({ clock });
    const [first] = await enqueue('feishu', [{ kind: 'chat', id: 'oc_a', text: '被限流' }], now);
    feishu.force({
      status: 429,
      match: 'messages',
      headers: { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': '7' },
    });
    expect(await d.drain()).toMatchObject({ retried: 1, sent: 0 });
    const limited = await rowOf(first!.id);
    expect(limited).toMatchObject({ status: 'pending', attempts: 1 });
    expect(limited.lastError).toContain('429');
    expect(limited.nextAttemptAt.getTime() - now.getTime()).toBe(7000);

    // Another chat, 3 s later: the app is still limited, so it is held back without a call or an attempt.
    now = new Date(now.getTime() + 3000);
    const [second] = await enqueue('feishu', [{ kind: 'chat', id: 'oc_b', text: '等一等' }], now);
    expect(await d.drain()).toMatchObject({ claimed: 1, held: 1, sent: 0 });
    expect(creates()).toHaveLength(1);
    expect(await rowOf(second!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await rowOf(second!.id)).nextAttemptAt.getTime()).toBe(now.getTime() + 4000);

    now = new Date(now.getTime() + 3999);
    expect(await d.drain()).toMatchObject({ claimed: 0 });
    now = new Date(now.getTime() + 1);
    expect(await d.drain()).toMatchObject({ claimed: 2, sent: 2 });
    expect(creates()).toHaveLength(3);
    expect((await rowsOf([first!.id, second!.id])).map((row) => row.attempts)).toEqual([2, 1]);
  });

  it('when the platform refuses anyway (another instance), retries the 429s and stops knocking meanwhile', async () => {
    // This instance believes it may send 1000 a second; the fake keeps 50.
    const limiter = createRateLimiter({ rules: {} });
    const rows = await enqueue(
      'feishu',
      Array.from({ length: 120 }, (_, i) => ({ kind: 'open_id', id: `ou_more_${i}`, text: `第 ${i}` })),
      new Date(),
    );
    const d = feishuDispatcher({ limiter });
    // The other instance of the app is busy too, taking every call the platform allows until this one has
    // met a refusal (however fast this machine sends: without it, a slow run never reached 50 a second).
    const refusedYet = () => creates().some((call) => call.status === 429);
    const other = otherInstanceBusy(refusedYet);
    let stats = await d.drain();
    await other;
    expect(refusedYet()).toBe(true);
    for (let round = 0; round < 10 && stats.sent + stats.failed < 120; round++) {
      // Rows refused by the platform wait for the reset or the backoff (2 s), not drain's short holds.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const next = await d.drain();
      stats = { ...next, sent: stats.sent + next.sent, failed: stats.failed + next.failed };
    }
    const refused = creates().filter((call) => call.status === 429);
    expect(feishu.messages).toHaveLength(120);
    expect(new Set(feishu.messages.map((message) => message.uuid)).size).toBe(120);
    // Each refusal blocks the app for the reset it names: only calls already under way (at most the
    // 16 concurrent sends) meet a 429, not every remaining row.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(3 * 16);
    expect(refused.every((call) => call.code === 99991400)).toBe(true);
    const marked = await rowsOf(rows.map((row) => row.id));
    expect(marked.every((row) => row.status === 'sent')).toBe(true);
  });
});

describe('WeCom per-member limit through the dispatcher', () => {
  let now = new Date('2026-03-02T01:00:00Z');
  const clock = () => now;
  const api = new FakeWecomApi({
    corpId: WECOM_APP.corpId,
    corpSecret: WECOM_APP.secret,
    agentId: WECOM_APP.agentId,
    perMemberLimitPerMinute: 30,
    now: () => now.getTime(),
  });
  beforeAll(async () => {
    await api.start();
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(() => {
    api.reset();
    now = new Date('2026-03-02T01:00:00Z');
  });

  function wecomDispatcher() {
    const sender = createWecomSender({
      config: {
        corpId: WECOM_APP.corpId,
        agentId: WECOM_APP.agentId,
        secret: WECOM_APP.secret,
        token: WECOM_APP.token,
        encodingAesKey: WECOM_APP.encodingAesKey,
        apiBase: api.url,
      },
      store: createWecomStore(database.db),
      clock,
    });
    return createDispatcher({ db: database.db, senders: [sender], log: silentLogger, clock });
  }
  const contentOf = (body: WecomSendBody) => (body.text as { content: string }).content;
  const seenBy = (user: string) =>
    api.sent.filter((body) => (body.touser ?? '').split('|').includes(user)).map(contentOf);

  it('sends a member 30 messages in the minute and holds the other 10 until it has passed; none dropped', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `提醒 ${i + 1}`);
    const rows = await enqueue(
      'wecom',
      texts.map((text) => ({ kind: 'userid', id: 'zhangwei', text })),
      now,
    );
    const ids = rows.map((row) => row.id);
    const d = wecomDispatcher();
    const windowEnd = now.getTime() + 60_000;
    expect(await d.drain()).toMatchObject({ sent: 30, held: 10, retried: 0, failed: 0 });
    expect(seenBy('zhangwei')).toEqual(texts.slice(0, 30));
    expect(api.dropped).toEqual([]);
    const waiting = (await rowsOf(ids)).filter((row) => row.status !== 'sent');
    expect(waiting.map((row) => row.id)).toEqual(ids.slice(30));
    for (const row of waiting) {
      expect(row).toMatchObject({ status: 'pending', attempts: 0, lockedUntil: null });
      expect(row.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(windowEnd);
    }
    // A broadcast meanwhile: the members with room get it now, in one call; zhangwei's copy waits
    // behind his 10, so his messages stay in order.
    await enqueue(
      'wecom',
      ['zhangwei', 'lina', 'wangfang'].map((id) => ({ kind: 'userid', id, text: '全体通知' })),
      now,
    );
    expect(await d.drain()).toMatchObject({ claimed: 3, sent: 2, held: 1 });
    expect(api.sent.at(-1)).toMatchObject({ touser: 'lina|wangfang' });
    expect(await d.drain()).toMatchObject({ claimed: 0 });

    now = new Date(waiting[0]!.nextAttemptAt.getTime());
    expect(await d.drain()).toMatchObject({ claimed: 11, sent: 11 });
    expect(seenBy('zhangwei')).toEqual([...texts, '全体通知']);
    expect(api.dropped).toEqual([]);
    const marked = await rowsOf(ids);
    expect(marked.every((row) => row.status === 'sent' && row.attempts === 1)).toBe(true);
  });

  it('counts every message a long row becomes: a member gets at most 30 in the minute, none dropped', async () => {
    const text = Array.from(
      { length: 120 },
      (_, i) => `第 ${i + 1} 项：消防通道畅通、灭火器在有效期内、疏散指示完好。`,
    ).join('\n');
    const parts = textBodies(text).length;
    expect(parts).toBeGreaterThan(1);
    const fit = Math.floor(30 / parts);
    const rows = await enqueue(
      'wecom',
      Array.from({ length: fit + 2 }, () => ({ kind: 'userid', id: 'zhangwei', text })),
      now,
    );
    const d = wecomDispatcher();
    expect(await d.drain()).toMatchObject({ sent: fit, held: 2, failed: 0 });
    expect(seenBy('zhangwei')).toHaveLength(fit * parts);
    expect(api.dropped).toEqual([]);
    const waiting = (await rowsOf(rows.map((row) => row.id))).filter((row) => row.status !== 'sent');
    now = new Date(Math.max(...waiting.map((row) => row.nextAttemptAt.getTime())));
    await d.drain();
    expect(seenBy('zhangwei')).toHaveLength((fit + 2) * parts);
    expect(api.dropped).toEqual([]);
  });

  it('backs off at least 60 s after 45009 and holds the app meanwhile', async () => {
    const [row] = await enqueue('wecom', [{ kind: 'userid', id: 'lina', text: '频率超限' }], now);
    api.forceNext({ endpoint: 'send', errcode: 45009 });
    const d = wecomDispatcher();
    expect(await d.drain()).toMatchObject({ retried: 1 });
    expect((await rowOf(row!.id)).nextAttemptAt.getTime() - now.getTime()).toBe(60_000);
    await enqueue('wecom', [{ kind: 'userid', id: 'wangfang', text: '别的成员' }], now);
    expect(await d.drain()).toMatchObject({ claimed: 1, held: 1 });
    expect(api.sent).toHaveLength(0);
    now = new Date(now.getTime() + 60_000);
    expect(await d.drain()).toMatchObject({ sent: 2 });
  });
});
