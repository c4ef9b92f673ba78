// Issue 15 §5 over Feishu: a hazard-like text @-mentioning the bot in a group gets the offer card, the
// writer's press files it (others are refused); a likely duplicate is marked from the head's card.
import { asc } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { hazards, reportOffers } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf } from './helpers/db.ts';
import { cardActionEvent, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

const GROUP = 'oc_jishan_safety';
let database: Database;
let harness: Harness;

harnessPerFile((opened) => ({ database, harness } = opened));

const openIdOf = (code: string) => identityOf(database, code, 'open_id');
const cardText = (content: unknown) => JSON.stringify(content);
const allHazards = () => database.db.select().from(hazards).orderBy(asc(hazards.id));

async function say(code: string, text: string, mention = true) {
  const event = messageEvent({
    openId: await openIdOf(code),
    chatId: GROUP,
    mention: mention ? [FAKE_BOT_OPEN_ID] : [],
    text,
  });
  const response = await harness.post('/webhooks/feishu', feishuRequest(event));
  expect(response.status).toBe(200);
  await harness.service.dispatcher.drain();
  return event;
}

async function press(code: string, value: unknown, messageId?: string) {
  const response = await harness.post(
    '/webhooks/feishu',
    feishuRequest(cardActionEvent({ openId: await openIdOf(code), value, messageId, chatId: GROUP })),
  );
  await harness.service.dispatcher.drain();
  return (await response.json()) as { toast: { type: string; content: string }; card?: { data: unknown } };
}

describe('a hazard-like text in a Feishu group', () => {
  it('is offered only when the bot is @-mentioned, and the writer files it with the card button', async () => {
    await say('chenjing', '食堂冷库门密封条坏了', false);
    expect(harness.feishu.messages).toHaveLength(0);
    expect(await database.db.select().from(reportOffers)).toHaveLength(0);

    const event = await say('chenjing', '食堂冷库门密封条坏了');
    const offer = harness.feishu.messages.find(
      (message) => message.replyTo === event.event.message.message_id,
    );
    expect(cardText(offer?.content)).toContain('要作为隐患上报吗？');
    expect(cardText(offer?.content)).toContain('hazard.offer');
    expect(await allHazards()).toHaveLength(0);
    const [row] = await database.db.select().from(reportOffers);
    const value = { action: 'hazard.offer', args: { offer: String(row!.id) } };

    const foreign = await press('liguoqiang', value, offer?.messageId);
    expect(foreign.toast.type).toBe('error');
    expect(await allHazards()).toHaveLength(0);

    const pressed = await press('chenjing', value, offer?.messageId);
    expect(pressed.toast.type).toBe('success');
    expect(pressed.toast.content).toMatch(/已上报隐患 YH-JSZX-\d{4}-0001/);
    expect(cardText(pressed.card?.data)).toContain('食堂冷库门密封条坏了');
    const [hazard] = await allHazards();
    expect(hazard).toMatchObject({ sourceChatId: GROUP, sourceChannel: 'feishu', status: 'reported' });
    // The head of 总务处 got the card with 受理.
    const headOpenId = await openIdOf('huangchun');
    const headCard = harness.feishu.messages.filter((message) => message.receiveId === headOpenId).at(-1);
    expect(cardText(headCard?.content)).toContain('hazard.accept');

    expect((await press('chenjing', value, offer?.messageId)).toast.type).toBe('error');
    expect(await allHazards()).toHaveLength(1);
  });

  it('tells the second reporter of a likely duplicate; the head marks it from the card', async () => {
    await say('chenjing', '报隐患 食堂冷库门密封条损坏 一般');
    const second = await say('liguoqiang', '报隐患 食堂冷库门关不严 一般');
    const replies = harness.feishu.messages.filter(
      (message) => message.replyTo === second.event.message.message_id,
    );
    expect(replies.some((message) => cardText(message.content).includes('可能与 YH-'))).toBe(true);
    const [original, duplicate] = await allHazards();
    const headOpenId = await openIdOf('huangchun');
    const headCard = harness.feishu.messages.filter((message) => message.receiveId === headOpenId).at(-1)!;
    expect(cardText(headCard.content)).toContain('hazard.duplicate');
    const marked = await press(
      'huangchun',
      { action: 'hazard.duplicate', args: { id: String(duplicate!.id), of: String(original!.id) } },
      headCard.messageId,
    );
    expect(marked.toast.type).toBe('success');
    expect(cardText(marked.card?.data)).toContain(`已并入 ${original!.code}`);
    expect((await allHazards())[1]).toMatchObject({ status: 'rejected', duplicateOfId: original!.id });
  });
});
