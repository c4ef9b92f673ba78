// A channel-neutral card: a small tree each channel renders natively (Feishu card JSON 2.0, WeCom
// template_card, numbered text for Wechaty, HTML for the console). Handlers only ever build these.

export type Tone = 'blue' | 'green' | 'orange' | 'red' | 'grey';

export interface Button {
  label: string;
  /** The action name routed to a handler, e.g. `hazard.accept`. */
  action: string;
  args: Record<string, string>;
  style?: 'primary' | 'danger' | 'default';
}

export interface FormInput {
  name: string;
  label: string;
  placeholder?: string;
  required?: boolean;
  multiline?: boolean;
}

/** A stored photo shown on a card: the product's own file id (never a platform key), and its caption. */
export interface CardImage {
  fileId: number;
  label: string;
}

export type Block =
  | { kind: 'text'; text: string }
  /**
   * Photos. A channel that shows images in cards (Feishu: uploaded at send time) renders them with their
   * labels under `caption`; any other shows `fallback`, a line saying how many there are and where to
   * see them.
   */
  | { kind: 'images'; images: CardImage[]; caption: string; fallback: string }
  | { kind: 'fields'; fields: { label: string; value: string }[] }
  | { kind: 'divider' }
  | { kind: 'note'; text: string }
  | { kind: 'actions'; buttons: Button[] }
  | { kind: 'form'; name: string; inputs: FormInput[]; submit: Button };

export interface Card {
  title: string;
  tone: Tone;
  blocks: Block[];
  /**
   * The card is a list (帮助, 我的职责, 隐患台账, 我的待办, progress): its content is as long as the list.
   * A channel whose cards show little (WeCom's template_card) sends such a card as text messages, whole.
   */
  list?: boolean;
}

/** Builders keep card construction terse in the feature modules. */
export const card = (title: string, tone: Tone, blocks: (Block | false | undefined)[]): Card => ({
  title,
  tone,
  blocks: blocks.filter((block): block is Block => Boolean(block)),
});
/** A list-like card (see `Card.list`). */
export const listCard = (title: string, tone: Tone, blocks: (Block | false | undefined)[]): Card => ({
  ...card(title, tone, blocks),
  list: true,
});
export const text = (value: string): Block => ({ kind: 'text', text: value });
export const note = (value: string): Block => ({ kind: 'note', text: value });
export const divider = (): Block => ({ kind: 'divider' });
export const images = (list: CardImage[], caption: string, fallback: string): Block => ({
  kind: 'images',
  images: list,
  caption,
  fallback,
});
/** The file ids of a card's images, in order, each once. */
export const imagesOf = (value: Card): number[] => [
  ...new Set(
    value.blocks.flatMap((block) => (block.kind === 'images' ? block.images.map((i) => i.fileId) : [])),
  ),
];
export const fields = (entries: [label: string, value: string | null | undefined][]): Block => ({
  kind: 'fields',
  fields: entries
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([label, value]) => ({ label, value })),
});
export const actions = (...buttons: Button[]): Block => ({ kind: 'actions', buttons });
export const button = (
  label: string,
  action: string,
  args: Record<string, string>,
  style: Button['style'] = 'default',
): Button => ({ label, action, args, style });

/** Every button of a card, in order: the numbered-text rendering and the console both use this. */
export function buttonsOf(value: Card): Button[] {
  return value.blocks.flatMap((block) =>
    block.kind === 'actions' ? block.buttons : block.kind === 'form' ? [block.submit] : [],
  );
}

/** Plain-text rendering: the fallback for any channel that cannot render a card. Never throws. */
export function cardToText(value: Card, numberedButtons = false): string {
  const lines = [`【${value.title}】`];
  for (const block of value.blocks) {
    switch (block.kind) {
      case 'text':
      case 'note':
        lines.push(block.text);
        break;
      case 'images':
        lines.push(block.fallback);
        break;
      case 'fields':
        for (const field of block.fields) lines.push(`${field.label}：${field.value}`);
        break;
      case 'divider':
        lines.push('——————');
        break;
      case 'actions':
      case 'form':
        break;
    }
  }
  if (numberedButtons) {
    buttonsOf(value).forEach((b, index) => {
      lines.push(`回复 ${index + 1} ${b.label}`);
    });
  }
  return lines.join('\n');
}

/** Marks a text that a channel had to shorten: the web console always shows it whole. */
export const FULL_TEXT_MARK = '…（全文见后台）';

/** Cuts to at most `max` characters (code points, never half a surrogate pair), ending with `mark`. */
export function truncate(value: string, max: number, mark = '…'): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  const markLength = Array.from(mark).length;
  return `${chars.slice(0, Math.max(max - markLength, 0)).join('')}${mark}`;
}

const encoder = new TextEncoder();
/** The UTF-8 size of a string, in bytes. */
export const utf8Bytes = (value: string): number => encoder.encode(value).length;

