// The bot's own open_id (GET /open-apis/bot/v3/info), loaded once and kept: it never changes for an app.
// A message is written to the inbox only after it is normalized, and the 2 s answer gate runs meanwhile,
// so asking for the id must not hold a webhook: the first message after a start waits for the SDK to load
// and the request (about 1 s on an idle 2-core machine, measured 1.1–3.3 s under load), and a Feishu that
// does not answer would hold every message up to the client's timeout. A caller waits at most `waitMs`,
// then goes on without the id (normalize.ts: a group message with mentions counts as addressed to the
// bot, as Feishu delivers by default); the request goes on and every caller shares it. After a failure
// the id is asked for again only `retryAfterMs` later.
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../core/log.ts';

export interface BotOpenIdOptions {
  /** How long a caller waits for a request under way (default 1.2 s: well inside the 2 s gate). */
  waitMs?: number;
  /** After a failed request, how long callers go without asking again (default 60 s). */
  retryAfterMs?: number;
  /** Milliseconds now (tests). */
  now?: () => number;
}

export function botOpenIdLoader(
  client: () => Promise<lark.Client>,
  log: Logger,
  options: BotOpenIdOptions = {},
): () => Promise<string | undefined> {
  const waitMs = options.waitMs ?? 1200;
  const retryAfterMs = options.retryAfterMs ?? 60_000;
  const now = options.now ?? Date.now;
  let openId: string | undefined;
  let loading: Promise<string | undefined> | undefined;
  let failedAt: number | undefined;

  const load = async () => {
    try {
      const info = (await (await client()).request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as {
        bot?: { open_id?: string };
      };
      openId = info.bot?.open_id;
      if (!openId) throw new Error('no bot.open_id in the answer');
      failedAt = undefined;
    } catch (error) {
      failedAt = now();
      log.warn('feishu bot info not available', { error: String(error) });
    } finally {
      loading = undefined;
    }
    return openId;
  };

  return async () => {
    if (openId) return openId;
    if (!loading) {
      if (failedAt !== undefined && now() - failedAt < retryAfterMs) return undefined;
      loading = load();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    try {
      return await Promise.race([loading, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  };
}
