// The outbox dispatcher against the fake Feishu server: retries, the bound, crash recovery, idempotency.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFeishuClient, createFeishuSender } from '../bot/channels/feishu/sender.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import { createDispatcher } from '../jobs/outbox.ts';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { openTestDatabase, resetDatabase } from './helpers/db.ts';

let database: Database;
let feishu: FakeFeishu;
let now = new Date('2026-03-02T01:00:00Z');
const clock = () => now;

beforeAll(async () => {
  database = await openTestDatabase();
  feishu = await startFakeFeishu();
});
afterAll(async () => {
  await feishu.close();
  await database.close();
});
beforeEach(async () => {
  await resetDatabase(database);
  feishu.reset();
  now = new Date('2026-03-02T01:00:00Z');
});

function dispatcher(maxAttempts = 4) {
  const client = createFeishuClient({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET, domain: feishu.url });
  return createDispatcher({
    db: database.db,
    senders: [createFeishuSender(client)],
    log: silentLogger,
    clock,
    maxAttempts,
  });
}

async function enqueue(text: string, chatId = 'oc_chat_1') {
  const [row] = await database.db
    .insert(outbox)
    .values({
      channel: 'feishu',
      op: 'send',
      targetKind: 'chat',
      targetId: chatId,
      body: { kind: 'text', text },
      nextAttemptAt: now,
    })
    .returning();
  return row!;
}

const rowOf = async (id: number) => (await database.db.select().from(outbox).where(eq(outbox.id, id)))[0]!;

describe('outbox dispatch', () => {
  it('delivers a row once and records the platform message id', async () => {
    const row = await enqueue('你好');
    const stats = await dispatcher().drain();
    expect(stats).toMatchObject({ claimed: 1, sent: 1 });
    const sent = await rowOf(row.id);
    expect(sent.status).toBe('sent');
    expect(sent.platformMessageId).toBe(feishu.messages[0]!.messageId);
    expect(feishu.messages[0]).toMatchObject({ uuid: `outbox-${row.id}`, chatId: 'oc_chat_1' });
  });

  it('retries 500 and 429 with backoff, then delivers exactly once', async () => {
    const row = await enqueue('稍后送达');
    feishu.force({ status: 500, match: 'messages' });
    const d = dispatcher();
    expect(await d.drain()).toMatchObject({ retried: 1, sent: 0 });
    expect((await rowOf(row.id)).status).toBe('pending');
    expect(await d.drain()).toMatchObject({ claimed: 0 }); // not due yet
    now = new Date(now.getTime() + 60_000);
    feishu.force({
      status: 429,
      match: 'messages',
      body: { code: 99991400, msg: 'request trigger frequency limit' },
    });
    expect(await d.drain()).toMatchObject({ retried: 1 });
    now = new Date(now.getTime() + 60_000);
    expect(await d.drain()).toMatchObject({ sent: 1 });
    expect(feishu.messages).toHaveLength(1);
    expect((await rowOf(row.id)).attempts).toBe(3);
  });

  it('gives up after the bound and keeps the row as failed with the reason', async () => {
    const row = await enqueue('永远失败');
    feishu.force({ status: 503, match: 'messages', times: 10 });
    const d = dispatcher(3);
    for (let i = 0; i < 5; i++) {
      await d.drain();
      now = new Date(now.getTime() + 3_600_000);
    }
    const failed = await rowOf(row.id);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(3);
    expect(failed.lastError).toContain('503');
  });

  it('does not retry a permanent refusal', async () => {
    const row = await enqueue('参数错误');
    feishu.force({ status: 400, match: 'messages', body: { code: 230001, msg: 'invalid content' } });
    await dispatcher().drain();
    expect((await rowOf(row.id)).status).toBe('failed');
  });

  it('after a crash between send and mark, the row is sent again with the same uuid and Feishu dedupes it', async () => {
    const row = await enqueue('崩溃恢复');
    await dispatcher().drain();
    // Simulate the crash: the row is left claimed but unmarked, as if the process died after sending.
    await database.db
      .update(outbox)
      .set({ status: 'sending', lockedUntil: new Date(now.getTime() - 1) })
      .where(eq(outbox.id, row.id));
    expect(await dispatcher().drain()).toMatchObject({ claimed: 1, sent: 1 });
    expect(feishu.messages).toHaveLength(1);
    expect(feishu.calls.filter((call) => call.kind === 'message.create')).toHaveLength(2);
  });

  it('keeps messages to one chat in order and does not hand a claimed row to a second dispatcher', async () => {
    for (const text of ['一', '二', '三']) await enqueue(text);
    const first = dispatcher();
    const second = dispatcher();
    const [a, b] = await Promise.all([first.drain(), second.drain()]);
    expect(a.sent + b.sent).toBe(3);
    expect(feishu.messages.map((message) => (message.content as { text: string }).text)).toEqual([
      '一',
      '二',
      '三',
    ]);
  });
});
