// The WeCom channel's parts on their own: rendering limits and fallbacks, normalization, the sender's
// error mapping against the fake API, and the webhook's answers when the database is down.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeButtonKey, encodeButtonKey, normalizeWecom } from '../bot/channels/wecom/normalize.ts';
import { renderWecom } from '../bot/channels/wecom/render.ts';
import { createWecomSender, taskIdOf } from '../bot/channels/wecom/sender.ts';
import { createWecomStore, type WecomRef, type WecomStore } from '../bot/channels/wecom/store.ts';
import { parseWecomMessage } from '../bot/channels/wecom/xml.ts';
import { DeliveryError, type OutboxRow } from '../bot/core/delivery.ts';
import type { WecomConfig } from '../bot/env.ts';
import { actions, button, type Card, card, fields, note, text, truncateBytes } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { inboundEvents, outbox } from '../db/schema.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';
import { loadExample, openTestDatabase, resetDatabase } from './helpers/db.ts';
import { startHarness } from './helpers/service.ts';
import {
  cardEvent,
  imageMessage,
  postWecom,
  textMessage,
  WECOM_APP,
  wecomCallback,
} from './helpers/wecom-events.ts';

const OPTIONS = { taskId: 'yg1-abc', cardUrl: 'https://work.weixin.qq.com/' };
const render = (value: Card) => renderWecom({ kind: 'card', card: value }, OPTIONS);
type Template = Record<string, unknown> & {
  card_type: string;
  button_list?: { key: string; text: string; style: number }[];
  horizontal_content_list?: { keyname: string; value: string }[];
  sub_title_text?: string;
  quote_area?: { quote_text: string };
  card_action?: unknown;
};
const template = (value: Card) => {
  const body = render(value);
  if (body.msgtype !== 'template_card') throw new Error(`expected a card, got ${JSON.stringify(body)}`);
  return body.template_card as Template;
};

describe('render', () => {
  it('renders a card with buttons as button_interaction and one without as text_notice', () => {
    const withButton = template(
      card('隐患 YH-2026-0001', 'orange', [
        fields([['状态', '待受理']]),
        actions(button('受理', 'hazard.accept', { id: '1' }, 'primary')),
      ]),
    );
    expect(withButton.card_type).toBe('button_interaction');
    expect(withButton.task_id).toBe(OPTIONS.taskId);
    expect(withButton.button_list).toEqual([
      { type: 0, text: '受理', style: 1, key: encodeButtonKey('hazard.accept', { id: '1' }) },
    ]);
    const plain = template(card('通知', 'blue', [text('内容')]));
    expect(plain.card_type).toBe('text_notice');
    expect(plain.card_action).toEqual({ type: 1, url: OPTIONS.cardUrl });
    expect(plain.sub_title_text).toBe('内容');
  });

  it('keeps at most six short fields side by side and moves the rest into the text', () => {
    const many = Array.from({ length: 8 }, (_, i) => [`字段${i}`, `值${i}`] as [string, string]);
    const rendered = template(
      card('标题', 'blue', [
        fields([['很长的字段名称', '值'], ['描述', '长'.repeat(40)], ...many]),
        note('提示'),
      ]),
    );
    expect(rendered.horizontal_content_list).toHaveLength(6);
    expect(rendered.horizontal_content_list!.map((entry) => entry.keyname)).toEqual(
      many.slice(0, 6).map(([label]) => label),
    );
    expect(rendered.sub_title_text).toContain('很长的字段名称：值');
    expect(rendered.sub_title_text).toContain('字段7：值7');
    expect(Array.from(rendered.sub_title_text!).length).toBeLessThanOrEqual(160);
    expect(rendered.quote_area?.quote_text).toBe('提示');
  });

  it('truncates long titles and button labels safely', () => {
    const title = `${'标'.repeat(40)}😀`;
    const rendered = template(card(title, 'blue', [actions(button('一个非常非常长的按钮文字', 'x.y', {}))]));
    const main = rendered.main_title as { title: string };
    expect(Array.from(main.title)).toHaveLength(36);
    expect(main.title.endsWith('…')).toBe(true);
    expect(Array.from(rendered.button_list![0]!.text)).toHaveLength(10);
  });

  it('gives duplicate buttons distinct keys and keeps at most six', () => {
    const buttons = Array.from({ length: 8 }, (_, i) => button(`按钮${i}`, 'same.action', { id: '1' }));
    const rendered = template(card('标题', 'blue', [actions(...buttons)]));
    const keys = rendered.button_list!.map((entry) => entry.key);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    expect(keys.map((key) => decodeButtonKey(key)?.action)).toEqual(Array(6).fill('same.action'));
    expect(rendered.quote_area?.quote_text).toContain('文字命令');
  });

  it('shows a form as its submit button, and falls back to text for keys over 1024 bytes and garbage', () => {
    const form: Card = {
      title: '记录检查',
      tone: 'blue',
      blocks: [
        {
          kind: 'form',
          name: 'f',
          inputs: [{ name: 'note', label: '说明' }],
          submit: button('提交', 'a.b', {}),
        },
      ],
    };
    const formCard = template(form);
    expect(formCard.card_type).toBe('button_interaction');
    expect(formCard.button_list?.map((entry) => entry.text)).toEqual(['提交']);

    const huge = render(card('大按钮', 'blue', [actions(button('按', 'a.b', { v: 'x'.repeat(1100) }))]));
    expect(huge.msgtype).toBe('text');

    // A row altered outside the product (its type says Card): rendering still never throws.
    expect(renderWecom({ kind: 'card', card: null as never }, OPTIONS).msgtype).toBe('text');
    expect(renderWecom({ kind: 'card', card: { title: 1 } as never }, OPTIONS).msgtype).toBe('text');
    expect(
      renderWecom({ kind: 'card', card: card('x', 'blue', []) }, { ...OPTIONS, taskId: 'bad id!' }),
    ).toEqual({ msgtype: 'text', text: { content: '【x】' } });
  });

  it('cuts text messages to 2048 bytes without splitting a character', () => {
    const body = renderWecom({ kind: 'text', text: '安'.repeat(1000) }, OPTIONS);
    if (body.msgtype !== 'text') throw new Error('expected text');
    expect(Buffer.byteLength(body.text.content)).toBeLessThanOrEqual(2048);
    expect(body.text.content.endsWith('…（全文见后台）')).toBe(true);
    expect(truncateBytes('😀😀', 6)).toBe('…');
  });
});

