// Outbox bodies → 智能机器人 message bodies. A card is the same WeCom template_card the self-built app
// sends (bot/channels/wecom/render.ts: button_interaction with the buttons, text_notice without), so the
// rendering is shared; text goes as markdown, the text type of a proactive send (主动推送消息:
// markdown or template_card, https://developer.work.weixin.qq.com/document/path/101463).
import type { OutboxBody } from '../../../db/schema.ts';
import { renderWecom } from '../wecom/render.ts';
import { DEFAULT_CARD_URL } from '../wecom/sender.ts';

type Json = Record<string, unknown>;

export type BotBody =
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'template_card'; template_card: Json };

/** Renders an outbox body for `aibot_send_msg`; never throws (the WeCom rendering falls back to text). */
export function renderBot(body: OutboxBody, taskId: string): BotBody {
  const rendered = renderWecom(body, { taskId, cardUrl: DEFAULT_CARD_URL });
  if (rendered.msgtype === 'template_card') return rendered;
  // Already cut to the app's text limit (2048 bytes), well within a markdown message's.
  return { msgtype: 'markdown', markdown: { content: rendered.text.content } };
}
