// Every channel, in one map: the service opens them from it, bot/app.ts mounts their webhooks from it.
// A new channel (Feishu WebSocket, WeCom 智能机器人, DingTalk Stream…) is a folder of its own with a
// ChannelDefinition (bot/channels/channel.ts), added here. The order is the order of `/healthz`'s list.
import type { Channel } from '../core/types.ts';
import type { ChannelDefinition } from './channel.ts';
import { consoleChannel } from './console/channel.ts';
import { feishuChannel } from './feishu/channel.ts';
import { wechatyChannel } from './wechaty/channel.ts';
import { wecomChannel } from './wecom/channel.ts';
import { wecomBotChannel } from './wecom-bot/channel.ts';

export const CHANNELS = {
  console: consoleChannel,
  feishu: feishuChannel,
  wecom: wecomChannel,
  wechaty: wechatyChannel,
  wecom_bot: wecomBotChannel,
} as const satisfies Record<Channel, ChannelDefinition>;

export const channelDefinitions: readonly ChannelDefinition[] = Object.values(CHANNELS);
