// The first slice end to end over HTTP on WeCom: a member's message to the app → hazard, reply card,
// button card to the office head → 受理 via template_card_event → card updated with update_template_card,
// audit row. The sender talks to a fake WeCom API; callbacks are encrypted and signed like WeCom's.
import { createDecipheriv } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeButtonKey } from '../bot/channels/wecom/normalize.ts';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazardPhotos, hazards, inboundEvents, outbox, people } from '../db/schema.ts';
import type { FakeWecomApi, WecomSendBody } from './fakes/wecom-api.ts';
import { png } from './helpers/images.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import {
  cardEvent,
  imageMessage,
  nextMsgId,
  otherEvent,
  postWecom,
  signEnvelope,
  textMessage,
  WECOM_APP,
  WECOM_VECTOR,
  wecomCallback,
  wecomCrypto,
  wecomPadLength,
} from './helpers/wecom-events.ts';

const REPORTER = 'chenjing';
const ANBAO_HEAD = 'yinxianju';

let database: Database;
let harness: Harness;
let fake: FakeWecomApi;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

harnessPerFile(
  (opened) => {
    ({ database, harness } = opened);
    fake = harness.wecom!;
  },
  { wecom: true, clock },
);
beforeEach(() => {
  offsetMs = 0;
});

type TemplateCard = {
  card_type: string;
  task_id: string;
  main_title: { title: string };
  button_list?: { text: string; key: string; style: number }[];
  quote_area?: { quote_text: string };
};
const cardOf = (body: WecomSendBody | Record<string, unknown> | undefined) =>
  body?.template_card as TemplateCard | undefined;
const sentTo = (userId: string) => fake.sent.filter((body) => body.touser === userId);
const json = (value: unknown) => JSON.stringify(value);
/** The response_code message/send returned for the card with this task_id. */
const sendCodeOf = (taskId: string) =>
  fake.log
    .filter((call) => call.endpoint === 'send' && json(call.body).includes(taskId))
    .map((call) => (call.response as { response_code?: string }).response_code)
    .find(Boolean);

async function say(content: string, from = REPORTER, msgId = nextMsgId()) {
  const response = await postWecom(harness, wecomCallback(textMessage({ from, content, msgId })));
  await harness.service.dispatcher.drain();
  return response;
}

/** update_template_card calls for a member's copy. */
const updatesTo = (userId: string) =>
  fake.updates.filter((update) => (update.userids as string[] | undefined)?.includes(userId));

async function click(from: string, card: TemplateCard, responseCode?: string) {
  const inner = cardEvent({ from, eventKey: card.button_list![0]!.key, taskId: card.task_id, responseCode });
  const response = await postWecom(harness, wecomCallback(inner));
  await harness.service.dispatcher.drain();
  return response;
}

describe('URL verification (GET)', () => {
  const get = (query: string) => fetch(`${harness.url}/webhooks/wecom?${query}`);
  const vectorQuery = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      msg_signature: WECOM_VECTOR.msgSignature,
      timestamp: WECOM_VECTOR.timestamp,
      nonce: WECOM_VECTOR.nonce,
      echostr: WECOM_VECTOR.echostr,
      ...overrides,
    }).toString();

  it('answers the official vector with the decrypted echostr as plain text', async () => {
    const response = await get(vectorQuery());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(WECOM_VECTOR.plain);
  });

  it('accepts an echostr whose + signs were not percent-encoded', async () => {
    const raw = `msg_signature=${WECOM_VECTOR.msgSignature}&timestamp=${WECOM_VECTOR.timestamp}&nonce=${WECOM_VECTOR.nonce}&echostr=${WECOM_VECTOR.echostr.replaceAll('/', '%2F').replaceAll('=', '%3D')}`;
    expect(raw).toContain('+');
    const response = await get(raw);
    expect(await response.text()).toBe(WECOM_VECTOR.plain);
  });

  it('refuses a wrong signature (401) and missing parameters (400)', async () => {
    const forged = await get(vectorQuery({ msg_signature: '0'.repeat(40) }));
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain(WECOM_VECTOR.plain);
    expect((await get('timestamp=1&nonce=2')).status).toBe(400);
  });
});

