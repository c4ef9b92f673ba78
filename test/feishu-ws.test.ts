// Feishu over the long connection (FEISHU_MODE=websocket, the default without a verification token or
// encrypt key): the real SDK WSClient dials the fake Feishu (test/fakes/feishu-ws.ts) on the port of its
// Open API; no inbound port of ours is used for events. Reports, presses, redeliveries, a dropped
// connection and a refused handshake, and what /healthz says meanwhile.
import { beforeAll, describe, expect, it } from 'vitest';
import { feishuConnection } from '../bot/channels/feishu/websocket.ts';
import { createLogger, silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { createService } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazards, inboundEvents } from '../db/schema.ts';
import { FAKE_APP_SECRET, FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import type { WsDelivery } from './fakes/feishu-ws.ts';
import { identityOf } from './helpers/db.ts';
import { cardActionEvent, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';
const REPORTER = 'chenjing';
const HEAD = 'yinxianju';

let database: Database;
let harness: Harness;

// Only the app's id and secret: websocket mode.
harnessPerFile((opened) => ({ database, harness } = opened), {
  env: { FEISHU_VERIFICATION_TOKEN: '', FEISHU_ENCRYPT_KEY: '' },
});

const openIdOf = (code: string) => identityOf(database, code, 'open_id');

async function health() {
  const response = await fetch(`${harness.url}/healthz`);
  return (await response.json()) as { ok: boolean; connections?: { feishu?: Record<string, unknown> } };
}

async function connected() {
  harness.service.startConnections();
  await harness.feishu.ws.waitReady();
}

/** Pushes an event over the connection; once answered, lets the inbox and the outbox finish. */
async function push(envelope: unknown): Promise<WsDelivery> {
  const delivery = await harness.feishu.ws.deliver(envelope);
  await harness.service.inbox.idle();
  await harness.service.dispatcher.drain();
  return delivery;
}

async function report(text: string) {
  const event = messageEvent({
    openId: await openIdOf(REPORTER),
    chatId: GROUP,
    mention: [FAKE_BOT_OPEN_ID],
    text,
  });
  return { event, delivery: await push(event) };
}

/** The 受理 press on the last card the office head got, as `person`. */
async function pressOnHeadCard(person: string) {
  const headId = await openIdOf(HEAD);
  const card = harness.feishu.messages.filter((message) => message.receiveId === headId).at(-1)!;
  const [hazard] = await database.db.select().from(hazards);
  return cardActionEvent({
    openId: await openIdOf(person),
    value: { action: 'hazard.accept', args: { id: String(hazard!.id) } },
    messageId: card.messageId,
    chatId: card.chatId,
  });
}

describe('Feishu over the long connection', () => {
  beforeAll(() => connected());

  it('connects with only the app id and secret; the webhook says events come over the connection', async () => {
    expect(harness.feishu.ws.handshakes.at(-1)).toEqual({ appId: harness.feishu.appId, code: 0 });
    const feishu = (await health()).connections?.feishu;
    expect(feishu).toMatchObject({ state: 'connected', reconnects: 0 });
    expect(JSON.stringify(feishu)).not.toMatch(/ticket|access_key|ws:\/\//);

    const event = messageEvent({ openId: await openIdOf(REPORTER), chatId: GROUP, text: '帮助' });
    const response = await harness.post('/webhooks/feishu', feishuRequest(event, {}));
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('FEISHU_MODE=websocket');
  });

  it('a group @-report arrives over the connection: hazard row, reply through the Open API', async () => {
    const { event, delivery } = await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    expect(delivery).toMatchObject({ outcome: 'answered', code: 200 });
    const rows = await database.db.select().from(hazards);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sourceChannel: 'feishu', sourceChatId: GROUP, status: 'reported' });
    const reply = harness.feishu.messages.find(
      (message) => message.replyTo === event.event.message.message_id,
    );
    expect(JSON.stringify(reply?.content)).toContain(rows[0]!.code);
    const headId = await openIdOf(HEAD);
    expect(JSON.stringify(harness.feishu.messages.find((m) => m.receiveId === headId)?.content)).toContain(
      'hazard.accept',
    );
  });

  it('受理 by the office head is answered in the frame with toast and card; by another person refused', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');

    const wrong = await push(await pressOnHeadCard(REPORTER));
    expect(wrong).toMatchObject({ outcome: 'answered', code: 200 });
    const refusal = (wrong as { data?: { toast?: { type: string; content: string } } }).data;
    expect(refusal?.toast?.type).not.toBe('success');
    expect(JSON.stringify(refusal)).not.toContain('已受理');
    expect((await database.db.select().from(hazards))[0]!.status).toBe('reported');

    const press = await push(await pressOnHeadCard(HEAD));
    expect(press.outcome).toBe('answered');
    if (press.outcome !== 'answered') return;
    expect(press.code).toBe(200);
    expect(press.ms).toBeLessThan(3000);
    console.info(`feishu long connection: 受理 answered in the frame ${press.ms} ms after the push`);
    const answer = press.data as {
      toast: { type: string; content: string };
      card: { type: string; data: unknown };
    };
    expect(answer.toast.type).toBe('success');
    expect(answer.card.type).toBe('raw');
    expect(JSON.stringify(answer.card.data)).toContain('已受理');
    expect((await database.db.select().from(hazards))[0]!.status).toBe('accepted');
    expect((await database.db.select().from(hazardEvents)).map((row) => row.action)).toEqual([
      'report',
      'accept',
    ]);
  });

  it('processes a redelivered event once: the same message twice, the same press twice', async () => {
    const { event } = await report('报隐患 食堂后门消防通道被杂物堵塞，一般');
    const sent = harness.feishu.messages.length;
    expect(await push(event)).toMatchObject({ outcome: 'answered', code: 200 });
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    expect(harness.feishu.messages.length).toBe(sent);

    const press = await pressOnHeadCard(HEAD);
    await push(press);
    const again = await push(press);
    expect(again).toMatchObject({ outcome: 'answered', code: 200, data: { toast: { content: '已处理' } } });
    expect((await database.db.select().from(hazardEvents)).map((row) => row.action)).toEqual([
      'report',
      'accept',
    ]);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(2);
  });

  it('with two instances connected, Feishu gives each event to one; the database keeps one effect', async () => {
    const config = parseConfig({
      FEISHU_APP_ID: harness.feishu.appId,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_DOMAIN: harness.feishu.url,
    });
    const second = await createService({ config, log: silentLogger, database });
    second.startConnections();
    try {
      await harness.feishu.ws.waitReady(2);
      const event = messageEvent({
        openId: await openIdOf(REPORTER),
        chatId: GROUP,
        mention: [FAKE_BOT_OPEN_ID],
        text: '报隐患 实验楼二楼化学品柜未上锁，一般',
      });
      // Redelivered until each instance has had it at least once (one of them at random each time).
      const reached = new Set<number>();
      for (let i = 0; i < 40 && reached.size < 2; i++) {
        const delivery = await harness.feishu.ws.deliver(event);
        expect(delivery).toMatchObject({ outcome: 'answered', code: 200 });
        reached.add(delivery.connection);
      }
      expect(reached.size).toBe(2);
      for (const service of [harness.service, second]) {
        await service.inbox.idle();
        await service.dispatcher.drain();
      }
      expect(await database.db.select().from(hazards)).toHaveLength(1);
      const replies = harness.feishu.messages.filter((m) => m.replyTo === event.event.message.message_id);
      expect(replies).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('reconnects after the connection drops, and events flow again', async () => {
    const before = ((await health()).connections?.feishu?.reconnects as number) ?? 0;
    const dropped = Date.now();
    harness.feishu.ws.drop();
    await harness.feishu.ws.waitReady();
    const reconnectMs = Date.now() - dropped;
    // The SDK waits ReconnectNonce (0 s here) at random, then dials: well under a second on loopback.
    expect(reconnectMs).toBeLessThan(5000);
    await expect
      .poll(async () => (await health()).connections?.feishu)
      .toMatchObject({
        state: 'connected',
        reconnects: before + 1,
      });
    const { delivery } = await report('报隐患 二楼走廊应急灯不亮');
    expect(delivery).toMatchObject({ outcome: 'answered', code: 200 });
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    console.info(`feishu long connection: reconnected ${reconnectMs} ms after the drop`);
  });
});

describe('the connection on its own', () => {
  it('tries again after the SDK gives up on a refusal; its logs name neither the secret nor the ticket', async () => {
    const lines: string[] = [];
    const connection = feishuConnection({
      config: { appId: harness.feishu.appId, appSecret: FAKE_APP_SECRET, domain: harness.feishu.url },
      log: createLogger((line) => lines.push(line)),
      retryMs: 50,
    });
    connection.attach(async () => ({ status: 200, body: {} }));
    harness.feishu.ws.refuse(514, 'app id or app secret is invalid', 2);
    try {
      await connection.start();
      await expect.poll(() => connection.status().state, { timeout: 10_000 }).toBe('connected');
      // Refused twice (the SDK gives up each time), then accepted.
      expect(harness.feishu.ws.handshakes.slice(-3).map((handshake) => handshake.code)).toEqual([
        514, 514, 0,
      ]);
      harness.feishu.ws.drop();
      await expect.poll(() => connection.status().reconnects, { timeout: 10_000 }).toBe(1);
    } finally {
      await connection.close();
    }
    expect(connection.status().state).toBe('closed');
    expect(lines.join('\n')).toContain('514');
    expect(lines.join('\n')).not.toMatch(new RegExp(`${FAKE_APP_SECRET}|ticket=|access_key=`));
  });
});

// Last: the service's connection stays refused (and retrying in the background) from here on.
describe('a refused handshake', () => {
  it('shows in /healthz as failed, with the reason and no secret', async () => {
    harness.feishu.ws.refuse(514, 'app id or app secret is invalid');
    harness.feishu.ws.drop();
    await expect
      .poll(async () => (await health()).connections?.feishu?.state, { timeout: 10_000 })
      .toBe('failed');
    const feishu = (await health()).connections?.feishu;
    expect(JSON.stringify(feishu?.lastError)).toContain('514');
    expect(JSON.stringify(feishu)).not.toContain(FAKE_APP_SECRET);
  });
});
