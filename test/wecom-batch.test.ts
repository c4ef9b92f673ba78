// WeCom message/send batching through the real outbox dispatcher: the same text or text_notice card to
// many members goes in one call (touser a|b|c, at most 1000), each row is marked from its own result,
// and per-recipient order holds. Real HTTP against the fake WeCom API, real database.
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWecomSender, taskIdOf } from '../bot/channels/wecom/sender.ts';
import { createWecomStore } from '../bot/channels/wecom/store.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { WecomConfig } from '../bot/env.ts';
import { actions, button, type Card, card, text } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { type OutboxBody, outbox } from '../db/schema.ts';
import { createDispatcher } from '../jobs/outbox.ts';
import { FakeWecomApi, type WecomSendBody } from './fakes/wecom-api.ts';
import { openTestDatabase, resetDatabase } from './helpers/db.ts';
import { WECOM_APP } from './helpers/wecom-events.ts';

const AGENT_ID = 1000002;
const api = new FakeWecomApi({ corpId: 'wwcorp', corpSecret: 's3cret', agentId: AGENT_ID });
let database: Database;
let now = new Date('2026-03-02T01:00:00Z');
const clock = () => now;

const configFor = (apiBase: string): WecomConfig => ({
  corpId: 'wwcorp',
  agentId: AGENT_ID,
  secret: 's3cret',
  token: 't',
  encodingAesKey: WECOM_APP.encodingAesKey,
  apiBase,
});

function dispatcher(apiBase = api.url, batchSize = 5000) {
  const sender = createWecomSender({
    config: configFor(apiBase),
    store: createWecomStore(database.db),
    clock,
  });
  return createDispatcher({ db: database.db, senders: [sender], log: silentLogger, clock, batchSize });
}

/** Queues one row per member, in this order (ids ascending). */
async function enqueue(body: OutboxBody, users: string[], op: 'send' | 'update' = 'send', ref?: string) {
  if (users.length === 0) return [];
  return database.db
    .insert(outbox)
    .values(
      users.map((targetId) => ({
        channel: 'wecom' as const,
        op,
        targetKind: 'userid',
        targetId,
        refMessageId: ref ?? null,
        body,
        nextAttemptAt: now,
      })),
    )
    .returning();
}

const textOf = (value: string): OutboxBody => ({ kind: 'text', text: value });
const cardOf = (value: Card): OutboxBody => ({ kind: 'card', card: value });
const members = (count: number, prefix = 'user') =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const rowsOf = async (ids: number[]) =>
  database.db.select().from(outbox).where(inArray(outbox.id, ids)).orderBy(asc(outbox.id));
const usersOf = (body: WecomSendBody) => (body.touser ?? '').split('|');
const sendCalls = (fake: FakeWecomApi) => fake.log.filter((call) => call.endpoint === 'send');
const contentOf = (body: WecomSendBody) => (body.text as { content?: string } | undefined)?.content;
const templateOf = (body: WecomSendBody) => body.template_card as { card_type: string; task_id: string };

beforeAll(async () => {
  await api.start();
  database = await openTestDatabase();
});
afterAll(async () => {
  await api.close();
  await database.close();
});
beforeEach(async () => {
  api.reset();
  await resetDatabase(database);
  now = new Date('2026-03-02T01:00:00Z');
});