/** Cuts to at most `max` UTF-8 bytes without splitting a character, ending with `mark`. */
export function truncateBytes(value: string, max: number, mark = '…'): string {
  if (utf8Bytes(value) <= max) return value;
  let out = '';
  let bytes = 0;
  const budget = max - utf8Bytes(mark);
  for (const char of value) {
    const size = utf8Bytes(char);
    if (bytes + size > budget) break;
    out += char;
    bytes += size;
  }
  return `${out}${mark}`;
}

/** What `splitText` reserves in each part for its `（k/n）` line. */
const PART_HEADER_BYTES = utf8Bytes('（999/999）\n');

/**
 * A text as parts of at most `max` UTF-8 bytes, for a platform that takes no longer message: split
 * between lines (a line longer than a part between characters), so every line arrives whole and in
 * order. A text that fits is one part, unchanged; otherwise each part begins with a line `（k/n）`.
 * With `limit`, at most `limit.parts` parts: the last one kept then ends with the line `limit.mark`
 * (nothing is cut silently).
 */
export function splitText(value: string, max: number, limit?: { parts: number; mark: string }): string[] {
  if (utf8Bytes(value) <= max) return [value];
  const budget = Math.max(max - PART_HEADER_BYTES, 4);
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  const add = (piece: string, bytes: number) => {
    // A line joins the part with its newline, unless it is the part's first.
    const cost = current.length === 0 ? bytes : bytes + 1;
    if (current.length > 0 && size + cost > budget) {
      parts.push(current.join('\n'));
      current = [piece];
      size = bytes;
      return;
    }
    current.push(piece);
    size += cost;
  };
  for (const line of value.split('\n')) {
    const bytes = utf8Bytes(line);
    if (bytes <= budget) {
      add(line, bytes);
      continue;
    }
    // A line longer than a part: pieces of it, split between characters, each a line of its own.
    let piece = '';
    let pieceBytes = 0;
    for (const char of line) {
      const charBytes = utf8Bytes(char);
      if (pieceBytes + charBytes > budget) {
        add(piece, pieceBytes);
        piece = '';
        pieceBytes = 0;
      }
      piece += char;
      pieceBytes += charBytes;
    }
    if (piece !== '') add(piece, pieceBytes);
  }
  if (current.length > 0) parts.push(current.join('\n'));
  if (limit && parts.length > limit.parts) {
    parts.length = Math.max(limit.parts, 1);
    const room = budget - utf8Bytes(`\n${limit.mark}`);
    const lines = parts[parts.length - 1]!.split('\n');
    while (lines.length > 1 && utf8Bytes(lines.join('\n')) > room) lines.pop();
    parts[parts.length - 1] = `${truncateBytes(lines.join('\n'), Math.max(room, 0), '')}\n${limit.mark}`;
  }
  return parts.map((part, index) => `（${index + 1}/${parts.length}）\n${part}`);
}

/** Texts shorter than this are never cut by `fitCard`: cutting them saves little and loses the sense. */
const FIT_MIN_CHARS = 40;

/**
 * The card shortened until `size(card)` is at most `max` (a platform's size limit, measured the
 * platform's way): the longest text, note or field value is halved, marked with FULL_TEXT_MARK, until
 * the card fits. When cutting texts is not enough, the card keeps its title, buttons and one note.
 */
export function fitCard(value: Card, size: (card: Card) => number, max: number): Card {
  let current = value;
  for (let round = 0; round < 64 && size(current) > max; round++) {
    const cut = cutLongestText(current);
    if (!cut) break;
    current = cut;
  }
  if (size(current) <= max) return current;
  const buttons = buttonsOf(value);
  const bare = card(value.title, value.tone, [
    note('此卡片内容过长，请在网页控制台查看全文。'),
    buttons.length > 0 && actions(...buttons),
  ]);
  return size(bare) <= max ? bare : card(truncate(value.title, 40), value.tone, [bare.blocks[0]]);
}

function cutLongestText(value: Card): Card | undefined {
  let longest: { block: number; field?: number; length: number } | undefined;
  value.blocks.forEach((block, index) => {
    const consider = (text: string, field?: number) => {
      const length = Array.from(text).length;
      if (length >= FIT_MIN_CHARS && (!longest || length > longest.length)) {
        longest = { block: index, field, length };
      }
    };
    if (block.kind === 'text' || block.kind === 'note') consider(block.text);
    if (block.kind === 'fields') {
      block.fields.forEach((entry, field) => {
        consider(entry.value, field);
      });
    }
  });
  if (!longest) return undefined;
  const { block: at, field: fieldAt, length } = longest;
  // The first half stays (an earlier mark at the end goes with the other half).
  const shorter = (text: string) => truncate(text, Math.floor(length / 2), FULL_TEXT_MARK);
  const blocks = value.blocks.map((block, index): Block => {
    if (index !== at) return block;
    if (block.kind === 'text' || block.kind === 'note') return { ...block, text: shorter(block.text) };
    if (block.kind === 'fields') {
      return {
        ...block,
        fields: block.fields.map((entry, field) =>
          field === fieldAt ? { ...entry, value: shorter(entry.value) } : entry,
        ),
      };
    }
    return block;
  });
  return { ...value, blocks };
}
