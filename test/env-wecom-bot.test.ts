// WECOM_BOT_*: the 智能机器人 is on when its id and secret are both set (DESIGN.md §5).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../bot/env.ts';

const errorOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('WeCom 智能机器人 configuration', () => {
  it('is on with the bot id and secret, on the official address unless told otherwise', () => {
    const config = parseConfig({ WECOM_BOT_ID: 'aib1', WECOM_BOT_SECRET: 's' });
    expect(config.demo).toBe(false);
    expect(config.wecomBot).toEqual({ botId: 'aib1', secret: 's', wsUrl: 'wss://openws.work.weixin.qq.com' });
    expect(
      parseConfig({ WECOM_BOT_ID: 'aib1', WECOM_BOT_SECRET: 's', WECOM_BOT_WS_URL: 'ws://127.0.0.1:9' })
        .wecomBot?.wsUrl,
    ).toBe('ws://127.0.0.1:9');
    expect(parseConfig({}).wecomBot).toBeUndefined();
  });

  it('wants both halves of the credentials and a ws(s) URL, and never echoes the secret', () => {
    expect(errorOf({ WECOM_BOT_ID: 'aib1' })).toContain(
      'WECOM_BOT_SECRET: is required when WECOM_BOT_ID is set',
    );
    const message = errorOf({ WECOM_BOT_SECRET: 'super-secret-value' });
    expect(message).toContain('WECOM_BOT_ID: is required when WECOM_BOT_SECRET is set');
    expect(message).not.toContain('super-secret-value');
    expect(errorOf({ WECOM_BOT_ID: 'a', WECOM_BOT_SECRET: 'b', WECOM_BOT_WS_URL: 'https://x' })).toContain(
      'WECOM_BOT_WS_URL: must be a ws(s) URL',
    );
  });
});
