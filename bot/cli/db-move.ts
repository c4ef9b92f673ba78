// npm run db:move -- --to <postgres-url>
// Copies the embedded database (DATA_DIR) into an empty PostgreSQL database: migrates the target to this
// version, refuses it if it holds rows, copies every table in one transaction (db/backup.ts: the same
// snapshot a backup holds) with the sequences set, prints the row counts and what to configure next. The
// data folder is left as it was: it is the way back. The service must be stopped, or what it writes after
// the copy would stay behind.
import { z } from 'zod';
import { readSnapshot, restoreSnapshot } from '../../db/backup.ts';
import { openDatabase } from '../../db/client.ts';
import { restoreErrorText } from '../backup/file.ts';
import { folderFree, withoutPassword } from '../backup/folder.ts';
import { CliError, defineCli, readOptions, runIfMain, UsageError } from './options.ts';

const USAGE =
  '用法：npm run db:move -- --to <PostgreSQL 地址>\n' +
  '      例：npm run db:move -- --to postgres://yigang:密码@127.0.0.1:5432/yigang\n' +
  '      把 PGlite 数据目录（DATA_DIR）中的全部数据复制到一个空的 PostgreSQL 数据库；请先停止服务。';

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });

function parseArguments(argv: string[]) {
  const read = readOptions(argv, { options: ['to'] });
  if (read === 'help') return read;
  const to = read.values.to;
  if (to === undefined) throw new UsageError('缺少 --to（目标 PostgreSQL 的地址）');
  if (!postgresUrl.safeParse(to).success)
    throw new UsageError('--to 应为 postgres://用户:密码@主机:端口/数据库 形式的地址');
  return { to };
}

const explain = (error: unknown) => {
  const text = restoreErrorText(error);
  return text === undefined ? undefined : `${text}目标数据库未做任何改动。`;
};

export const command = defineCli(
  { name: 'db:move', usage: USAGE, parse: parseArguments, explain },
  async (args, cli) => {
    const config = cli.config();
    if (config.databaseUrl)
      throw new CliError(
        '已设置 DATABASE_URL：本命令复制的是 PGlite 数据目录（DATA_DIR）。请在未设置 DATABASE_URL 的环境中运行；' +
          'PostgreSQL 之间的迁移请用 pg_dump / pg_restore。',
        2,
      );
    await folderFree(config.dataDir, '请先停止服务，否则复制之后服务写入的数据会留在原处');
    const started = Date.now();
    const source = await cli.database();
    const target = await openDatabase({ databaseUrl: args.to, maxConnections: 1 }).catch((error: unknown) => {
      throw new CliError(
        `无法打开目标数据库 ${withoutPassword(args.to)}：${error instanceof Error ? error.message : String(error)}。未做任何改动。`,
      );
    });
    try {
      const summary = await restoreSnapshot(target.db, (sink) => readSnapshot(source.db, sink));
      const width = Math.max(...summary.tables.map((table) => table.name.length));
      const lines = summary.tables.map((table) => `  ${table.name.padEnd(width)}  ${table.rows}`);
      cli.stdout(
        `已复制到 ${withoutPassword(args.to)}（${((Date.now() - started) / 1000).toFixed(1)} 秒）：\n${lines.join('\n')}\n` +
          `  共 ${summary.tables.length} 张表，${summary.rows} 行。\n` +
          `下一步：在服务的环境中设置 DATABASE_URL=${withoutPassword(args.to)}（*** 处填真实密码），然后启动服务。\n` +
          `数据目录 ${config.dataDir} 未改动，可作为回退保留。\n`,
      );
    } finally {
      await target.close();
    }
    return 0;
  },
);

runIfMain(import.meta.url, command);
