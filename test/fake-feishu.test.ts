import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CARD_LIFETIME_MS,
  FAKE_APP_ID,
  FAKE_APP_SECRET,
  type FakeFeishu,
  FeishuErrorCode,
  startFakeFeishu,
} from './fakes/feishu-api.ts';

const silentLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

function makeClient(fake: FakeFeishu, overrides: Partial<ConstructorParameters<typeof lark.Client>[0]> = {}) {
  return new lark.Client({
    appId: FAKE_APP_ID,
    appSecret: FAKE_APP_SECRET,
    domain: fake.url,
    appType: lark.AppType.SelfBuild,
    loggerLevel: lark.LoggerLevel.error,
    logger: silentLogger,
    ...overrides,
  });
}

const card = {
  schema: '2.0',
  config: { update_multi: true },
  header: { title: { tag: 'plain_text', content: '隐患上报' }, template: 'blue' },
  body: { elements: [{ tag: 'markdown', content: '**请确认**' }] },
};

/** What the SDK throws for non-2xx answers (axios' AxiosError), reduced to what callers rely on. */
interface HttpError {
  name: string;
  isAxiosError?: boolean;
  code?: string;
  response?: { status: number; data: { code?: number; msg?: string }; headers: Record<string, string> };
}

async function catchError(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('expected the call to fail');
}

let fake: FakeFeishu;
let client: lark.Client;
const outgoingUrls: string[] = [];
let interceptorId: number;

beforeAll(async () => {
  fake = await startFakeFeishu();
  // Every request of every Client built without a custom httpInstance goes through this shared instance.
  interceptorId = lark.defaultHttpInstance.interceptors.request.use((config) => {
    outgoingUrls.push(new URL(config.url ?? '', config.baseURL).href);
    return config;
  });
});

afterAll(async () => {
  lark.defaultHttpInstance.interceptors.request.eject(interceptorId);
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  client = makeClient(fake);
});

