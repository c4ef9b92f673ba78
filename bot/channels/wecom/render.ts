// Outbox bodies → WeCom app message bodies (发送应用消息, https://developer.work.weixin.qq.com/document/path/90236):
// a card with buttons becomes a `template_card` of type `button_interaction`, a card without buttons a
// `text_notice`, text a `text` message. Rendering never throws (DESIGN.md §2): it falls back to text.
//
// Nothing is cut silently. A template card shows little (sub_title_text: 160 characters), so a list
// (`Card.list`: 帮助, 我的职责, 隐患台账, 我的待办, progress) whose content does not fit it goes as text
// messages (2048 bytes each, split between lines, `（k/n）` on each part), followed, when it has buttons,
// by a short card with its buttons; a long text message is split the same way. Other cards that do not
// fit are cut, marked …（全文见后台）. `renderWecomMessages` gives all of a row's messages; the card, if
// any, is the last.
import {
  actions,
  type Button,
  buttonsOf,
  type Card,
  card,
  cardToText,
  FULL_TEXT_MARK,
  fields,
  note,
  splitText,
  truncate,
  truncateBytes,
} from '../../../cards/model.ts';
import type { OutboxBody } from '../../../db/schema.ts';
import { inertTags } from '../markup.ts';
import { encodeButtonKey, MAX_BUTTON_KEY_BYTES, MENU_HELP_KEY } from './normalize.ts';

type Json = Record<string, unknown>;

export type WecomBody =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'template_card'; template_card: Json };

export interface RenderOptions {
  /** The card's task_id: unique per app, at most 128 bytes of [A-Za-z0-9_@-]. */
  taskId: string;
  /** text_notice cards must open something when tapped (card_action is required); this URL. */
  cardUrl: string;
  /**
   * The card will be changed later (its row has a subject): a text_notice then carries `action_menu`,
   * without which WeCom neither returns a response_code for it nor lets it be updated (发送应用消息,
   * 返回参数 response_code; 更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888).
   */
  updatable?: boolean;
}

// Limits from the template_card reference. The title/text ones are the documented display advice; longer
// values are cut (with …; user text with …（全文见后台）) rather than risk a rejected send.
export const TEXT_MAX_BYTES = 2048; // text.content: at most 2048 bytes, the rest is cut off by WeCom
const TITLE_MAX = 36; // main_title.title
const KEYNAME_MAX = 5; // horizontal_content_list.keyname
const VALUE_MAX = 30; // horizontal_content_list.value
const HORIZONTAL_MAX = 6; // horizontal_content_list length
const SUBTITLE_MAX = 160; // sub_title_text
const QUOTE_MAX = 160; // quote_area.quote_text
const BUTTON_TEXT_MAX = 10; // button_list.text
const BUTTONS_MAX = 6; // button_list length
const TASK_ID = /^[A-Za-z0-9_@-]{1,128}$/;
/**
 * action_menu: 1 to 3 entries, keys unique and at most 1024 bytes; a tap is a `template_card_menu_event`
 * carrying the key (path/90236, 模板卡片消息 文本通知型). Ours asks for the help, like sending 帮助.
 */
const ACTION_MENU = {
  desc: '一岗双责安全助手',
  action_list: [{ text: '查看帮助', key: MENU_HELP_KEY }],
};

const MORE_BUTTONS_HINT = '更多操作请发送文字命令，发送“帮助”查看命令。';
const KEY_TOO_LONG_HINT =
  '（此卡片的按钮无法在企业微信中显示，请发送文字命令完成操作；发送“帮助”查看命令。）';

const inertText = (text: string) => (text.trim() === '' ? '（空消息）' : inertTags(text));

/** One text message, cut to WeCom's limit (marked): for a single message that must stay one. */
export function textBody(text: string): WecomBody {
  return {
    msgtype: 'text',
    text: { content: truncateBytes(inertText(text), TEXT_MAX_BYTES, FULL_TEXT_MARK) },
  };
}

/**
 * At most this many text messages for one outbox row (10 KB): the dispatcher counts a row once against
 * WeCom's 30 messages a minute per member, so a row must not spend much of it.
 */
export const MAX_TEXT_PARTS = 5;

/**
 * A text as as many text messages as its length needs (at most MAX_TEXT_PARTS), split between lines;
 * one that needs more ends its last part with a note that the rest is in the console.
 */
export function textBodies(text: string): WecomBody[] {
  const limit = { parts: MAX_TEXT_PARTS, mark: FULL_TEXT_MARK };
  return splitText(inertText(text), TEXT_MAX_BYTES, limit).map((content) => ({
    msgtype: 'text',
    text: { content },
  }));
}

/** WeCom documents styles 1..4 without naming them; 1 is the default (filled) one. */
function buttonStyle(button: Button): number {
  if (button.style === 'primary') return 1;
  if (button.style === 'danger') return 3;
  return 2;
}

function renderButtons(buttons: Button[]): Json[] | undefined {
  const seen = new Set<string>();
  const list: Json[] = [];
  for (const [index, button] of buttons.slice(0, BUTTONS_MAX).entries()) {
    let key = encodeButtonKey(button.action, button.args);
    if (seen.has(key)) key = encodeButtonKey(button.action, button.args, index);
    if (Buffer.byteLength(key, 'utf8') > MAX_BUTTON_KEY_BYTES) return undefined;
    seen.add(key);
    list.push({ type: 0, text: truncate(button.label, BUTTON_TEXT_MAX), style: buttonStyle(button), key });
  }
  return list;
}

