// npm run db:backup -- <file>
// Writes a backup of the configured database: one consistent snapshot as a gzip-compressed JSON-lines file
// (bot/backup/file.ts). On a PostgreSQL server (DATABASE_URL) it reads in a REPEATABLE READ transaction
// beside the running service. On PGlite (DATA_DIR): while the service runs it holds the folder, so the
// service itself reads the snapshot and sends it over its control port (bot/backup/control.ts); when it
// does not run, the folder is opened here. The file is written beside the target, read back and checked
// whole, then renamed: an interrupted or bad backup never takes the target's name.
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readSnapshot } from '../../db/backup.ts';
import { appVersion, backupFromService, runningService } from '../backup/control.ts';
import { backupWriter, checkingSink, readBackupFile } from '../backup/file.ts';
import { folderFree } from '../backup/folder.ts';
import { defineCli, readFileAndOptions, runIfMain, UsageError } from './options.ts';

const USAGE =
  '用法：npm run db:backup -- <备份文件>\n' +
  '      例：npm run db:backup -- /var/backups/yigang/$(date +%F).jsonl.gz\n' +
  '      服务运行时也可备份：PGlite 由运行中的服务读出一致的快照；PostgreSQL 在一个只读事务中读取。';

function parseArguments(argv: string[]) {
  const read = readFileAndOptions(argv, { options: [] });
  if (read === 'help') return read;
  const path = resolve(read.file);
  if (!statSync(dirname(path), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`目录“${dirname(read.file)}”不存在`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`“${read.file}”是一个目录，请给出文件名`);
  return { file: read.file, path };
}

export const command = defineCli(
  { name: 'db:backup', usage: USAGE, parse: parseArguments },
  async (args, cli) => {
    const config = cli.config();
    const started = Date.now();
    const partial = resolve(dirname(args.path), `.${basename(args.path)}.${process.pid}.partial`);
    const meta = { app: appVersion(), createdAt: new Date() };
    let from: string;
    try {
      const running = config.databaseUrl ? undefined : await runningService(config.dataDir);
      if (running && !running.silent) {
        from = `运行中的服务（进程 ${running.pid}）`;
        await backupFromService(config.dataDir, createWriteStream(partial));
      } else {
        if (!config.databaseUrl) await folderFree(config.dataDir, '请稍后再试');
        from = config.databaseUrl ? 'PostgreSQL（DATABASE_URL）' : `PGlite 数据目录 ${config.dataDir}`;
        const database = await cli.database({ migrate: false });
        const writer = backupWriter(createWriteStream(partial), { ...meta, source: database.kind });
        await readSnapshot(database.db, writer);
        await writer.done();
      }
      const checked = await readBackupFile(partial, checkingSink);
      renameSync(partial, args.path);
      const size = statSync(args.path).size;
      cli.stdout(
        `已备份到 ${args.file}：${checked.tables.length} 张表，${checked.rows} 行，` +
          `${(size / 1024 / 1024).toFixed(1)} MB，用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒（来自${from}；已读回校验）。\n`,
      );
      return 0;
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
  },
);

runIfMain(import.meta.url, command);
