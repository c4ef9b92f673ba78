// WeCom (企业微信) self-built app as a channel: on with WECOM_CORP_ID. The webhook answers the URL check
// (GET) and encrypted callbacks (POST); WeCom cannot take a card in a callback's answer, so a card press
// is answered by updating the pressed card in place (with the press's response_code).
import type { ChannelDefinition } from '../channel.ts';
import { createWecomApi } from './api.ts';
import { wecomFetcher } from './media.ts';
import { createWecomSender } from './sender.ts';
import { createWecomStore } from './store.ts';
import { wecomWebhook } from './webhook.ts';

export const wecomChannel: ChannelDefinition = {
  name: 'wecom',
  answer: 'update',
  webhook: {
    path: '/webhooks/wecom',
    methods: ['GET', 'POST'],
    off: 'WeCom is not configured (WECOM_CORP_ID)',
  },
  open({ config, database, clock, log }) {
    const wecom = config.wecom;
    if (!wecom) return undefined;
    const store = createWecomStore(database.db);
    // One client (one access token) for the messages and the downloads.
    const api = createWecomApi({ config: wecom, clock, log });
    return {
      sender: createWecomSender({ config: wecom, store, clock, log, api }),
      fetcher: wecomFetcher(api),
      handleWebhook: ({ core, inbox, log }) => {
        const { verify, receive } = wecomWebhook({ config: wecom, core, inbox, log, clock });
        return { GET: verify, POST: receive };
      },
    };
  },
};
