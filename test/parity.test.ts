// One behaviour suite on every transport (issue 17 §5): the same scenarios on Feishu (its webhook and its
// long connection), WeCom (the app and the 智能机器人), Wechaty and the web console's chat simulator,
// through each channel's real adapter, with the platform faked at its edge (HTTP and WebSocket fakes;
// wechaty-puppet-mock). The console is driven over its own HTTP routes, as a browser posts them.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Channel } from '../bot/core/types.ts';
import { parseConfig } from '../bot/env.ts';
import { createService, type Service } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { markTenantDemo } from '../db/queries/tenants.ts';
import { hazardEvents, hazards, identities, inboundEvents, outbox, people, tenants } from '../db/schema.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { FakeWecomBot } from './fakes/wecom-bot.ts';
import { Browser, csrfOf, pressForms } from './helpers/console-http.ts';
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

/** Where a member talks to the bot: in the safety group with an @, or in a single chat with it. */
type Where = 'group' | 'single';

/** Drives one channel the way its users do, and reads what they get back. */
interface Driver {
  /** The transport, for the test titles. */
  name: string;
  channel: Channel;
  /** The safety group's chat id, on a transport with groups (the WeCom app's and the console's are single). */
  group?: () => string;
  /**
   * A member says something to the bot, in the group (where the transport has one) or in a single chat.
   * Returns a redelivery of the same message.
   */
  say(person: string, text: string, where?: Where): Promise<() => Promise<void>>;
  /** Everything the bot sent that this person can see, as text. */
  seenBy(person: string): Promise<string[]>;
  /**
   * Press (or answer) the first button of the last card `owner` got, as `person`; returns what the
   * presser then sees. Someone pressing another's card is what a forged or forwarded press looks like.
   */
  pressFirstButton(person: string, owner?: string): Promise<string>;
}

const settle = () => harness.service.dispatcher.drain();

/**
 * A member @-mentions the bot in the group on Feishu, or writes to it in their p2p chat; `transport` carries
 * the event (again, when called).
 */