describe('report a hazard in the WeCom app', () => {
  it('creates the hazard, replies with a card and sends the office head a card with 受理', async () => {
    const response = await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');

    const [hazard, ...more] = await database.db.select().from(hazards);
    expect(more).toHaveLength(0);
    expect(hazard!.description).toBe('教学楼三楼东侧灭火器过期');
    expect(hazard!.sourceChannel).toBe('wecom');
    expect(hazard!.sourceChatId).toBe(REPORTER);

    const [reply, ...otherReplies] = sentTo(REPORTER);
    expect(otherReplies).toHaveLength(0);
    expect(reply!.msgtype).toBe('template_card');
    expect(reply!.agentid).toBe(WECOM_APP.agentId);
    expect(cardOf(reply)!.card_type).toBe('text_notice');
    expect(json(reply)).toContain(hazard!.code);
    expect(json(reply)).toContain('安保处');
    expect(json(reply)).not.toContain('hazard.accept');

    const [headCard] = sentTo(ANBAO_HEAD);
    const card = cardOf(headCard)!;
    expect(card.card_type).toBe('button_interaction');
    expect(card.main_title.title).toContain(hazard!.code);
    expect(card.button_list!.map((entry) => entry.text)).toEqual(['受理', '指派', '驳回']);
    expect(card.button_list![0]!.text).toBe('受理');
    expect(decodeButtonKey(card.button_list![0]!.key)).toEqual({
      action: 'hazard.accept',
      args: { id: String(hazard!.id) },
    });
    // Idempotent card sends: WeCom drops a re-send of the same body after a crash between send and mark.
    expect(fake.sent.map((body) => [body.msgtype, body.enable_duplicate_check])).toEqual([
      ['template_card', 1],
      ['template_card', 1],
    ]);
    expect(fake.sent.every((body) => Number(body.duplicate_check_interval) > 0)).toBe(true);

    // The card's task_id is its platform message id; its response_code is kept for a later update.
    const [row] = await database.db.select().from(outbox).where(eq(outbox.targetId, ANBAO_HEAD));
    expect(row!.status).toBe('sent');
    expect(row!.platformMessageId).toBe(card.task_id);
    expect(sendCodeOf(card.task_id)).toEqual(expect.any(String));
    expect(row!.platformRef).toMatchObject({ responseCode: sendCodeOf(card.task_id) });

    const trail = await database.db.select().from(hazardEvents);
    expect(trail.map((entry) => [entry.action, entry.toStatus])).toEqual([['report', 'reported']]);
  });

  it('受理 by the office head updates the clicked card with update_template_card and writes the audit trail', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const card = cardOf(sentTo(ANBAO_HEAD)[0])!;
    const [hazard] = await database.db.select().from(hazards);

    const clickCode = fake.clickCode(card.task_id);
    const response = await click(ANBAO_HEAD, card, clickCode);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');

    const [accepted] = await database.db.select().from(hazards);
    expect(accepted!.status).toBe('accepted');
    const [head] = await database.db.select().from(people).where(eq(people.code, ANBAO_HEAD));
    expect(accepted!.acceptedById).toBe(head!.id);
    const trail = await database.db.select().from(hazardEvents).orderBy(hazardEvents.id);
    expect(trail.map((entry) => [entry.action, entry.fromStatus, entry.toStatus, entry.actorId])).toEqual([
      ['report', null, 'reported', trail[0]!.actorId],
      ['accept', 'reported', 'accepted', head!.id],
    ]);

    // The clicked card, with the click's own response_code; the toast shows inside it.
    expect(updatesTo(ANBAO_HEAD)).toHaveLength(1);
    const update = updatesTo(ANBAO_HEAD)[0]!;
    expect(update).toMatchObject({
      userids: [ANBAO_HEAD],
      agentid: WECOM_APP.agentId,
      response_code: clickCode,
    });
    const updated = update.template_card as TemplateCard;
    expect(updated.task_id).toBe(card.task_id);
    expect(json(updated)).toContain('已受理');
    expect(json(updated)).not.toContain('hazard.accept');
    expect(updated.quote_area?.quote_text).toContain(`已受理 ${hazard!.code}`);
    // No extra message for a success: the card is the feedback.
    expect(sentTo(ANBAO_HEAD)).toHaveLength(1);

    // The reporter's card has no buttons but will change: a text_notice with action_menu, whose
    // response_code from message/send lets it be updated in place once.
    const toReporter = sentTo(REPORTER);
    expect(toReporter).toHaveLength(1);
    const reporterCard = cardOf(toReporter[0])!;
    expect(reporterCard.card_type).toBe('text_notice');
    expect(reporterCard).toHaveProperty('action_menu');
    const [reporterUpdate] = updatesTo(REPORTER);
    expect(reporterUpdate).toMatchObject({ response_code: sendCodeOf(reporterCard.task_id) });
    expect(json(reporterUpdate)).toContain('已受理');
    const failed = await database.db.select().from(outbox).where(eq(outbox.status, 'failed'));
    expect(failed).toEqual([]);
  });

  it('refuses 受理 by someone else, tells them politely and changes nothing', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const card = cardOf(sentTo(ANBAO_HEAD)[0])!;
    const before = fake.sent.length;

    const response = await click(REPORTER, card, fake.clickCode(card.task_id));
    expect(response.status).toBe(200);

    const [after] = await database.db.select().from(hazards);
    expect(after!.status).toBe('reported');
    expect(await database.db.select().from(hazardEvents)).toHaveLength(1);
    expect(fake.updates).toHaveLength(0);
    const told = fake.sent.slice(before);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ touser: REPORTER, msgtype: 'text' });
    expect(json(told[0])).toContain('安保处负责人');
  });

  it('the same MsgId delivered twice has one effect: one hazard, one reply', async () => {
    const request = wecomCallback(
      textMessage({ from: REPORTER, content: '报隐患 食堂后门消防通道被杂物堵塞，一般' }),
    );
    expect((await postWecom(harness, request)).status).toBe(200);
    await harness.service.dispatcher.drain();
    const again = await postWecom(harness, request);
    expect(again.status).toBe(200);
    await harness.service.dispatcher.drain();
    expect(await database.db.select().from(hazards)).toHaveLength(1);
    expect(sentTo(REPORTER)).toHaveLength(1);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(1);
  });

  it('decrypts a message whose padding is longer than 16 bytes', async () => {
    let content = '报隐患 操场东侧围墙出现裂缝';
    const msgId = nextMsgId();
    const inner = (text: string) =>
      textMessage({ from: REPORTER, content: text, msgId, createTime: 1700000000 });
    while (wecomPadLength(inner(content)) <= 16) content += ' ';
    const request = wecomCallback(inner(content));
    // Check the precondition on the wire: the last byte of the plaintext is the pad length.
    const key = Buffer.from(`${WECOM_APP.encodingAesKey}=`, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(request.body)![1]!;
    const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
    expect(plain[plain.length - 1]).toBeGreaterThan(16);

    const response = await postWecom(harness, request);
    expect(response.status).toBe(200);
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.description).toBe('操场东侧围墙出现裂缝');
  });

  it('attaches a photo sent after the report, and updates the head card with the code from message/send', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const card = cardOf(sentTo(ANBAO_HEAD)[0])!;
    const sendCode = sendCodeOf(card.task_id);
    expect(sendCode).toEqual(expect.any(String));

    fake.addMedia(png('crack'), 'image/png', 'media_crack_photo');
    const image = imageMessage({ from: REPORTER, mediaId: 'media_crack_photo' });
    expect((await postWecom(harness, wecomCallback(image))).status).toBe(200);
    await harness.service.downloads.pump.idle();
    await harness.service.dispatcher.drain();

    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((photo) => [photo.fileKey, photo.channel, photo.fetchStatus])).toEqual([
      ['media_crack_photo', 'wecom', 'stored'],
    ]);
    expect(updatesTo(ANBAO_HEAD)).toHaveLength(1);
    expect(updatesTo(ANBAO_HEAD)[0]).toMatchObject({ userids: [ANBAO_HEAD], response_code: sendCode });
    expect(json(updatesTo(ANBAO_HEAD)[0])).toContain('1 张');
    // The code is used up now.
    const [row] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.platformMessageId, card.task_id), eq(outbox.op, 'send')));
    expect(row!.platformRef).not.toHaveProperty('responseCode');
  });
});

