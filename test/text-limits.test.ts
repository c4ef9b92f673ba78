// Issue 14, items 10 and 11, end to end over HTTP: every free-text input has a length limit (a longer one
// gets a polite answer and writes nothing); no card or text exceeds what Feishu or WeCom takes (the fakes
// refuse what is over, so a delivered message is under the limit); user text that looks like platform
// markup (@all, links, styles) reaches both platforms inert; the web console shows every text whole.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { feishuTextContent, renderFeishuCard } from '../bot/channels/feishu/render.ts';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { card, fields, note, text } from '../cards/model.ts';
import type { Database } from '../db/client.ts';
import { hazardEvents, hazards, outbox, people, postHolders, posts, tasks } from '../db/schema.ts';
import { TEXT_LIMITS } from '../handlers/text-limits.ts';
import { FAKE_BOT_OPEN_ID, type FakeMessage } from './fakes/feishu-api.ts';
import type { FakeWecomApi, WecomSendBody } from './fakes/wecom-api.ts';
import { Browser, fetchFrom, login, PASSWORD, SCHOOL, unescapeHtml } from './helpers/console-http.ts';
import { identityOf } from './helpers/db.ts';
import { feishuRequest, messageEvent } from './helpers/feishu-events.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { postWecom, textMessage, wecomCallback } from './helpers/wecom-events.ts';

const GROUP = 'oc_jishan_safety';
const REPORTER = 'chenjing';
const HEAD = 'yinxianju'; // 安保处
const PRINCIPAL = 'wangxiaofang';
const OFFICE = 'zhouyinyin'; // 办公室主任

let database: Database;
let harness: Harness;
let wecom: FakeWecomApi;

harnessPerFile(
  (opened) => {
    ({ database, harness } = opened);
    wecom = harness.wecom!;
  },
  { wecom: true },
);

const openIdOf = (code: string) => identityOf(database, code, 'open_id');

/** A message in the school's Feishu group, @-mentioning the bot; resolves once its answers are sent. */
async function sayOnFeishu(code: string, words: string) {
  const event = messageEvent({
    openId: await openIdOf(code),
    chatId: GROUP,
    mention: [FAKE_BOT_OPEN_ID],
    text: words,
  });
  expect((await harness.post('/webhooks/feishu', feishuRequest(event))).status).toBe(200);
  await harness.service.dispatcher.drain();
  return event.event.message.message_id;
}

/** A private message to the WeCom app; resolves once its answers are sent. */
async function sayOnWecom(userId: string, words: string) {
  expect(
    (await postWecom(harness, wecomCallback(textMessage({ from: userId, content: words })))).status,
  ).toBe(200);
  await harness.service.dispatcher.drain();
}

const repliesTo = (messageId: string) => harness.feishu.messages.filter((m) => m.replyTo === messageId);
const textOf = (message: FakeMessage | undefined) =>
  (message?.content as { text?: string } | undefined)?.text;
const wecomTo = (userId: string) => wecom.sent.filter((body) => body.touser === userId);
const wecomText = (body: WecomSendBody | undefined) => JSON.stringify(body ?? {});

async function undelivered() {
  return database.db.select().from(outbox).where(eq(outbox.status, 'failed'));
}

async function hazardCode() {
  const [row] = await database.db.select({ code: hazards.code }).from(hazards);
  return row!.code;
}

/** User text with the markup of every platform: Feishu text @all and styles, card @all/font/link, links. */
const MARKUP =
  '<at user_id="all"></at><at id=all></at><font color=red>紧急</font>**加粗**[点此](https://evil.example)' +
  '<a href="https://evil.example">链接</a>&lt;at id=all&gt;';

