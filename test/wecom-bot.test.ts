// The WeCom 智能机器人 channel end to end: the real @wecom/aibot-node-sdk against the fake long connection
// (test/fakes/wecom-bot.ts). A group @-report gives the hazard, the reply in the group and the card to the
// unit head; the head's press updates the card within 5 s; another's press is refused; a frame delivered
// twice has one effect; of two instances on one database exactly one holds the connection.
import { readFileSync } from 'node:fs';
import { WSClient } from '@wecom/aibot-node-sdk';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import {
  chats,
  completionPhotos,
  completions,
  connectionLeases,
  hazardPhotos,
  hazards,
  inboundEvents,
  outbox,
  storedFiles,
  tenants,
} from '../db/schema.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { FakeWecomBot } from './fakes/wecom-bot.ts';
import { Browser, fetchFrom, login } from './helpers/console-http.ts';
import { identityOf, openTestDatabase, seedExample, seedExamples } from './helpers/db.ts';
import { until } from './helpers/faults.ts';
import { pdf, png, sha256 } from './helpers/images.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const BOT = { botId: 'aibBotTest01', secret: 'bot-secret-for-tests' };
const GROUP = 'wrkSFfCgAAjishanSafety';
const REPORTER = 'chenjing';
const HEAD = 'yinxianju';

let fake: FakeWecomBot;
let database: Database;
let harness: Harness;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

const env = () => ({
  WECOM_BOT_ID: BOT.botId,
  WECOM_BOT_SECRET: BOT.secret,
  WECOM_BOT_WS_URL: fake.url,
});

type Health = {
  connections?: { wecom_bot?: { role: string; connected: boolean; lastError?: { message: string } } };
};
async function health(of: Harness) {
  return ((await (await fetch(`${of.url}/healthz`)).json()) as Health).connections?.wecom_bot;
}

beforeAll(async () => {
  fake = new FakeWecomBot(BOT);
  await fake.start();
  database = await openTestDatabase();
  harness = await startHarness(database, env(), { clock });
  harness.service.startConnections();
  await until(
    'the bot is connected',
    async () => fake.connected && (await health(harness))?.connected === true,
  );
});
afterAll(async () => {
  await harness?.close();
  await database?.close();
  await fake?.close();
});
beforeEach(async () => {
  offsetMs = 0;
  await harness.service.inbox.idle();
  await harness.service.dispatcher.idle();
  await seedExample(database);
  const [tenant] = await database.db.select().from(tenants);
  await database.db.insert(chats).values({ tenantId: tenant!.id, channel: 'wecom_bot', chatId: GROUP });
  fake.sent.length = 0;
  fake.updates.length = 0;
  fake.refused.length = 0;
});

/** Waits until every inbox event is processed and its messages are sent. */
async function settle() {
  await until('the inbox is processed', async () => {
    const pending = await database.db.select().from(inboundEvents).where(eq(inboundEvents.status, 'pending'));
    return pending.length === 0;
  });
  await harness.service.inbox.idle();
  await harness.service.dispatcher.drain();
}

async function report(text: string, msgid?: string) {
  const before = (await database.db.select().from(inboundEvents)).length;
  const id = fake.pushText({
    from: await identityOf(database, REPORTER, 'userid'),
    chatid: GROUP,
    text,
    msgid,
  });
  await until(
    'the frame is in the inbox',
    async () => (await database.db.select().from(inboundEvents)).length > before || msgid !== undefined,
  );
  await settle();
  return id;
}

type TemplateCard = { card_type: string; task_id: string; button_list?: { text: string; key: string }[] };
const cardsTo = (chatid: string) =>
  fake.sent
    .filter((sent) => sent.chatid === chatid && sent.body.msgtype === 'template_card')
    .map((sent) => sent.body.template_card as TemplateCard);

