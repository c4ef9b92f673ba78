// Issue 18 rule 2: a Feishu card can be updated and pressed only within 14 days of sending, while a 重大
// hazard stays open for 30 working days. A card that old (or nearly) is sent anew when its hazard changes,
// and the new card is the one updated from then on; one Feishu refuses for its age likewise. The service,
// the fake Feishu and the signatures all run on the test's clock, moved over days.
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { RESENT_NOTE } from '../bot/channels/feishu/sender.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards, outbox } from '../db/schema.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
import { FAKE_BOT_OPEN_ID, FeishuErrorCode } from './fakes/feishu-api.ts';
import { identityOf } from './helpers/db.ts';
import { APP, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const DAY_MS = 24 * 3600 * 1000;
// After the real time: rows the core writes are due from the database's now() (a Monday, 09:00 in Shanghai).
const START = new Date('2027-03-01T01:00:00Z');
let now = START;
const clock = () => now;
const atDay = (days: number) => {
  now = new Date(START.getTime() + days * DAY_MS);
};

let database: Database;
let harness: Harness;
harnessPerFile(
  (opened) => {
    ({ database, harness } = opened);
  },
  { clock, feishu: { now: () => now.getTime() } },
);

async function say(code: string, text: string, chat: { id: string; group: boolean }) {
  const event = messageEvent({
    openId: await identityOf(database, code, 'open_id'),
    chatId: chat.id,
    chatType: chat.group ? 'group' : 'p2p',
    mention: chat.group ? [FAKE_BOT_OPEN_ID] : [],
    text,
  });
  const signed = feishuRequest(event, {
    encryptKey: APP.encryptKey,
    timestamp: Math.floor(now.getTime() / 1000),
  });
  expect((await harness.post('/webhooks/feishu', signed)).status).toBe(200);
  await harness.service.dispatcher.drain();
}

/** Day 0: a 重大 hazard reported in the group; its card goes to the unit head. */
async function report() {
  atDay(0);
  await say('chenjing', '报隐患 学生放学路线旁围墙倾斜 重大', { id: 'oc_jishan_safety', group: true });
  const [hazard] = await database.db.select().from(hazards);
  const head = await identityOf(database, 'huangchun', 'open_id');
  const cards = headCards(head, hazard!.code);
  expect(cards).toHaveLength(1);
  return { hazard: hazard!, head, card: cards[0]! };
}

function headCards(head: string, code: string) {
  return harness.feishu.messages.filter(
    (message) =>
      message.receiveId === head &&
      message.msgType === 'interactive' &&
      JSON.stringify(message.content).includes(code),
  );
}

const updatesOf = (messageId: string) =>
  database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.op, 'update'), eq(outbox.refMessageId, messageId)));
const patchCalls = (messageId: string) =>
  harness.feishu.calls.filter((call) => call.kind === 'message.patch' && call.path.endsWith(`/${messageId}`));
const failedRows = () => database.db.select().from(outbox).where(eq(outbox.status, 'failed'));
const privateChat = { id: 'oc_p2p_huangchun', group: false };

