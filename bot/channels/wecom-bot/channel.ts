// The WeCom 智能机器人 as a channel: on with WECOM_BOT_ID and WECOM_BOT_SECRET. One outbound long
// connection (no public address), group @-messages and single chats. A button press is answered on the
// connection that brought it (AnswerKind 'response'): the core returns the card as it now is and the
// connection updates the pressed card with the event's req_id, within WeCom's 5 s.
import type { ChannelDefinition } from '../channel.ts';
import { createBotConnection } from './connection.ts';
import { createBotSender } from './sender.ts';

export const wecomBotChannel: ChannelDefinition = {
  name: 'wecom_bot',
  answer: 'response',
  open({ config, database, log }) {
    const bot = config.wecomBot;
    if (!bot) return undefined;
    const connection = createBotConnection({ config: bot, database, log });
    return {
      sender: createBotSender(connection, database.db),
      connect: (runtime) => connection.attach(runtime),
      async start() {
        await connection
          .start()
          .catch((error) => log.error('wecom bot did not start', { error: String(error) }));
      },
      close: () => connection.close(),
      health: () => {
        const { lastError, ...health } = connection.health();
        return {
          ok: health.role !== 'holder' || health.connected,
          state: health.role === 'holder' ? (health.connected ? 'connected' : 'connecting') : health.role,
          ...health,
          ...(lastError ? { lastError: { message: lastError } } : {}),
        };
      },
    };
  },
};
