// npm run roster:import -- <值班表.xlsx|值班表.csv> [--tenant <单位代码>]: loads a duty roster into the
// configured database. The tenant may be left out when there is only one. A bad file is reported
// precisely (file, row, column, reason), exit code 1, and nothing is written; bad arguments exit 2.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { asc, eq } from 'drizzle-orm';
import { openDatabase } from '../../db/client.ts';
import { tenants } from '../../db/schema.ts';
import { periodLabel, RosterFileError } from '../../handlers/roster-file.ts';
import { importRosterFile } from '../../handlers/roster-import.ts';
import { ConfigError, loadConfig } from '../env.ts';

const USAGE = '用法：npm run roster:import -- <值班表.xlsx|值班表.csv> [--tenant <单位代码>]';

class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem with the input or the database's state: exit code 1, nothing written. */
class InputError extends Error {
  override name = 'InputError';
}

function parseArguments(argv: string[]): { file: string; tenant?: string } {
  let file: string | undefined;
  let tenant: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!;
    if (token === '--tenant' || token.startsWith('--tenant=')) {
      const value = token.includes('=') ? token.slice(token.indexOf('=') + 1) : argv[++index];
      if (!value || value.startsWith('--')) throw new UsageError('选项 --tenant 缺少单位代码');
      if (tenant !== undefined) throw new UsageError('选项 --tenant 重复给出');
      tenant = value.trim();
    } else if (token.startsWith('--')) throw new UsageError(`未知的选项 ${token}`);
    else if (file === undefined) file = token;
    else throw new UsageError(`多余的参数“${token}”`);
  }
  if (!file) throw new UsageError('缺少值班表文件');
  return { file, tenant };
}

async function main(argv: string[]): Promise<number> {
  const { file, tenant: code } = parseArguments(argv);
  if (!existsSync(file) || !statSync(file).isFile()) throw new InputError(`${file}: 文件不存在`);
  const bytes = readFileSync(file);
  const config = loadConfig();
  if (!config.databaseUrl && !existsSync(config.dataDir)) {
    throw new InputError(
      `数据目录 ${config.dataDir} 不存在：请先导入组织文件（npm run org:import -- <组织文件.yaml>），或设置 DATA_DIR`,
    );
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const db = database.db;
    const all = await db.select().from(tenants).orderBy(asc(tenants.code));
    let tenant = code ? (await db.select().from(tenants).where(eq(tenants.code, code)))[0] : all[0];
    if (code && !tenant) {
      throw new InputError(
        `没有代码为“${code}”的单位${all.length > 0 ? `（已有：${all.map((row) => row.code).join('、')}）` : ''}`,
      );
    }
    if (!code && all.length === 0) {
      throw new InputError('数据库中还没有单位：请先导入组织文件（npm run org:import -- <组织文件.yaml>）');
    }
    if (!code && all.length > 1) {
      throw new InputError(
        `数据库中有多个单位，请用 --tenant 指明：${all.map((row) => `${row.code}（${row.name}）`).join('、')}`,
      );
    }
    tenant = tenant!;
    const summary = await importRosterFile(db, tenant.id, file, bytes, new Date());
    const lines = [
      `已导入 ${tenant.name}（${tenant.code}）${periodLabel(summary)} 的值班表：新建 ${summary.created} 个班次` +
        (summary.replaced > 0 ? `，替换尚未开始的原班次 ${summary.replaced} 个` : '') +
        '。',
    ];
    if (summary.kept > 0) {
      lines.push(
        `已开始的 ${summary.kept} 个原班次保留原记录（到岗确认、值班日志、交班）` +
          (summary.skippedRows.length > 0
            ? `；文件第 ${summary.skippedRows.join('、')} 行对应的班次已开始，未改动。`
            : '。'),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof RosterFileError) {
      process.stderr.write(
        `${error.message}\n共 ${error.problems.length + error.omitted} 处问题，未导入任何班次。\n`,
      );
    } else if (error instanceof InputError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(
        `roster:import failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exit(1);
  },
);
