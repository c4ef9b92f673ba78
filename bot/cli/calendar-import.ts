// npm run calendar:import -- <通知.txt> [--tenant <单位代码>] [--year <年份>] [--yes]
// Reads the State Council's holiday notice (pasted into a text file), prints what it read, and after a
// confirmation (--yes, or "y" at the prompt) stores it as the tenant's holiday schedule for that year.
// Bad lines are named and nothing is written (exit 1); bad arguments exit 2.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { saveHolidayNotice } from '../../db/queries/calendar.ts';
import { tenantsByCode } from '../../db/queries/tenants.ts';
import { noticeSummary, parseHolidayNotice } from '../../handlers/holiday-notice.ts';
import { decodeText } from '../../handlers/upload-limits.ts';
import { CliError, defineCli, readOptions, runIfMain, UsageError } from './options.ts';

const USAGE = '用法：npm run calendar:import -- <通知.txt> [--tenant <单位代码>] [--year <年份>] [--yes]';

interface Arguments {
  file: string;
  tenant?: string;
  year?: number;
  yes: boolean;
}

function parseArguments(argv: string[]): Arguments | 'help' {
  const positional = argv.filter(
    (token, index) => !token.startsWith('-') && !/^--(tenant|year)$/.test(argv[index - 1] ?? ''),
  );
  const read = readOptions(
    argv.filter((token) => !positional.includes(token)),
    { options: ['tenant', 'year'], flags: ['yes'] },
  );
  if (read === 'help') return read;
  if (positional.length === 0) throw new UsageError('缺少通知文件');
  if (positional.length > 1) throw new UsageError(`多余的参数“${positional[1]}”`);
  let year: number | undefined;
  if (read.values.year !== undefined) {
    year = Number(read.values.year);
    if (!/^\d{4}$/.test(read.values.year) || year < 2000 || year > 2100) {
      throw new UsageError(`--year 应为 2000 到 2100 的年份，而不是“${read.values.year}”`);
    }
  }
  return { file: positional[0]!, tenant: read.values.tenant, year, yes: read.flags.has('yes') };
}

export const command = defineCli(
  { name: 'calendar:import', usage: USAGE, parse: parseArguments },
  async (args, cli) => {
    const { file, tenant: code, year, yes } = args;
    if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: 文件不存在`);
    const decoded = decodeText(readFileSync(file));
    if (!('text' in decoded)) throw new CliError(`${file}: 不是 UTF-8 或 GBK 文本，请另存为 UTF-8`);
    const result = parseHolidayNotice(decoded.text, year === undefined ? {} : { year });
    if (!result.ok) {
      for (const problem of result.problems) {
        cli.stderr(`${file}: ${problem.line > 0 ? `第 ${problem.line} 行：` : ''}${problem.message}\n`);
      }
      cli.stderr(`共 ${result.problems.length} 处问题，未导入。\n`);
      return 1;
    }
    const { db } = await cli.database({
      missing: `数据目录 ${cli.config().dataDir} 不存在：请先导入组织文件，或设置 DATA_DIR`,
    });
    const all = await tenantsByCode(db);
    const tenant = code ? all.find((row) => row.code === code) : all.length === 1 ? all[0] : undefined;
    if (!tenant) {
      cli.stderr(
        all.length === 0
          ? '数据库中还没有单位：请先导入组织文件（npm run org:import -- <组织文件.yaml>）\n'
          : code
            ? `没有代码为“${code}”的单位（已有：${all.map((row) => row.code).join('、')}）\n`
            : `数据库中有多个单位，请用 --tenant 指明：${all.map((row) => `${row.code}（${row.name}）`).join('、')}\n`,
      );
      return 1;
    }
    cli.stdout(`${tenant.name}（${tenant.code}）\n${noticeSummary(result.notice)}\n`);
    if (!yes) {
      if (!cli.stdin.isTTY) {
        cli.stdout('未导入：请核对以上日期，确认无误后加 --yes 再运行。\n');
        return 1;
      }
      // The question through the tool's own output; the terminal echoes what is typed.
      cli.stdout('以上日期是否与通知一致，确认导入？(y/N) ');
      const prompt = createInterface({ input: cli.stdin });
      const answer = await prompt.question('');
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        cli.stdout('未导入。\n');
        return 1;
      }
    }
    const { replaced } = await saveHolidayNotice(
      db,
      tenant.id,
      result.notice,
      { label: '命令行 calendar:import' },
      new Date(),
    );
    cli.stdout(
      `已导入 ${result.notice.year} 年节假日安排${replaced ? '（替换此前导入的同年安排）' : ''}：此后计算的期限按此安排计。\n`,
    );
    return 0;
  },
);

runIfMain(import.meta.url, command);
