// The inbox (bot/core/inbox.ts): a webhook's message is answered once it is written, processed afterwards
// in order per conversation, once, by whichever instance claims it, also after a restart.
import { asc, eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { createInbox } from '../bot/core/inbox.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards, inboundEvents, outbox } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';
let database: Database;
let harness: Harness;
let reporter: string;

harnessPerFile((opened) => ({ database, harness } = opened));
beforeEach(async () => {
  reporter = await identityOf(database, 'chenjing', 'open_id');
});

/** Posts a report as Feishu does, without waiting for its processing. */
async function deliver(event: ReturnType<typeof messageEvent>) {
  const { headers, body } = feishuRequest(event);
  return fetch(`${harness.url}/webhooks/feishu`, { method: 'POST', headers, body });
}

const report = (text: string, chatId = GROUP, chatType: 'group' | 'p2p' = 'group') =>
  messageEvent({ openId: reporter, chatId, chatType, mention: [FAKE_BOT_OPEN_ID], text });

const inboxRows = () => database.db.select().from(inboundEvents).orderBy(asc(inboundEvents.id));

describe('the inbox', () => {
  it('answers once the event is written; what a stopped process left pending is processed on start', async () => {
    const { inbox } = harness.service;
    await inbox.stop();
    const first = report('报隐患 实验楼二楼走廊应急灯不亮，一般');
    const second = report('报隐患 操场东侧围栏松动，一般');
    try {
      expect((await deliver(first)).status).toBe(200);
      expect((await deliver(second)).status).toBe(200);
      expect((await deliver(first)).status).toBe(200); // a redelivery: one row
      const unaddressed = messageEvent({ openId: reporter, chatId: GROUP, text: '报隐患 不是对机器人说的' });
      expect((await deliver(unaddressed)).status).toBe(200);

      const pending = await inboxRows();
      expect(pending.map((row) => [row.eventKey, row.status, row.conversation])).toEqual([
        [first.header.event_id, 'pending', `feishu:chat:${GROUP}`],
        [second.header.event_id, 'pending', `feishu:chat:${GROUP}`],
      ]);
      expect(pending[0]!.payload).toMatchObject({
        type: 'message',
        text: '报隐患 实验楼二楼走廊应急灯不亮，一般',
      });
      expect(await database.db.select().from(hazards)).toEqual([]);
      expect(await database.db.select().from(outbox)).toEqual([]);
      const health = await (await fetch(`${harness.url}/healthz`)).json();
      expect(health).toMatchObject({ ok: true, inbox: { pending: 2 } });
    } finally {
      inbox.start();
    }
    await inbox.idle();

    const done = await inboxRows();
    expect(done.map((row) => row.status)).toEqual(['done', 'done']);
    expect(done.every((row) => row.tenantId !== null && row.processedAt !== null)).toBe(true);
    // What was said is kept where its effect belongs, not in the inbox.
    expect(done.map((row) => row.payload)).toEqual([null, null]);
    const rows = await database.db.select().from(hazards).orderBy(asc(hazards.id));
    expect(rows.map((row) => row.description)).toEqual(['实验楼二楼走廊应急灯不亮', '操场东侧围栏松动']);
    // Each report answered in the group, as a reply to its message.
    const replies = await database.db.select().from(outbox).where(eq(outbox.op, 'reply'));
    expect(replies.map((row) => row.refMessageId).sort()).toEqual(
      [first.event.message.message_id, second.event.message.message_id].sort(),
    );
  });

  it('keeps each chat in arrival order while two instances process chats side by side, each event once', async () => {
    const { inbox } = harness.service;
    await inbox.stop();
    const chats = [GROUP, 'oc_p2p_a', 'oc_p2p_b'];
    const sent: { chat: string; n: number }[] = [];
    try {
      for (let n = 1; n <= 8; n++) {
        for (const chat of chats) {
          const event = report(`报隐患 第${n}号消防栓箱门损坏，一般`, chat, chat === GROUP ? 'group' : 'p2p');
          expect((await deliver(event)).status).toBe(200);
          sent.push({ chat, n });
        }
      }
      // Two processes (another instance, or a restart racing the poll), each with several workers.
      const other = () =>
        createInbox({ db: database.db, core: harness.service.core, log: silentLogger, concurrency: 3 });
      const counts = await Promise.all([other().drain(), other().drain()]);
      expect(counts[0]! + counts[1]!).toBe(sent.length);
    } finally {
      inbox.start();
    }
    await inbox.idle();

    expect((await inboxRows()).map((row) => row.status)).toEqual(sent.map(() => 'done'));
    const rows = await database.db
      .select({ chat: hazards.sourceChatId, description: hazards.description })
      .from(hazards)
      .orderBy(asc(hazards.id));
    expect(rows).toHaveLength(sent.length);
    for (const chat of chats) {
      const order = rows
        .filter((row) => row.chat === chat)
        .map((row) => Number(/第(\d+)号/.exec(row.description)?.[1]));
      expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('answers an event that fails for good with the apology, marks it failed, and goes on with its chat', async () => {
    const { inbox } = harness.service;
    await inbox.stop();
    const failing = report('报隐患 图书馆书架倾斜，一般');
    const next = report('帮助');
    try {
      expect((await deliver(failing)).status).toBe(200);
      expect((await deliver(next)).status).toBe(200);
      // A fault of the database that no retry mends (the table is gone), while the report is processed.
      await database.db.execute(sql`alter table hazards rename to hazards_away`);
      try {
        await createInbox({ db: database.db, core: harness.service.core, log: silentLogger }).drain();
      } finally {
        await database.db.execute(sql`alter table hazards_away rename to hazards`);
      }
    } finally {
      inbox.start();
    }
    const rows = await inboxRows();
    expect(rows.map((row) => row.status)).toEqual(['failed', 'done']);
    expect(rows[0]!.error).toContain('hazards');
    // The failed event keeps its payload for the operator; the processed one does not.
    expect(rows.map((row) => row.payload?.text ?? null)).toEqual(['报隐患 图书馆书架倾斜，一般', null]);
    const replies = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.op, 'reply'))
      .orderBy(asc(outbox.id));
    expect(replies.map((row) => row.refMessageId)).toEqual([
      failing.event.message.message_id,
      next.event.message.message_id,
    ]);
    expect(JSON.stringify(replies[0]!.body)).toContain('处理这条消息时出了错');
    expect(JSON.stringify(replies[1]!.body)).not.toContain('处理这条消息时出了错');
  });

  it('marks a row whose payload is not an event failed, with the reason, and goes on with its chat', async () => {
    const { inbox } = harness.service;
    await inbox.stop();
    const garbled = report('报隐患 食堂后门台阶破损，一般');
    const next = report('帮助');
    try {
      expect((await deliver(garbled)).status).toBe(200);
      expect((await deliver(next)).status).toBe(200);
      // Written by another version, or altered by hand: no time, and text that is not text.
      await database.db.execute(
        sql`update inbound_events set payload = (payload - 'at') || '{"text": 42}'::jsonb
            where event_key = ${garbled.header.event_id}`,
      );
      await createInbox({ db: database.db, core: harness.service.core, log: silentLogger }).drain();
    } finally {
      inbox.start();
    }
    const rows = await inboxRows();
    expect(rows.map((row) => row.status)).toEqual(['failed', 'done']);
    expect(rows[0]!.error).toContain('not an InboundEvent');
    expect(rows[0]!.error).toContain('at');
    expect(rows[0]!.payload).toMatchObject({ text: 42 });
    expect(await database.db.select().from(hazards)).toEqual([]);
    const replies = await database.db.select().from(outbox).where(eq(outbox.op, 'reply'));
    expect(replies.map((row) => row.refMessageId)).toEqual([next.event.message.message_id]);
  });
});
