// The web console's rendering of a neutral card (cards/model.ts) as HTML: the title in its tone's
// colour, fields as a definition list, text and notes, buttons as POST forms, and `form` blocks as real
// HTML forms whose submit posts the action with the values typed. Every string is escaped here.
// Rendering never throws: a card it cannot read falls back to the card's text, then to a placeholder.
import { type Block, type Button, type Card, cardToText, type FormInput } from '../../../cards/model.ts';

/** Where a card's buttons post, and the hidden fields each press carries (CSRF token, person). */
export interface PressTarget {
  url: string;
  hidden: Record<string, string>;
}

/** The name prefix of a form block's inputs in the posted form (keeps them apart from the hidden fields). */
export const FORM_FIELD_PREFIX = 'form.';

export const TONE_COLOUR: Record<Card['tone'], string> = {
  blue: '#3370ff',
  green: '#2ea121',
  orange: '#de7802',
  red: '#d83931',
  grey: '#646a73',
};

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown) => (typeof value === 'string' ? value : value == null ? '' : String(value));

function hiddenFields(target: PressTarget, button: Button): string {
  const args = isRecord(button.args)
    ? Object.fromEntries(Object.entries(button.args).map(([key, value]) => [key, str(value)]))
    : {};
  const fields = { ...target.hidden, action: str(button.action), args: JSON.stringify(args) };
  return Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
}

function buttonStyle(button: Button): string {
  return button.style === 'primary' || button.style === 'danger' ? button.style : 'default';
}

function pressButton(button: Button, target: PressTarget | undefined): string {
  const label = escapeHtml(button.label);
  const style = buttonStyle(button);
  if (!target) return `<button type="button" class="btn ${style}" disabled>${label}</button>`;
  return (
    `<form method="post" action="${escapeHtml(target.url)}" class="press">${hiddenFields(target, button)}` +
    `<button type="submit" class="btn ${style}">${label}</button></form>`
  );
}

function inputHtml(input: FormInput, id: string): string {
  const name = escapeHtml(FORM_FIELD_PREFIX + str(input.name));
  const attrs =
    `id="${id}" name="${name}"` +
    (input.placeholder ? ` placeholder="${escapeHtml(input.placeholder)}"` : '') +
    (input.required ? ' required' : '');
  const control = input.multiline
    ? `<textarea ${attrs} rows="3"></textarea>`
    : `<input type="text" ${attrs} autocomplete="off">`;
  return `<label for="${id}">${escapeHtml(input.label)}${input.required ? '<span class="req">*</span>' : ''}</label>${control}`;
}

function blockHtml(block: Block, target: PressTarget | undefined, idPrefix: string, index: number): string {
  switch (block.kind) {
    case 'text':
      return `<p class="card-text">${escapeHtml(block.text)}</p>`;
    case 'note':
      return `<p class="card-note">${escapeHtml(block.text)}</p>`;
    case 'divider':
      return '<hr class="card-divider">';
    case 'fields': {
      const list = Array.isArray(block.fields) ? block.fields : [];
      if (list.length === 0) return '';
      return `<dl class="card-fields">${list
        .map((field) => `<dt>${escapeHtml(field.label)}</dt><dd>${escapeHtml(field.value)}</dd>`)
        .join('')}</dl>`;
    }
    case 'actions': {
      const buttons = Array.isArray(block.buttons) ? block.buttons : [];
      return `<div class="card-actions">${buttons.map((button) => pressButton(button, target)).join('')}</div>`;
    }
    case 'form': {
      const inputs = Array.isArray(block.inputs) ? block.inputs : [];
      const fields = inputs
        .map((input, position) => inputHtml(input, `${idPrefix}-f${index}-${position}`))
        .join('');
      const submit = block.submit;
      const style = buttonStyle(submit);
      if (!target) {
        return `<div class="card-form">${fields}<button type="button" class="btn ${style}" disabled>${escapeHtml(submit.label)}</button></div>`;
      }
      return (
        `<form method="post" action="${escapeHtml(target.url)}" class="card-form" data-form="${escapeHtml(block.name)}">` +
        `${hiddenFields(target, submit)}${fields}` +
        `<button type="submit" class="btn ${style}">${escapeHtml(submit.label)}</button></form>`
      );
    }
    default:
      return '';
  }
}

function looksLikeCard(value: unknown): value is Card {
  return isRecord(value) && typeof value.title === 'string' && Array.isArray(value.blocks);
}

/**
 * A card as an HTML fragment. Without a target the buttons are shown disabled (e.g. a card that was
 * replaced). Never throws.
 */
export function renderCardHtml(value: unknown, target?: PressTarget, idPrefix = 'card'): string {
  try {
    if (!looksLikeCard(value)) throw new Error('not a card');
    const tone = (Object.hasOwn(TONE_COLOUR, str(value.tone)) ? value.tone : 'blue') as Card['tone'];
    const blocks = value.blocks
      .map((block, index) => {
        try {
          return isRecord(block) ? blockHtml(block as Block, target, idPrefix, index) : '';
        } catch {
          return '';
        }
      })
      .join('');
    return (
      `<article class="card tone-${tone}" style="--tone:${TONE_COLOUR[tone]}">` +
      `<header class="card-title">${escapeHtml(value.title)}</header>` +
      `<div class="card-body">${blocks}</div></article>`
    );
  } catch {
    return renderFallback(value);
  }
}

function renderFallback(value: unknown): string {
  try {
    const text = looksLikeCard(value) ? cardToText(value) : JSON.stringify(value);
    return `<pre class="card-fallback">${escapeHtml(text)}</pre>`;
  } catch {
    return '<p class="card-fallback">（无法显示的消息）</p>';
  }
}

/** A text message: escaped, line breaks kept by CSS. */
export function renderTextHtml(text: unknown): string {
  return `<div class="text-body">${escapeHtml(str(text))}</div>`;
}

/** An outbox body (`{kind:'text'|'card'}`) as HTML. Never throws. */
export function renderBodyHtml(body: unknown, target?: PressTarget, idPrefix?: string): string {
  if (isRecord(body) && body.kind === 'text') return renderTextHtml(body.text);
  if (isRecord(body) && body.kind === 'card') return renderCardHtml(body.card, target, idPrefix);
  return renderFallback(body);
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
