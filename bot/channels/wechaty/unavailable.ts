// Stands in for the `wechaty` package in the Workers bundle (wrangler.toml [alias]): Wechaty holds a
// long-lived connection to its puppet and runs only in the Node process.
const unavailable = () => {
  throw new Error('Wechaty does not run on Cloudflare Workers; run the Node entry (npm start) for it');
};

export const WechatyBuilder = { build: unavailable };
export const types = { Message: {} };