describe('normalize', () => {
  it('maps a text message to a p2p message addressed to the bot', () => {
    const message = parseWecomMessage(
      textMessage({ from: 'chenjing', content: ' 报隐患  灭火器过期 ', msgId: '42' }),
    );
    const result = normalizeWecom(message, WECOM_APP.corpId);
    expect(result).toMatchObject({
      kind: 'event',
      event: {
        type: 'message',
        channel: 'wecom',
        eventKey: 'msg:42',
        platformTenant: WECOM_APP.corpId,
        sender: { ids: [{ kind: 'userid', value: 'chenjing' }] },
        chat: { id: 'chenjing', type: 'p2p' },
        messageId: '42',
        text: '报隐患 灭火器过期',
        mentionedBot: true,
        attachments: [],
      },
    });
  });

  it('maps an image to an attachment and a card click to an action on the card', () => {
    const image = normalizeWecom(parseWecomMessage(imageMessage({ from: 'a', mediaId: 'm1' })), 'c');
    expect(image).toMatchObject({ event: { attachments: [{ kind: 'image', key: 'm1' }], text: '' } });
    const key = encodeButtonKey('hazard.accept', { id: '7' });
    const clicked = normalizeWecom(
      parseWecomMessage(
        cardEvent({ from: 'b', eventKey: key, taskId: 'yg5-x', responseCode: 'rc', createTime: 10 }),
      ),
      'c',
    );
    expect(clicked).toEqual({
      kind: 'event',
      event: expect.objectContaining({
        type: 'action',
        action: 'hazard.accept',
        args: { id: '7' },
        messageId: 'yg5-x',
        eventKey: `event:b:10:yg5-x:${key}`,
      }),
      click: { taskId: 'yg5-x', responseCode: 'rc', userId: 'b' },
    });
    const foreign = normalizeWecom(
      parseWecomMessage(cardEvent({ from: 'b', eventKey: 'k', taskId: 't' })),
      'c',
    );
    expect(foreign.kind).toBe('ignored');
  });
});

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
    await loadExample(database);
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
    await loadExample(database);
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
