// The WeCom channel's parts on their own: the sender's error mapping against the fake API, and the
// webhook's answers when the database is down (rendering and normalization: wecom-render.test.ts).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWecomSender, taskIdOf } from '../bot/channels/wecom/sender.ts';
import { createWecomStore, type WecomRef, type WecomStore } from '../bot/channels/wecom/store.ts';
import { DeliveryError, type OutboxRow } from '../bot/core/delivery.ts';
import type { WecomConfig } from '../bot/env.ts';
import { actions, button, card, text } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { inboundEvents, outbox } from '../db/schema.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';
import { openTestDatabase, resetDatabase, seedExample } from './helpers/db.ts';
import { startHarness } from './helpers/service.ts';
import { postWecom, textMessage, WECOM_APP, wecomCallback } from './helpers/wecom-events.ts';

describe('sender', () => {
  const api = new FakeWecomApi({ corpId: 'wwcorp', corpSecret: 's3cret', agentId: 1000002 });
  let config: WecomConfig;
  let database: Database;
  let store: WecomStore;
  /** A real outbox row, as the dispatcher would hand it to the sender. */
  const row = async (overrides: Partial<typeof outbox.$inferInsert> = {}): Promise<OutboxRow> => {
    const [inserted] = await database.db
      .insert(outbox)
      .values({
        tenantId: null,
        channel: 'wecom',
        op: 'send',
        targetKind: 'userid',
        targetId: 'zhangsan',
        body: { kind: 'text', text: '你好' },
        status: 'sending',
        attempts: 1,
        ...overrides,
      })
      .returning();
    return inserted!;
  };
  const refOf = async (id: number) =>
    (await database.db.select().from(outbox).where(eq(outbox.id, id)))[0]?.platformRef as WecomRef | null;
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DeliveryError);
    return error as DeliveryError;
  };

  beforeAll(async () => {
    await api.start();
    database = await openTestDatabase();
    store = createWecomStore(database.db);
    config = {
      corpId: 'wwcorp',
      agentId: 1000002,
      secret: 's3cret',
      token: 't',
      encodingAesKey: WECOM_APP.encodingAesKey,
      apiBase: api.url,
    };
  });
  afterAll(async () => {
    await api.close();
    await database.close();
  });
  beforeEach(async () => {
    api.reset();
    await resetDatabase(database);
  });

  it('sends with the token it caches, and keeps the response_code of a button card', async () => {
    const sender = createWecomSender({ config, store });
    const first = await row();
    expect((await sender.deliver(first)).platformMessageId).toMatch(/^fake_msgid_/);
    const cardRow = await row({
      body: {
        kind: 'card',
        card: card('卡', 'blue', [actions(button('受理', 'hazard.accept', { id: '1' }))]),
      },
    });
    expect((await sender.deliver(cardRow)).platformMessageId).toBe(taskIdOf(cardRow));
    expect((await refOf(cardRow.id))?.responseCode).toMatch(/^fake_response_code_/);
    expect(api.tokenRequests).toBe(1);
    expect(api.sent[0]).toMatchObject({ touser: 'zhangsan', agentid: 1000002, msgtype: 'text' });
    // WeCom's duplicate check compares content: it would silence a second identical text.
    expect(api.sent[0]).not.toHaveProperty('enable_duplicate_check');
    expect(api.sent[1]).toMatchObject({ msgtype: 'template_card', enable_duplicate_check: 1 });
  });

  it('retries rate limits and busy answers, and gives up on other errcodes with the errmsg', async () => {
    const sender = createWecomSender({ config, store });
    api.forceNext({ endpoint: 'send', errcode: 45009 });
    expect((await failure(sender.deliver(await row()))).retryable).toBe(true);
    api.forceNext({ endpoint: 'send', errcode: -1 });
    expect((await failure(sender.deliver(await row()))).retryable).toBe(true);
    api.forceNext({ endpoint: 'send', errcode: 40058 });
    const refused = await failure(sender.deliver(await row()));
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('40058');
    expect(refused.message).toContain('invalid parameter');
  });

  it('refreshes a revoked token once and fails for good on a wrong secret', async () => {
    const sender = createWecomSender({ config, store });
    await sender.deliver(await row());
    api.invalidateTokens();
    await sender.deliver(await row());
    expect(api.sent).toHaveLength(2);
    expect(api.tokenRequests).toBe(2);

    const wrong = createWecomSender({ config: { ...config, secret: 'nope' }, store });
    const error = await failure(wrong.deliver(await row()));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('40001');
  });

  it('refuses recipients WeCom does not know and ids that would widen the audience', async () => {
    const strict = new FakeWecomApi({ corpId: 'wwcorp', corpSecret: 's3cret', knownUsers: ['zhangsan'] });
    await strict.start();
    try {
      const sender = createWecomSender({ config: { ...config, apiBase: strict.url }, store });
      const unknown = await failure(sender.deliver(await row({ targetId: 'nobody' })));
      expect(unknown.retryable).toBe(false);
      expect(unknown.message).toContain('nobody');
    } finally {
      await strict.close();
    }
    const sender = createWecomSender({ config, store });
    for (const targetId of ['@all', 'a|b', '']) {
      expect((await failure(sender.deliver(await row({ targetId })))).retryable).toBe(false);
    }
    expect(api.sent).toHaveLength(0);
  });

  it('lets only new texts and cards without buttons to a member share a call', async () => {
    const sender = createWecomSender({ config, store });
    const keyOf = async (overrides: Partial<typeof outbox.$inferInsert>) =>
      sender.batchKey!(await row(overrides));
    const notice = { kind: 'card' as const, card: card('通知', 'blue', [text('内容')]) };
    const withButton = {
      kind: 'card' as const,
      card: card('卡', 'blue', [actions(button('受理', 'a.b', {}))]),
    };
    // The key is the rendered body: equal for the same message to two members, whatever the row.
    expect(await keyOf({ targetId: 'a' })).toBe(await keyOf({ targetId: 'b' }));
    expect(await keyOf({ body: notice, targetId: 'a' })).toBe(await keyOf({ body: notice, targetId: 'b' }));
    expect(await keyOf({ body: notice })).not.toBe(await keyOf({}));
    expect(await keyOf({ body: { kind: 'text', text: '别的' } })).not.toBe(await keyOf({}));
    for (const overrides of [
      { body: withButton },
      { op: 'update' as const, refMessageId: 'yg1-x', body: notice },
      { op: 'reply' as const },
      { targetKind: 'chat' },
      { targetId: 'a|b' },
      { targetId: '@all' },
    ]) {
      expect(await keyOf(overrides)).toBeUndefined();
    }
    // Handed rows it cannot share, deliverBatch still answers for each, as deliver would.
    const results = await sender.deliverBatch!([
      await row({ body: withButton }),
      await row({ targetId: '@all' }),
    ]);
    expect(
      [...results.values()].map((result) => (result instanceof DeliveryError ? 'error' : 'sent')),
    ).toEqual(['sent', 'error']);
    expect(api.sent).toHaveLength(1);
  });

  it('shows a card as a new message when WeCom refuses the response_code', async () => {
    const sender = createWecomSender({ config, store });
    const copy = await row({
      op: 'send',
      status: 'sent',
      platformMessageId: 'yg1-old',
      body: {
        kind: 'card',
        card: card('卡', 'orange', [actions(button('受理', 'hazard.accept', { id: '1' }))]),
      },
    });
    const update = await row({
      op: 'update',
      refMessageId: 'yg1-old',
      body: { kind: 'card', card: card('卡', 'green', [text('已受理')]) },
      platformRef: { responseCode: 'used-code', codeAt: new Date().toISOString() },
    });
    api.forceNext({ endpoint: 'update_template_card', errcode: 40058 });
    const result = await sender.deliver(update);
    expect(result.platformMessageId).toBe(taskIdOf(update));
    expect(api.sent).toHaveLength(1);
    // Later updates and clicks of the copy now concern the card sent in its place.
    const [moved] = await database.db.select().from(outbox).where(eq(outbox.id, copy.id));
    expect(moved!.platformMessageId).toBe(taskIdOf(update));
  });
});