describe('a Feishu card that outlives 14 days', () => {
  it('is sent anew when its hazard changes on day 15, and the new card is the one updated on day 16', async () => {
    const { hazard, head, card } = await report();

    atDay(15);
    expect(harness.feishu.pressable(card.messageId)).toBe(false);
    await say('huangchun', `受理 ${hazard.code} 措施 拉设警戒线，学生绕行`, privateChat);

    // No update is tried on a card Feishu would refuse; a new card with the new state goes to the head.
    expect(patchCalls(card.messageId)).toHaveLength(0);
    const cards = headCards(head, hazard.code);
    expect(cards).toHaveLength(2);
    const fresh = cards[1]!;
    expect(JSON.stringify(fresh.content)).toContain('拉设警戒线');
    expect(JSON.stringify(fresh.content)).toContain(RESENT_NOTE);
    expect(harness.feishu.pressable(fresh.messageId)).toBe(true);
    const [update] = await updatesOf(card.messageId);
    expect(update).toMatchObject({ status: 'sent', platformMessageId: fresh.messageId });
    const [copy] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.op, 'send'), eq(outbox.targetId, head), eq(outbox.subject, update!.subject!)));
    expect(copy).toMatchObject({ platformMessageId: fresh.messageId });
    expect(await failedRows()).toEqual([]);

    atDay(16);
    await say('huangchun', `整改完成 ${hazard.code} 已加固围墙并设置警示牌`, privateChat);
    expect(headCards(head, hazard.code)).toHaveLength(2);
    expect(patchCalls(fresh.messageId)).toEqual([expect.objectContaining({ status: 200 })]);
    const latest = JSON.stringify(harness.feishu.contentOf(fresh.messageId));
    expect(latest).toContain('已加固围墙');
    expect(latest).not.toContain(RESENT_NOTE);
    expect(await updatesOf(fresh.messageId)).toEqual([
      expect.objectContaining({ status: 'sent', platformMessageId: fresh.messageId }),
    ]);
    expect(patchCalls(card.messageId)).toHaveLength(0);
    expect(await failedRows()).toEqual([]);
  });

  it('with a reminder card beside it, goes out once, and the two copies are updated as one card', async () => {
    const { hazard, head, card } = await report();
    // 61 minutes on, the 重大 hazard is still not accepted: a reminder card to the head, a second copy.
    now = new Date(START.getTime() + 61 * 60_000);
    await runHazardDeadlines({ db: database.db, channels: harness.service.channels, log: silentLogger, now });
    await harness.service.dispatcher.drain();
    const [, reminder] = headCards(head, hazard.code);
    expect(JSON.stringify(reminder!.content)).toContain('至今未受理');

    atDay(15);
    await say('huangchun', `受理 ${hazard.code} 措施 拉设警戒线，学生绕行`, privateChat);
    const cards = headCards(head, hazard.code);
    expect(cards).toHaveLength(3);
    const fresh = cards[2]!;
    expect(JSON.stringify(fresh.content)).toContain('拉设警戒线');
    expect(patchCalls(card.messageId)).toHaveLength(0);
    expect(patchCalls(reminder!.messageId)).toHaveLength(0);
    expect((await updatesOf(card.messageId)).concat(await updatesOf(reminder!.messageId))).toEqual([
      expect.objectContaining({ status: 'sent', platformMessageId: fresh.messageId }),
      expect.objectContaining({ status: 'sent', platformMessageId: fresh.messageId }),
    ]);
    expect(await failedRows()).toEqual([]);

    atDay(16);
    await say('huangchun', `整改完成 ${hazard.code} 已加固围墙并设置警示牌`, privateChat);
    expect(headCards(head, hazard.code)).toHaveLength(3);
    expect(patchCalls(fresh.messageId)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(JSON.stringify(harness.feishu.contentOf(fresh.messageId))).toContain('已加固围墙');
  });

  it('is sent anew when Feishu refuses its update for age, and the row ends sent', async () => {
    const { hazard, head, card } = await report();

    // Day 10 by our records, but Feishu says the card has expired: its word is the one that counts.
    atDay(10);
    harness.feishu.force({
      match: (call) => call.kind === 'message.patch' && call.path.endsWith(`/${card.messageId}`),
      status: 400,
      body: { code: FeishuErrorCode.imMessageExpired, msg: 'Message has expired when updating message' },
    });
    await say('huangchun', `受理 ${hazard.code} 措施 拉设警戒线，学生绕行`, privateChat);

    expect(patchCalls(card.messageId)).toEqual([
      expect.objectContaining({ status: 400, code: FeishuErrorCode.imMessageExpired }),
    ]);
    const cards = headCards(head, hazard.code);
    expect(cards).toHaveLength(2);
    const fresh = cards[1]!;
    expect(JSON.stringify(fresh.content)).toContain('拉设警戒线');
    const [update] = await updatesOf(card.messageId);
    expect(update).toMatchObject({ status: 'sent', platformMessageId: fresh.messageId, attempts: 1 });
    expect(await failedRows()).toEqual([]);

    atDay(11);
    await say('huangchun', `整改完成 ${hazard.code} 已加固围墙并设置警示牌`, privateChat);
    expect(headCards(head, hazard.code)).toHaveLength(2);
    expect(patchCalls(fresh.messageId)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(JSON.stringify(harness.feishu.contentOf(fresh.messageId))).toContain('已加固围墙');
  });

  it('is updated in place while it is younger than 13.5 days', async () => {
    const { hazard, head, card } = await report();
    atDay(13);
    await say('huangchun', `受理 ${hazard.code} 措施 拉设警戒线，学生绕行`, privateChat);
    expect(headCards(head, hazard.code)).toHaveLength(1);
    expect(patchCalls(card.messageId)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(JSON.stringify(harness.feishu.contentOf(card.messageId))).toContain('拉设警戒线');
  });
});
