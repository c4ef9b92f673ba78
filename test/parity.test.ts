// One behaviour suite, three channels: the same scenarios on Feishu (its webhook and its long connection),
// WeCom and Wechaty, through each channel's real adapter, with the platform faked at its edge (HTTP and
// WebSocket fakes; wechaty-puppet-mock).
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazards, identities, inboundEvents, people } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { FakeWecomBot } from './fakes/wecom-bot.ts';
import { identityOf, seedExample } from './helpers/db.ts';
import { until } from './helpers/faults.ts';
import { cardActionEvent, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { type MockWorld, startMockWechat } from './helpers/wechaty.ts';
import { cardEvent, nextMsgId, postWecom, textMessage, wecomCallback } from './helpers/wecom-events.ts';

const REPORTER = 'chenjing';
const HEAD = 'yinxianju';
const GROUP = 'oc_jishan_safety';

let database: Database;
let harness: Harness;
let world: MockWorld;

const idOf = (code: string, kind: string) => identityOf(database, code, kind);

const inboundCount = async () =>
  (await database.db.select({ n: sql<number>`count(*)::int` }).from(inboundEvents))[0]!.n;

/** Drives one channel the way its users do, and reads what they get back. */
interface Driver {
  /** The transport, for the test titles. */
  name: string;
  channel: 'feishu' | 'wecom' | 'wechaty' | 'wecom_bot';
  /** A member says something to the bot (in the group with an @, or to the app). Returns a redelivery. */
  say(person: string, text: string): Promise<() => Promise<void>>;
  /** Everything the bot sent that this person can see, as text. */
  seenBy(person: string): Promise<string[]>;
  /**
   * Press (or answer) the first button of the last card `owner` got, as `person`; returns what the
   * presser then sees. Someone pressing another's card is what a forged or forwarded press looks like.
   */
  pressFirstButton(person: string, owner?: string): Promise<string>;
}

const settle = () => harness.service.dispatcher.drain();

/** A member @-mentions the bot in the group on Feishu; `transport` carries the event (again, when called). */
function feishuSay(transport: (event: ReturnType<typeof messageEvent>) => Promise<void>): Driver['say'] {
  return async (person, text) => {
    const event = messageEvent({
      openId: await idOf(person, 'open_id'),
      chatId: GROUP,
      mention: [FAKE_BOT_OPEN_ID],
      text,
    });
    const deliver = async () => {
      await transport(event);
      await settle();
    };
    await deliver();
    return deliver;
  };
}

const feishu: Driver = {
  name: 'Feishu webhook',
  channel: 'feishu',
  say: feishuSay(async (event) => {
    expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
  }),
  async seenBy(person) {
    const openId = await idOf(person, 'open_id');
    return harness.feishu.messages
      .filter((message) => message.receiveId === openId || message.replyTo !== undefined)
      .map((message) => JSON.stringify(harness.feishu.contentOf(message.messageId) ?? message.content));
  },
  async pressFirstButton(person, owner = person) {
    const response = await harness.post('/webhooks/feishu', feishuRequest(await feishuPress(person, owner)));
    await settle();
    return JSON.stringify(await response.json());
  },
};

/** The card action event of pressing the first button of the last card `owner` got on Feishu. */
async function feishuPress(person: string, owner: string) {
  const openId = await idOf(person, 'open_id');
  const ownerId = await idOf(owner, 'open_id');
  const card = harness.feishu.messages
    .filter((message) => message.receiveId === ownerId && message.msgType === 'interactive')
    .at(-1)!;
  const value = JSON.stringify(card.content).match(
    /"behaviors":\[\{"type":"callback","value":(\{.*?\}\})/,
  )![1]!;
  return cardActionEvent({ openId, value: JSON.parse(value), messageId: card.messageId });
}

/** Feishu over its long connection (FEISHU_MODE=websocket): the same events, pushed by the fake platform. */
const feishuLongConnection: Driver = {
  name: 'Feishu long connection',
  channel: 'feishu',
  say: feishuSay(async (event) => {
    expect(await harness.feishu.ws.deliver(event)).toMatchObject({ outcome: 'answered', code: 200 });
    await harness.service.inbox.idle();
  }),
  seenBy: (person) => feishu.seenBy(person),
  async pressFirstButton(person, owner = person) {
    const delivery = await harness.feishu.ws.deliver(await feishuPress(person, owner));
    expect(delivery).toMatchObject({ outcome: 'answered', code: 200 });
    await settle();
    return JSON.stringify(delivery.outcome === 'answered' ? delivery.data : undefined);
  },
};

const wecom: Driver = {
  name: 'WeCom app',
  channel: 'wecom',
  async say(person, text) {
    const request = wecomCallback(
      textMessage({ from: await idOf(person, 'userid'), content: text, msgId: nextMsgId() }),
    );
    const deliver = async () => {
      expect((await postWecom(harness, request)).status).toBe(200);
      await settle();
    };
    await deliver();
    return deliver;
  },
  async seenBy(person) {
    const userid = await idOf(person, 'userid');
    return [...harness.wecom!.sent.filter((body) => body.touser === userid), ...harness.wecom!.updates].map(
      (body) => JSON.stringify(body),
    );
  },
  async pressFirstButton(person, owner = person) {
    const userid = await idOf(person, 'userid');
    const ownerId = await idOf(owner, 'userid');
    const body = harness
      .wecom!.sent.filter((sent) => sent.touser === ownerId && sent.msgtype === 'template_card')
      .at(-1)!;
    const card = body.template_card as { task_id: string; button_list?: { key: string }[] };
    const key = card.button_list?.[0]?.key ?? 'no-button';
    const before = harness.wecom!.updates.length;
    await postWecom(harness, wecomCallback(cardEvent({ from: userid, eventKey: key, taskId: card.task_id })));
    await settle();
    const seen = [
      ...harness.wecom!.updates.slice(before),
      ...harness.wecom!.sent.filter((sent) => sent.touser === userid),
    ];
    return JSON.stringify(seen);
  },
};

/** The WeCom 智能机器人 on its fake long connection (test/fakes/wecom-bot.ts), in a WeCom group. */
let bot: FakeWecomBot;
const BOT_GROUP = 'wrkSFfCgAAparity';
let botMsg = 0;

/** Waits until the bot's frame is in the inbox (or, redelivered, dropped there), processed and sent on. */
async function botSettle(before: number) {
  for (let i = 0; i < 50 && (await inboundCount()) <= before; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await until('the inbox is processed', async () => {
    const [row] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(inboundEvents)
      .where(eq(inboundEvents.status, 'pending'));
    return row!.n === 0;
  });
  await harness.service.inbox.idle();
  await settle();
}

const wecomBot: Driver = {
  name: 'WeCom 智能机器人',
  channel: 'wecom_bot',
  async say(person, text) {
    const from = await idOf(person, 'userid');
    const msgid = `parity${++botMsg}`;
    const deliver = async () => {
      const before = await inboundCount();
      bot.pushText({ from, text, chatid: BOT_GROUP, msgid });
      await botSettle(before);
    };
    await deliver();
    return deliver;
  },
  async seenBy(person) {
    const userid = await idOf(person, 'userid');
    return [
      ...bot.sent.filter((sent) => sent.chatid === userid || sent.chatid === BOT_GROUP),
      ...bot.updates,
    ].map((body) => JSON.stringify(body));
  },
  async pressFirstButton(person, owner = person) {
    const userid = await idOf(person, 'userid');
    const ownerId = await idOf(owner, 'userid');
    const sent = bot.sent
      .filter((one) => one.chatid === ownerId && one.body.msgtype === 'template_card')
      .at(-1)!;
    const card = sent.body.template_card as { task_id: string; button_list?: { key: string }[] };
    const [updates, sentBefore] = [bot.updates.length, bot.sent.length];
    bot.pushCardEvent({
      from: userid,
      taskId: card.task_id,
      eventKey: card.button_list?.[0]?.key ?? 'no-button',
    });
    await until('the press is answered', () => bot.updates.length > updates || bot.sent.length > sentBefore);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await settle();
    return JSON.stringify([
      ...bot.updates.slice(updates),
      ...bot.sent.slice(sentBefore).filter((one) => one.chatid === userid),
    ]);
  },
};

/** Waits until the Wechaty adapter has handled the new message(s), then delivers the outbox. */
async function wechatySettle(before: number) {
  for (let i = 0; i < 100 && (await inboundCount()) <= before; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await settle();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const wechaty: Driver = {
  name: 'Wechaty',
  channel: 'wechaty',
  async say(person, text) {
    const contact = world.contact(await idOf(person, 'id'));
    let before = await inboundCount();
    contact.say(text, [world.botUser]).to(world.room);
    await wechatySettle(before);
    const [last] = await database.db
      .select()
      .from(inboundEvents)
      .orderBy(sql`${inboundEvents.id} desc`)
      .limit(1);
    return async () => {
      // The puppet reports the same message again (as after a reconnect): the core dedupes by its id.
      before = await inboundCount();
      world.mocker.puppet.emit('message', { messageId: last!.eventKey });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await settle();
    };
  },
  async seenBy(person) {
    return [...world.privateTo(await idOf(person, 'id')), ...world.inRoom()];
  },
  async pressFirstButton(person) {
    const id = await idOf(person, 'id');
    const before = await inboundCount();
    const seen = world.privateTo(id).length;
    world.contact(id).say('1').to(world.botUser);
    await wechatySettle(before);
    return JSON.stringify(world.privateTo(id).slice(seen));
  },
};

harnessPerFile(
  (opened) => ({ database, harness } = opened),
  async (opened) => {
    await seedExample(opened);
    const wechatIds = (
      await opened.db.select().from(identities).where(eq(identities.channel, 'wechaty'))
    ).map((row) => row.value);
    world = await startMockWechat(wechatIds);
    bot = new FakeWecomBot({ botId: 'aibParity01', secret: 'parity-bot-secret' });
    await bot.start();
    const env = {
      // The webhook keeps serving with a token and key set, so both Feishu transports run side by side.
      FEISHU_MODE: 'websocket',
      WECOM_BOT_ID: 'aibParity01',
      WECOM_BOT_SECRET: 'parity-bot-secret',
      WECOM_BOT_WS_URL: bot.url,
    };
    return { wecom: true, wechaty: world.bot, env };
  },
);
beforeAll(async () => {
  harness.service.startConnections();
  await harness.feishu.ws.waitReady();
  await until('the WeCom bot is connected', () => bot.connected);
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  world.clear();
  bot.sent.length = 0;
  bot.updates.length = 0;
});

describe.each([feishu, feishuLongConnection, wecom, wecomBot, wechaty])('on $name', (driver) => {
  it('reports a hazard: hazard row, a reply the reporter sees, a card with 受理 for the office head', async () => {
    await driver.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const rows = await database.db.select().from(hazards);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sourceChannel).toBe(driver.channel);
    expect((await driver.seenBy(REPORTER)).join('\n')).toContain(rows[0]!.code);
    expect((await driver.seenBy(HEAD)).join('\n')).toContain('受理');
  });

  it('受理 by the office head accepts it and shows the new state; by someone else changes nothing', async () => {
    await driver.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const refused = await driver.pressFirstButton(REPORTER, HEAD);
    expect(refused).not.toContain('已受理');
    expect(refused).toMatch(/只有|不是发给你|没有等待回复/);
    expect((await database.db.select().from(hazards))[0]!.status).toBe('reported');

    const seen = await driver.pressFirstButton(HEAD);
    expect(seen).toContain('已受理');
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.status).toBe('accepted');
    const trail = await database.db.select().from(hazardEvents);
    expect(trail.map((row) => row.action)).toEqual(['report', 'accept']);
  });

  it('受理 of a 重大 hazard asks for 临时管控措施; 受理 … 措施 … and 指派 by a typed name work', async () => {
    await driver.say(REPORTER, '报隐患 教学楼三楼东侧灭火器全部失效，重大');
    const refused = await driver.pressFirstButton(HEAD);
    expect(refused).toContain('临时管控措施');
    const [reported] = await database.db.select().from(hazards);
    expect(reported!.status).toBe('reported');

    await driver.say(HEAD, `受理 ${reported!.code} 措施 已拉警戒线，专人值守`);
    const [accepted] = await database.db.select().from(hazards);
    expect(accepted).toMatchObject({ status: 'accepted', interimMeasures: '已拉警戒线，专人值守' });

    await driver.say(HEAD, `指派 ${reported!.code} 周尹尹`);
    const [office] = await database.db.select().from(people).where(eq(people.code, 'zhouyinyin'));
    expect((await database.db.select().from(hazards))[0]!.rectifierId).toBe(office!.id);
  });

  it('answers unknown text with help', async () => {
    await driver.say(REPORTER, '今天食堂吃什么');
    expect((await driver.seenBy(REPORTER)).join('\n')).toContain('没有看懂');
  });

  it('has no second effect when the same delivery arrives again', async () => {
    const again = await driver.say(REPORTER, '报隐患 食堂后门消防通道被杂物堵塞，一般');
    const seen = (await driver.seenBy(REPORTER)).length;
    await again();
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    expect((await driver.seenBy(REPORTER)).length).toBe(seen);
  });
});

describe('one person on two channels', () => {
  it('is matched to the same member of the organization on each', async () => {
    await feishu.say(REPORTER, '报隐患 二楼走廊应急灯不亮');
    await wecom.say(REPORTER, '报隐患 三楼走廊应急灯不亮');
    await wechaty.say(REPORTER, '报隐患 四楼走廊应急灯不亮');
    const rows = await database.db.select().from(hazards);
    expect(rows.map((row) => row.sourceChannel).sort()).toEqual(['feishu', 'wechaty', 'wecom']);
    expect(new Set(rows.map((row) => row.reporterId)).size).toBe(1);
    const [person] = await database.db.select().from(people).where(eq(people.code, REPORTER));
    expect(rows[0]!.reporterId).toBe(person!.id);
  });
});
