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

export type Block =
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: { label: string; value: string }[] }
  | { kind: 'divider' }
  | { kind: 'note'; text: string }
  | { kind: 'actions'; buttons: Button[] }
  | { kind: 'form'; name: string; inputs: FormInput[]; submit: Button };

export interface Card {
  title: string;
  tone: Tone;
  blocks: Block[];
}

/** Builders keep card construction terse in the feature modules. */
export const card = (title: string, tone: Tone, blocks: (Block | false | undefined)[]): Card => ({
  title,
  tone,
  blocks: blocks.filter((block): block is Block => Boolean(block)),
});
export const text = (value: string): Block => ({ kind: 'text', text: value });
export const note = (value: string): Block => ({ kind: 'note', text: value });
export const divider = (): Block => ({ kind: 'divider' });
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