describe('webhook', () => {
  it('answers 503 when the database is down, so WeCom retries', async () => {
    const database = await openTestDatabase();
    await seedExample(database);
    const harness = await startHarness(database, {}, { wecom: true });
    await database.close();
    try {
      const response = await postWecom(
        harness,
        wecomCallback(textMessage({ from: 'chenjing', content: '报隐患 x' })),
      );
      expect(response.status).toBe(503);
    } finally {
      await harness.close();
    }
  });

  it('refuses a callback for another agent, and says clearly when WeCom is not configured', async () => {
    const database = await openTestDatabase();
    await seedExample(database);
    const withWecom = await startHarness(database, {}, { wecom: true });
    const withoutWecom = await startHarness(database);
    try {
      const inner = textMessage({ from: 'chenjing', content: '你好' }).replace(
        `<AgentID><![CDATA[${WECOM_APP.agentId}]]></AgentID>`,
        '<AgentID><![CDATA[42]]></AgentID>',
      );
      expect(inner).toContain('42');
      expect((await postWecom(withWecom, wecomCallback(inner))).status).toBe(401);
      expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${withoutWecom.url}/webhooks/wecom`, { method });
        expect(response.status).toBe(404);
        expect(await response.text()).toContain('WECOM_CORP_ID');
      }
    } finally {
      await withWecom.close();
      await withoutWecom.close();
      await database.close();
    }
  });
});