afterEach(() => {
  // The SDK must never leave the fakes (no token, ticket or API call to open.feishu.cn).
  expect(outgoingUrls.length).toBeGreaterThan(0);
  for (const url of outgoingUrls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open-apis\//);
  outgoingUrls.length = 0;
});

describe('fake Feishu Open API with the real SDK client', () => {
  it('fetches a tenant token and delivers an interactive message to a chat', async () => {
    const res = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_school1', msg_type: 'interactive', content: JSON.stringify(card), uuid: 'u-1' },
    });

    expect(res.code).toBe(0);
    expect(res.data?.message_id).toMatch(/^om_/);
    expect(res.data?.chat_id).toBe('oc_school1');
    expect(res.data?.body?.content).toBe(JSON.stringify(card));
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      messageId: res.data?.message_id,
      chatId: 'oc_school1',
      receiveId: 'oc_school1',
      receiveIdType: 'chat_id',
      msgType: 'interactive',
      content: card,
      uuid: 'u-1',
    });
    const create = fake.calls.find((c) => c.kind === 'message.create');
    expect(create).toMatchObject({
      status: 200,
      code: 0,
      appId: FAKE_APP_ID,
      query: { receive_id_type: 'chat_id' },
    });
  });

  it('sends to a user by open_id in a p2p chat', async () => {
    const res = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: 'ou_teacher', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
    });
    expect(res.data?.chat_id).toMatch(/^oc_/);
    expect(fake.messages[0]).toMatchObject({
      receiveIdType: 'open_id',
      receiveId: 'ou_teacher',
      content: { text: 'hi' },
    });
  });

  it('deduplicates a repeated uuid: same message back, one delivery', async () => {
    const send = () =>
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: {
          receive_id: 'oc_school1',
          msg_type: 'text',
          content: JSON.stringify({ text: 'x' }),
          uuid: 'dup-1',
        },
      });
    const first = await send();
    const second = await send();
    expect(second.data?.message_id).toBe(first.data?.message_id);
    expect(fake.messages).toHaveLength(1);
    expect(fake.calls.filter((c) => c.kind === 'message.create')).toHaveLength(2);
  });

  it('replies (also idempotently) and patches a card', async () => {
    const sent = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_school1', msg_type: 'interactive', content: JSON.stringify(card) },
    });
    const cardId = sent.data?.message_id ?? '';

    const reply = () =>
      client.im.message.reply({
        path: { message_id: cardId },
        data: {
          msg_type: 'text',
          content: JSON.stringify({ text: '收到' }),
          uuid: 'r-1',
          reply_in_thread: true,
        },
      });
    const r1 = await reply();
    const r2 = await reply();
    expect(r2.data?.message_id).toBe(r1.data?.message_id);
    expect(r1.data).toMatchObject({ parent_id: cardId, root_id: cardId, chat_id: 'oc_school1' });
    expect(r1.data?.thread_id).toMatch(/^omt_/);
    expect(fake.messages.filter((m) => m.replyTo === cardId)).toHaveLength(1);

    const updated = { ...card, body: { elements: [{ tag: 'markdown', content: '已处理' }] } };
    const patched = await client.im.message.patch({
      path: { message_id: cardId },
      data: { content: JSON.stringify(updated) },
    });
    expect(patched).toMatchObject({ code: 0, msg: 'success', data: {} });
    expect(fake.patches).toEqual([expect.objectContaining({ messageId: cardId, content: updated })]);
    expect(fake.contentOf(cardId)).toEqual(updated);
  });

  it('answers a raw GET of the bot info', async () => {
    const info = await client.request<{ code: number; bot: { open_id: string; activate_status: number } }>({
      method: 'GET',
      url: '/open-apis/bot/v3/info',
    });
    expect(info.code).toBe(0);
    expect(info.bot.open_id).toBe(fake.botOpenId);
    expect(info.bot.activate_status).toBe(2);
  });

  it('surfaces a forced HTTP 500 as an AxiosError carrying status and body', async () => {
    fake.force({ match: 'messages', status: 500 });
    const error = await catchError(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_school1', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      }),
    );
    expect(error.name).toBe('AxiosError');
    expect(error.isAxiosError).toBe(true);
    expect(error.response?.status).toBe(500);
    expect(error.response?.data.code).toBe(1500);
    expect(fake.messages).toHaveLength(0);
    expect(fake.calls.at(-1)).toMatchObject({ kind: 'message.create', status: 500, forced: true });
  });

  it('resolves (does not throw) on HTTP 200 with a non-zero business code', async () => {
    fake.force({
      match: 'message.create',
      status: 200,
      body: { code: 232011, msg: 'bot is not in the chat' },
    });
    const res = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_other', msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
    });
    expect(res.code).toBe(232011);
  });

  it('supports delays, dropped connections and consumes forced answers in order', async () => {
    fake.force({ match: 'bot.info', delayMs: 30 });
    fake.force({ match: 'bot.info', networkError: true });
    const info = () => client.request({ method: 'GET', url: '/open-apis/bot/v3/info' });

    const started = Date.now();
    await info();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    const dropped = await catchError(info());
    expect(dropped.response).toBeUndefined();
    expect(dropped.code).toBe('ECONNRESET');
    await expect(info()).resolves.toMatchObject({ code: 0 });
  });

  it('enforces the per-chat and per-app rate limits when enabled', async () => {
    fake.rateLimits = { receiverPerSecond: 2 };
    const send = (chat: string) =>
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: chat, msg_type: 'text', content: JSON.stringify({ text: 'x' }) },
      });
    await send('oc_a');
    await send('oc_a');
    const perChat = await catchError(send('oc_a'));
    expect(perChat.response?.status).toBe(400);
    expect(perChat.response?.data.code).toBe(FeishuErrorCode.imRateLimited);
    await send('oc_b');

    fake.reset();
    fake.rateLimits = { appPerSecond: 1 };
    await send('oc_a');
    const perApp = await catchError(send('oc_b'));
    expect(perApp.response?.status).toBe(429);
    expect(perApp.response?.data).toEqual({ code: 99991400, msg: 'request trigger frequency limit' });
    expect(perApp.response?.headers['x-ogw-ratelimit-reset']).toBe('1');
    expect(fake.messages).toHaveLength(1);
  });

  it('updates a card and takes presses on it for 14 days, then refuses the update (230031) and the press', async () => {
    let now = Date.parse('2026-03-02T01:00:00Z');
    const aged = await startFakeFeishu({ now: () => now, rateLimits: { messageUpdatesPerSecond: 5 } });
    try {
      const agedClient = makeClient(aged);
      const sent = await agedClient.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_school1', msg_type: 'interactive', content: JSON.stringify(card) },
      });
      const id = sent.data?.message_id ?? '';
      const patch = () =>
        agedClient.im.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(card) } });
      now += CARD_LIFETIME_MS;
      expect(aged.pressable(id)).toBe(true);
      for (let i = 0; i < 5; i++) expect((await patch()).code).toBe(0);
      // The sixth update of the second: 5 per message per second.
      expect((await catchError(patch())).response?.data.code).toBe(FeishuErrorCode.imRateLimited);
      now += 1;
      expect(aged.pressable(id)).toBe(false);
      const expired = await catchError(patch());
      expect(expired.response?.status).toBe(400);
      expect(expired.response?.data.code).toBe(FeishuErrorCode.imMessageExpired);
      expect(aged.calls.at(-1)).toMatchObject({ kind: 'message.patch', status: 400, code: 230031 });
      expect(aged.patches).toHaveLength(5);
      // A text message, or one the app never sent, is no card to press.
      expect(aged.pressable('om_unknown')).toBe(false);
    } finally {
      await aged.close();
    }
  });

  it('rejects a missing or stale token with HTTP 400, and the SDK does not refresh on its own', async () => {
    const noCache = makeClient(fake, { disableTokenCache: true });
    const missing = await catchError(noCache.request({ method: 'GET', url: '/open-apis/bot/v3/info' }));
    expect(missing.response?.status).toBe(400);
    expect(missing.response?.data.code).toBe(FeishuErrorCode.missingAccessToken);

    const bogus = await catchError(
      noCache.request({ method: 'GET', url: '/open-apis/bot/v3/info' }, lark.withTenantToken('t-bogus')),
    );
    expect(bogus.response?.data.code).toBe(FeishuErrorCode.invalidTenantAccessToken);

    // Separate app: the SDK token cache is module-global and keyed by appId only.
    const other = await startFakeFeishu({ apps: [{ appId: 'cli_revoked_app', appSecret: 's' }] });
    try {
      const revoked = makeClient(other, { appId: 'cli_revoked_app', appSecret: 's' });
      await revoked.request({ method: 'GET', url: '/open-apis/bot/v3/info' });
      other.revokeTokens();
      const stale = await catchError(revoked.request({ method: 'GET', url: '/open-apis/bot/v3/info' }));
      expect(stale.response?.status).toBe(400);
      expect(stale.response?.data.code).toBe(FeishuErrorCode.invalidTenantAccessToken);
      expect(other.calls.filter((c) => c.kind === 'auth.tenant_token')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('refuses a wrong app secret at the token endpoint', async () => {
    const other = await startFakeFeishu({ apps: [{ appId: 'cli_other_app', appSecret: 'right' }] });
    try {
      const wrong = makeClient(other, { appId: 'cli_other_app', appSecret: 'wrong' });
      await expect(wrong.request({ method: 'GET', url: '/open-apis/bot/v3/info' })).rejects.toThrow(
        'failed to get tenant_access_token, code: 10014, msg: app secret invalid',
      );
      expect(other.calls.map((c) => c.kind)).toEqual(['auth.tenant_token']);
    } finally {
      await other.close();
    }
  });

  it('validates request fields like the real API', async () => {
    const error = await catchError(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_a', msg_type: 'text', content: 'not json' },
      }),
    );
    expect(error.response?.data.code).toBe(FeishuErrorCode.imInvalidParam);
    const longUuid = await catchError(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_a', msg_type: 'text', content: '{"text":"x"}', uuid: 'x'.repeat(51) },
      }),
    );
    expect(longUuid.response?.data.code).toBe(FeishuErrorCode.fieldValidationFailed);
    expect(fake.messages).toHaveLength(0);
  });
});