/** A rendered card and whether anything of it had to be shortened to fit WeCom's fields. */
interface RenderedCard {
  body: WecomBody;
  cut: boolean;
}

const charCount = (value: string) => Array.from(value).length;

function renderTemplateCard(value: Card, options: RenderOptions): RenderedCard {
  if (!TASK_ID.test(options.taskId)) throw new Error(`invalid task_id ${options.taskId}`);
  // WeCom cards have no inputs: a form shows as its submit button, whose handler asks for the text
  // (and the card's note names the text command).
  const buttons = buttonsOf(value);
  const horizontal: Json[] = [];
  const lines: string[] = [];
  const notes: string[] = [];
  for (const block of value.blocks) {
    switch (block.kind) {
      case 'text':
        lines.push(block.text);
        break;
      case 'note':
        notes.push(block.text);
        break;
      case 'images':
        // template_card shows no stored photos: the line says how many and where they are.
        notes.push(block.fallback);
        break;
      case 'fields':
        for (const field of block.fields) {
          const fits =
            horizontal.length < HORIZONTAL_MAX &&
            charCount(field.label) <= KEYNAME_MAX &&
            charCount(field.value) <= VALUE_MAX;
          // Fields that do not fit the two-column list are kept whole as lines of the text below it.
          if (fits) horizontal.push({ type: 0, keyname: field.label, value: field.value });
          else lines.push(`${field.label}：${field.value}`);
        }
        break;
      case 'divider':
      case 'actions':
      case 'form':
        break;
    }
  }
  if (buttons.length > BUTTONS_MAX) notes.push(MORE_BUTTONS_HINT);
  const subtitle = lines.join('\n');
  const quote = notes.join('\n');
  const cut =
    charCount(value.title) > TITLE_MAX || charCount(subtitle) > SUBTITLE_MAX || charCount(quote) > QUOTE_MAX;
  const common: Json = {
    task_id: options.taskId,
    main_title: { title: truncate(value.title, TITLE_MAX) },
    ...(lines.length > 0 ? { sub_title_text: truncate(subtitle, SUBTITLE_MAX, FULL_TEXT_MARK) } : {}),
    ...(horizontal.length > 0 ? { horizontal_content_list: horizontal } : {}),
    ...(notes.length > 0
      ? { quote_area: { type: 0, quote_text: truncate(quote, QUOTE_MAX, FULL_TEXT_MARK) } }
      : {}),
  };
  if (buttons.length === 0) {
    return {
      cut,
      body: {
        msgtype: 'template_card',
        template_card: {
          card_type: 'text_notice',
          ...common,
          ...(options.updatable ? { action_menu: ACTION_MENU } : {}),
          card_action: { type: 1, url: options.cardUrl },
        },
      },
    };
  }
  const buttonList = renderButtons(buttons);
  if (!buttonList) return { cut: false, body: textBody(`${cardToText(value)}\n${KEY_TOO_LONG_HINT}`) };
  return {
    cut,
    body: {
      msgtype: 'template_card',
      template_card: { card_type: 'button_interaction', ...common, button_list: buttonList },
    },
  };
}

/**
 * What the card of a long content shows beside its text messages: the title, the fields that fit the
 * two-column list, where the rest is, and the buttons.
 */
function summaryCard(value: Card, parts: number): Card {
  const short = value.blocks.flatMap((block) =>
    block.kind === 'fields'
      ? block.fields.filter(
          (field) => charCount(field.label) <= KEYNAME_MAX && charCount(field.value) <= VALUE_MAX,
        )
      : [],
  );
  return card(value.title, value.tone, [
    short.length > 0 && fields(short.slice(0, HORIZONTAL_MAX).map((field) => [field.label, field.value])),
    note(`内容较长，全文已分 ${parts} 条文字消息另行发送；可直接按下方按钮办理。`),
    actions(...buttonsOf(value)),
  ]);
}

/** Renders an outbox body as one message (a card cut to fit, marked, or one text); never throws. */
export function renderWecom(body: OutboxBody, options: RenderOptions): WecomBody {
  try {
    if (body.kind === 'text') return textBody(body.text);
    return renderTemplateCard(body.card, options).body;
  } catch {
    return fallback(body);
  }
}

function fallback(body: OutboxBody): WecomBody {
  try {
    return textBody(body.kind === 'card' ? cardToText(body.card) : String(body.text));
  } catch {
    return textBody('（此消息无法在企业微信中显示，请在网页控制台查看。）');
  }
}

/**
 * Every message an outbox body becomes, in the order they are sent; never throws. A text, or a card
 * that does not fit a template card, goes whole as text messages; a card with buttons then follows
 * them, showing its summary and the buttons. The card, if any, is the last.
 */
export function renderWecomMessages(body: OutboxBody, options: RenderOptions): WecomBody[] {
  try {
    if (body.kind === 'text') return textBodies(body.text);
    const rendered = renderTemplateCard(body.card, options);
    if (!rendered.cut || !body.card.list) return [rendered.body];
    const texts = textBodies(cardToText(body.card));
    if (buttonsOf(body.card).length === 0) return texts;
    const summary = renderTemplateCard(summaryCard(body.card, texts.length), options);
    return [...texts, summary.body];
  } catch {
    return [fallback(body)];
  }
}

/**
 * Only these cards can be changed later with update_template_card, and message/send returns a
 * response_code for them: button_interaction, and a text_notice with action_menu (path/94888).
 */
export function isUpdatableCard(body: WecomBody): boolean {
  if (body.msgtype !== 'template_card') return false;
  return body.template_card.card_type === 'button_interaction' || 'action_menu' in body.template_card;
}
