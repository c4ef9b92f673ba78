// The bot's own open_id (GET /open-apis/bot/v3/info), loaded once and kept: it never changes for an app.
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../core/log.ts';

export function botOpenIdLoader(
  client: () => Promise<lark.Client>,
  log: Logger,
): () => Promise<string | undefined> {
  let openId: string | undefined;
  return async () => {
    if (openId) return openId;
    try {
      const info = (await (await client()).request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as {
        bot?: { open_id?: string };
      };
      openId = info.bot?.open_id;
    } catch (error) {
      log.warn('feishu bot info not available', { error: String(error) });
    }
    return openId;
  };
}
