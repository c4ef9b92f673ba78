// Feishu / Lark as a channel: on with FEISHU_APP_ID. Events and card callbacks come over the SDK's long
// connection (FEISHU_MODE=websocket, ./websocket.ts) or to one webhook (webhook); both take one path
// (./events.ts), and a card press is answered in the callback's response (the toast and the card as it
// now is) either way.
import type { ChannelDefinition } from '../channel.ts';
import { botOpenIdLoader } from './bot-info.ts';
import { feishuEvents } from './events.ts';
import { feishuFetcher } from './resources.ts';
import { createFeishuClient, createFeishuSender } from './sender.ts';
import { feishuWebhook, feishuWebhookBusy } from './webhook.ts';
import { feishuConnection } from './websocket.ts';

/**
 * The webhook in websocket mode without a verification token or encrypt key: nothing to verify a request
 * with, so it is refused as the route of a channel that is off, saying why.
 */
const WEBHOOK_UNVERIFIABLE =
  'Feishu events come over the long connection (FEISHU_MODE=websocket); to take callbacks on this ' +
  'webhook as well, set FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY';

export const feishuChannel: ChannelDefinition = {
  name: 'feishu',
  answer: 'response',
  webhook: { path: '/webhooks/feishu', methods: ['POST'], off: 'Feishu is not configured (FEISHU_APP_ID)' },
  open({ config, database, evidence, log, clock }) {
    const feishu = config.feishu;
    if (!feishu) return undefined;
    const client = createFeishuClient(feishu);
    const imageKeys = (tenantId: number) => client.images.of(tenantId);
    const botOpenId = botOpenIdLoader(client.client, log);
    // In websocket mode the webhook still serves when it can verify what it receives: the developer
    // console sets the subscription mode of events and of callbacks separately, so one may come by HTTP.
    const verifiable = Boolean(feishu.verificationToken || feishu.encryptKey);
    const connection =
      feishu.mode === 'websocket' ? feishuConnection({ config: feishu, log, clock }) : undefined;
    return {
      sender: createFeishuSender(client, { db: database.db, clock, readPhoto: evidence?.read, log }),
      fetcher: feishuFetcher(client),
      handleWebhook: ({ core, inbox, log, clock }) => {
        if (feishu.mode !== 'webhook' && !verifiable)
          return { POST: (c) => c.json({ error: WEBHOOK_UNVERIFIABLE }, 404) };
        const options = { config: feishu, core, inbox, log, botOpenId, imageKeys, clock };
        return { POST: feishuWebhook(options), busy: feishuWebhookBusy(options) };
      },
      ...(connection && {
        connect: ({ core, inbox, log }) =>
          connection.attach(feishuEvents({ appId: feishu.appId, core, inbox, log, botOpenId, imageKeys })),
        start: () => connection.start(),
        close: () => connection.close(),
        health: () => {
          const status = connection.status();
          return { ok: status.state === 'connected', ...status };
        },
      }),
    };
  },
};
