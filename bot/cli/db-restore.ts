// npm run db:restore -- <file> [--force]
// Restores a backup of db:backup into the configured database (DATA_DIR, created when missing, or
// DATABASE_URL), migrated to this version: the file is checked whole first, then written in one
// transaction — all of it or nothing — and the sequences set past the restored rows. A database holding
// rows is refused unless --force, which empties it in the same transaction. On PGlite the service must be
// stopped (it holds the folder).
import { existsSync } from 'node:fs';
import { RestoreError, restoreSnapshot } from '../../db/backup.ts';
import { BackupFileError, checkingSink, readBackupFile, restoreErrorText } from '../backup/file.ts';
import { refuseWhileRunning } from '../backup/folder.ts';
import { defineCli, readFileAndOptions, runIfMain } from './options.ts';

const USAGE =
  '用法：npm run db:restore -- <备份文件> [--force]\n' +
  '      恢复到配置的数据库（DATA_DIR 或 DATABASE_URL）；目标数据库须为空，--force 先清空其中的全部数据。\n' +
  '      PGlite：请先停止服务。';

function parseArguments(argv: string[]) {
  const read = readFileAndOptions(argv, { options: [], flags: ['force'] });
  if (read === 'help') return read;
  return { file: read.file, force: read.flags.has('force') };
}

const explain = (error: unknown) => {
  if (error instanceof BackupFileError) return `${error.message}。未做任何改动。`;
  const text = restoreErrorText(error);
  if (text === undefined) return undefined;
  return error instanceof RestoreError && error.reason.kind === 'not_empty'
    ? `${text}如确要以备份覆盖其中的数据，请加 --force。未做任何改动。`
    : `${text}未做任何改动。`;
};

export const command = defineCli(
  { name: 'db:restore', usage: USAGE, parse: parseArguments, explain },
  async (args, cli) => {
    const config = cli.config();
    const started = Date.now();
    // The whole file first: a bad one is refused before anything is opened or created.
    const checked = await readBackupFile(args.file, checkingSink);
    if (!config.databaseUrl && existsSync(config.dataDir))
      await refuseWhileRunning(config.dataDir, '请先停止服务，恢复后再启动');
    const database = await cli.database();
    const summary = await restoreSnapshot(database.db, (sink) => readBackupFile(args.file, sink), {
      force: args.force,
    });
    const target = config.databaseUrl ? 'PostgreSQL（DATABASE_URL）' : `PGlite 数据目录 ${config.dataDir}`;
    cli.stdout(
      `已从 ${args.file}（${checked.header.createdAt} 备份）恢复到${target}：${summary.tables.length} 张表，` +
        `${summary.rows} 行，用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒。\n`,
    );
    return 0;
  },
);

runIfMain(import.meta.url, command);
