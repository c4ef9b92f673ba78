// Feishu without an encrypt key (token-only verification), and the webhook when the database is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { hazards } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';
import { APP, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const plain = { encryptKey: undefined };
const report = (text: string) =>
  messageEvent({ openId: 'ou_someone', chatId: 'oc_jishan_safety', mention: [FAKE_BOT_OPEN_ID], text });

describe('token-only verification (no FEISHU_ENCRYPT_KEY)', () => {
  let database: Database;
  let harness: Harness;
  beforeAll(async () => {
    database = await openTestDatabase();
    await seedExample(database);
    harness = await startHarness(database, { FEISHU_ENCRYPT_KEY: '' });
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });

  it('answers a plain url_verification with the right token, and refuses a wrong one', async () => {
    const ok = await harness.post(
      '/webhooks/feishu',
      feishuRequest({ challenge: 'c1', token: APP.token, type: 'url_verification' }, plain),
    );
    expect(await ok.json()).toEqual({ challenge: 'c1' });
    const bad = await harness.post(
      '/webhooks/feishu',
      feishuRequest({ challenge: 'c1', token: 'x', type: 'url_verification' }, plain),
    );
    expect(bad.status).toBe(401);
  });

  it('accepts an event whose header.token matches, refuses one that does not', async () => {
    const good = await harness.post(
      '/webhooks/feishu',
      feishuRequest(report('报隐患 实验室化学品未上锁'), plain),
    );
    expect(good.status).toBe(200);
    const forged = report('报隐患 伪造的隐患');
    forged.header.token = 'forged';
    expect((await harness.post('/webhooks/feishu', feishuRequest(forged, plain))).status).toBe(401);
    const rows = await database.db.select().from(hazards);
    expect(rows.map((row) => row.description)).toEqual(['实验室化学品未上锁']);
  });

  it('refuses an encrypted body it has no key for', async () => {
    const response = await harness.post(
      '/webhooks/feishu',
      feishuRequest(report('报隐患 x'), { encryptKey: 'k' }),
    );
    expect(response.status).toBe(400);
  });
});

describe('when the database is down', () => {
  it('answers webhooks and /healthz with 503, so that Feishu retries', async () => {
    const database = await openTestDatabase();
    await seedExample(database);
    const harness = await startHarness(database);
    await database.close();
    try {
      const response = await harness.post('/webhooks/feishu', feishuRequest(report('报隐患 楼梯扶手松动')));
      expect(response.status).toBe(503);
      expect((await fetch(`${harness.url}/healthz`)).status).toBe(503);
    } finally {
      await harness.close();
    }
  });
});
