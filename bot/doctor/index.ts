// `npm run doctor` and the console's 运行状态 page: one function computing the check rows. Network checks
// run side by side, each within CHECK_TIMEOUT_MS; every configured secret is masked in what they say.
import type { Database } from '../../db/client.ts';
import { identityKindInUse } from '../../db/queries/people.ts';
import { tenantsByCode } from '../../db/queries/tenants.ts';
import type { ChannelHealth } from '../channels/channel.ts';
import { loadWechaty } from '../channels/wechaty/load.ts';
import type { Config } from '../env.ts';
import { databaseRows, tenantRows } from './data.ts';
import { feishuChecks } from './feishu.ts';
import { CHECK_TIMEOUT_MS, type CheckRow, masked, row, seconds, withinTime } from './rows.ts';
import { wecomBotChecks, wecomChecks } from './wecom.ts';

export type { CheckRow, CheckStatus } from './rows.ts';

export interface DoctorOptions {
  config: Config;
  /** The database, or why it could not be opened. */
  database: Database | { error: unknown };
  now: Date;
  /** Only these tenants' rows (the console shows the viewer's); every tenant when omitted. */
  tenantIds?: number[];
  /** Each network check's time limit (default CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * The running service's long connections (`/healthz` connections): read instead of opening new ones
   * (the console runs inside the service, whose connections they would kick or duplicate).
   */
  connections?: () => Record<string, ChannelHealth>;
  /** For a Cloudflare Workers deployment, which has no fixed egress IP. */
  workers?: boolean;
}

export async function runDoctor(options: DoctorOptions): Promise<CheckRow[]> {
  const { config } = options;
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const open = 'error' in options.database ? undefined : options.database;
  const connections = options.connections?.();
  // A check that hangs past its own limits still ends the wait: a little later than the calls inside it.
  const bounded = (item: string, work: Promise<CheckRow[]>) =>
    withinTime(work, timeoutMs * 3 + 500, () => [
      row(item, 'error', `${seconds(timeoutMs * 3 + 500)}内未完成检查：请检查到该平台的出站网络。`),
    ]).catch((error: unknown) => [row(item, 'error', `检查出错：${String(error)}`)]);

  const channelWork: Promise<CheckRow[]>[] = [];
  if (config.feishu) {
    const feishu = config.feishu;
    const usesUserIds = open
      ? await identityKindInUse(open.db, 'feishu', 'user_id').catch(() => false)
      : false;
    channelWork.push(
      bounded(
        '飞书',
        feishuChecks({ config: feishu, timeoutMs, usesUserIds, connection: connections?.feishu }),
      ),
    );
  }
  if (config.wecom) {
    channelWork.push(bounded('企业微信', wecomChecks(config.wecom, timeoutMs, options.workers === true)));
  }
  if (config.wecomBot) {
    channelWork.push(
      bounded(
        '企业微信智能机器人',
        wecomBotChecks(config.wecomBot, { timeoutMs, database: open, connection: connections?.wecom_bot }),
      ),
    );
  }
  if (config.wechaty) channelWork.push(wechatyRows(config, connections?.wechaty));

  const rows: CheckRow[] = [];
  if (config.demo) {
    rows.push(row('渠道', 'warning', '没有配置任何平台凭据：服务以演示模式运行，只能在网页控制台对话。'));
  }
  rows.push(...(await Promise.all(channelWork)).flat());
  rows.push(...(await databaseRows(config, options.database)));
  if (open) {
    try {
      const tenants = (await tenantsByCode(open.db)).filter(
        (tenant) => !options.tenantIds || options.tenantIds.includes(tenant.id),
      );
      if (tenants.length === 0 && !options.tenantIds) {
        rows.push(
          row(
            '组织',
            'warning',
            '数据库中还没有单位：请导入组织文件（npm run org:import -- <组织文件.yaml>）。',
          ),
        );
      }
      for (const tenant of tenants) {
        const suffix = tenants.length > 1 || options.tenantIds ? `（${tenant.name}）` : '';
        rows.push(...(await tenantRows(open, config, tenant, options.now, suffix)));
      }
    } catch (error) {
      rows.push(row('组织', 'error', `读取单位数据失败：${String(error)}`));
    }
  }
  return masked(config, rows);
}

async function wechatyRows(config: Config, connection: ChannelHealth | undefined): Promise<CheckRow[]> {
  const item = '微信（Wechaty）';
  if (connection) {
    return [
      row(
        item,
        connection.ok ? 'ok' : connection.state === 'logged-out' ? 'warning' : 'error',
        `${connection.state}${connection.message ? `：${connection.message}` : ''}`,
      ),
    ];
  }
  const loaded = await loadWechaty(config.wechaty?.puppet);
  if (!loaded.ok) return [row(item, 'error', loaded.health.message ?? loaded.health.state)];
  return [
    row(
      item,
      'ok',
      `Wechaty 已安装，puppet：${config.wechaty?.puppet}。能否登录取决于 puppet 服务，启动后见 /healthz 的 connections.wechaty。`,
    ),
  ];
}

/** 1 when any row is an error (the CLI's exit code), else 0. */
export const exitCodeOf = (rows: CheckRow[]) => (rows.some((entry) => entry.status === 'error') ? 1 : 0);
