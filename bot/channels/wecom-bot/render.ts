// Outbox bodies → 智能机器人 message bodies. A card is the same WeCom template_card the self-built app
// sends (bot/channels/wecom/render.ts: button_interaction with the buttons, text_notice without), so the
// rendering is shared; text goes as markdown, the text type of a proactive send (主动推送消息:
// markdown or template_card, https://developer.work.weixin.qq.com/document/path/101463). A content too
// long for a card goes, as for the app, as text parts of at most 2048 bytes (split between lines, never
// cut), then the card with its buttons, if it has any.
import type { OutboxBody } from '../../../db/schema.ts';
import { renderWecom, renderWecomMessages, type WecomBody } from '../wecom/render.ts';
import { DEFAULT_CARD_URL } from '../wecom/sender.ts';

type Json = Record<string, unknown>;

export type BotBody =
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'template_card'; template_card: Json };

function asBot(rendered: WecomBody): BotBody {
  if (rendered.msgtype === 'template_card') return rendered;
  // At most the app's text limit (2048 bytes), well within a markdown message's.
  return { msgtype: 'markdown', markdown: { content: rendered.text.content } };
}

/** Renders an outbox body as one message (a card cut to fit, marked): a press's answer updates one card. */
export function renderBot(body: OutboxBody, taskId: string): BotBody {
  return asBot(renderWecom(body, { taskId, cardUrl: DEFAULT_CARD_URL }));
}

/** Every message an outbox body becomes for `aibot_send_msg`, in order; never throws. */
export function renderBotMessages(body: OutboxBody, taskId: string): BotBody[] {
  return renderWecomMessages(body, { taskId, cardUrl: DEFAULT_CARD_URL }).map(asBot);
}
