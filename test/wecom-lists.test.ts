// Issue 18, rules 3 and 4, end to end on the WeCom app against the strict fake (test/fakes/wecom-api.ts):
// list answers (帮助, 我的职责, 隐患台账) arrive whole as text messages within 2048 bytes, split between
// lines with (k/n) parts; a card without buttons that will change carries action_menu and is updated in
// place; a response_code WeCom refuses (72 h, clock) or none left sends a new card and the row ends sent.
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { inertTags } from '../bot/channels/markup.ts';
import type { Database } from '../db/client.ts';
import { hazards, outbox, people, postHolders, posts, tenants } from '../db/schema.ts';
import { commandsFor } from '../handlers/help.ts';
import { createRouter } from '../handlers/index.ts';
import type { FakeWecomApi, WecomSendBody } from './fakes/wecom-api.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { cardEvent, postWecom, textMessage, wecomCallback } from './helpers/wecom-events.ts';

const OFFICE = 'zhouyinyin'; // 办公室主任: sees every command and the whole school's ledger
const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const HOUR = 3600 * 1000;

let database: Database;
let harness: Harness;
let wecom: FakeWecomApi;
let offsetMs = 0;
/** How far the platform's clock is ahead of the service's (a code older for WeCom than we believe). */
let platformAheadMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
/** A callback signed at the service's time (it refuses stale timestamps). */
const callbackNow = (inner: string) =>
  wecomCallback(inner, { timestamp: Math.floor(clock().getTime() / 1000) });
const createTime = () => Math.floor(clock().getTime() / 1000);

harnessPerFile(
  (opened) => {
    ({ database, harness } = opened);
    wecom = harness.wecom!;
  },
  { wecom: { now: () => clock().getTime() + platformAheadMs }, clock },
);

beforeEach(() => {
  offsetMs = 0;
  platformAheadMs = 0;
});

async function say(userId: string, words: string) {
  const response = await postWecom(harness, wecomCallback(textMessage({ from: userId, content: words })));
  expect(response.status).toBe(200);
  await harness.service.dispatcher.drain();
}

const sentTo = (userId: string) => wecom.sent.filter((body) => body.touser === userId);
const textOf = (body: WecomSendBody) => (body.text as { content: string }).content;
const bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/**
 * The text messages of one answer, checked: each within WeCom's 2048 bytes, numbered (k/n) in order when
 * there are several; their content joined without the part lines.
 */
function whole(messages: WecomSendBody[]): string {
  expect(messages.every((body) => body.msgtype === 'text')).toBe(true);
  const texts = messages.map(textOf);
  for (const text of texts) expect(bytes(text)).toBeLessThanOrEqual(2048);
  if (texts.length === 1) return texts[0]!;
  texts.forEach((text, index) => {
    expect(text.startsWith(`（${index + 1}/${texts.length}）\n`)).toBe(true);
  });
  return texts.map((text) => text.slice(text.indexOf('\n') + 1)).join('\n');
}

/** Refusals for a rule (a token dropped by the fake's reset between tests is refreshed, by design). */
const ruleRefusals = () => wecom.refusals.filter((refusal) => refusal.errcode !== 40014);

async function nothingFailed() {
  expect(ruleRefusals()).toEqual([]);
  expect(await database.db.select().from(outbox).where(eq(outbox.status, 'failed'))).toEqual([]);
}

describe('lists on WeCom arrive whole', () => {
  it('帮助 lists every command the router has for the office, in text messages within the limit', async () => {
    await say(OFFICE, '帮助');
    const messages = sentTo(OFFICE);
    expect(messages.length).toBeGreaterThan(1);
    const help = whole(messages);
    const listed = commandsFor(createRouter(), 'office');
    expect(listed.length).toBeGreaterThanOrEqual(25);
    for (const spec of listed) expect(help).toContain(inertTags(`${spec.usage}：${spec.summary}`));
    expect(help).toContain('帮助 报隐患');
    await nothingFailed();
  });

  it('我的职责 of a person with many duties lists every one of them', async () => {
    const [person] = await database.db.select().from(people).where(eq(people.code, REPORTER));
    const [held] = await database.db
      .select({ postId: postHolders.postId })
      .from(postHolders)
      .where(eq(postHolders.personId, person!.id));
    const duties = Array.from(
      { length: 40 },
      (_, i) => `第${i + 1}项：定期检查本岗位涉及的设施设备、用电用火和消防通道，发现隐患及时上报并跟踪整改`,
    );
    await database.db.update(posts).set({ safetyDuties: duties }).where(eq(posts.id, held!.postId));

    await say(REPORTER, '我的职责');
    const messages = sentTo(REPORTER);
    expect(messages.length).toBeGreaterThanOrEqual(3); // about 5 KB of duties
    const answer = whole(messages);
    for (const duty of duties) expect(answer).toContain(`· ${duty}`);
    await nothingFailed();
  });

  it('隐患台账 with 20 open hazards lists all 20', async () => {
    const [school] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const [reporter] = await database.db
      .select()
      .from(people)
      .where(and(eq(people.tenantId, school!.id), eq(people.code, REPORTER)));
    const codes = Array.from({ length: 20 }, (_, i) => `YH-2026-${String(i + 1).padStart(4, '0')}`);
    await database.db.insert(hazards).values(
      codes.map((code, i) => ({
        tenantId: school!.id,
        code,
        description: `第${i + 1}处：教学楼走廊应急照明灯不亮，疏散指示标志被遮挡`,
        place: '教学楼',
        reporterId: reporter!.id,
        sourceChannel: 'wecom' as const,
      })),
    );

    await say(OFFICE, '隐患台账');
    const ledger = whole(sentTo(OFFICE));
    expect(ledger).toContain('共：20 条');
    for (const code of codes) expect(ledger).toContain(code);
    expect(ledger).not.toContain('仅显示前');
    await nothingFailed();
  });

  it('a short answer stays one card', async () => {
    await say(REPORTER, '帮助 报隐患');
    const messages = sentTo(REPORTER);
    expect(messages.map((body) => body.msgtype)).toEqual(['template_card']);
    await nothingFailed();
  });
});

