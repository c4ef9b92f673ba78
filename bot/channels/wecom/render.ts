// Outbox bodies → WeCom app message bodies (发送应用消息, https://developer.work.weixin.qq.com/document/path/90236):
// a card with buttons becomes a `template_card` of type `button_interaction`, a card without buttons a
// `text_notice`, text a `text` message. Rendering never throws (DESIGN.md §2): it falls back to text.
import {
  type Button,
  buttonsOf,
  type Card,
  cardToText,
  FULL_TEXT_MARK,
  truncate,
  truncateBytes,
} from '../../../cards/model.ts';
import type { OutboxBody } from '../../../db/schema.ts';
import { inertTags } from '../markup.ts';
import { encodeButtonKey, MAX_BUTTON_KEY_BYTES } from './normalize.ts';

type Json = Record<string, unknown>;

export type WecomBody =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'template_card'; template_card: Json };

export interface RenderOptions {
  /** The card's task_id: unique per app, at most 128 bytes of [A-Za-z0-9_@-]. */
  taskId: string;
  /** text_notice cards must open something when tapped (card_action is required); this URL. */
  cardUrl: string;
}

// Limits from the template_card reference. The title/text ones are the documented display advice; longer
// values are cut (with …; user text with …（全文见后台）) rather than risk a rejected send.
const TEXT_MAX_BYTES = 2048; // text.content: at most 2048 bytes, the rest is cut off by WeCom
const TITLE_MAX = 36; // main_title.title
const KEYNAME_MAX = 5; // horizontal_content_list.keyname
const VALUE_MAX = 30; // horizontal_content_list.value
const HORIZONTAL_MAX = 6; // horizontal_content_list length
const SUBTITLE_MAX = 160; // sub_title_text
const QUOTE_MAX = 160; // quote_area.quote_text
const BUTTON_TEXT_MAX = 10; // button_list.text
const BUTTONS_MAX = 6; // button_list length
const TASK_ID = /^[A-Za-z0-9_@-]{1,128}$/;

const MORE_BUTTONS_HINT = '更多操作请发送文字命令，发送“帮助”查看命令。';
const KEY_TOO_LONG_HINT =
  '（此卡片的按钮无法在企业微信中显示，请发送文字命令完成操作；发送“帮助”查看命令。）';

export function textBody(text: string): WecomBody {
  const content = text.trim() === '' ? '（空消息）' : inertTags(text);
  return { msgtype: 'text', text: { content: truncateBytes(content, TEXT_MAX_BYTES, FULL_TEXT_MARK) } };
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

function renderTemplateCard(card: Card, options: RenderOptions): WecomBody {
  if (!TASK_ID.test(options.taskId)) throw new Error(`invalid task_id ${options.taskId}`);
  // WeCom cards have no inputs: a form shows as its submit button, whose handler asks for the text
  // (and the card's note names the text command).
  const buttons = buttonsOf(card);
  const horizontal: Json[] = [];
  const lines: string[] = [];
  const notes: string[] = [];
  for (const block of card.blocks) {
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
            Array.from(field.label).length <= KEYNAME_MAX &&
            Array.from(field.value).length <= VALUE_MAX;
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
  const common: Json = {
    task_id: options.taskId,
    main_title: { title: truncate(card.title, TITLE_MAX) },
    ...(lines.length > 0 ? { sub_title_text: truncate(lines.join('\n'), SUBTITLE_MAX, FULL_TEXT_MARK) } : {}),
    ...(horizontal.length > 0 ? { horizontal_content_list: horizontal } : {}),
    ...(notes.length > 0
      ? { quote_area: { type: 0, quote_text: truncate(notes.join('\n'), QUOTE_MAX, FULL_TEXT_MARK) } }
      : {}),
  };
  if (buttons.length === 0) {
    return {
      msgtype: 'template_card',
      template_card: { card_type: 'text_notice', ...common, card_action: { type: 1, url: options.cardUrl } },
    };
  }
  const buttonList = renderButtons(buttons);
  if (!buttonList) return textBody(`${cardToText(card)}\n${KEY_TOO_LONG_HINT}`);
  return {
    msgtype: 'template_card',
    template_card: { card_type: 'button_interaction', ...common, button_list: buttonList },
  };
}

/** Renders an outbox body; never throws. */
export function renderWecom(body: OutboxBody, options: RenderOptions): WecomBody {
  try {
    if (body.kind === 'text') return textBody(body.text);
    return renderTemplateCard(body.card, options);
  } catch {
    try {
      return textBody(body.kind === 'card' ? cardToText(body.card) : String(body.text));
    } catch {
      return textBody('（此消息无法在企业微信中显示，请在网页控制台查看。）');
    }
  }
}

/** Only these cards can be changed later with update_template_card (and return a response_code). */
export function isUpdatableCard(body: WecomBody): boolean {
  return body.msgtype === 'template_card' && body.template_card.card_type === 'button_interaction';
}
