// The WeCom channel's pure parts: rendering limits and fallbacks, and normalization (no database).
import { describe, expect, it } from 'vitest';
import { decodeButtonKey, encodeButtonKey, normalizeWecom } from '../bot/channels/wecom/normalize.ts';
import { renderWecom, renderWecomMessages } from '../bot/channels/wecom/render.ts';
import { parseWecomMessage } from '../bot/channels/wecom/xml.ts';
import { renderBotMessages } from '../bot/channels/wecom-bot/render.ts';
import {
  actions,
  button,
  type Card,
  card,
  fields,
  listCard,
  note,
  splitText,
  text,
  truncateBytes,
} from '../cards/model.ts';
import { cardEvent, imageMessage, textMessage, WECOM_APP } from './helpers/wecom-events.ts';

const OPTIONS = { taskId: 'yg1-abc', cardUrl: 'https://work.weixin.qq.com/' };
const render = (value: Card) => renderWecom({ kind: 'card', card: value }, OPTIONS);
type Template = Record<string, unknown> & {
  card_type: string;
  button_list?: { key: string; text: string; style: number }[];
  horizontal_content_list?: { keyname: string; value: string }[];
  sub_title_text?: string;
  quote_area?: { quote_text: string };
  card_action?: unknown;
};
const template = (value: Card) => {
  const body = render(value);
  if (body.msgtype !== 'template_card') throw new Error(`expected a card, got ${JSON.stringify(body)}`);
  return body.template_card as Template;
};

describe('render', () => {
  it('renders a card with buttons as button_interaction and one without as text_notice', () => {
    const withButton = template(
      card('隐患 YH-2026-0001', 'orange', [
        fields([['状态', '待受理']]),
        actions(button('受理', 'hazard.accept', { id: '1' }, 'primary')),
      ]),
    );
    expect(withButton.card_type).toBe('button_interaction');
    expect(withButton.task_id).toBe(OPTIONS.taskId);
    expect(withButton.button_list).toEqual([
      { type: 0, text: '受理', style: 1, key: encodeButtonKey('hazard.accept', { id: '1' }) },
    ]);
    const plain = template(card('通知', 'blue', [text('内容')]));
    expect(plain.card_type).toBe('text_notice');
    expect(plain.card_action).toEqual({ type: 1, url: OPTIONS.cardUrl });
    expect(plain.sub_title_text).toBe('内容');
  });

  it('keeps at most six short fields side by side and moves the rest into the text', () => {
    const many = Array.from({ length: 8 }, (_, i) => [`字段${i}`, `值${i}`] as [string, string]);
    const rendered = template(
      card('标题', 'blue', [
        fields([['很长的字段名称', '值'], ['描述', '长'.repeat(40)], ...many]),
        note('提示'),
      ]),
    );
    expect(rendered.horizontal_content_list).toHaveLength(6);
    expect(rendered.horizontal_content_list!.map((entry) => entry.keyname)).toEqual(
      many.slice(0, 6).map(([label]) => label),
    );
    expect(rendered.sub_title_text).toContain('很长的字段名称：值');
    expect(rendered.sub_title_text).toContain('字段7：值7');
    expect(Array.from(rendered.sub_title_text!).length).toBeLessThanOrEqual(160);
    expect(rendered.quote_area?.quote_text).toBe('提示');
  });

  it('truncates long titles and button labels safely', () => {
    const title = `${'标'.repeat(40)}😀`;
    const rendered = template(card(title, 'blue', [actions(button('一个非常非常长的按钮文字', 'x.y', {}))]));
    const main = rendered.main_title as { title: string };
    expect(Array.from(main.title)).toHaveLength(36);
    expect(main.title.endsWith('…')).toBe(true);
    expect(Array.from(rendered.button_list![0]!.text)).toHaveLength(10);
  });

  it('gives duplicate buttons distinct keys and keeps at most six', () => {
    const buttons = Array.from({ length: 8 }, (_, i) => button(`按钮${i}`, 'same.action', { id: '1' }));
    const rendered = template(card('标题', 'blue', [actions(...buttons)]));
    const keys = rendered.button_list!.map((entry) => entry.key);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    expect(keys.map((key) => decodeButtonKey(key)?.action)).toEqual(Array(6).fill('same.action'));
    expect(rendered.quote_area?.quote_text).toContain('文字命令');
  });

  it('shows a form as its submit button, and falls back to text for keys over 1024 bytes and garbage', () => {
    const form: Card = {
      title: '记录检查',
      tone: 'blue',
      blocks: [
        {
          kind: 'form',
          name: 'f',
          inputs: [{ name: 'note', label: '说明' }],
          submit: button('提交', 'a.b', {}),
        },
      ],
    };
    const formCard = template(form);
    expect(formCard.card_type).toBe('button_interaction');
    expect(formCard.button_list?.map((entry) => entry.text)).toEqual(['提交']);

    const huge = render(card('大按钮', 'blue', [actions(button('按', 'a.b', { v: 'x'.repeat(1100) }))]));
    expect(huge.msgtype).toBe('text');

    // A row altered outside the product (its type says Card): rendering still never throws.
    expect(renderWecom({ kind: 'card', card: null as never }, OPTIONS).msgtype).toBe('text');
    expect(renderWecom({ kind: 'card', card: { title: 1 } as never }, OPTIONS).msgtype).toBe('text');
    expect(
      renderWecom({ kind: 'card', card: card('x', 'blue', []) }, { ...OPTIONS, taskId: 'bad id!' }),
    ).toEqual({ msgtype: 'text', text: { content: '【x】' } });
  });

  it('cuts text messages to 2048 bytes without splitting a character', () => {
    const body = renderWecom({ kind: 'text', text: '安'.repeat(1000) }, OPTIONS);
    if (body.msgtype !== 'text') throw new Error('expected text');
    expect(Buffer.byteLength(body.text.content)).toBeLessThanOrEqual(2048);
    expect(body.text.content.endsWith('…（全文见后台）')).toBe(true);
    expect(truncateBytes('😀😀', 6)).toBe('…');
  });
});