async function press(person: string, card: TemplateCard, text = '受理') {
  const button = card.button_list!.find((candidate) => candidate.text === text)!;
  const updates = fake.updates.length;
  const sent = fake.sent.length;
  fake.pushCardEvent({
    from: await identityOf(database, person, 'userid'),
    taskId: card.task_id,
    eventKey: button.key,
  });
  await until('the press is answered', () => fake.updates.length > updates || fake.sent.length > sent);
}

/** A second service on the same database, its connections started once the first holds the lease. */
async function secondInstance() {
  // Seeding the school empties every table, the lease's too: the holder takes it again on its next turn.
  await until(
    'the holder has its lease',
    async () => (await database.db.select().from(connectionLeases)).length === 1,
  );
  const second = await startHarness(database, env());
  second.service.startConnections();
  return second;
}

describe('WeCom 智能机器人', () => {
  it('a group @-report: the hazard, the reply in the group, the card with 受理 to the unit head', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    const rows = await database.db.select().from(hazards);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sourceChannel).toBe('wecom_bot');
    expect(JSON.stringify(fake.sent.filter((sent) => sent.chatid === GROUP))).toContain(rows[0]!.code);
    const [card] = cardsTo(HEAD);
    expect(card?.card_type).toBe('button_interaction');
    expect(card?.button_list?.map((button) => button.text)).toContain('受理');
    expect(fake.refused).toEqual([]);
  });

  it('the head’s 受理 updates the pressed card in place; another’s press is refused and changes nothing', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    const [card] = cardsTo(HEAD);

    await press(REPORTER, card!);
    await harness.service.dispatcher.drain();
    expect(fake.updates).toEqual([]);
    const refusal = fake.sent.at(-1)!;
    expect(refusal.chatid).toBe(await identityOf(database, REPORTER, 'userid'));
    expect(JSON.stringify(refusal.body)).toMatch(/只有|不是发给你/);
    expect((await database.db.select().from(hazards))[0]!.status).toBe('reported');

    await press(HEAD, card!);
    expect(fake.updates).toHaveLength(1);
    const update = fake.updates[0]!;
    expect(update.taskId).toBe(card!.task_id);
    expect(JSON.stringify(update.card)).toContain('已受理');
    expect(update.afterMs).toBeLessThan(5000);
    expect((await database.db.select().from(hazards))[0]!.status).toBe('accepted');
    await harness.service.dispatcher.drain();
    // The group's copy cannot be updated without a press on it: its new state comes as a new card.
    const inGroup = fake.sent.filter((sent) => sent.chatid === GROUP).at(-1)!;
    expect(JSON.stringify(inGroup.body)).toContain('已受理');
    // …and the group's copy follows the new card from then on.
    const newTaskId = (inGroup.body.template_card as TemplateCard).task_id;
    const copies = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.targetId, GROUP), inArray(outbox.op, ['send', 'reply'])));
    expect(copies.map((copy) => copy.platformMessageId)).toContain(newTaskId);
    expect(fake.refused).toEqual([]);
  });

  it('a picture in the report is fetched, decrypted with its own key, kept on arrival and shown 3 days later', async () => {
    const before = (await database.db.select().from(inboundEvents)).length;
    const picture = Buffer.from(png('the blocked fire exit'));
    fake.pushMixed({
      from: await identityOf(database, REPORTER, 'userid'),
      chatid: GROUP,
      text: '报隐患 食堂后门消防通道被杂物堵塞，一般',
      images: [picture],
    });
    await until(
      'the frame is in the inbox',
      async () => (await database.db.select().from(inboundEvents)).length > before,
    );
    await settle();
    const [hazard] = await database.db.select().from(hazards);
    const photos = await database.db.select().from(hazardPhotos).where(eq(hazardPhotos.hazardId, hazard!.id));
    expect(photos.map((photo) => [photo.fileKey, photo.fetchStatus, photo.stage])).toEqual([
      [expect.stringMatching(/^wecom_bot:.+:0$/), 'stored', 'before'],
    ]);
    // The event's payload in the inbox names the stored file, never the bytes or the download URL.
    const [file] = await database.db.select().from(storedFiles);
    expect(file).toMatchObject({ id: photos[0]!.fileId, sha256: sha256(picture), contentType: 'image/png' });

    // 3 days later (the download URL long gone) the photo is ours, on the console's hazard page.
    offsetMs = 3 * 24 * 3600_000 + 3600_000;
    const kept = await harness.service.evidence.read(hazard!.tenantId, file!.id);
    expect(Buffer.from(kept!.bytes).equals(picture)).toBe(true);
    await addAdminAccount(database.db, {
      tenantCode: 'jishan-school',
      username: 'office',
      displayName: '周尹尹',
      password: 'correct horse battery',
    });
    const browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
    const { html } = await browser.page('/console/hazards');
    expect(html).toContain(`src="/console/hazards/photos/${photos[0]!.id}/thumb"`);
    const image = await browser.get(`/console/hazards/photos/${photos[0]!.id}`);
    expect(Buffer.from(await image.arrayBuffer()).equals(picture)).toBe(true);
  });

  it("a file that is not an image, sent as the report's picture, is refused on arrival and not stored", async () => {
    const before = (await database.db.select().from(inboundEvents)).length;
    fake.pushMixed({
      from: await identityOf(database, REPORTER, 'userid'),
      chatid: GROUP,
      text: '报隐患 食堂后门消防通道被杂物堵塞，一般',
      images: [Buffer.from('a photo of the blocked fire exit, not a real JPEG')],
    });
    await until(
      'the frame is in the inbox',
      async () => (await database.db.select().from(inboundEvents)).length > before,
    );
    await settle();
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((photo) => [photo.fetchStatus, photo.fileId, photo.fetchError])).toEqual([
      ['failed', null, '不是图片（识别为 未知格式），隐患只收照片'],
    ]);
    expect(await database.db.select().from(storedFiles)).toEqual([]);
    expect(JSON.stringify(fake.sent)).toContain('另有 1 个文件未能保存（不是图片');
  });

  it('a file after 记录 in a single chat is decrypted, kept on arrival with the record, and ours 3 days later', async () => {
    const userid = await identityOf(database, REPORTER, 'userid');
    const push = async (send: () => string) => {
      const before = (await database.db.select().from(inboundEvents)).length;
      send();
      await until(
        'the frame is in the inbox',
        async () => (await database.db.select().from(inboundEvents)).length > before,
      );
      await settle();
    };
    await push(() => fake.pushText({ from: userid, text: '记录 检查 实验室危化品专项检查' }));
    const [record] = await database.db.select().from(completions);
    const sheet = Buffer.from(pdf('the check sheet'));
    await push(() => fake.pushFile({ from: userid, bytes: sheet }));
    const [file] = await database.db.select().from(completionPhotos);
    expect(file).toMatchObject({
      completionId: record!.id,
      channel: 'wecom_bot',
      kind: 'file',
      fetchStatus: 'stored',
    });
    offsetMs = 3 * 24 * 3600_000 + 3600_000;
    const kept = await harness.service.evidence.read(file!.tenantId, file!.fileId!);
    expect(kept?.contentType).toBe('application/pdf');
    expect(Buffer.from(kept!.bytes).equals(sheet)).toBe(true);
    expect(JSON.stringify(fake.sent)).toContain('已将 1 个文件附到记录：检查');
  });

  it('an organization file binds a bot group to its school: an outsider’s report there lands in that school', async () => {
    await seedExamples(database, ['school.yaml', 'bureau.yaml']);
    const source = readFileSync(new URL('../examples/school.yaml', import.meta.url), 'utf8').replace(
      'chats:\n',
      `chats:\n  - { channel: wecom_bot, id: ${GROUP}, name: 集善中学安全群（企业微信） }\n`,
    );
    await importOrganization(database.db, parseOrgFile('school.yaml', source));
    const [school] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const bound = await database.db.select().from(chats).where(eq(chats.chatId, GROUP));
    expect(bound.map((chat) => [chat.channel, chat.tenantId])).toEqual([['wecom_bot', school!.id]]);

    const before = (await database.db.select().from(inboundEvents)).length;
    fake.pushText({ from: 'visitor-parent-01', chatid: GROUP, text: '报隐患 校门口护栏松动，一般' });
    await until(
      'the frame is in the inbox',
      async () => (await database.db.select().from(inboundEvents)).length > before,
    );
    await settle();
    const rows = await database.db.select().from(hazards);
    expect(rows.map((row) => row.tenantId)).toEqual([school!.id]);
  });

  it('a single chat: a member’s message is answered in their single chat', async () => {
    const userid = await identityOf(database, HEAD, 'userid');
    const before = (await database.db.select().from(inboundEvents)).length;
    fake.pushText({ from: userid, text: '帮助' });
    await until(
      'the frame is in the inbox',
      async () => (await database.db.select().from(inboundEvents)).length > before,
    );
    await settle();
    // 帮助 of a unit head is a list: it may go as more than one markdown part, all to their single chat.
    expect(fake.sent.length).toBeGreaterThan(0);
    expect(new Set(fake.sent.map((sent) => sent.chatid))).toEqual(new Set([userid]));
    expect(JSON.stringify(fake.sent[0]!.body)).toContain('报隐患');
  });

  it('a frame delivered twice is processed once', async () => {
    const msgid = await report('报隐患 食堂后门消防通道被杂物堵塞，一般');
    const sent = fake.sent.length;
    fake.pushText({
      from: await identityOf(database, REPORTER, 'userid'),
      chatid: GROUP,
      text: '报隐患 食堂后门消防通道被杂物堵塞，一般',
      msgid,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await settle();
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    expect(fake.sent.length).toBe(sent);
    const rows = await database.db.select().from(inboundEvents).where(eq(inboundEvents.eventKey, msgid));
    expect(rows).toHaveLength(1);
  });

  it('of two instances on one database one holds the connection; the other takes over when it closes', async () => {
    const second = await secondInstance();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await health(second))?.role).toBe('standby');
      expect((await health(harness))?.role).toBe('holder');
      const subscriptions = fake.subscriptions;

      await harness.close();
      await until('the standby takes over', async () => (await health(second))?.connected === true, 15_000);
      expect(fake.subscriptions).toBe(subscriptions + 1);
      expect(fake.connected).toBe(true);
      harness = second;
    } catch (error) {
      await second.close();
      throw error;
    }
  });
});

