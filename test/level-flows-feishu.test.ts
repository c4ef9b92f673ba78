// Issue 19's flows between levels over a platform channel (the real service, the fake Feishu): a 重大
// hazard reported in a school's Feishu group reaches the bureau's office as a card on Feishu; the office
// opens it with the card's button, lists it (区教育局挂牌督办: the school's 第一责任人 gets the card), and
// sends a 整改通知书 that the 第一责任人 acknowledges on Feishu, which the office hears of.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { hazards, tasks } from '../db/schema.ts';
import { FAKE_BOT_OPEN_ID } from './fakes/feishu-api.ts';
import { identityOf, openTestDatabase, seedExamples } from './helpers/db.ts';
import { cardActionEvent, feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { type Harness, startHarness } from './helpers/service.ts';

let database: Database;
let harness: Harness;

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(database);
});
afterAll(async () => {
  await harness?.close();
  await database?.close();
});
beforeEach(async () => {
  await harness.service.inbox.idle();
  await harness.service.dispatcher.idle();
  await seedExamples(database, ['bureau.yaml', 'school.yaml', 'school-2.yaml']);
  harness.feishu.reset();
});

const openIdOf = (code: string) => identityOf(database, code, 'open_id');
const messagesTo = async (code: string, text: string) => {
  const openId = await openIdOf(code);
  return harness.feishu.messages.filter(
    (message) => message.receiveId === openId && message.rawContent.includes(text),
  );
};
async function say(code: string, text: string, chatId = `oc_p2p_${code}`) {
  const event = messageEvent({
    openId: await openIdOf(code),
    chatId,
    chatType: chatId.startsWith('oc_p2p') ? 'p2p' : 'group',
    mention: chatId.startsWith('oc_p2p') ? [] : [FAKE_BOT_OPEN_ID],
    text,
  });
  expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
  await harness.service.dispatcher.drain();
}
async function press(
  code: string,
  action: string,
  args: Record<string, string>,
  card: { messageId: string; chatId: string },
) {
  const event = cardActionEvent({
    openId: await openIdOf(code),
    value: { action, args },
    messageId: card.messageId,
    chatId: card.chatId,
  });
  const response = await harness.post('/webhooks/feishu', feishuRequest(event));
  await harness.service.dispatcher.drain();
  return (await response.json()) as { toast?: { type: string; content: string }; card?: unknown };
}

describe('between a bureau and its school, on Feishu', () => {
  it('a 重大 hazard goes up, the office opens and lists it, and a 整改通知书 is acknowledged', async () => {
    await say('chenjing', '报隐患 学生放学路线旁围墙倾斜 重大', 'oc_jishan_safety');
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.code).toBe('YH-JSZX-2026-0001');

    const [up] = await messagesTo('zhengweidong', 'YH-JSZX-2026-0001');
    expect(up).toBeDefined();
    expect(up!.rawContent).toContain('昆山市花桥集善中学 重大隐患 YH-JSZX-2026-0001');
    expect(await messagesTo('qianlixin', 'YH-JSZX-2026-0001')).toHaveLength(1);
    expect(await messagesTo('zhaoguoping', 'YH-JSZX-2026-0001')).toHaveLength(0);

    const opened = await press('zhengweidong', 'bureau.hazard', { id: String(hazard!.id) }, up!);
    expect(opened.toast?.type).toBe('info');
    expect(JSON.stringify(opened.card)).toContain('学生放学路线旁围墙倾斜');

    await say('zhengweidong', '挂牌督办 YH-JSZX-2026-0001 围墙拆除重建，期间封闭该路段 截止 2026-12-31');
    const listed = await database.db.select().from(hazards).where(eq(hazards.id, hazard!.id));
    expect(listed[0]!.listedByTenantId).not.toBeNull();
    const told = await messagesTo('wangxiaofang', '某区教育体育局挂牌督办');
    expect(told.length).toBeGreaterThan(0);

    await say('zhengweidong', '整改通知 集善中学 围墙隐患限期整改并书面报告');
    const [task] = await database.db.select().from(tasks);
    const [notice] = await messagesTo('wangxiaofang', '整改通知书 RW-2026-0001');
    expect(notice).toBeDefined();
    const acked = await press('wangxiaofang', 'task.ack', { id: String(task!.id) }, notice!);
    expect(acked.toast?.type).toBe('success');
    expect(await messagesTo('zhengweidong', '王晓芳 已确认收到任务 RW-2026-0001')).toHaveLength(1);
  });
});
