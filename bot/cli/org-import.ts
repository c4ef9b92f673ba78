// npm run org:import -- <file.yaml>: loads an organization into the configured database.
// An invalid file is reported precisely (file, path, reason) and nothing is written.
import { existsSync } from 'node:fs';
import { openDatabase } from '../../db/client.ts';
import { loadOrgFile, OrgFileError } from '../../db/org-file.ts';
import { importOrganization } from '../../db/org-import.ts';
import { CalendarOverrideError } from '../../handlers/calendar.ts';
import { ConfigError, loadConfig } from '../env.ts';

async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length > 1) {
    process.stderr.write('用法：npm run org:import -- <组织文件.yaml>\n');
    return 2;
  }
  if (!existsSync(file)) {
    process.stderr.write(`${file}: no such file
`);
    return 1;
  }
  const org = loadOrgFile(file);
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const summary = await importOrganization(database.db, org);
    process.stdout.write(
      `已导入 ${summary.tenantCode}：${summary.units} 个处室、${summary.posts} 个岗位、${summary.people} 人、` +
        `${summary.categories} 个隐患类别；新任 ${summary.holdersStarted} 人次，离任 ${summary.holdersEnded} 人次。\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (
      error instanceof OrgFileError ||
      error instanceof ConfigError ||
      error instanceof CalendarOverrideError
    ) {
      process.stderr.write(`${error.message}
`);
    } else
      process.stderr.write(`org:import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
