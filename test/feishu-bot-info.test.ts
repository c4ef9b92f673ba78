// The bot's open_id as the webhook asks for it: the real SDK against the fake Feishu, which holds or fails
// GET /open-apis/bot/v3/info on demand. A message must not wait on it past the answer gate.
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botOpenIdLoader } from '../bot/channels/feishu/bot-info.ts';
import { silentLogger } from '../bot/core/log.ts';
import {
  FAKE_APP_ID,
  FAKE_APP_SECRET,
  FAKE_BOT_OPEN_ID,
  type FakeFeishu,
  startFakeFeishu,
} from './fakes/feishu-api.ts';

let fake: FakeFeishu;
let client: lark.Client;

beforeAll(async () => {
  fake = await startFakeFeishu();
  client = new lark.Client({
    appId: FAKE_APP_ID,
    appSecret: FAKE_APP_SECRET,
    domain: fake.url,
    appType: lark.AppType.SelfBuild,
    loggerLevel: lark.LoggerLevel.error,
    logger: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} },
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const infoCalls = () => fake.calls.filter((call) => call.kind === 'bot.info').length;

describe('the bot open_id loader', () => {
  it('gives up waiting after waitMs while Feishu is slow, shares the request, and keeps the id it brings', async () => {
    fake.force({ match: 'bot.info', delayMs: 800 });
    const botOpenId = botOpenIdLoader(async () => client, silentLogger, { waitMs: 150 });
    const started = performance.now();
    const [first, second] = await Promise.all([botOpenId(), botOpenId()]);
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(700);
    // The request goes on; once answered, every caller has the id at once.
    for (let i = 0; i < 100 && (await botOpenId()) === undefined; i++);
    expect(await botOpenId()).toBe(FAKE_BOT_OPEN_ID);
    expect(infoCalls()).toBe(1);
  });

  it('after a failure asks again only retryAfterMs later', async () => {
    let now = 1_000_000;
    fake.force({ match: 'bot.info', networkError: true });
    const botOpenId = botOpenIdLoader(async () => client, silentLogger, {
      waitMs: 5_000,
      retryAfterMs: 60_000,
      now: () => now,
    });
    expect(await botOpenId()).toBeUndefined();
    expect(await botOpenId()).toBeUndefined();
    expect(infoCalls()).toBe(1);
    now += 59_000;
    expect(await botOpenId()).toBeUndefined();
    expect(infoCalls()).toBe(1);
    now += 1_000;
    expect(await botOpenId()).toBe(FAKE_BOT_OPEN_ID);
    expect(infoCalls()).toBe(2);
  });

  it('takes an answer without an open_id as a failure', async () => {
    fake.force({ match: 'bot.info', status: 200, body: { code: 0, msg: 'ok', bot: {} } });
    const botOpenId = botOpenIdLoader(async () => client, silentLogger, { retryAfterMs: 0 });
    expect(await botOpenId()).toBeUndefined();
    expect(await botOpenId()).toBe(FAKE_BOT_OPEN_ID);
    expect(infoCalls()).toBe(2);
  });
});
