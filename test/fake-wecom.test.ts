// The fake WeCom API refuses what WeCom refuses (test/fakes/wecom-api.ts cites each rule), driven by the
// product's own client (bot/channels/wecom/api.ts): a suite green against it cannot hide a message that
// WeCom would cut, refuse or not let us update.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWecomApi, type WecomApi, WecomApiError } from '../bot/channels/wecom/api.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';

const HOUR = 3600 * 1000;
let nowMs = Date.parse('2026-12-01T00:00:00Z');
const fake = new FakeWecomApi({ agentId: 1000002, now: () => nowMs });
let api: WecomApi;

beforeAll(async () => {
  await fake.start();
  api = createWecomApi({
    config: { corpId: fake.corpId, secret: fake.corpSecret, apiBase: fake.url },
    clock: () => new Date(nowMs),
  });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  nowMs = Date.parse('2026-12-01T00:00:00Z');
});

let seq = 0;
const send = (message: Record<string, unknown>) =>
  api.post('/cgi-bin/message/send', { touser: 'chenjing', agentid: 1000002, ...message });
const card = (template: Record<string, unknown>) =>
  send({ msgtype: 'template_card', template_card: { task_id: `t${++seq}`, ...template } });
const notice = (extra: Record<string, unknown> = {}) =>
  card({
    card_type: 'text_notice',
    main_title: { title: '通知' },
    card_action: { type: 1, url: 'https://x' },
    ...extra,
  });
const MENU = { action_list: [{ text: '查看帮助', key: 'help' }] };
const update = (code: unknown) =>
  api.post('/cgi-bin/message/update_template_card', {
    userids: ['chenjing'],
    agentid: 1000002,
    response_code: code,
    template_card: {
      card_type: 'text_notice',
      main_title: { title: '已更新' },
      card_action: { type: 1, url: 'https://x' },
    },
  });

/** The errcode (and errmsg) a call is refused with. */
async function refusal(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    if (error instanceof WecomApiError) return { errcode: error.errcode, message: error.message };
    throw error;
  }
  throw new Error('the fake accepted it');
}

describe('message/send content limits (path/90236)', () => {
  it('refuses a text over 2048 bytes (45002) and an empty one (44004); takes 2048 bytes', async () => {
    await send({ msgtype: 'text', text: { content: `${'安'.repeat(682)}ab` } }); // 2048 bytes
    expect((await refusal(send({ msgtype: 'text', text: { content: '安'.repeat(683) } }))).errcode).toBe(
      45002,
    );
    expect((await refusal(send({ msgtype: 'text', text: { content: '' } }))).errcode).toBe(44004);
  });

  it('refuses a markdown over 2048 bytes (40058)', async () => {
    await send({ msgtype: 'markdown', markdown: { content: 'a'.repeat(2048) } });
    const refused = await refusal(send({ msgtype: 'markdown', markdown: { content: 'a'.repeat(2049) } }));
    expect(refused).toMatchObject({ errcode: 40058 });
    expect(refused.message).toContain('markdown.content exceed max length 2048');
  });

  it('refuses template_card fields over their limits and a task_id used twice', async () => {
    const over = [
      { sub_title_text: '字'.repeat(161) },
      { main_title: { title: '字'.repeat(37) } },
      { horizontal_content_list: Array.from({ length: 7 }, () => ({ keyname: '键', value: '值' })) },
      { horizontal_content_list: [{ keyname: '六个字的键名', value: '值' }] },
      { quote_area: { quote_text: '字'.repeat(161) } },
    ];
    for (const fields of over) expect((await refusal(notice(fields))).errcode).toBe(40058);
    const buttons = (n: number, key = 'k') =>
      Array.from({ length: n }, (_, i) => ({ type: 0, text: `按钮${i}`, key: `${key}${i}` }));
    const interaction = (list: unknown[]) =>
      card({ card_type: 'button_interaction', main_title: { title: '卡' }, button_list: list });
    await interaction(buttons(6));
    expect((await refusal(interaction(buttons(7)))).errcode).toBe(40058);
    expect((await refusal(interaction(buttons(1, 'k'.repeat(1025))))).errcode).toBe(40058);
    const same = {
      card_type: 'text_notice',
      task_id: 'same',
      main_title: { title: '一' },
      card_action: { type: 1, url: 'https://x' },
    };
    await send({ msgtype: 'template_card', template_card: same });
    expect((await refusal(send({ msgtype: 'template_card', template_card: same }))).errcode).toBe(40058);
  });

  it('refuses an action_menu without task_id, with no entry or more than 3, or repeated keys', async () => {
    const bad = [
      { action_menu: { action_list: [] } },
      { action_menu: { action_list: Array.from({ length: 4 }, (_, i) => ({ text: `${i}`, key: `k${i}` })) } },
      {
        action_menu: {
          action_list: [
            { text: 'a', key: 'k' },
            { text: 'b', key: 'k' },
          ],
        },
      },
    ];
    for (const fields of bad) expect((await refusal(notice(fields))).errcode).toBe(40058);
    const noTask = send({
      msgtype: 'template_card',
      template_card: {
        card_type: 'text_notice',
        action_menu: MENU,
        main_title: { title: '通知' },
        card_action: { type: 1, url: 'https://x' },
      },
    });
    expect((await refusal(noTask)).errcode).toBe(40058);
  });
});

describe('response_code and update_template_card (path/94888)', () => {
  it('returns a code for button_interaction and text_notice with action_menu only', async () => {
    expect((await notice()).response_code).toBeUndefined();
    expect((await notice({ action_menu: MENU })).response_code).toEqual(expect.any(String));
    const buttons = [{ type: 0, text: '受理', key: 'accept' }];
    expect(
      (await card({ card_type: 'button_interaction', main_title: { title: '卡' }, button_list: buttons }))
        .response_code,
    ).toEqual(expect.any(String));
  });

  it('takes a code once, within 72 hours; refuses one that was never issued (a text_notice without action_menu has none)', async () => {
    const first = String((await notice({ action_menu: MENU })).response_code);
    await update(first);
    expect(await refusal(update(first))).toMatchObject({ errcode: 40058 });
    expect((await refusal(update(first))).message).toContain('used');

    const second = String((await notice({ action_menu: MENU })).response_code);
    nowMs += 72 * HOUR + 1000;
    const expired = await refusal(update(second));
    expect(expired).toMatchObject({ errcode: 40058 });
    expect(expired.message).toContain('expired');

    expect((await refusal(update('made-up'))).errcode).toBe(40058);
    expect(fake.updates).toHaveLength(1);
  });

  it('mints click codes only for cards that can call back', async () => {
    await send({
      msgtype: 'template_card',
      template_card: {
        card_type: 'text_notice',
        task_id: 'plain',
        main_title: { title: '通知' },
        card_action: { type: 1, url: 'https://x' },
      },
    });
    expect(() => fake.clickCode('plain')).toThrow();
    await send({
      msgtype: 'template_card',
      template_card: {
        card_type: 'text_notice',
        task_id: 'menu',
        action_menu: MENU,
        main_title: { title: '通知' },
        card_action: { type: 1, url: 'https://x' },
      },
    });
    await update(fake.clickCode('menu'));
    expect(fake.updates).toHaveLength(1);
  });
});
