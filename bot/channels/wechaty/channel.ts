// WeChat / WeCom groups through Wechaty as a channel: on with WECHATY_PUPPET (or a bot the caller made).
// A long connection to the puppet, Node only; cards become numbered text, so a press (a numbered reply) is
// answered with messages in the chat: the toast, then the card. Wechaty is an optional install (load.ts):
// without it the service starts, the other channels work, and `/healthz` says how to install it.
import type { Wechaty } from 'wechaty';
import type { WechatyConfig } from '../../env.ts';
import type { ChannelDefinition, ChannelHealth } from '../channel.ts';
import { connectWechaty } from './adapter.ts';
import { loadWechaty, type WechatyModule } from './load.ts';
import { createWechatySender } from './sender.ts';

function buildWechaty(wechaty: WechatyModule, config: WechatyConfig): Wechaty {
  return wechaty.WechatyBuilder.build({
    name: 'yigang-shuangze',
    puppet: config.puppet as never,
    puppetOptions: config.token ? { token: config.token } : undefined,
  });
}

/**
 * Wechaty's puppet packages reject promises no one awaits: wechaty-token's `wechaty://` resolver calls
 * the resolver listener of @grpc/grpc-js before 1.10, and with the locked 1.14 every token lookup, found or
 * not, rejects (wechaty/puppet-supports#772). Unhandled, Node ends the process and every channel with it;
 * here such a rejection stops the Wechaty channel only. Any other one is thrown on: the process ends as
 * it would have.
 */
function containPuppetFailures(onFailure: (error: unknown) => void): () => void {
  const listener = (reason: unknown) => {
    const stack = reason instanceof Error ? (reason.stack ?? '') : '';
    if (!/[\\/]node_modules[\\/](wechaty|@grpc[\\/])/.test(stack)) throw reason;
    onFailure(reason);
  };
  process.on('unhandledRejection', listener);
  return () => process.off('unhandledRejection', listener);
}

/** The bot's login as `/healthz` tells it. */
function loginHealth(
  bot: Wechaty,
  failure: string | undefined,
  lastError: string | undefined,
): ChannelHealth {
  if (bot.isLoggedIn) return { ok: true, state: 'logged-in', message: '微信机器人已登录 / logged in' };
  if (failure) {
    return {
      ok: false,
      state: 'failed',
      message: `Wechaty 连接失败：${failure}（其他渠道照常工作）/ Wechaty failed: ${failure} (the other channels work)`,
    };
  }
  const last = lastError ? `；最近的错误：${lastError}` : '';
  const lastEn = lastError ? `; last error: ${lastError}` : '';
  return {
    ok: false,
    state: 'logged-out',
    message: `微信机器人未登录，消息在发件箱中等待${last} / not logged in, messages wait in the outbox${lastEn}`,
  };
}

export const wechatyChannel: ChannelDefinition = {
  name: 'wechaty',
  answer: 'message',
  async open({ config, database, log, clock, given }) {
    if (!given.wechaty && !config.wechaty) return undefined;
    const loaded = await loadWechaty(config.wechaty?.puppet);
    if (!loaded.ok) {
      log.error(loaded.health.message ?? loaded.health.state, { puppet: config.wechaty?.puppet });
      return { unavailable: loaded.health };
    }
    const bot = given.wechaty ?? (config.wechaty ? buildWechaty(loaded.wechaty, config.wechaty) : undefined);
    if (!bot) return undefined;
    let startError: string | undefined;
    let lastError: string | undefined;
    bot.on('error', (error) => {
      lastError = error instanceof Error ? error.message : String(error);
    });
    let release = () => {};
    return {
      sender: createWechatySender(bot, database.db),
      connect: ({ core, evidence }) =>
        connectWechaty({
          bot,
          types: loaded.wechaty.types.Message,
          core,
          db: database.db,
          log,
          clock,
          evidence,
        }),
      async start() {
        log.info('starting Wechaty', { puppet: config.wechaty?.puppet });
        // A puppet that cannot log in must not take the webhooks of the other channels down with it.
        const failed = (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          if (reason !== startError) log.error('Wechaty failed', { error: reason });
          startError = reason;
        };
        release = containPuppetFailures(failed);
        await bot.start().catch(failed);
      },
      async close() {
        release();
        if (bot.isLoggedIn || bot.state.active()) await bot.stop();
      },
      health: () => loginHealth(bot, startError, lastError),
    };
  },
};
