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

/** The bot's login as `/healthz` tells it. */
function loginHealth(bot: Wechaty, startError: string | undefined): ChannelHealth {
  if (startError) {
    return {
      ok: false,
      state: 'start-failed',
      message: `Wechaty 未能启动：${startError} / Wechaty did not start: ${startError}`,
    };
  }
  if (!bot.isLoggedIn) {
    return {
      ok: false,
      state: 'logged-out',
      message: '微信机器人未登录，消息在发件箱中等待 / not logged in; messages wait in the outbox',
    };
  }
  return { ok: true, state: 'logged-in', message: '微信机器人已登录 / logged in' };
}

export const wechatyChannel: ChannelDefinition = {
  name: 'wechaty',
  answer: 'message',
  async open({ config, database, log, clock, given }) {
    if (!given.wechaty && !config.wechaty) return undefined;
    const loaded = await loadWechaty(config.wechaty?.puppet);
    if (!loaded.ok) {
      log.error(loaded.health.message, { puppet: config.wechaty?.puppet });
      return { unavailable: loaded.health };
    }
    const bot = given.wechaty ?? (config.wechaty ? buildWechaty(loaded.wechaty, config.wechaty) : undefined);
    if (!bot) return undefined;
    let startError: string | undefined;
    return {
      sender: createWechatySender(bot, database.db),
      connect: ({ core }) =>
        connectWechaty({ bot, types: loaded.wechaty.types.Message, core, db: database.db, log, clock }),
      async start() {
        log.info('starting Wechaty', { puppet: config.wechaty?.puppet });
        // A puppet that cannot log in must not take the webhooks of the other channels down with it.
        await bot.start().catch((error) => {
          startError = error instanceof Error ? error.message : String(error);
          log.error('Wechaty did not start', { error: startError });
        });
      },
      async close() {
        if (bot.isLoggedIn || bot.state.active()) await bot.stop();
      },
      health: () => loginHealth(bot, startError),
    };
  },
};
