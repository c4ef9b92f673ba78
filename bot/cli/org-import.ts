// npm run org:import -- <file.yaml> [--strict]: loads an organization into the configured database.
// An invalid file is reported precisely (file, path, reason) and nothing is written. People given by
// mobile or e-mail are first looked up on the configured platforms (bot/org-resolve.ts); those not found
// are imported without that platform's id and listed with the reason, or, with --strict, nothing is
// written.
import { existsSync } from 'node:fs';
import { importOrganization } from '../../db/org-import.ts';
import { CalendarOverrideError } from '../../handlers/calendar.ts';
import { loadOrgFile, OrgFileError } from '../../handlers/org-file.ts';
import { platformDirectories, resolutionReport, resolveOrgPeople } from '../org-resolve.ts';
import { CliError, defineCli, readFileAndOptions, runIfMain } from './options.ts';

const USAGE = [
  '用法：npm run org:import -- <组织文件.yaml> [--strict]',
  '  文件中只写了手机号（mobile）或邮箱（email）的人员，先在已配置的飞书、企业微信上查出账号再导入；',
  '  查不到的人照常导入（暂不能在该平台上联系）并列出原因。--strict：有人查不到时不导入任何内容。',
].join('\n');

function parseArguments(argv: string[]) {
  const options = readFileAndOptions(argv, { options: [], flags: ['strict'] });
  return options === 'help' ? 'help' : { file: options.file, strict: options.flags.has('strict') };
}

const explain = (error: unknown) =>
  error instanceof OrgFileError || error instanceof CalendarOverrideError ? error.message : undefined;

export const command = defineCli(
  { name: 'org:import', usage: USAGE, parse: parseArguments, explain },
  async ({ file, strict }, cli) => {
    if (!existsSync(file)) throw new CliError(`${file}: no such file`);
    const resolution = await resolveOrgPeople(loadOrgFile(file), platformDirectories(cli.config()));
    const report = resolutionReport(resolution);
    if (strict && resolution.unresolved.length > 0) {
      throw new CliError([...report, '使用了 --strict：未导入任何内容。'].join('\n'));
    }
    const database = await cli.database();
    const summary = await importOrganization(database.db, resolution.org);
    const found = resolution.found.length > 0 ? `按手机号或邮箱查到 ${resolution.found.length} 个账号；` : '';
    cli.stdout(
      `已导入 ${summary.tenantCode}：${summary.units} 个处室、${summary.posts} 个岗位、${summary.people} 人、` +
        `${summary.categories} 个隐患类别；${found}新任 ${summary.holdersStarted} 人次，离任 ${summary.holdersEnded} 人次。\n`,
    );
    if (summary.bureau) cli.stdout(`上级教育局：${summary.bureau}\n`);
    if (summary.warnings.length > 0) {
      cli.stdout(
        `尚未关联（导入对方的组织文件后自动关联）：\n${summary.warnings
          .map((warning) => `${file}: ${warning.path}: ${warning.message}`)
          .join('\n')}\n`,
      );
    }
    if (report.length > 0) cli.stdout(`${report.join('\n')}\n`);
    return 0;
  },
);

runIfMain(import.meta.url, command);