describe('WeCom batched message/send', () => {
  it('sends 2,500 identical texts to 2,500 members in 3 calls of at most 1000, each member once', async () => {
    const users = members(2500);
    const rows = await enqueue(textOf('明天上午九点全校消防演练，请准时参加。'), users);
    const stats = await dispatcher().drain();
    expect(stats).toMatchObject({ claimed: 2500, sent: 2500, retried: 0, failed: 0 });

    const calls = sendCalls(api);
    expect(calls).toHaveLength(3);
    expect(api.sent.map((body) => usersOf(body).length)).toEqual([1000, 1000, 500]);
    const received = api.sent.flatMap(usersOf);
    expect(received).toHaveLength(2500);
    expect(new Set(received)).toEqual(new Set(users));
    // Texts keep the sender's policy: no duplicate check (it would silence repeated identical answers).
    expect(api.sent.every((body) => body.enable_duplicate_check === undefined)).toBe(true);

    const marked = await rowsOf(rows.map((row) => row.id));
    expect(marked.every((row) => row.status === 'sent' && row.attempts === 1)).toBe(true);
    // Each row records the msgid of the call that carried it.
    const msgidOf = new Map(
      calls.flatMap((call) =>
        usersOf(call.body as WecomSendBody).map((user) => [user, (call.response as { msgid: string }).msgid]),
      ),
    );
    expect(marked.every((row) => row.platformMessageId === msgidOf.get(row.targetId))).toBe(true);
  });

  it('does not merge different bodies, and sends a body for one member alone', async () => {
    await enqueue(textOf('通知甲'), ['a1', 'a2', 'a3']);
    await enqueue(textOf('通知乙'), ['b1', 'b2']);
    await enqueue(textOf('通知甲'), ['a4']);
    await enqueue(textOf('只给一人'), ['c1']);
    expect(await dispatcher().drain()).toMatchObject({ claimed: 7, sent: 7 });
    const byContent = Object.fromEntries(api.sent.map((body) => [contentOf(body), body.touser]));
    expect(api.sent).toHaveLength(3);
    expect(byContent).toEqual({ 通知甲: 'a1|a2|a3|a4', 通知乙: 'b1|b2', 只给一人: 'c1' });
  });

  it('fails the rows of members WeCom does not know, naming them, and sends to the others', async () => {
    const users = members(10);
    const strict = new FakeWecomApi({
      corpId: 'wwcorp',
      corpSecret: 's3cret',
      knownUsers: users.filter((user) => user !== 'user0003' && user !== 'user0007'),
    });
    await strict.start();
    try {
      const rows = await enqueue(textOf('请查看本周安全检查安排'), users);
      expect(await dispatcher(strict.url).drain()).toMatchObject({ sent: 8, failed: 2, retried: 0 });
      expect(sendCalls(strict)).toHaveLength(1);
      expect((sendCalls(strict)[0]!.response as { invaliduser: string }).invaliduser).toBe(
        'user0003|user0007',
      );
      for (const row of await rowsOf(rows.map((entry) => entry.id))) {
        if (row.targetId === 'user0003' || row.targetId === 'user0007') {
          expect(row.status).toBe('failed');
          expect(row.attempts).toBe(1);
          expect(row.lastError).toBe(`企业微信用户 ${row.targetId} 不存在或不在应用的可见范围内`);
        } else {
          expect(row.status).toBe('sent');
          expect(row.lastError).toBeNull();
        }
      }

      // None known (errcode 81013): every row fails with its own member named.
      strict.reset();
      const ghosts = await enqueue(textOf('无人可达'), ['ghost1', 'ghost2']);
      expect(await dispatcher(strict.url).drain()).toMatchObject({ failed: 2 });
      expect((await rowsOf(ghosts.map((row) => row.id))).map((row) => [row.status, row.lastError])).toEqual([
        ['failed', '企业微信用户 ghost1 不存在或不在应用的可见范围内'],
        ['failed', '企业微信用户 ghost2 不存在或不在应用的可见范围内'],
      ]);
    } finally {
      await strict.close();
    }
  });

  it('retries every row of a batch after a 500 or a rate limit, then sends each once', async () => {
    const users = members(1200);
    const rows = await enqueue(textOf('稍后送达的通知'), users);
    const ids = rows.map((row) => row.id);
    api.failNext(1, 'send');
    const d = dispatcher();
    // The first call (1000 members) fails; the second (200) goes through.
    expect(await d.drain()).toMatchObject({ claimed: 1200, sent: 200, retried: 1000, failed: 0 });
    const waiting = (await rowsOf(ids)).filter((row) => row.status !== 'sent');
    expect(waiting).toHaveLength(1000);
    for (const row of waiting) {
      expect(row.status).toBe('pending');
      expect(row.nextAttemptAt.getTime()).toBeGreaterThan(now.getTime());
      expect(row.lastError).toContain('500');
      expect(row.lockedUntil).toBeNull();
    }
    expect(await d.drain()).toMatchObject({ claimed: 0 }); // not due yet

    now = new Date(now.getTime() + 60_000);
    api.forceNext({ endpoint: 'send', errcode: 45009 });
    expect(await d.drain()).toMatchObject({ claimed: 1000, retried: 1000 });
    now = new Date(now.getTime() + 60_000);
    expect(await d.drain()).toMatchObject({ claimed: 1000, sent: 1000 });

    const marked = await rowsOf(ids);
    expect(marked.every((row) => row.status === 'sent')).toBe(true);
    expect(marked.filter((row) => row.attempts === 3)).toHaveLength(1000);
    const received = api.sent.flatMap(usersOf);
    expect(received).toHaveLength(1200);
    expect(new Set(received).size).toBe(1200);
  });

  it('refreshes a revoked token once and sends the batch', async () => {
    await enqueue(textOf('先取一次令牌'), ['t0']);
    const d = dispatcher();
    await d.drain();
    api.invalidateTokens();
    await enqueue(textOf('令牌失效后'), members(5));
    expect(await d.drain()).toMatchObject({ sent: 5, retried: 0 });
    expect(api.tokenRequests).toBe(2);
    expect(api.sent.map((body) => body.touser)).toEqual(['t0', members(5).join('|')]);
  });

  it('sends cards with buttons one per call, each with its own task_id and response_code', async () => {
    const withButton = card('隐患 YH-2026-0001', 'orange', [
      text('请受理'),
      actions(button('受理', 'hazard.accept', { id: '1' }, 'primary')),
    ]);
    const rows = await enqueue(cardOf(withButton), ['h1', 'h2', 'h3']);
    expect(await dispatcher().drain()).toMatchObject({ sent: 3 });
    expect(api.sent.map((body) => body.touser)).toEqual(['h1', 'h2', 'h3']);
    expect(api.sent.map((body) => templateOf(body).task_id)).toEqual(rows.map(taskIdOf));
    for (const row of await rowsOf(rows.map((entry) => entry.id))) {
      expect(row.platformMessageId).toBe(taskIdOf(row));
      expect((row.platformRef as { responseCode?: string }).responseCode).toMatch(/^fake_response_code_/);
    }
  });

  it('sends a card without buttons to many in one checked call; each copy can still be updated', async () => {
    const notice = card('消防演练', 'blue', [text('明天上午九点')]);
    const rows = await enqueue(cardOf(notice), ['n1', 'n2', 'n3']);
    expect(await dispatcher().drain()).toMatchObject({ sent: 3 });
    expect(api.sent).toHaveLength(1);
    const [sent] = api.sent;
    expect(sent).toMatchObject({ touser: 'n1|n2|n3', msgtype: 'template_card', enable_duplicate_check: 1 });
    expect(templateOf(sent!)).toMatchObject({ card_type: 'text_notice', task_id: taskIdOf(rows[0]!) });
    const copies = await rowsOf(rows.map((row) => row.id));
    const msgid = (sendCalls(api)[0]!.response as { msgid: string }).msgid;
    for (const copy of copies) {
      expect(copy.status).toBe('sent');
      expect(copy.platformMessageId).toBe(taskIdOf(copy));
      expect(copy.platformRef).toEqual({ msgid });
    }

    // The subject changed and n2's copy now has a button: a text_notice cannot be updated, so n2 gets a
    // new card, and only n2's copy follows it (its clicks and later updates concern that card).
    const changed = card('消防演练', 'orange', [text('改期'), actions(button('知道了', 'notice.ack', {}))]);
    const [update] = await enqueue(cardOf(changed), ['n2'], 'update', copies[1]!.platformMessageId!);
    expect(await dispatcher().drain()).toMatchObject({ sent: 1 });
    expect(api.updates).toHaveLength(0);
    expect(api.sent).toHaveLength(2);
    expect(api.sent[1]).toMatchObject({ touser: 'n2' });
    expect(templateOf(api.sent[1]!)).toMatchObject({
      card_type: 'button_interaction',
      task_id: taskIdOf(update!),
    });
    const after = await rowsOf(rows.map((row) => row.id));
    expect(after.map((copy) => copy.platformMessageId)).toEqual([
      taskIdOf(rows[0]!),
      taskIdOf(update!),
      taskIdOf(rows[2]!),
    ]);
    expect((after[1]!.platformRef as { responseCode?: string }).responseCode).toMatch(/^fake_response_code_/);
  });

  it('keeps per-member order: an earlier row to a member is sent before a batch that includes them', async () => {
    await enqueue(textOf('先：给 A 的个人消息'), ['A']);
    await enqueue(textOf('后：全体通知一'), ['A', 'B', 'C']);
    await enqueue(textOf('再后：全体通知二'), ['A', 'B', 'C']);
    await enqueue(textOf('最后：给 B 的个人消息'), ['B']);
    expect(await dispatcher().drain()).toMatchObject({ claimed: 8, sent: 8 });
    const seenBy = (user: string) =>
      api.sent.filter((body) => usersOf(body).includes(user)).map((body) => contentOf(body));
    expect(seenBy('A')).toEqual(['先：给 A 的个人消息', '后：全体通知一', '再后：全体通知二']);
    expect(seenBy('B')).toEqual(['后：全体通知一', '再后：全体通知二', '最后：给 B 的个人消息']);
    expect(seenBy('C')).toEqual(['后：全体通知一', '再后：全体通知二']);
    // A is one message behind B and C: their broadcasts go as batches, A's one step later.
    expect(api.sent.map((body) => [contentOf(body), body.touser])).toEqual(
      expect.arrayContaining([
        ['后：全体通知一', 'B|C'],
        ['再后：全体通知二', 'B|C'],
      ]),
    );
    expect(api.sent).toHaveLength(6);
  });

  it('never puts two rows to one member in one call, and sends the second after the first', async () => {
    const rows = await enqueue(textOf('重复的通知'), ['D', 'E', 'D']);
    expect(await dispatcher().drain()).toMatchObject({ sent: 3 });
    expect(api.sent.map((body) => body.touser)).toEqual(['D|E', 'D']);
    const [third] = await database.db.select().from(outbox).where(eq(outbox.id, rows[2]!.id));
    expect(third!.status).toBe('sent');
  });
});
