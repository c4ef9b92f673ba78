// Neutral card → Feishu card JSON 2.0.
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure
import { type Block, type Button, type Card, cardToText } from '../../../cards/model.ts';

type Json = Record<string, unknown>;

/** Feishu markdown treats these as markup; escape them so user text shows as typed. */
const escapeMarkdown = (value: string) => value.replace(/([\\*_~`[\]()<>#|])/g, '\\$1');

const plain = (content: string) => ({ tag: 'plain_text', content });

function renderButton(button: Button, formSubmit = false): Json {
  return {
    tag: 'button',
    text: plain(button.label),
    type: button.style === 'primary' ? 'primary' : button.style === 'danger' ? 'danger' : 'default',
    ...(formSubmit ? { form_action_type: 'submit', name: `submit_${button.action}` } : {}),
    behaviors: [{ type: 'callback', value: { action: button.action, args: button.args } }],
  };
}

function renderBlock(block: Block): Json[] {
  switch (block.kind) {
    case 'text':
      return [{ tag: 'markdown', content: escapeMarkdown(block.text) }];
    case 'note':
      return [{ tag: 'markdown', content: escapeMarkdown(block.text), text_size: 'notation' }];
    case 'divider':
      return [{ tag: 'hr' }];
    case 'fields':
      return block.fields.length === 0
        ? []
        : [
            {
              tag: 'markdown',
              content: block.fields
                .map((field) => `**${escapeMarkdown(field.label)}**：${escapeMarkdown(field.value)}`)
                .join('\n'),
            },
          ];
    case 'actions':
      return [
        {
          tag: 'column_set',
          flex_mode: 'flow',
          horizontal_spacing: '8px',
          columns: block.buttons.map((button) => ({
            tag: 'column',
            width: 'auto',
            elements: [renderButton(button)],
          })),
        },
      ];
    case 'form':
      return [
        {
          tag: 'form',
          name: block.name,
          elements: [
            ...block.inputs.map((input) => ({
              tag: 'input',
              name: input.name,
              required: input.required ?? false,
              label: plain(input.label),
              placeholder: plain(input.placeholder ?? ''),
              ...(input.multiline ? { input_type: 'multiline_text', rows: 3 } : {}),
            })),
            renderButton(block.submit, true),
          ],
        },
      ];
  }
}

export function renderFeishuCard(card: Card): Json {
  try {
    return {
      schema: '2.0',
      config: { update_multi: true },
      header: { title: plain(card.title), template: card.tone },
      body: { elements: card.blocks.flatMap(renderBlock) },
    };
  } catch {
    // Rendering never throws (DESIGN.md §2): fall back to the card as plain text.
    return {
      schema: '2.0',
      config: { update_multi: true },
      body: { elements: [{ tag: 'markdown', content: escapeMarkdown(cardToText(card)) }] },
    };
  }
}