describe('cards already sent', () => {
  async function photo(mediaId: string) {
    fake.addMedia(png(mediaId), 'image/png', mediaId);
    const response = await postWecom(harness, wecomCallback(imageMessage({ from: REPORTER, mediaId })));
    expect(response.status).toBe(200);
    await harness.service.downloads.pump.idle();
    await harness.service.dispatcher.drain();
  }

  it('keeps the response_code when update_template_card fails for a while, and uses it on the retry', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const card = cardOf(sentTo(ANBAO_HEAD)[0])!;
    const sendCode = sendCodeOf(card.task_id);
    fake.failNext(1, 'update_template_card');
    await photo('media_1');
    // The head's copy (the reporter's card is another row).
    const [pending] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.op, 'update'), eq(outbox.targetId, ANBAO_HEAD)));
    expect(pending!.status).toBe('pending');
    const [copy] = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.platformMessageId, card.task_id), eq(outbox.op, 'send')));
    expect(copy!.platformRef).toMatchObject({ responseCode: sendCode });

    offsetMs = 10 * 60 * 1000;
    await harness.service.dispatcher.drain();
    expect(updatesTo(ANBAO_HEAD)).toHaveLength(1);
    expect(updatesTo(ANBAO_HEAD)[0]).toMatchObject({ response_code: sendCode });
  });

  it('sends the new state as a new card once the codes are used up; that card then answers clicks', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const first = cardOf(sentTo(ANBAO_HEAD)[0])!;
    await photo('media_1'); // uses the code from message/send
    await photo('media_2'); // none left: a new card
    expect(updatesTo(ANBAO_HEAD)).toHaveLength(1);
    const cards = sentTo(ANBAO_HEAD).map((body) => cardOf(body)!);
    expect(cards).toHaveLength(2);
    const second = cards[1]!;
    expect(second.task_id).not.toBe(first.task_id);
    expect(json(second)).toContain('2 张');
    expect(second.button_list?.[0]?.text).toBe('受理');
    // The head's copy now follows the new card: a click on it is a click on the copy.
    const copies = await database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.platformMessageId, second.task_id), eq(outbox.op, 'send')));
    expect(copies.map((row) => row.targetId)).toEqual([ANBAO_HEAD]);

    const clickCode = fake.clickCode(second.task_id);
    await click(ANBAO_HEAD, second, clickCode);
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.status).toBe('accepted');
    const last = updatesTo(ANBAO_HEAD).at(-1)!;
    expect(last).toMatchObject({ response_code: clickCode });
    expect((last.template_card as TemplateCard).task_id).toBe(second.task_id);
    expect(await database.db.select().from(outbox).where(eq(outbox.status, 'failed'))).toEqual([]);
  });
});

