// The web console's rendering of a neutral card (cards/model.ts) as HTML: the title in its tone's
// colour, fields as a definition list, text and notes, buttons as POST forms, and `form` blocks as real
// HTML forms whose submit posts the action with the values typed. Every string is escaped by Hono's
// `html` template (the console's one HTML regime).
// Rendering never throws: a card it cannot read falls back to the card's text, then to a placeholder.
import { html } from 'hono/html';
import { type Block, type Button, type Card, cardToText, type FormInput } from '../../../cards/model.ts';

/** Where a card's buttons post, and the hidden fields each press carries (CSRF token, person). */
export interface PressTarget {
  url: string;
  hidden: Record<string, string>;
}

/** The name prefix of a form block's inputs in the posted form (keeps them apart from the hidden fields). */
export const FORM_FIELD_PREFIX = 'form.';

/** Each tone's colour: the console's stylesheet sets it as `--tone` of `.card.tone-<tone>`. */
export const TONE_COLOUR: Record<Card['tone'], string> = {
  blue: '#3370ff',
  green: '#2ea121',
  orange: '#de7802',
  red: '#d83931',
  grey: '#646a73',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown) => (typeof value === 'string' ? value : value == null ? '' : String(value));

/** An HTML fragment: Hono's `html` template, which escapes every value spliced in. */
export type Html = ReturnType<typeof html>;

function hiddenFields(target: PressTarget, button: Button): Html[] {
  const args = isRecord(button.args)
    ? Object.fromEntries(Object.entries(button.args).map(([key, value]) => [key, str(value)]))
    : {};
  const fields = { ...target.hidden, action: str(button.action), args: JSON.stringify(args) };
  return Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
}

function buttonStyle(button: Button): string {
  return button.style === 'primary' || button.style === 'danger' ? button.style : 'default';
}

function pressButton(button: Button, target: PressTarget | undefined): Html {
  const label = str(button.label);
  const style = buttonStyle(button);
  if (!target) return html`<button type="button" class="btn ${style}" disabled>${label}</button>`;
  return html`<form method="post" action="${target.url}" class="press">${hiddenFields(target, button)}<button type="submit" class="btn ${style}">${label}</button></form>`;
}

function inputHtml(input: FormInput, id: string): Html {
  const name = FORM_FIELD_PREFIX + str(input.name);
  const attrs = html`id="${id}" name="${name}"${input.placeholder ? html` placeholder="${str(input.placeholder)}"` : ''}${input.required ? html` required` : ''}`;
  const control = input.multiline
    ? html`<textarea ${attrs} rows="3"></textarea>`
    : html`<input type="text" ${attrs} autocomplete="off">`;
  return html`<label for="${id}">${str(input.label)}${input.required ? html`<span class="req">*</span>` : ''}</label>${control}`;
}

function blockHtml(block: Block, target: PressTarget | undefined, idPrefix: string, index: number): Html {
  switch (block.kind) {
    case 'text':
      return html`<p class="card-text">${str(block.text)}</p>`;
    case 'note':
      return html`<p class="card-note">${str(block.text)}</p>`;
    case 'images':
      return html`<p class="card-note">${str(block.fallback)}</p>`;
    case 'divider':
      return html`<hr class="card-divider">`;
    case 'fields': {
      const list = Array.isArray(block.fields) ? block.fields : [];
      if (list.length === 0) return html``;
      return html`<dl class="card-fields">${list.map(
        (field) => html`<dt>${str(field.label)}</dt><dd>${str(field.value)}</dd>`,
      )}</dl>`;
    }
    case 'actions': {
      const buttons = Array.isArray(block.buttons) ? block.buttons : [];
      return html`<div class="card-actions">${buttons.map((button) => pressButton(button, target))}</div>`;
    }
    case 'form': {
      const inputs = Array.isArray(block.inputs) ? block.inputs : [];
      const fields = inputs.map((input, position) => inputHtml(input, `${idPrefix}-f${index}-${position}`));
      const submit = block.submit;
      const style = buttonStyle(submit);
      if (!target) {
        return html`<div class="card-form">${fields}<button type="button" class="btn ${style}" disabled>${str(submit.label)}</button></div>`;
      }
      return html`<form method="post" action="${target.url}" class="card-form" data-form="${str(block.name)}">${hiddenFields(target, submit)}${fields}<button type="submit" class="btn ${style}">${str(submit.label)}</button></form>`;
    }
    default:
      return html``;
  }
}

function looksLikeCard(value: unknown): value is Card {
  return isRecord(value) && typeof value.title === 'string' && Array.isArray(value.blocks);
}

/**
 * A card as an HTML fragment. Without a target the buttons are shown disabled (e.g. a card that was
 * replaced). Never throws.
 */
export function cardHtml(value: unknown, target?: PressTarget, idPrefix = 'card'): Html {
  try {
    if (!looksLikeCard(value)) throw new Error('not a card');
    const tone = (Object.hasOwn(TONE_COLOUR, str(value.tone)) ? value.tone : 'blue') as Card['tone'];
    const blocks = value.blocks.map((block, index) => {
      try {
        return isRecord(block) ? blockHtml(block as Block, target, idPrefix, index) : '';
      } catch {
        return '';
      }
    });
    return html`<article class="card tone-${tone}"><header class="card-title">${value.title}</header><div class="card-body">${blocks}</div></article>`;
  } catch {
    return fallbackHtml(value);
  }
}

/** A card as an HTML string (cardHtml). Never throws. */
export const renderCardHtml = (value: unknown, target?: PressTarget, idPrefix = 'card'): string =>
  cardHtml(value, target, idPrefix).toString();

function fallbackHtml(value: unknown): Html {
  try {
    const text = looksLikeCard(value) ? cardToText(value) : JSON.stringify(value);
    return html`<pre class="card-fallback">${str(text)}</pre>`;
  } catch {
    return html`<p class="card-fallback">（无法显示的消息）</p>`;
  }
}

/** A text message: escaped, line breaks kept by CSS. */
export function textHtml(text: unknown): Html {
  return html`<div class="text-body">${str(text)}</div>`;
}

/** An outbox body (`{kind:'text'|'card'}`) as HTML. Never throws. */
export function bodyHtml(body: unknown, target?: PressTarget, idPrefix?: string): Html {
  if (isRecord(body) && body.kind === 'text') return textHtml(body.text);
  if (isRecord(body) && body.kind === 'card') return cardHtml(body.card, target, idPrefix);
  return fallbackHtml(body);
}

/** A short plain summary of a body (lists, titles): the text's start or the card's title. */
export function bodySummary(body: unknown, max = 80): string {
  try {
    if (isRecord(body) && body.kind === 'text') {
      const text = str(body.text).replace(/\s+/g, ' ').trim();
      return text.length > max ? `${text.slice(0, max)}…` : text;
    }
    if (isRecord(body) && body.kind === 'card' && looksLikeCard(body.card))
      return `［卡片］${body.card.title}`;
  } catch {}
  return '（消息）';
}
