// The first slice end to end over HTTP: a Feishu group report → hazard, reply card, card to the office
// head → 受理 via card callback → card updated, audit row. The real SDK talks to a fake Feishu server.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazardPhotos, hazards, inboundEvents, outbox, people, units } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf } from './helpers/db.ts';
import { APP, cardActionEvent, feishuRequest, messageEvent, signRaw } from './helpers/feishu-events.ts';
import { png } from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';
let database: Database;
let harness: Harness;

harnessPerFile((opened) => ({ database, harness } = opened));

const openIdOf = (code: string) => identityOf(database, code, 'open_id');

const REPORTER = 'chenjing';
const ANBAO_HEAD = 'yinxianju';

async function report(text: string, extra: Partial<Parameters<typeof messageEvent>[0]> = {}) {
  const event = messageEvent({
    openId: await openIdOf(REPORTER),
    chatId: GROUP,
    mention: [FAKE_BOT_OPEN_ID],
    text,
    ...extra,
  });
  const response = await harness.post('/webhooks/feishu', feishuRequest(event));
  await harness.service.dispatcher.drain();
  return { event, response };
}

const cardText = (content: unknown) => JSON.stringify(content);

describe('report a hazard from a Feishu group', () => {
  it('creates the hazard, replies in the group and sends the office head a card with 受理', async () => {
    const { event, response } = await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    expect(response.status).toBe(200);

    const rows = await database.db
      .select({ hazard: hazards, unitCode: units.code, reporter: people.code })
      .from(hazards)
      .innerJoin(units, eq(units.id, hazards.unitId))
      .innerJoin(people, eq(people.id, hazards.reporterId));
    expect(rows).toHaveLength(1);
    const [{ hazard, unitCode, reporter }] = rows as [(typeof rows)[0]];
    expect(hazard.code).toMatch(/^YH-JSZX-\d{4}-0001$/);
    expect(hazard.description).toBe('教学楼三楼东侧灭火器过期');
    expect(hazard.status).toBe('reported');
    expect(unitCode).toBe('an-bao-chu');
    expect(reporter).toBe(REPORTER);
    expect(hazard.sourceChatId).toBe(GROUP);

    const reply = harness.feishu.messages.find(
      (message) => message.replyTo === event.event.message.message_id,
    );
    expect(reply?.msgType).toBe('interactive');
    expect(cardText(reply?.content)).toContain(hazard.code);
    expect(cardText(reply?.content)).toContain('安保处');
    expect(cardText(reply?.content)).not.toContain('hazard.accept');

    const headOpenId = await openIdOf(ANBAO_HEAD);
    const headCard = harness.feishu.messages.find((message) => message.receiveId === headOpenId);
    expect(headCard?.receiveIdType).toBe('open_id');
    expect(cardText(headCard?.content)).toContain('受理');
    expect(cardText(headCard?.content)).toContain('hazard.accept');
    // The outbox id is the idempotency key of every send.
    expect(harness.feishu.messages.every((message) => message.uuid?.startsWith('outbox-'))).toBe(true);

    const trail = await database.db.select().from(hazardEvents);
    expect(trail.map((row) => [row.action, row.toStatus])).toEqual([['report', 'reported']]);
  });

  it('受理 by the office head updates the card in place and writes the audit trail', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    const headOpenId = await openIdOf(ANBAO_HEAD);
    const headCard = harness.feishu.messages.find((message) => message.receiveId === headOpenId)!;
    const [hazard] = await database.db.select().from(hazards);

    const press = cardActionEvent({
      openId: headOpenId,
      value: { action: 'hazard.accept', args: { id: String(hazard!.id) } },
      messageId: headCard.messageId,
      chatId: headCard.chatId,
    });
    const response = await harness.post('/webhooks/feishu', feishuRequest(press));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      toast: { type: string; content: string };
      card: { type: string; data: unknown };
    };
    expect(answer.toast.type).toBe('success');
    expect(answer.toast.content).toContain(hazard!.code);
    expect(answer.card.type).toBe('raw');
    expect(cardText(answer.card.data)).toContain('已受理');
    expect(cardText(answer.card.data)).not.toContain('hazard.accept');

    const [accepted] = await database.db.select().from(hazards);
    expect(accepted!.status).toBe('accepted');
    const [head] = await database.db.select().from(people).where(eq(people.code, ANBAO_HEAD));
    expect(accepted!.acceptedById).toBe(head!.id);
    expect(accepted!.acceptedAt).toBeInstanceOf(Date);
    const trail = await database.db.select().from(hazardEvents).orderBy(hazardEvents.id);
    expect(trail.map((row) => [row.action, row.fromStatus, row.toStatus, row.actorId])).toEqual([
      ['report', null, 'reported', trail[0]!.actorId],
      ['accept', 'reported', 'accepted', head!.id],
    ]);

    // The group's copy of the card is patched to show the new state.
    await harness.service.dispatcher.drain();
    const groupReply = harness.feishu.messages.find((message) => message.replyTo);
    const patch = harness.feishu.patches.find((entry) => entry.messageId === groupReply?.messageId);
    expect(cardText(patch?.content)).toContain('已受理');
  });

  it('takes the hazard through 整改 and 复查 to 销号 with card buttons and forms', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    const headOpenId = await openIdOf(ANBAO_HEAD);
    const officeOpenId = await openIdOf('zhouyinyin');
    const [hazard] = await database.db.select().from(hazards);
    const pressAs = async (openId: string, value: unknown, formValue?: Record<string, string>) => {
      const card = harness.feishu.messages.filter((message) => message.receiveId === openId).at(-1)!;
      const response = await harness.post(
        '/webhooks/feishu',
        feishuRequest(cardActionEvent({ openId, value, messageId: card.messageId, formValue })),
      );
      await harness.service.dispatcher.drain();
      return (await response.json()) as {
        toast: { type: string; content: string };
        card?: { data: unknown };
      };
    };
    const id = String(hazard!.id);
    await pressAs(headOpenId, { action: 'hazard.accept', args: { id } });
    const submitted = await pressAs(
      headOpenId,
      { action: 'hazard.submit', args: { id } },
      { measures: '已更换灭火器' },
    );
    expect(submitted.toast.type).toBe('success');
    expect(cardText(submitted.card?.data)).toContain('待复查');
    // The office gets a card to re-inspect; its 复查通过 closes the hazard.
    const officeCard = harness.feishu.messages
      .filter((message) => message.receiveId === officeOpenId)
      .at(-1)!;
    expect(cardText(officeCard.content)).toContain('hazard.pass');
    const passed = await pressAs(officeOpenId, { action: 'hazard.pass', args: { id } });
    expect(passed.toast.content).toContain('已销号');
    const [closed] = await database.db.select().from(hazards);
    expect(closed!.status).toBe('closed');
    const trail = await database.db.select().from(hazardEvents).orderBy(hazardEvents.id);
    expect(trail.map((row) => row.action)).toEqual(['report', 'accept', 'submit', 'pass']);
    // Every copy of the card shows the closed state: the group's copy was patched.
    const groupReply = harness.feishu.messages.find((message) => message.replyTo);
    expect(cardText(harness.feishu.contentOf(groupReply!.messageId))).toContain('已销号');
  });

  it('refuses 受理 by someone else with a toast and changes nothing', async () => {
    await report('报隐患 教学楼三楼东侧灭火器过期，一般');
    const [hazard] = await database.db.select().from(hazards);
    const press = cardActionEvent({
      openId: await openIdOf(REPORTER),
      value: { action: 'hazard.accept', args: { id: String(hazard!.id) } },
    });
    const response = await harness.post('/webhooks/feishu', feishuRequest(press));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { toast: { type: string; content: string }; card?: unknown };
    expect(answer.toast.type).toBe('error');
    expect(answer.toast.content).toContain('安保处负责人');
    expect(answer.card).toBeUndefined();
    const [after] = await database.db.select().from(hazards);
    expect(after!.status).toBe('reported');
    expect(await database.db.select().from(hazardEvents)).toHaveLength(1);
  });

  it('the same event delivered twice has one effect: one hazard, one reply', async () => {
    const first = await report('报隐患 食堂后门消防通道被杂物堵塞，一般');
    const again = await harness.post('/webhooks/feishu', feishuRequest(first.event));
    expect(again.status).toBe(200);
    await harness.service.dispatcher.drain();
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    const replies = harness.feishu.messages.filter(
      (message) => message.replyTo === first.event.event.message.message_id,
    );
    expect(replies).toHaveLength(1);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(1);
  });

  it('attaches an image sent with a follow-up message to the report', async () => {
    await report('报隐患 操场东侧围墙出现裂缝');
    const openId = await openIdOf(REPORTER);
    const image = messageEvent({
      openId,
      chatId: GROUP,
      imageKey: 'img_v2_crack_photo',
      messageId: 'om_crack',
    });
    harness.feishu.addResource({ messageId: 'om_crack', fileKey: 'img_v2_crack_photo', bytes: png('crack') });
    const response = await harness.post('/webhooks/feishu', feishuRequest(image));
    expect(response.status).toBe(200);
    await harness.service.downloads.pump.idle();
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((photo) => [photo.fileKey, photo.channel, photo.fetchStatus])).toEqual([
      ['img_v2_crack_photo', 'feishu', 'stored'],
    ]);
  });

  it('records someone outside the organization as an outside reporter', async () => {
    await report('报隐患 校门口有小摊贩占道', { openId: 'ou_stranger_000001' });
    const [row] = await database.db
      .select({ person: people })
      .from(hazards)
      .innerJoin(people, eq(people.id, hazards.reporterId));
    expect(row!.person.isOutside).toBe(true);
    const reply = harness.feishu.messages.find((message) => message.replyTo);
    expect(cardText(reply?.content)).toContain('外部人员');
  });

  it('routes a report it cannot classify to the leading-group office', async () => {
    await report('报隐患 有个东西看起来不太对劲');
    const [row] = await database.db
      .select({ unitCode: units.code })
      .from(hazards)
      .innerJoin(units, eq(units.id, hazards.unitId));
    expect(row!.unitCode).toBe('ban-gong-shi');
  });

  it('answers unknown text in a p2p chat with help, and ignores group chatter not addressed to the bot', async () => {
    const openId = await openIdOf(REPORTER);
    await harness.post(
      '/webhooks/feishu',
      feishuRequest(messageEvent({ openId, chatId: 'oc_p2p_1', chatType: 'p2p', text: '今天天气怎么样' })),
    );
    await harness.post(
      '/webhooks/feishu',
      feishuRequest(messageEvent({ openId, chatId: GROUP, text: '大家好' })),
    );
    await harness.service.dispatcher.drain();
    const texts = harness.feishu.messages.map((message) => cardText(message.content));
    expect(texts.some((text) => text.includes('没有看懂'))).toBe(true);
    expect(texts.some((text) => text.includes('报隐患'))).toBe(true);
    expect(harness.feishu.messages.every((message) => message.chatId !== GROUP)).toBe(true);
  });

  it('asks politely for a description when 报隐患 has none, and writes no hazard', async () => {
    await report('报隐患');
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    const reply = harness.feishu.messages.find((message) => message.replyTo);
    expect(cardText(reply?.content)).toContain('请在“报隐患”后写明隐患情况');
  });
});