describe('two instances and the outbox', () => {
  it('a standby meeting a bot row waits without counting an attempt, and the holder sends it', async () => {
    const second = await secondInstance();
    try {
      await until('the second instance is a standby', async () => (await health(second))?.role === 'standby');
      // A row written without a kick: neither dispatcher runs until the test asks (the harness starts none).
      const [tenant] = await database.db.select().from(tenants);
      const [row] = await database.db
        .insert(outbox)
        .values({
          tenantId: tenant!.id,
          channel: 'wecom_bot',
          op: 'send',
          targetKind: 'chat',
          targetId: GROUP,
          body: { kind: 'text', text: '请各处室于本周五前完成消防设施自查。' },
        })
        .returning();
      const rowNow = async () => (await database.db.select().from(outbox).where(eq(outbox.id, row!.id)))[0]!;

      // The standby claims it, cannot send (ChannelNotReady), and puts it back without counting a try.
      const standby = await second.service.dispatcher.runOnce();
      expect(standby).toMatchObject({ claimed: 1, held: 1, sent: 0, retried: 0, failed: 0 });
      const held = await rowNow();
      expect(held).toMatchObject({ status: 'pending', attempts: 0 });
      expect(held.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
      expect(fake.sent).toHaveLength(0);

      // Once it is due again, the holder sends it, on its first try.
      await new Promise((resolve) => setTimeout(resolve, held.nextAttemptAt.getTime() - Date.now() + 50));
      await harness.service.dispatcher.drain();
      expect(await rowNow()).toMatchObject({ status: 'sent', attempts: 1 });
      expect(fake.sent.filter((sent) => sent.chatid === GROUP)).toHaveLength(1);
      expect(JSON.stringify(fake.sent[0]!.body)).toContain('消防设施自查');
    } finally {
      await second.close();
    }
  }, 20_000);
});

describe('the fake long connection, driven by the SDK', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const client = (secret: string) =>
    new WSClient({ botId: BOT.botId, secret, wsUrl: fake.url, maxAuthFailureAttempts: 0, logger: quiet });

  it('refuses a wrong secret, and a second connection for the bot kicks the first', async () => {
    const wrong = client('not-the-secret');
    const errors: string[] = [];
    wrong.on('error', (error) => errors.push(error.message));
    wrong.connect();
    await until('the subscription is refused', () => errors.some((text) => text.includes('40001')));
    wrong.disconnect();

    // The service holds the bot's connection; another client for the same bot takes it over.
    const other = client(BOT.secret);
    try {
      other.connect();
      await until(
        'the service is kicked',
        async () => (await health(harness))?.lastError?.message.includes('kicked') === true,
      );
      expect((await health(harness))?.role).toBe('standby');
      expect(other.isConnected).toBe(true);
    } finally {
      other.disconnect();
    }
  });
});

