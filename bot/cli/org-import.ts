// npm run org:import -- <file.yaml>: loads an organization into the configured database.
// An invalid file is reported precisely (file, path, reason) and nothing is written.
import { existsSync } from 'node:fs';
import { importOrganization } from '../../db/org-import.ts';
import { CalendarOverrideError } from '../../handlers/calendar.ts';
import { loadOrgFile, OrgFileError } from '../../handlers/org-file.ts';
import { CliError, runCli, UsageError } from './options.ts';

const USAGE = '用法：npm run org:import -- <组织文件.yaml>';

function parseArguments(argv: string[]): { file: string } {
  const file = argv[0];
  // A wrong invocation answers with the usage alone.
  if (!file || argv.length > 1) throw new UsageError('');
  return { file };
}

const explain = (error: unknown) =>
  error instanceof OrgFileError || error instanceof CalendarOverrideError ? error.message : undefined;

runCli({ name: 'org:import', usage: USAGE, parse: parseArguments, explain }, async ({ file }, cli) => {
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const org = loadOrgFile(file);
  const database = await cli.database();
  const summary = await importOrganization(database.db, org);
  process.stdout.write(
    `已导入 ${summary.tenantCode}：${summary.units} 个处室、${summary.posts} 个岗位、${summary.people} 人、` +
      `${summary.categories} 个隐患类别；新任 ${summary.holdersStarted} 人次，离任 ${summary.holdersEnded} 人次。\n`,
  );
  return 0;
});
