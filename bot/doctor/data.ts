// The doctor's checks of the service's own data: the database, its migrations, and per tenant the
// holiday calendar of the next 12 months, the people nobody can reach, and the messages that failed.
import type { Database } from '../../db/client.ts';
import { type JournalEntry, migrationJournal, migrationStatus } from '../../db/queries/migrations.ts';
import { failedCount, failedMessages } from '../../db/queries/outbox.ts';
import { membersWithoutIdentity } from '../../db/queries/people.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { isoDateIn, WorkCalendar } from '../../handlers/calendar.ts';
import { tenantSettings } from '../../handlers/settings.ts';
import type { Channel } from '../core/types.ts';
import type { Config } from '../env.ts';
import { type CheckRow, reason, row } from './rows.ts';

/** Where the database is, without its credentials. */
export function databaseLabel(config: Config): string {
  if (!config.databaseUrl) return `PGlite（数据目录 ${config.dataDir}）`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL（${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}）`;
  } catch {
    return 'PostgreSQL';
  }
}

export async function databaseRows(
  config: Config,
  database: Database | { error: unknown },
): Promise<CheckRow[]> {
  const label = databaseLabel(config);
  if ('error' in database) {
    return [
      row(
        '数据库',
        'error',
        `无法打开 ${label}：${reason(database.error)}。${config.databaseUrl ? '请检查 DATABASE_URL 与数据库服务器。' : '请检查 DATA_DIR。'}`,
      ),
    ];
  }
  let journal: JournalEntry[] | undefined;
  try {
    journal = migrationJournal();
  } catch {
    // Workers have no file system: the migrations are checked by `npm run doctor` where they are.
  }
  let status: Awaited<ReturnType<typeof migrationStatus>>;
  try {
    status = await migrationStatus(database.db, journal ?? []);
  } catch (error) {
    return [row('数据库', 'error', `${label} 无法查询：${reason(error)}。`)];
  }
  const rows = [row('数据库', 'ok', `${label} 可以连接。`)];
  if (!journal) {
    rows.push(
      row(
        '数据库迁移',
        'warning',
        `已应用 ${status.applied} 个；此处读不到迁移清单，请在部署前运行 npm run db:migrate 与 npm run doctor。`,
      ),
    );
  } else if (status.missing.length === 0) {
    rows.push(row('数据库迁移', 'ok', `已全部应用（${status.total} 个）。`));
  } else {
    rows.push(
      row(
        '数据库迁移',
        'error',
        `${status.total} 个迁移中有 ${status.missing.length} 个未应用：${status.missing.join('、')}。请运行 npm run db:migrate（npm start 启动时也会自动应用）。`,
      ),
    );
  }
  return rows;
}

/** The next 12 months from `now`'s month in the tenant's time zone, as `YYYY-MM`. */
export function nextMonths(now: Date, timeZone: string): string[] {
  const today = isoDateIn(now, timeZone);
  let year = Number(today.slice(0, 4));
  let month = Number(today.slice(5, 7));
  const months: string[] = [];
  for (let index = 0; index < 12; index++) {
    months.push(`${year}-${String(month).padStart(2, '0')}`);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return months;
}

const monthLabel = (month: string) => `${Number(month.slice(0, 4))}年${Number(month.slice(5, 7))}月`;

export function calendarRow(tenant: Tenant, now: Date, item: string): CheckRow {
  const settings = tenantSettings(tenant.settings);
  const calendar = new WorkCalendar({ override: settings.calendar, onUnknownYear: () => {} });
  const months = nextMonths(now, tenant.timezone);
  const missing = months.filter((month) => !calendar.knows(`${month}-01`));
  if (missing.length === 0) {
    return row(
      item,
      'ok',
      `未来 12 个月（${monthLabel(months[0]!)}—${monthLabel(months.at(-1)!)}）均有节假日安排。`,
    );
  }
  const span =
    missing.length === 1
      ? monthLabel(missing[0]!)
      : `${monthLabel(missing[0]!)}—${monthLabel(missing.at(-1)!)}`;
  const years = [...new Set(missing.map((month) => month.slice(0, 4)))].join('、');
  return row(
    item,
    'warning',
    `${span}没有节假日安排（缺 ${years} 年的国务院办公厅放假通知），这些月份的工作日期限按普通周末估算。通知发布后，请在控制台“节假日”页粘贴导入，或运行 npm run calendar:import -- <通知.txt> --tenant ${tenant.code}。`,
  );
}

/** The identity channel of each chat channel that is on (the 智能机器人 reaches people by their WeCom userid). */
export function identityChannels(config: Config): Channel[] {
  const channels = new Set<Channel>();
  if (config.feishu) channels.add('feishu');
  if (config.wecom || config.wecomBot) channels.add('wecom');
  if (config.wechaty) channels.add('wechaty');
  return [...channels];
}

const CHANNEL_LABELS: Record<string, string> = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信（Wechaty）',
};

export async function tenantRows(
  database: Database,
  config: Config,
  tenant: Tenant,
  now: Date,
  suffix: string,
): Promise<CheckRow[]> {
  const rows = [calendarRow(tenant, now, `节假日${suffix}`)];
  const channels = identityChannels(config);
  const people = `人员身份${suffix}`;
  if (channels.length === 0) {
    rows.push(row(people, 'ok', '未配置聊天渠道（演示模式）：不检查。'));
  } else {
    const { names, count } = await membersWithoutIdentity(database.db, tenant.id, channels);
    const where = channels.map((channel) => CHANNEL_LABELS[channel] ?? channel).join('、');
    rows.push(
      count === 0
        ? row(people, 'ok', `每位成员在已配置的渠道（${where}）上都有身份。`)
        : row(
            people,
            'warning',
            `${count} 人在已配置的渠道（${where}）上没有任何身份，收不到提醒也无法被识别：${names.join('、')}${count > names.length ? ' 等' : ''}。请在组织文件中补上他们的账号（飞书 open_id、企业微信 userid 等）后重新导入（npm run org:import）。`,
          ),
    );
  }
  const failed = await failedCount(database.db, tenant.id);
  const outbox = `发送失败的消息${suffix}`;
  if (failed === 0) rows.push(row(outbox, 'ok', '没有发送失败的消息。'));
  else {
    const [latest] = await failedMessages(database.db, tenant.id, 1);
    rows.push(
      row(
        outbox,
        'warning',
        `${failed} 条消息发送失败，最近一条：${latest?.lastError ?? '（无错误信息）'}。详情见控制台“发送失败”页。`,
      ),
    );
  }
  return rows;
}
