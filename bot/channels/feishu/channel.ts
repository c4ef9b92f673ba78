// Feishu / Lark as a channel: on with FEISHU_APP_ID. Events and card callbacks come to one webhook; a card
// press is answered in the callback's response (the toast and the card as it now is).
import type { ChannelDefinition } from '../channel.ts';
import { botOpenIdLoader } from './bot-info.ts';
import { createFeishuClient, createFeishuSender } from './sender.ts';
import { feishuWebhook } from './webhook.ts';

export const feishuChannel: ChannelDefinition = {
  name: 'feishu',
  answer: 'response',
  webhook: { path: '/webhooks/feishu', methods: ['POST'], off: 'Feishu is not configured (FEISHU_APP_ID)' },
  open({ config }) {
    const feishu = config.feishu;
    if (!feishu) return undefined;
    const client = createFeishuClient(feishu);
    return {
      sender: createFeishuSender(client),
      handleWebhook: ({ core, inbox, log, clock }) => ({
        POST: feishuWebhook({
          config: feishu,
          core,
          inbox,
          log,
          botOpenId: botOpenIdLoader(client.client, log),
          clock,
        }),
      }),
    };
  },
};