describe('lists and long texts', () => {
  const bytes = (value: string) => Buffer.byteLength(value, 'utf8');
  const contents = (bodies: ReturnType<typeof renderWecomMessages>) =>
    bodies.map((body) => (body.msgtype === 'text' ? body.text.content : ''));

  it('splits a text between lines into parts of at most the limit, each numbered, losing nothing', () => {
    const lines = Array.from({ length: 120 }, (_, i) => `第${i + 1}行：教学楼走廊应急照明灯不亮`);
    const parts = splitText(lines.join('\n'), 2048);
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((part, index) => {
      expect(bytes(part)).toBeLessThanOrEqual(2048);
      expect(part.startsWith(`（${index + 1}/${parts.length}）\n`)).toBe(true);
    });
    const rejoined = parts.map((part) => part.slice(part.indexOf('\n') + 1)).join('\n');
    expect(rejoined).toBe(lines.join('\n'));
    // A line longer than a part goes on in the next one, split between characters (never half of one).
    const long = splitText(`开头\n${'😀'.repeat(1000)}\n结尾`, 2048);
    expect(long.every((part) => bytes(part) <= 2048)).toBe(true);
    expect(long.join('').match(/😀/gu)).toHaveLength(1000);
    expect(splitText('短', 2048)).toEqual(['短']);
    // At most `parts` parts: the last ends with the mark, within the limit.
    const capped = splitText(lines.join('\n'), 200, { parts: 3, mark: '…（全文见后台）' });
    expect(capped).toHaveLength(3);
    expect(capped.every((part) => bytes(part) <= 200)).toBe(true);
    expect(capped[2]!.startsWith('（3/3）\n')).toBe(true);
    expect(capped[2]!.endsWith('\n…（全文见后台）')).toBe(true);
  });

  it('sends a list too long for a card as text messages; one with buttons then as a card with them', () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `YH-2026-${String(i).padStart(4, '0')}｜待受理｜安保处`,
    );
    const list = listCard('隐患台账（全校）', 'blue', [fields([['共', '30 条']]), text(rows.join('\n'))]);
    const plain = renderWecomMessages({ kind: 'card', card: list }, OPTIONS);
    expect(plain.every((body) => body.msgtype === 'text')).toBe(true);
    const all = contents(plain).join('\n');
    for (const row of rows) expect(all).toContain(row);

    const withButton = { ...list, blocks: [...list.blocks, actions(button('导出', 'ledger.export', {}))] };
    const bodies = renderWecomMessages({ kind: 'card', card: withButton }, OPTIONS);
    const last = bodies.at(-1)!;
    expect(bodies.slice(0, -1).every((body) => body.msgtype === 'text')).toBe(true);
    if (last.msgtype !== 'template_card') throw new Error('expected the card last');
    expect(last.template_card.card_type).toBe('button_interaction');
    expect(JSON.stringify(last.template_card)).toContain('全文已分');

    // Not a list: the card stays one message, cut and marked.
    const notList = renderWecomMessages({ kind: 'card', card: { ...list, list: false } }, OPTIONS);
    expect(notList).toHaveLength(1);
    expect(JSON.stringify(notList[0])).toContain('…（全文见后台）');
    // A short list is a card.
    const short = renderWecomMessages(
      { kind: 'card', card: listCard('待办', 'green', [text('没有待办事项。')]) },
      OPTIONS,
    );
    expect(short.map((body) => body.msgtype)).toEqual(['template_card']);
  });

  it('gives a text_notice that will change an action_menu (its task_id set), and none otherwise', () => {
    const notice = card('隐患 YH-2026-0001', 'blue', [text('已受理')]);
    const [updatable] = renderWecomMessages({ kind: 'card', card: notice }, { ...OPTIONS, updatable: true });
    const [once] = renderWecomMessages({ kind: 'card', card: notice }, OPTIONS);
    if (updatable?.msgtype !== 'template_card' || once?.msgtype !== 'template_card') throw new Error('cards');
    expect(updatable.template_card).toMatchObject({
      card_type: 'text_notice',
      task_id: OPTIONS.taskId,
      action_menu: { action_list: [{ text: '查看帮助', key: 'yg-menu-help' }] },
    });
    expect(once.template_card).not.toHaveProperty('action_menu');
  });

  it('the 智能机器人 sends a long list as markdown parts within 2048 bytes, then the card with buttons', () => {
    const rows = Array.from({ length: 80 }, (_, i) => `第${i + 1}项：检查消防通道和应急照明`);
    const list = listCard('我的待办', 'blue', [text(rows.join('\n')), actions(button('刷新', 'x.y', {}))]);
    const bodies = renderBotMessages({ kind: 'card', card: list }, 'yg1-abc');
    const parts = bodies.slice(0, -1);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      if (part.msgtype !== 'markdown') throw new Error('expected markdown');
      expect(bytes(part.markdown.content)).toBeLessThanOrEqual(2048);
    }
    const all = JSON.stringify(parts);
    for (const row of rows) expect(all).toContain(row);
    expect(bodies.at(-1)?.msgtype).toBe('template_card');
  });

  it('sends a long text as several messages, each within 2048 bytes', () => {
    const bodies = renderWecomMessages({ kind: 'text', text: '安'.repeat(1000) }, OPTIONS);
    expect(bodies.length).toBe(2);
    expect(contents(bodies).every((content) => bytes(content) <= 2048)).toBe(true);
    expect(contents(bodies).join('').match(/安/g)).toHaveLength(1000);
  });
});

