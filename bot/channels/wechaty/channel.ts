// WeChat / WeCom groups through Wechaty as a channel: on with WECHATY_PUPPET (or a bot the caller made).
// A long connection to the puppet, Node only; cards become numbered text, so a press (a numbered reply) is
// answered with messages in the chat: the toast, then the card.
import type { Wechaty } from 'wechaty';
import type { WechatyConfig } from '../../env.ts';
import type { ChannelDefinition } from '../channel.ts';
import { connectWechaty } from './adapter.ts';
import { createWechatySender } from './sender.ts';

async function buildWechaty(config: WechatyConfig): Promise<Wechaty> {
  const { WechatyBuilder } = await import('wechaty');
  return WechatyBuilder.build({
    name: 'yigang-shuangze',
    puppet: config.puppet as never,
    puppetOptions: config.token ? { token: config.token } : undefined,
  });
}

export const wechatyChannel: ChannelDefinition = {
  name: 'wechaty',
  answer: 'message',
  async open({ config, database, log, clock, given }) {
    const bot = given.wechaty ?? (config.wechaty ? await buildWechaty(config.wechaty) : undefined);
    if (!bot) return undefined;
    return {
      sender: createWechatySender(bot, database.db),
      connect: ({ core }) => connectWechaty({ bot, core, db: database.db, log, clock }),
      async start() {
        log.info('starting Wechaty', { puppet: config.wechaty?.puppet });
        // A puppet that cannot log in must not take the webhooks of the other channels down with it.
        await bot.start().catch((error) => log.error('Wechaty did not start', { error: String(error) }));
      },
      async close() {
        if (bot.isLoggedIn || bot.state.active()) await bot.stop();
      },
    };
  },
};
