// npm run roster:import -- <值班表.xlsx|值班表.csv> [--tenant <单位代码>]: loads a duty roster into the
// configured database. The tenant may be left out when there is only one. A bad file is reported
// precisely (file, row, column, reason), exit code 1, and nothing is written; bad arguments exit 2.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tenantsByCode } from '../../db/queries/tenants.ts';
import { periodLabel, RosterFileError } from '../../handlers/roster-file.ts';
import { importRosterFile } from '../../handlers/roster-import.ts';
import { CliError, defineCli, runIfMain, UsageError } from './options.ts';

const USAGE = '用法：npm run roster:import -- <值班表.xlsx|值班表.csv> [--tenant <单位代码>]';

function parseArguments(argv: string[]): { file: string; tenant?: string } | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
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

const explain = (error: unknown) =>
  error instanceof RosterFileError
    ? `${error.message}\n共 ${error.problems.length + error.omitted} 处问题，未导入任何班次。`
    : undefined;

export const command = defineCli(
  { name: 'roster:import', usage: USAGE, parse: parseArguments, explain },
  async (args, cli) => {
    const { file, tenant: code } = args;
    if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: 文件不存在`);
    const bytes = readFileSync(file);
    const { db } = await cli.database({
      missing: `数据目录 ${cli.config().dataDir} 不存在：请先导入组织文件（npm run org:import -- <组织文件.yaml>），或设置 DATA_DIR`,
    });
    const all = await tenantsByCode(db);
    let tenant = code ? all.find((row) => row.code === code) : all[0];
    if (code && !tenant) {
      throw new CliError(
        `没有代码为“${code}”的单位${all.length > 0 ? `（已有：${all.map((row) => row.code).join('、')}）` : ''}`,
      );
    }
    if (!code && all.length === 0) {
      throw new CliError('数据库中还没有单位：请先导入组织文件（npm run org:import -- <组织文件.yaml>）');
    }
    if (!code && all.length > 1) {
      throw new CliError(
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
    cli.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
);

runIfMain(import.meta.url, command);
