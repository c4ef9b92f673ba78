// The one reader of process.env: every setting is validated here, once, at start-up (DESIGN.md §5).
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from './core/log.ts';

/** What demo mode loads: the example school, or the example bureau over its three schools. */
export const DEMO_LEVELS = ['school', 'bureau'] as const;
export type DemoLevel = (typeof DEMO_LEVELS)[number];

import type { S3Options } from './core/s3.ts';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const url = (what: string) =>
  optionalText.refine((value) => value === undefined || /^https?:\/\/[^\s/]+/.test(value), {
    message: `must be an http(s) URL (${what})`,
  });

export const FEISHU_MODES = ['websocket', 'webhook'] as const;
/** How Feishu events and card callbacks reach us: the SDK's long connection, or HTTP to our webhook. */
export type FeishuMode = (typeof FEISHU_MODES)[number];
/** The app ids the SDK's long connection accepts. */
const FEISHU_APP_ID_PATTERN = /^cli_[0-9a-fA-F]{16}$/;

/**
 * FEISHU_MODE, or when unset: webhook if callback verification is configured (an install from before the
 * long connection), else websocket (a new install needs no public address). DESIGN.md §5.
 */
function feishuMode(env: {
  FEISHU_MODE?: FeishuMode;
  FEISHU_ENCRYPT_KEY?: string;
  FEISHU_VERIFICATION_TOKEN?: string;
}): FeishuMode {
  if (env.FEISHU_MODE) return env.FEISHU_MODE;
  return env.FEISHU_ENCRYPT_KEY || env.FEISHU_VERIFICATION_TOKEN ? 'webhook' : 'websocket';
}

const EVIDENCE_S3_VARIABLES = [
  'EVIDENCE_S3_ENDPOINT',
  'EVIDENCE_S3_BUCKET',
  'EVIDENCE_S3_REGION',
  'EVIDENCE_S3_ACCESS_KEY_ID',
  'EVIDENCE_S3_SECRET_ACCESS_KEY',
] as const;