describe('Feishu webhook security', () => {
  const event = () =>
    messageEvent({ openId: 'ou_x', chatId: GROUP, mention: [FAKE_BOT_OPEN_ID], text: '报隐患 楼梯扶手松动' });

  async function assertNoEffect() {
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
    expect(await database.db.select().from(outbox)).toHaveLength(0);
    const health = await fetch(`${harness.url}/healthz`);
    expect(health.status).toBe(200);
  }

  it('refuses a forged signature with 401', async () => {
    const request = feishuRequest(event());
    request.headers['x-lark-signature'] = 'f'.repeat(64);
    expect((await harness.post('/webhooks/feishu', request)).status).toBe(401);
    await assertNoEffect();
  });

  it('refuses a body changed after signing', async () => {
    const request = feishuRequest(event());
    request.body = request.body.replace('"}', ' "}');
    expect((await harness.post('/webhooks/feishu', request)).status).toBe(401);
    await assertNoEffect();
  });

  it('refuses a stale (replayed) request', async () => {
    const request = feishuRequest(event(), {
      encryptKey: APP.encryptKey,
      timestamp: Math.floor(Date.now() / 1000) - 9 * 3600,
    });
    expect((await harness.post('/webhooks/feishu', request)).status).toBe(401);
    await assertNoEffect();
  });

  it('answers garbled bodies with 400', async () => {
    const garbage = [
      'not json',
      '[]',
      '{"encrypt":"@@@@"}',
      `{"encrypt":"${'A'.repeat(43)}="}`,
      '{"plain":true}',
    ];
    for (const body of garbage) {
      // Signed properly, so that only the content is wrong.
      const status = (await harness.post('/webhooks/feishu', signRaw(body))).status;
      expect(status, body).toBe(400);
    }
    await assertNoEffect();
  });

  it('refuses an event with the wrong verification token', async () => {
    const payload = event();
    payload.header.token = 'wrong';
    expect((await harness.post('/webhooks/feishu', feishuRequest(payload))).status).toBe(401);
    await assertNoEffect();
  });

  it('answers url_verification, encrypted and plain', async () => {
    const challenge = { challenge: 'ch-123', token: APP.token, type: 'url_verification' };
    const encrypted = feishuRequest(challenge);
    delete encrypted.headers['x-lark-signature'];
    const response = await harness.post('/webhooks/feishu', encrypted);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'ch-123' });
    const wrong = feishuRequest({ ...challenge, token: 'nope' });
    expect((await harness.post('/webhooks/feishu', wrong)).status).toBe(401);
  });
});
