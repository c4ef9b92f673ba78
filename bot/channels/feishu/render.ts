// Neutral card → Feishu card JSON 2.0.
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure
import {
  type Block,
  type Button,
  type Card,
  cardToText,
  FULL_TEXT_MARK,
  fitCard,
  truncate,
  truncateBytes,
  utf8Bytes,
} from '../../../cards/model.ts';
import { inertTags } from '../markup.ts';

type Json = Record<string, unknown>;

/**
 * im/v1/messages refuses a request body over 30 KB for a card and 150 KB for a text with 230025
 * ("message content too long"): https://open.feishu.cn/document/server-docs/im-v1/message/create
 */
export const FEISHU_CARD_MAX_BYTES = 30 * 1024;
export const FEISHU_TEXT_MAX_BYTES = 150 * 1024;
/** Room for the rest of the request body around its content (receive_id, msg_type, uuid). */
const BODY_OVERHEAD_BYTES = 1024;

/**
 * Card markdown: tags and entities made inert, and the markdown punctuation backslash-escaped, so user
 * text shows as typed.
 */
const escapeMarkdown = (value: string) => inertTags(value).replace(/([\\*_~`[\]()#|$])/g, '\\$1');

/** Text messages read tags and `[text](url)` links; brackets become full-width too. */
const inertText = (value: string) => inertTags(value).replace(/\[/g, '［').replace(/\]/g, '］');

/** What `content` weighs inside the JSON request body (it is sent as a JSON string). */
const bodyBytes = (content: unknown) => utf8Bytes(JSON.stringify(JSON.stringify(content)));

/** A text message's `content`, its user text inert and cut to fit Feishu's limit. */
export function feishuTextContent(text: string): string {
  const max = FEISHU_TEXT_MAX_BYTES - BODY_OVERHEAD_BYTES;
  let value = inertText(text);
  // Escapes make the body larger than the text: cut in proportion until it fits (once or twice).
  for (let size = bodyBytes({ text: value }); size > max; size = bodyBytes({ text: value })) {
    value = truncateBytes(value, Math.floor((utf8Bytes(value) * max) / size), FULL_TEXT_MARK);
  }
  return JSON.stringify({ text: value });
}

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

/** The Feishu `image_key` of a stored photo (uploaded for this app), if there is one. */
export type ImageKeyOf = (fileId: number) => string | undefined;

/**
 * Photos as JSON 2.0 `img` elements in a flowing row, each captioned; photos without an uploaded key (not
 * stored, refused by Feishu) are counted in a note instead.
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/content-components/image
 */
function renderImages(block: Extract<Block, { kind: 'images' }>, keyOf: ImageKeyOf): Json[] {
  const shown = block.images.flatMap((image) => {
    const key = keyOf(image.fileId);
    return key ? [{ image, key }] : [];
  });
  if (shown.length === 0)
    return [{ tag: 'markdown', content: escapeMarkdown(block.fallback), text_size: 'notation' }];
  const missing = block.images.length - shown.length;
  const elements: (Json | false)[] = [
    { tag: 'markdown', content: `**${escapeMarkdown(block.caption)}**` },
    {
      tag: 'column_set',
      flex_mode: 'flow',
      horizontal_spacing: '8px',
      columns: shown.map(({ image, key }) => ({
        tag: 'column',
        width: 'auto',
        elements: [
          {
            tag: 'img',
            img_key: key,
            alt: plain(image.label),
            scale_type: 'crop_center',
            size: 'large',
            preview: true,
          },
          { tag: 'markdown', content: escapeMarkdown(image.label), text_size: 'notation' },
        ],
      })),
    },
    missing > 0 && {
      tag: 'markdown',
      content: escapeMarkdown(`另有 ${missing} 张未能显示，请在管理后台查看。`),
      text_size: 'notation',
    },
  ];
  return elements.filter((element): element is Json => element !== false);
}

function renderBlock(block: Block, keyOf: ImageKeyOf): Json[] {
  switch (block.kind) {
    case 'images':
      return renderImages(block, keyOf);
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

function build(card: Card, keyOf: ImageKeyOf): Json {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(card.title), template: card.tone },
    body: { elements: card.blocks.flatMap((block) => renderBlock(block, keyOf)) },
  };
}

const NO_IMAGES: ImageKeyOf = () => undefined;

/**
 * The card in Feishu card JSON 2.0, shortened to fit Feishu's size limit; never throws. Its photos show
 * as images where `keyOf` has their uploaded `image_key`, else as the text line.
 */
export function renderFeishuCard(card: Card, keyOf: ImageKeyOf = NO_IMAGES): Json {
  try {
    return build(
      fitCard(card, (value) => bodyBytes(build(value, keyOf)), FEISHU_CARD_MAX_BYTES - BODY_OVERHEAD_BYTES),
      keyOf,
    );
  } catch {
    // Rendering never throws (DESIGN.md §2): fall back to the card as plain text.
    return {
      schema: '2.0',
      config: { update_multi: true },
      // At most 8 bytes a character once escaped and encoded twice: 3000 stay under the limit.
      body: {
        elements: [
          { tag: 'markdown', content: escapeMarkdown(truncate(cardToText(card), 3000, FULL_TEXT_MARK)) },
        ],
      },
    };
  }
}