const envSchema = z
  .object({
    PORT: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .default(3000),
    HOST: optionalText.refine(
      (value) =>
        value === undefined ||
        z.ipv4().safeParse(value).success ||
        z.ipv6().safeParse(value).success ||
        /^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(value),
      'must be an IP address or a host name (e.g. 0.0.0.0, 127.0.0.1, ::)',
    ),
    DATA_DIR: optionalText.default('./data'),
    DATABASE_URL: optionalText.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
      'must be a postgres:// or postgresql:// URL',
    ),
    FEISHU_APP_ID: optionalText,
    FEISHU_APP_SECRET: optionalText,
    FEISHU_VERIFICATION_TOKEN: optionalText,
    FEISHU_ENCRYPT_KEY: optionalText,
    FEISHU_DOMAIN: url('Feishu Open API base').default('https://open.feishu.cn'),
    FEISHU_MODE: optionalText.pipe(
      z.enum(FEISHU_MODES, { message: `must be one of: ${FEISHU_MODES.join(', ')}` }).optional(),
    ),
    WECOM_CORP_ID: optionalText,
    WECOM_AGENT_ID: optionalText.refine(
      (value) => value === undefined || /^\d+$/.test(value),
      'must be a number',
    ),
    WECOM_SECRET: optionalText,
    WECOM_TOKEN: optionalText,
    WECOM_ENCODING_AES_KEY: optionalText.refine(
      (value) => value === undefined || /^[A-Za-z0-9+/]{43}$/.test(value),
      'must be the 43-character EncodingAESKey from the WeCom admin console',
    ),
    WECOM_API_BASE: url('WeCom API base').default('https://qyapi.weixin.qq.com'),
    WECHATY_PUPPET: optionalText,
    WECHATY_PUPPET_SERVICE_TOKEN: optionalText,
    WECOM_BOT_ID: optionalText,
    WECOM_BOT_SECRET: optionalText,
    WECOM_BOT_WS_URL: optionalText
      .refine((value) => value === undefined || /^wss?:\/\/[^\s/]+/.test(value), {
        message: 'must be a ws(s) URL (the 智能机器人 long connection)',
      })
      .default('wss://openws.work.weixin.qq.com'),
    EVIDENCE_S3_ENDPOINT: url('the S3-compatible service, e.g. https://<account>.r2.cloudflarestorage.com'),
    EVIDENCE_S3_BUCKET: optionalText,
    EVIDENCE_S3_REGION: optionalText,
    EVIDENCE_S3_ACCESS_KEY_ID: optionalText,
    EVIDENCE_S3_SECRET_ACCESS_KEY: optionalText,
    TRUST_PROXY: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 10 (reverse proxies in front of the service)')
      .max(10, 'must be between 0 and 10 (reverse proxies in front of the service)')
      .default(0),
    LOG_LEVEL: optionalText
      .transform((value) => value?.toLowerCase())
      .pipe(z.enum(LOG_LEVELS, { message: `must be one of: ${LOG_LEVELS.join(', ')}` }).default('info')),
    DEMO_LEVEL: optionalText
      .transform((value) => value?.toLowerCase())
      .pipe(z.enum(DEMO_LEVELS, { message: `must be one of: ${DEMO_LEVELS.join(', ')}` }).default('school')),
    METRICS_TOKEN: optionalText.refine(
      (value) => value === undefined || /^[\x21-\x7e]{16,}$/.test(value),
      'must be at least 16 printable characters without spaces (e.g. openssl rand -hex 32)',
    ),
  })
  .superRefine((env, ctx) => {
    const pairs: [keyof typeof env, keyof typeof env][] = [
      ['FEISHU_APP_ID', 'FEISHU_APP_SECRET'],
      ['WECOM_CORP_ID', 'WECOM_SECRET'],
      ['WECOM_CORP_ID', 'WECOM_AGENT_ID'],
      ['WECOM_CORP_ID', 'WECOM_TOKEN'],
      ['WECOM_CORP_ID', 'WECOM_ENCODING_AES_KEY'],
      ['WECOM_BOT_ID', 'WECOM_BOT_SECRET'],
      ['WECOM_BOT_SECRET', 'WECOM_BOT_ID'],
    ];
    for (const [a, b] of pairs) {
      if (env[a] && !env[b])
        ctx.addIssue({ code: 'custom', path: [b], message: `is required when ${a} is set` });
    }
    // The bucket is all or nothing: a half-set bucket would quietly keep evidence in the database.
    const given = EVIDENCE_S3_VARIABLES.filter((name) => env[name]);
    if (given.length > 0) {
      for (const name of EVIDENCE_S3_VARIABLES) {
        if (name === 'EVIDENCE_S3_REGION' || env[name]) continue;
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is required when ${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set (evidence in an S3-compatible bucket: set all of EVIDENCE_S3_ENDPOINT, EVIDENCE_S3_BUCKET, EVIDENCE_S3_ACCESS_KEY_ID, EVIDENCE_S3_SECRET_ACCESS_KEY, or none)`,
        });
      }
    }
    const appId = env.FEISHU_APP_ID;
    const mode = appId ? feishuMode(env) : undefined;
    if (mode === 'webhook' && !env.FEISHU_VERIFICATION_TOKEN && !env.FEISHU_ENCRYPT_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['FEISHU_VERIFICATION_TOKEN'],
        message:
          'FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY is required to verify Feishu callbacks ' +
          '(FEISHU_MODE=webhook); without them, leave FEISHU_MODE unset or set it to websocket',
      });
    }
    // WSClient.start returns without a word for any other id (node-sdk: /^cli_[0-9a-fA-F]{16}$/).
    if (appId && mode === 'websocket' && !FEISHU_APP_ID_PATTERN.test(appId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['FEISHU_APP_ID'],
        message:
          'must be the App ID from the Feishu developer console (cli_ and 16 hexadecimal characters) ' +
          'for the long connection (FEISHU_MODE=websocket)',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Every variable the schema reads: `.env.example` lists exactly these (test/env-example.test.ts). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface FeishuConfig {
  appId: string;
  appSecret: string;
  mode: FeishuMode;
  verificationToken?: string;
  encryptKey?: string;
  domain: string;
}

export interface WecomConfig {
  corpId: string;
  agentId: number;
  secret: string;
  token: string;
  encodingAesKey: string;
  apiBase: string;
}

/** The WeCom 智能机器人 over its long connection (API 模式 → 长连接). */
export interface WecomBotConfig {
  botId: string;
  secret: string;
  wsUrl: string;
}

export interface WechatyConfig {
  puppet: string;
  token?: string;
}

export interface Config {
  port: number;
  /** HOST: the listen address; unset, it depends on the mode (listenHost). */
  host?: string;
  dataDir: string;
  databaseUrl?: string;
  feishu?: FeishuConfig;
  wecom?: WecomConfig;
  wechaty?: WechatyConfig;
  wecomBot?: WecomBotConfig;
  /**
   * No platform credentials at all: demo mode is asked for. The service enters it only on an empty or
   * demo-made database (bot/service.ts, `Service.demo`).
   */
  demo: boolean;
  /** Reverse proxies in front whose X-Forwarded-For is believed (0: none; the socket's address). */
  trustProxy: number;
  /** The S3-compatible bucket evidence is kept in (EVIDENCE_S3_*); the database when unset. */
  evidenceS3?: S3Options;
  /** LOG_LEVEL: the least severe log line written (default info). */
  logLevel: LogLevel;
  /**
   * DEMO_LEVEL: what demo mode loads on an empty database — the example school (`school`, the default) or
   * the example bureau with its three schools (`bureau`), opening the console as the bureau.
   */
  demoLevel: DemoLevel;
  /** METRICS_TOKEN: `/metrics` is served, to requests bearing it, only when set. */
  metricsToken?: string;
}

/** Parses an environment; throws ConfigError naming each bad variable and what is wrong with it. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${String(issue.path[0] ?? '(env)')}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const feishu: FeishuConfig | undefined =
    env.FEISHU_APP_ID && env.FEISHU_APP_SECRET
      ? {
          appId: env.FEISHU_APP_ID,
          appSecret: env.FEISHU_APP_SECRET,
          mode: feishuMode(env),
          verificationToken: env.FEISHU_VERIFICATION_TOKEN,
          encryptKey: env.FEISHU_ENCRYPT_KEY,
          domain: env.FEISHU_DOMAIN.replace(/\/+$/, ''),
        }
      : undefined;
  const wecom: WecomConfig | undefined =
    env.WECOM_CORP_ID &&
    env.WECOM_SECRET &&
    env.WECOM_AGENT_ID &&
    env.WECOM_TOKEN &&
    env.WECOM_ENCODING_AES_KEY
      ? {
          corpId: env.WECOM_CORP_ID,
          agentId: Number(env.WECOM_AGENT_ID),
          secret: env.WECOM_SECRET,
          token: env.WECOM_TOKEN,
          encodingAesKey: env.WECOM_ENCODING_AES_KEY,
          apiBase: env.WECOM_API_BASE.replace(/\/+$/, ''),
        }
      : undefined;
  const wechaty: WechatyConfig | undefined = env.WECHATY_PUPPET
    ? { puppet: env.WECHATY_PUPPET, token: env.WECHATY_PUPPET_SERVICE_TOKEN }
    : undefined;
  const wecomBot: WecomBotConfig | undefined =
    env.WECOM_BOT_ID && env.WECOM_BOT_SECRET
      ? { botId: env.WECOM_BOT_ID, secret: env.WECOM_BOT_SECRET, wsUrl: env.WECOM_BOT_WS_URL }
      : undefined;
  const evidenceS3: S3Options | undefined =
    env.EVIDENCE_S3_ENDPOINT &&
    env.EVIDENCE_S3_BUCKET &&
    env.EVIDENCE_S3_ACCESS_KEY_ID &&
    env.EVIDENCE_S3_SECRET_ACCESS_KEY
      ? {
          endpoint: env.EVIDENCE_S3_ENDPOINT,
          bucket: env.EVIDENCE_S3_BUCKET,
          // us-east-1 is what MinIO expects by default and what R2 takes as an alias of its `auto`.
          region: env.EVIDENCE_S3_REGION ?? 'us-east-1',
          accessKeyId: env.EVIDENCE_S3_ACCESS_KEY_ID,
          secretAccessKey: env.EVIDENCE_S3_SECRET_ACCESS_KEY,
        }
      : undefined;
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    feishu,
    wecom,
    wechaty,
    wecomBot,
    trustProxy: env.TRUST_PROXY,
    evidenceS3,
    logLevel: env.LOG_LEVEL,
    metricsToken: env.METRICS_TOKEN,
    demoLevel: env.DEMO_LEVEL,
    demo: !feishu && !wecom && !wechaty && !wecomBot,
  };
}

/**
 * The address to listen on: HOST when set; else loopback in demo mode (a console open to anyone must not
 * be reachable from the network by default) and every interface otherwise (DESIGN.md §5).
 */
export function listenHost(config: Pick<Config, 'host'>, demo: boolean): string {
  return config.host ?? (demo ? '127.0.0.1' : '0.0.0.0');
}

/** The process environment, read in this module only. */
export function loadConfig(): Config {
  return parseConfig(process.env);
}
