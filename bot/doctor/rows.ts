// The doctor's vocabulary: one row per check (项目 / 状态 / 说明与处理办法), and the helpers every check
// shares: a time limit, and the masking of every configured secret.
import type { Config } from '../env.ts';

export type CheckStatus = 'ok' | 'warning' | 'error';

export interface CheckRow {
  /** 项目: what was checked (`飞书 · 权限`). */
  item: string;
  status: CheckStatus;
  /** 说明与处理办法: what was found and, unless ok, what to do. */
  detail: string;
}

export const row = (item: string, status: CheckStatus, detail: string): CheckRow => ({
  item,
  status,
  detail,
});

/** Network checks give up after this long each, so neither the CLI nor the console page waits long. */
export const CHECK_TIMEOUT_MS = 3000;

/** `work`, or a row saying it did not answer within `ms`. */
export async function withinTime<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} 秒`;

/** The first line of an error, cut short. */
export function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** Every secret of the configuration (and the database URL's password): never shown, whatever a platform echoes. */
function secretsOf(config: Config): string[] {
  const values = [
    config.feishu?.appSecret,
    config.feishu?.encryptKey,
    config.feishu?.verificationToken,
    config.wecom?.secret,
    config.wecom?.token,
    config.wecom?.encodingAesKey,
    config.wecomBot?.secret,
    config.wechaty?.token,
  ];
  if (config.databaseUrl) {
    try {
      const password = decodeURIComponent(new URL(config.databaseUrl).password);
      values.push(password);
    } catch {
      // Not a URL the parser reads: nothing to pick out of it.
    }
  }
  return values.filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

export function masked(config: Config, rows: CheckRow[]): CheckRow[] {
  const secrets = secretsOf(config);
  const mask = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  return rows.map((entry) => ({ ...entry, item: mask(entry.item), detail: mask(entry.detail) }));
}
