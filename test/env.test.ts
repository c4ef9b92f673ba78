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

describe('configuration', () => {
  it('defaults to demo mode with PGlite in ./data on port 3000', () => {
    expect(parseConfig({})).toMatchObject({
      port: 3000,
      dataDir: './data',
      demo: true,
      databaseUrl: undefined,
    });
  });

  it('believes X-Forwarded-For only from as many proxies as TRUST_PROXY names (none by default)', () => {
    expect(parseConfig({}).trustProxy).toBe(0);
    expect(parseConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(errorOf({ TRUST_PROXY: 'yes' })).toContain('TRUST_PROXY: must be a number');
    expect(errorOf({ TRUST_PROXY: '-1' })).toContain('TRUST_PROXY: must be between 0 and 10');
  });

  it('turns a channel on when its credentials are set', () => {
    const config = parseConfig({ FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 's', FEISHU_ENCRYPT_KEY: 'k' });
    expect(config.demo).toBe(false);
    expect(config.feishu).toMatchObject({ appId: 'cli_x', domain: 'https://open.feishu.cn' });
    expect(
      parseConfig({
        FEISHU_APP_ID: 'a',
        FEISHU_APP_SECRET: 'b',
        FEISHU_VERIFICATION_TOKEN: 't',
        FEISHU_DOMAIN: 'https://open.larksuite.com/',
      }).feishu?.domain,
    ).toBe('https://open.larksuite.com');
  });

  it('names each bad variable and what is wrong with it', () => {
    expect(errorOf({ PORT: 'eighty' })).toContain('PORT: must be a number');
    expect(errorOf({ PORT: '70000' })).toContain('PORT: must be between 1 and 65535');
    expect(errorOf({ DATABASE_URL: 'mysql://x' })).toContain(
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
    );
    expect(errorOf({ FEISHU_DOMAIN: 'open.feishu.cn' })).toContain('FEISHU_DOMAIN: must be an http(s) URL');
    expect(errorOf({ FEISHU_APP_ID: 'cli_x' })).toContain(
      'FEISHU_APP_SECRET: is required when FEISHU_APP_ID is set',
    );
    expect(errorOf({ FEISHU_APP_ID: 'a', FEISHU_APP_SECRET: 'b', FEISHU_MODE: 'webhook' })).toContain(
      'FEISHU_VERIFICATION_TOKEN',
    );
    expect(
      errorOf({
        WECOM_CORP_ID: 'ww1',
        WECOM_SECRET: 's',
        WECOM_AGENT_ID: '1',
        WECOM_TOKEN: 't',
        WECOM_ENCODING_AES_KEY: 'short',
      }),
    ).toContain('WECOM_ENCODING_AES_KEY: must be the 43-character EncodingAESKey');
  });

  it('receives Feishu over the long connection unless callback verification is set (FEISHU_MODE)', () => {
    const app = { FEISHU_APP_ID: 'cli_a5fa4e0000000001', FEISHU_APP_SECRET: 's' };
    expect(parseConfig(app).feishu?.mode).toBe('websocket');
    expect(parseConfig({ ...app, FEISHU_ENCRYPT_KEY: 'k' }).feishu?.mode).toBe('webhook');
    expect(parseConfig({ ...app, FEISHU_VERIFICATION_TOKEN: 't' }).feishu?.mode).toBe('webhook');
    expect(
      parseConfig({ ...app, FEISHU_VERIFICATION_TOKEN: 't', FEISHU_MODE: 'websocket' }).feishu?.mode,
    ).toBe('websocket');
    expect(errorOf({ ...app, FEISHU_MODE: 'http' })).toContain(
      'FEISHU_MODE: must be one of: websocket, webhook',
    );
    expect(errorOf({ ...app, FEISHU_MODE: 'webhook' })).toContain(
      'FEISHU_VERIFICATION_TOKEN: FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY is required',
    );
    // The SDK's long connection silently does nothing for any other app id: refused at start-up instead.
    expect(errorOf({ ...app, FEISHU_APP_ID: 'cli_x' })).toContain(
      'FEISHU_APP_ID: must be the App ID from the Feishu developer console (cli_ and 16 hexadecimal characters)',
    );
    expect(parseConfig({ ...app, FEISHU_APP_ID: 'cli_x', FEISHU_ENCRYPT_KEY: 'k' }).feishu?.mode).toBe(
      'webhook',
    );
  });

  it('never echoes secret values in its messages', () => {
    const message = errorOf({ FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 'super-secret-value' });
    expect(message).not.toContain('super-secret-value');
  });
});

// WECOM_BOT_*: the 智能机器人 is on when its id and secret are both set (DESIGN.md §5).
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

describe('the evidence bucket (EVIDENCE_S3_*)', () => {
  const bucket = {
    EVIDENCE_S3_ENDPOINT: 'https://acc0001.r2.cloudflarestorage.com/',
    EVIDENCE_S3_BUCKET: 'school-evidence',
    EVIDENCE_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    EVIDENCE_S3_SECRET_ACCESS_KEY: 'bucket-secret-value',
  };

  it('keeps evidence in the database unless the bucket is configured, region us-east-1 by default', () => {
    expect(parseConfig({}).evidenceS3).toBeUndefined();
    expect(parseConfig(bucket).evidenceS3).toEqual({
      endpoint: 'https://acc0001.r2.cloudflarestorage.com/',
      bucket: 'school-evidence',
      region: 'us-east-1',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'bucket-secret-value',
    });
    expect(parseConfig({ ...bucket, EVIDENCE_S3_REGION: 'auto' }).evidenceS3?.region).toBe('auto');
  });

  it('is all or nothing, names what is missing, and never echoes the secret', () => {
    const { EVIDENCE_S3_BUCKET: _bucket, EVIDENCE_S3_ACCESS_KEY_ID: _id, ...half } = bucket;
    const message = errorOf(half);
    expect(message).toContain('EVIDENCE_S3_BUCKET: is required when EVIDENCE_S3_ENDPOINT');
    expect(message).toContain('EVIDENCE_S3_ACCESS_KEY_ID: is required when');
    expect(message).not.toContain('bucket-secret-value');
    expect(errorOf({ EVIDENCE_S3_REGION: 'auto' })).toContain(
      'EVIDENCE_S3_ENDPOINT: is required when EVIDENCE_S3_REGION is set',
    );
    expect(errorOf({ ...bucket, EVIDENCE_S3_ENDPOINT: 'minio:9000' })).toContain(
      'EVIDENCE_S3_ENDPOINT: must be an http(s) URL',
    );
  });
});