describe('refused and ignored callbacks', () => {
  it('refuses a forged signature with 401 and writes nothing', async () => {
    const request = wecomCallback(textMessage({ from: REPORTER, content: '报隐患 伪造的消息' }));
    const forged = {
      ...request,
      query: request.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'a'.repeat(40)}`),
    };
    const response = await postWecom(harness, forged);
    expect(response.status).toBe(401);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    expect(await database.db.select().from(outbox)).toHaveLength(0);
  });

  it('refuses a message encrypted for another CorpID', async () => {
    const other = wecomCrypto('wwsomeothercorp0001');
    const request = wecomCallback(textMessage({ from: REPORTER, content: '报隐患 别的企业的消息' }), {
      crypto: other,
    });
    const response = await postWecom(harness, request);
    expect(response.status).toBe(401);
    expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
  });

  it('answers 400, never 5xx, to garbage', async () => {
    const garbage = [
      { query: '?msg_signature=x&timestamp=1&nonce=2', body: 'not xml at all' },
      { query: '?msg_signature=x&timestamp=1&nonce=2', body: '<xml><ToUserName>x</ToUserName></xml>' },
      { query: '', body: '<xml><Encrypt>abc</Encrypt></xml>' },
      signEnvelope('bm90IGEgY2lwaGVydGV4dA=='),
      wecomCallback('<xml><MsgType>text</MsgType></xml>'),
      wecomCallback('this is not xml'),
    ];
    for (const request of garbage) {
      const response = await postWecom(harness, request);
      expect(response.status, request.body).toBe(400);
    }
    expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
  });

  it('ignores events it does not handle with an empty 200', async () => {
    const response = await postWecom(harness, wecomCallback(otherEvent(REPORTER)));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(await database.db.select().from(inboundEvents)).toHaveLength(0);
  });

  it('refuses a replayed request with an old timestamp', async () => {
    const request = wecomCallback(textMessage({ from: REPORTER, content: '报隐患 旧消息' }), {
      timestamp: Math.floor(Date.now() / 1000) - 2 * 86400,
    });
    expect((await postWecom(harness, request)).status).toBe(401);
  });
});

describe('delivery', () => {
  it('refreshes an expired access token and delivers', async () => {
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    expect(sentTo(ANBAO_HEAD)).toHaveLength(1);
    const tokensBefore = fake.tokenRequests;

    fake.expireToken();
    await say('报隐患 教学楼四楼西侧灭火器过期，一般');
    expect(sentTo(ANBAO_HEAD)).toHaveLength(2);
    expect(sentTo(REPORTER)).toHaveLength(2);
    expect(fake.tokenRequests).toBeGreaterThan(tokensBefore);
    expect(fake.log.some((call) => (call.response as { errcode?: number }).errcode === 42001)).toBe(true);
    const rows = await database.db.select().from(outbox);
    expect(rows.every((row) => row.status === 'sent')).toBe(true);
  });

  it('retries after a WeCom 500 and delivers once', async () => {
    fake.failNext(1, 'send');
    await say('报隐患 教学楼三楼东侧灭火器过期，一般');
    const pending = await database.db.select().from(outbox).where(eq(outbox.status, 'pending'));
    expect(pending).toHaveLength(1);
    expect(pending[0]!.lastError).toContain('500');

    offsetMs = 10 * 60 * 1000;
    await harness.service.dispatcher.drain();
    const rows = await database.db.select().from(outbox);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent']);
    expect(rows.map((row) => row.attempts).sort()).toEqual([1, 2]);
    expect(sentTo(REPORTER)).toHaveLength(1);
    expect(sentTo(ANBAO_HEAD)).toHaveLength(1);
  });
});