describe('the fake’s documented limits (heartbeat, the 5 s update window), with short clocks', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  let strict: FakeWecomBot;
  beforeAll(async () => {
    strict = new FakeWecomBot({ ...BOT, idleMs: 400, updateWindowMs: 300 });
    await strict.start();
  });
  afterAll(() => strict.close());

  async function connected(heartbeatInterval: number) {
    const sdk = new WSClient({
      ...BOT,
      wsUrl: strict.url,
      heartbeatInterval,
      maxReconnectAttempts: 0,
      logger: quiet,
    });
    const authenticated = new Promise<void>((resolve) => sdk.once('authenticated', () => resolve()));
    sdk.connect();
    await authenticated;
    return sdk;
  }

  it('drops a client that stops sending heartbeats, and keeps one that sends them', async () => {
    const holder = await connected(60_000);
    let dropped = false;
    holder.on('disconnected', () => {
      dropped = true;
    });
    await until('the silent client is dropped', () => dropped, 3000);
    holder.disconnect();

    const alive = await connected(100);
    let lost = false;
    alive.on('disconnected', () => {
      lost = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(lost).toBe(false);
    alive.disconnect();
  });

  it('takes a card update for a press once, and only within the window', async () => {
    const sdk = await connected(100);
    try {
      const frames: Parameters<typeof sdk.updateTemplateCard>[0][] = [];
      sdk.on('event.template_card_event', (frame) => frames.push(frame));
      const card = { card_type: 'text_notice', main_title: { title: '已受理' }, task_id: 't1' };

      strict.pushCardEvent({ from: 'u1', taskId: 't1', eventKey: 'k' });
      await until('the event arrives', () => frames.length === 1);
      await sdk.updateTemplateCard(frames[0]!, card as never);
      await expect(sdk.updateTemplateCard(frames[0]!, card as never)).rejects.toMatchObject({
        errcode: 40058,
      });

      strict.pushCardEvent({ from: 'u1', taskId: 't1', eventKey: 'k' });
      await until('the event arrives', () => frames.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await expect(sdk.updateTemplateCard(frames[1]!, card as never)).rejects.toMatchObject({
        errmsg: 'the update window after the event has passed',
      });
      expect(strict.updates).toHaveLength(1);
    } finally {
      sdk.disconnect();
    }
  });
});
