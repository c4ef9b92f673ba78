// Stands in for `@wecom/aibot-node-sdk` in the Workers bundle (wrangler.toml [alias]): the 智能机器人's
// long connection is held by a Node instance (npm start); Workers never open it.
export class WSClient {
  constructor() {
    throw new Error('The WeCom 智能机器人 connection does not run on Cloudflare Workers; run the Node entry');
  }
}
