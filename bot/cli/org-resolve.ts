// npm run org:resolve -- <file.yaml> [--write <copy.yaml>]: looks the file's people up on the configured
// platforms by their mobile or e-mail, as org:import does, writes nothing to the database and prints a
// table: who was found, as which id, and who was not and why. --write keeps a copy of the file with the
// ids found filled in (comments and layout kept), for an operator who wants the ids in the file.
// Exit code 0 when everyone was found, 1 when someone was not (the table says who).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadOrgFile, OrgFileError, writeFoundIds } from '../../handlers/org-file.ts';
import { decodeText } from '../../handlers/upload-limits.ts';
import { describeLookup, platformDirectories, resolutionReport, resolveOrgPeople } from '../org-resolve.ts';
import { CliError, defineCli, readFileAndOptions, runIfMain } from './options.ts';

const USAGE = [
  '用法：npm run org:resolve -- <组织文件.yaml> [--write <副本.yaml>]',
  '  按文件中的手机号（mobile）或邮箱（email）在已配置的飞书、企业微信上查找账号，列出结果，不写数据库；',
  '  --write：另存一份填好 open_id / userid 的文件副本（原文件不变）。',
].join('\n');

function parseArguments(argv: string[]) {
  const options = readFileAndOptions(argv, { options: ['write'] });
  return options === 'help' ? 'help' : { file: options.file, write: options.values.write };
}

const explain = (error: unknown) => (error instanceof OrgFileError ? error.message : undefined);

export const command = defineCli(
  { name: 'org:resolve', usage: USAGE, parse: parseArguments, explain },
  async ({ file, write }, cli) => {
    if (!existsSync(file)) throw new CliError(`${file}: no such file`);
    if (write && resolve(write) === resolve(file)) {
      throw new CliError(`--write ${write}：不能覆盖原文件，请另起一个文件名`);
    }
    if (write && existsSync(write))
      throw new CliError(`--write ${write}：文件已存在，请另起一个文件名或先删除它`);
    const directories = platformDirectories(cli.config());
    if (!directories.feishu && !directories.wecom) {
      throw new CliError(
        '未配置飞书（FEISHU_APP_ID、FEISHU_APP_SECRET）或企业微信自建应用（WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET 等），无从查找。',
      );
    }
    const org = loadOrgFile(file);
    const resolution = await resolveOrgPeople(org, directories);
    const found = resolution.lookups.filter((lookup) => lookup.found);
    const lines = [
      `查找 ${resolution.lookups.length} 人次：找到 ${found.length}，未找到 ${resolution.unresolved.length}。`,
      ...found.map((lookup) => `  ${describeLookup(lookup)}`),
      ...resolutionReport(resolution),
    ];
    if (write) {
      const decoded = decodeText(readFileSync(file));
      const text = 'text' in decoded ? decoded.text : '';
      writeFileSync(write, writeFoundIds(text, resolution.found), { flag: 'wx' });
      lines.push(`已另存填好账号的副本：${write}（原文件未改动）。`);
    }
    cli.stdout(`${lines.join('\n')}\n`);
    return resolution.unresolved.length > 0 ? 1 : 0;
  },
);

runIfMain(import.meta.url, command);