describe('length limits on free text (item 10)', () => {
  it('answers a report longer than the limit politely, and writes nothing', async () => {
    const messageId = await sayOnFeishu(REPORTER, `报隐患 ${'灭火器过期'.repeat(101)}`); // 505 characters
    expect(textOf(repliesTo(messageId)[0])).toBe(
      `隐患情况最多 ${TEXT_LIMITS.description} 字，本次 505 字，未予登记。请精简后重新发送。`,
    );
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    expect(await database.db.select().from(hazardEvents)).toHaveLength(0);
  });

  it('answers a 100,000-character message politely, and writes nothing', async () => {
    const messageId = await sayOnFeishu(REPORTER, `报隐患 ${'安'.repeat(100_000)}`);
    expect(textOf(repliesTo(messageId)[0])).toContain(`一条消息最多 ${TEXT_LIMITS.message} 字`);
    expect(await database.db.select().from(hazards)).toHaveLength(0);
    expect(await undelivered()).toEqual([]);
  });

  it('caps the reasons and notes of every step, with the same answer on WeCom', async () => {
    await sayOnFeishu(REPORTER, '报隐患 教学楼三楼东侧灭火器过期，一般');
    const code = await hazardCode();
    const tooLong = '理'.repeat(TEXT_LIMITS.reason + 1);
    await sayOnWecom(HEAD, `驳回 ${code} ${tooLong}`);
    const [answer] = wecomTo(HEAD).filter((body) => body.msgtype === 'text');
    expect(wecomText(answer)).toContain(`驳回原因最多 ${TEXT_LIMITS.reason} 字`);
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.status).toBe('reported');
    expect(hazard!.rejectReason).toBeNull();
    expect(await database.db.select().from(hazardEvents)).toHaveLength(1); // the report alone

    const messageId = await sayOnFeishu(
      OFFICE,
      `派任务 @安保处 ${'查'.repeat(TEXT_LIMITS.task + 1)} 截止 2099-12-31`,
    );
    expect(textOf(repliesTo(messageId)[0])).toContain(`任务内容最多 ${TEXT_LIMITS.task} 字`);
    expect(await database.db.select().from(tasks)).toHaveLength(0);
  });
});

describe('cards and texts fit each platform (item 10)', () => {
  it('delivers the largest allowed report and every step of it on Feishu, each message under the limit', async () => {
    // Characters that each grow the most when escaped for card markdown inside JSON inside JSON.
    const description = '\\"*_<>'.repeat(TEXT_LIMITS.description / 6).slice(0, TEXT_LIMITS.description - 10);
    await sayOnFeishu(
      REPORTER,
      `报隐患 地点：${'东'.repeat(TEXT_LIMITS.place)} 一般 灭火器过期${description}`,
    );
    const code = await hazardCode();
    await sayOnFeishu(HEAD, `受理 ${code}`);
    await sayOnFeishu(HEAD, `整改完成 ${code} ${'\\"'.repeat(TEXT_LIMITS.measures / 2)}`);
    expect(await undelivered()).toEqual([]);
    const cards = harness.feishu.messages.filter((m) => m.msgType === 'interactive');
    expect(cards.length).toBeGreaterThan(3);
    // The fake refuses a body over 30 KB (230025), so every card here arrived; and the text arrived whole.
    expect(cards.some((m) => m.rawContent.includes('东'.repeat(TEXT_LIMITS.place)))).toBe(true);
    expect(cards.every((m) => !m.rawContent.includes('全文见后台'))).toBe(true);
  });

  it('shortens a card over 30 KB for Feishu and WeCom, marked “全文见后台”, instead of losing it', async () => {
    // Duties come from the organization file: 80 duties of 200 characters (48 KB) on the principal's post.
    const [holder] = await database.db
      .select({ postId: postHolders.postId })
      .from(postHolders)
      .innerJoin(people, eq(people.id, postHolders.personId))
      .where(eq(people.code, PRINCIPAL));
    const duties = Array.from(
      { length: 80 },
      (_, i) => `${i + 1}. ${'负责全校安全工作的组织领导'.repeat(15)}`,
    );
    await database.db.update(posts).set({ safetyDuties: duties }).where(eq(posts.id, holder!.postId));

    const messageId = await sayOnFeishu(PRINCIPAL, '我的职责');
    await sayOnWecom(PRINCIPAL, '我的职责');
    expect(await undelivered()).toEqual([]);

    const [reply] = repliesTo(messageId);
    expect(reply?.msgType).toBe('interactive');
    expect(Buffer.byteLength(JSON.stringify({ content: reply!.rawContent }))).toBeLessThanOrEqual(30 * 1024);
    expect(reply!.rawContent).toContain('全文见后台');
    expect(reply!.rawContent).toContain('1. 负责全校安全工作的组织领导');

    // WeCom: the list as text messages (at most 5 for one answer, each within 2048 bytes), the last
    // marked; the fake refuses a longer one.
    const sent = wecomTo(PRINCIPAL);
    expect(sent.map((body) => body.msgtype)).toEqual(Array(5).fill('text'));
    expect(wecomText(sent[0])).toContain('1. 负责全校安全工作的组织领导');
    expect(wecomText(sent[4])).toContain('全文见后台');
  });

  it('fits any card under the Feishu limit, keeping its buttons', () => {
    const huge = card('隐患 YH-2026-0001', 'red', [
      fields([['隐患描述', '"\\'.repeat(20_000)]]),
      text('安'.repeat(20_000)),
      note('注'.repeat(5_000)),
    ]);
    const rendered = renderFeishuCard({
      ...huge,
      blocks: [
        ...huge.blocks,
        { kind: 'actions', buttons: [{ label: '受理', action: 'hazard.accept', args: {} }] },
      ],
    });
    expect(Buffer.byteLength(JSON.stringify(JSON.stringify(rendered)))).toBeLessThanOrEqual(30 * 1024);
    expect(JSON.stringify(rendered)).toContain('全文见后台');
    expect(JSON.stringify(rendered)).toContain('hazard.accept');
  });

  it('cuts a Feishu text message to fit 150 KB, whatever it is made of', () => {
    for (const unit of ['"', '安', '\n', '😀']) {
      const content = feishuTextContent(unit.repeat(200_000));
      // The body carries `content` as a JSON string: its escapes count too.
      expect(Buffer.byteLength(JSON.stringify({ content }))).toBeLessThanOrEqual(150 * 1024);
      expect((JSON.parse(content) as { text: string }).text.endsWith('…（全文见后台）')).toBe(true);
    }
  });
});

