// Issue 15 §1 over a platform channel: a 重大 hazard reported in a Feishu group and not accepted reaches the
// 第一责任人 and the office through the real Feishu sender, once however often the job runs, and stops when
// the unit head presses 受理 on the card.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { Database } from '../db/client.ts';
import { hazards } from '../db/schema.ts';
import { runHazardDeadlines } from '../jobs/hazard-deadlines.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf } from './helpers/db.ts';
import { cardActionEvent, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';

let database: Database;
let harness: Harness;
harnessPerFile((opened) => ({ database, harness } = opened));
// The service runs on the real clock (the outbox and the webhook signatures use it); the job is run with
// clocks `minutes` after the report. Clock hours: the time of day does not matter.
let reportedAt = new Date();

const openIdOf = (code: string) => identityOf(database, code, 'open_id');
const cardsTo = async (code: string, text: string) => {
  const openId = await openIdOf(code);
  return harness.feishu.messages.filter(
    (message) => message.receiveId === openId && JSON.stringify(message.content).includes(text),
  );
};
async function run(minutes: number) {
  const now = new Date(reportedAt.getTime() + minutes * 60_000);
  const result = await runHazardDeadlines({
    db: database.db,
    channels: harness.service.channels,
    log: silentLogger,
    now,
  });
  await harness.service.dispatcher.drain();
  return result;
}

describe('a 重大 hazard nobody accepts, on Feishu', () => {
  it('escalates after 2 hours to the 第一责任人 and the office, once, and stops at 受理', async () => {
    const event = messageEvent({
      openId: await openIdOf('chenjing'),
      chatId: 'oc_jishan_safety',
      mention: [FAKE_BOT_OPEN_ID],
      text: '报隐患 学生放学路线旁围墙倾斜 重大',
    });
    expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
    await harness.service.dispatcher.drain();
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.severity).toBe('grave');
    reportedAt = hazard!.createdAt;

    expect(await run(50)).toEqual({ sent: 0 });
    await run(61);
    expect(await cardsTo('huangchun', '至今未受理')).toHaveLength(1);
    await run(121);
    await run(131);
    expect(await cardsTo('wangxiaofang', '超过 2 小时仍未受理')).toHaveLength(1);
    expect(await cardsTo('zhouyinyin', '超过 2 小时仍未受理')).toHaveLength(1);

    const headOpenId = await openIdOf('huangchun');
    const [reminder] = await cardsTo('huangchun', '至今未受理');
    const press = cardActionEvent({
      openId: headOpenId,
      value: { action: 'hazard.accept', args: { id: String(hazard!.id) } },
      formValue: { interim: '拉设警戒线，学生绕行' },
      messageId: reminder!.messageId,
      chatId: reminder!.chatId,
    });
    const answer = (await (await harness.post('/webhooks/feishu', feishuRequest(press))).json()) as {
      toast: { type: string };
    };
    expect(answer.toast.type).toBe('success');
    const sent = harness.feishu.messages.length;
    expect(await run(3 * 24 * 60)).toEqual({ sent: 0 });
    expect(harness.feishu.messages).toHaveLength(sent);
  });
});