describe('cards that change', () => {
  const cardOf = (body: WecomSendBody | undefined) =>
    body?.template_card as {
      card_type: string;
      task_id: string;
      action_menu?: unknown;
      button_list?: { key: string }[];
    };

  async function report() {
    await say(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const reporterCard = cardOf(sentTo(REPORTER)[0])!;
    const headCard = cardOf(sentTo(HEAD)[0])!;
    return { reporterCard, headCard };
  }

  async function accept(headCard: { task_id: string; button_list?: { key: string }[] }) {
    const event = cardEvent({
      from: HEAD,
      eventKey: headCard.button_list![0]!.key,
      taskId: headCard.task_id,
      responseCode: wecom.clickCode(headCard.task_id),
      createTime: createTime(),
    });
    expect((await postWecom(harness, callbackNow(event))).status).toBe(200);
    await harness.service.dispatcher.drain();
  }

  const reporterRows = () =>
    database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.targetId, REPORTER), eq(outbox.channel, 'wecom')));

  it('a text_notice that will change carries action_menu and is updated in place', async () => {
    const { reporterCard, headCard } = await report();
    expect(reporterCard.card_type).toBe('text_notice');
    expect(reporterCard.action_menu).toBeDefined();
    await accept(headCard);
    expect(sentTo(REPORTER)).toHaveLength(1);
    const updates = wecom.updates.filter((update) => (update.userids as string[]).includes(REPORTER));
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0])).toContain('已受理');
    await nothingFailed();
  });

  it('after 72 hours the change goes out as a new card, and the row ends sent', async () => {
    const { reporterCard, headCard } = await report();
    offsetMs = 73 * HOUR;
    await accept(headCard);
    const toReporter = sentTo(REPORTER);
    expect(toReporter).toHaveLength(2);
    const renewed = cardOf(toReporter[1])!;
    expect(renewed.task_id).not.toBe(reporterCard.task_id);
    expect(JSON.stringify(toReporter[1])).toContain('已受理');
    expect((await reporterRows()).map((row) => row.status)).toEqual(['sent', 'sent']);
    await nothingFailed();
  });

  it('a code WeCom refuses (older for WeCom than we counted) sends a new card; the row ends sent', async () => {
    const { reporterCard, headCard } = await report();
    offsetMs = 70 * HOUR;
    platformAheadMs = 3 * HOUR;
    await accept(headCard);
    // The update was tried with the 73-hour-old code and refused…
    expect(ruleRefusals()).toEqual([
      expect.objectContaining({ endpoint: 'update_template_card', errcode: 40058 }),
    ]);
    expect(ruleRefusals()[0]!.errmsg).toContain('expired');
    // …so the new state came as a new card, which later changes update.
    const toReporter = sentTo(REPORTER);
    expect(toReporter).toHaveLength(2);
    expect(cardOf(toReporter[1])!.task_id).not.toBe(reporterCard.task_id);
    expect(JSON.stringify(toReporter[1])).toContain('已受理');
    expect((await reporterRows()).map((row) => row.status)).toEqual(['sent', 'sent']);
    expect(await database.db.select().from(outbox).where(eq(outbox.status, 'failed'))).toEqual([]);
  });

  it('a tap on the card menu 查看帮助 is answered with the help', async () => {
    const { reporterCard } = await report();
    const before = sentTo(REPORTER).length;
    const tap = cardEvent({
      from: REPORTER,
      eventKey: 'yg-menu-help',
      taskId: reporterCard.task_id,
      responseCode: wecom.clickCode(reporterCard.task_id),
      menu: true,
      createTime: createTime(),
    });
    expect((await postWecom(harness, callbackNow(tap))).status).toBe(200);
    await harness.service.dispatcher.drain();
    const answer = sentTo(REPORTER).slice(before);
    expect(answer.length).toBeGreaterThan(0);
    expect(JSON.stringify(answer)).toContain('报隐患');
    await nothingFailed();
  });
});