describe('platform markup in user text (item 11)', () => {
  it('a 驳回 reason and a description with @all, links and styles reach Feishu inert', async () => {
    await sayOnFeishu(REPORTER, `报隐患 教学楼三楼东侧灭火器过期${MARKUP}`);
    const code = await hazardCode();
    await sayOnFeishu(HEAD, `驳回 ${code} 重复上报${MARKUP}`);
    expect(await undelivered()).toEqual([]);

    const reporter = await openIdOf(REPORTER);
    const told = harness.feishu.messages.find(
      (m) => m.receiveId === reporter && m.msgType === 'text' && m.rawContent.includes('已被驳回'),
    );
    const said = textOf(told)!;
    expect(said).toContain('重复上报');
    // Feishu text messages read <at user_id="all">, style tags and [text](url); none may survive.
    expect(said).not.toMatch(/<at|<font|<a |\[点此\]\(|&lt;/);
    expect(said).toContain('＜at user_id="all"＞');

    const cards = harness.feishu.messages.filter((m) => m.msgType === 'interactive');
    expect(cards.length).toBeGreaterThan(0);
    for (const message of cards) {
      // Card markdown reads <at id=all>, <font>, <link>, [text](url) and HTML entities.
      expect(message.rawContent).not.toMatch(/<at|<font|<a |\]\(https|&lt;/);
    }
    expect(cards.some((m) => m.rawContent.includes('＜at id=all＞'))).toBe(true);
  });

  it('a 驳回 reason and a description with links reach WeCom inert', async () => {
    await sayOnWecom(REPORTER, `报隐患 教学楼三楼东侧灭火器过期${MARKUP}`);
    const code = await hazardCode();
    await sayOnWecom(HEAD, `驳回 ${code} 重复上报${MARKUP}`);
    expect(await undelivered()).toEqual([]);
    const toReporter = wecomTo(REPORTER);
    const told = toReporter.find((body) => wecomText(body).includes('已被驳回'));
    expect(told?.msgtype).toBe('text');
    // WeCom text messages read <a href> links.
    for (const body of [...toReporter, ...wecomTo(HEAD)]) {
      if (body.msgtype === 'text') expect(wecomText(body)).not.toMatch(/<a |<at|<font/);
    }
    expect(wecomText(told)).toContain('＜a href=');
  });

  it('the web console shows the text whole and as typed', async () => {
    const description = `食堂后门灭火器过期${MARKUP}${'。'.repeat(TEXT_LIMITS.description - 300)}`;
    await sayOnFeishu(REPORTER, `报隐患 ${description}`);
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.description).toBe(description);

    await addAdminAccount(database.db, {
      tenantCode: SCHOOL,
      username: 'office',
      displayName: '周尹尹',
      password: PASSWORD,
    });
    const browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
    const page = await browser.page('/console/hazards');
    expect(page.response.status).toBe(200);
    expect(page.html).not.toContain('<at ');
    expect(unescapeHtml(page.html)).toContain(description);
  });
});