describe('normalize', () => {
  it('maps a text message to a p2p message addressed to the bot', () => {
    const message = parseWecomMessage(
      textMessage({ from: 'chenjing', content: ' 报隐患  灭火器过期 ', msgId: '42' }),
    );
    const result = normalizeWecom(message, WECOM_APP.corpId);
    expect(result).toMatchObject({
      kind: 'event',
      event: {
        type: 'message',
        channel: 'wecom',
        eventKey: 'msg:42',
        platformTenant: WECOM_APP.corpId,
        sender: { ids: [{ kind: 'userid', value: 'chenjing' }] },
        chat: { id: 'chenjing', type: 'p2p' },
        messageId: '42',
        text: '报隐患 灭火器过期',
        mentionedBot: true,
        attachments: [],
      },
    });
  });

  it('maps an image to an attachment and a card click to an action on the card', () => {
    const image = normalizeWecom(parseWecomMessage(imageMessage({ from: 'a', mediaId: 'm1' })), 'c');
    expect(image).toMatchObject({ event: { attachments: [{ kind: 'image', key: 'm1' }], text: '' } });
    const key = encodeButtonKey('hazard.accept', { id: '7' });
    const clicked = normalizeWecom(
      parseWecomMessage(
        cardEvent({ from: 'b', eventKey: key, taskId: 'yg5-x', responseCode: 'rc', createTime: 10 }),
      ),
      'c',
    );
    expect(clicked).toEqual({
      kind: 'event',
      event: expect.objectContaining({
        type: 'action',
        action: 'hazard.accept',
        args: { id: '7' },
        messageId: 'yg5-x',
        eventKey: `event:b:10:yg5-x:${key}`,
      }),
      click: { taskId: 'yg5-x', responseCode: 'rc', userId: 'b' },
    });
    const foreign = normalizeWecom(
      parseWecomMessage(cardEvent({ from: 'b', eventKey: 'k', taskId: 't' })),
      'c',
    );
    expect(foreign.kind).toBe('ignored');
  });
});