function feishuSay(transport: (event: ReturnType<typeof messageEvent>) => Promise<void>): Driver['say'] {
  return async (person, text, where = 'group') => {
    const openId = await idOf(person, 'open_id');
    const event =
      where === 'group'
        ? messageEvent({ openId, chatId: GROUP, mention: [FAKE_BOT_OPEN_ID], text })
        : messageEvent({ openId, chatId: `oc_p2p_${person}`, chatType: 'p2p', text });
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
  group: () => GROUP,
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

/**
 * Feishu over its long connection (FEISHU_MODE=websocket): the same events, pushed by the fake platform.
 * Only receiving differs: what the bot sends (replies, cards, reminders) goes through the same Open API as
 * the webhook's, so it arrives at the fake API either way.
 */
const feishuLongConnection: Driver = {
  name: 'Feishu long connection',
  channel: 'feishu',
  group: () => GROUP,
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

/** The WeCom 自建应用: its chat is the member's single chat with the app, wherever they are asked to talk. */
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
  group: () => BOT_GROUP,
  async say(person, text, where = 'group') {
    const from = await idOf(person, 'userid');
    const msgid = `parity${++botMsg}`;
    // A message without a chatid is the member's single chat with the bot.
    const chatid = where === 'group' ? BOT_GROUP : undefined;
    const deliver = async () => {
      const before = await inboundCount();
      bot.pushText({ from, text, chatid, msgid });
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
  group: () => world.room.id,
  async say(person, text, where = 'group') {
    const contact = world.contact(await idOf(person, 'id'));
    let before = await inboundCount();
    if (where === 'group') contact.say(text, [world.botUser]).to(world.room);
    else contact.say(text).to(world.botUser);
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

/**
 * The web console's chat simulator (the `console` channel) over its HTTP routes, as a browser posts them:
 * `POST /console/say` and `POST /console/press` acting as a member, and the conversation page `/?person=`.
 * Acting as any member is a demo feature (no platform credentials), so this is a second service on the
 * same database, started without credentials, whose app the browser fetches (the fetch its HTTP server
 * serves). Its chat is a member's single chat with the bot. Its dispatcher has only the console's sender;
 * it is asked to deliver only by its own posts, in the console's scenarios, when the outbox holds console
 * rows alone.
 */
let demo: Service;
let browser: Browser;

const memberId = async (code: string) =>
  String((await database.db.select().from(people).where(eq(people.code, code)))[0]!.id);

/** One message of the simulator's conversation, up to the next or to the compose form. */
const MESSAGE =
  /<div class="msg (?:bot|user)"[\s\S]*?(?=<div class="msg |<form method="post" action="\/console\/say")/g;

/** A member's conversation page: the flash (the answer to a press, shown once) and the messages. */
async function conversation(person: string) {
  const page = await browser.page(`/?person=${await memberId(person)}`);
  expect(page.response.status).toBe(200);
  const flash = /class="flash [^"]*"[^>]*>([^<]*)/.exec(page.html)?.[1];
  return { flash, messages: [...page.html.matchAll(MESSAGE)].map((match) => match[0]) };
}

const consoleDriver: Driver = {
  name: 'console',
  channel: 'console',
  async say(person, text) {
    const member = await memberId(person);
    const home = await browser.page(`/?person=${member}`);
    // The compose form as the page gave it: its page key makes the same form sent twice one event.
    const form = {
      _csrf: csrfOf(home.html),
      person: member,
      page: home.html.match(/name="page" value="([^"]+)"/)![1]!,
      text,
    };
    const send = async () => {
      const said = await browser.post('/console/say', form);
      expect(said.status).toBe(303);
      await demo.dispatcher.drain();
    };
    await send();
    // A redelivery is what a browser repeats: the same form sent again (a double click, a resend).
    return send;
  },
  async seenBy(person) {
    return (await conversation(person)).messages;
  },
  async pressFirstButton(person, owner = person) {
    const card = (await conversation(owner)).messages
      .filter((message) => message.includes('/console/press'))
      .at(-1)!;
    const [first] = pressForms(card);
    const pressed = await browser.post('/console/press', {
      ...first!.hidden,
      person: await memberId(person),
    });
    expect(pressed.status).toBe(303);
    await demo.dispatcher.drain();
    const seen = await conversation(person);
    return [seen.flash ?? '', ...seen.messages].join('\n');
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
  // Demo mode opens only a database of demo-made schools: the example school is marked so for the start
  // (the school seeded afresh before each test is not, which a started service no longer looks at).
  const [school] = await database.db.select().from(tenants);
  await markTenantDemo(database.db, school!.id);
  demo = await createService({ config: parseConfig({}), log: silentLogger, database });
  expect(demo.demo).toBe(true);
  browser = new Browser((path, init) => demo.app.request(path, init));
});
afterAll(async () => {
  await demo?.close();
  await bot?.close();
});
beforeEach(() => {
  world.clear();
  bot.sent.length = 0;
  bot.updates.length = 0;
});

const drivers = [feishu, feishuLongConnection, wecom, wecomBot, wechaty, consoleDriver];
describe.each(drivers)('on $name', (driver) => {
  it.each(['group', 'single'] as const)(
    'reports a hazard in a %s chat: hazard row, the reply the reporter sees there, a card with 受理 for the office head',
    async (where) => {
      await driver.say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般', where);
      const rows = await database.db.select().from(hazards);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.sourceChannel).toBe(driver.channel);
      // Where the transport has a group, the report came from it or from the single chat, as said.
      if (driver.group) expect(rows[0]!.sourceChatId === driver.group()).toBe(where === 'group');
      expect((await driver.seenBy(REPORTER)).join('\n')).toContain(rows[0]!.code);
      expect((await driver.seenBy(HEAD)).join('\n')).toContain('受理');
    },
  );

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

  it('reminds the office head, on this transport, of a 重大 hazard nobody accepted', async () => {
    await driver.say(REPORTER, '报隐患 教学楼三楼东侧灭火器全部失效，重大');
    const [hazard] = await database.db.select().from(hazards);
    // A reminder goes to a person's own channel: the first of the channels that are on they have an
    // identity on (addressOf in db/queries/org.ts). The job runs as at a school with only this transport
    // on, an hour after the report (half of hazard_accept_grave_hours).
    const later = new Date(hazard!.createdAt.getTime() + 61 * 60_000);
    const channels = new Set([driver.channel]);
    await runHazardDeadlines({ db: database.db, channels, log: silentLogger, now: later });
    await settle();
    const reminded = async () =>
      (await driver.seenBy(HEAD)).filter((message) => message.includes('至今未受理'));
    await until('the reminder is seen', async () => (await reminded()).length > 0);
    expect(await reminded()).toHaveLength(1);
    const [head] = await database.db.select().from(people).where(eq(people.code, HEAD));
    const [last] = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.personId, head!.id))
      .orderBy(sql`${outbox.id} desc`)
      .limit(1);
    expect(last).toMatchObject({ channel: driver.channel, status: 'sent' });
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
