// The organization and roster command-line tools as their own processes (slow lane: each run starts Node
// and opens PGlite). What they import is tested in process in org-import.test.ts and shifts.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cliDatabase, exampleFile } from './helpers/db.ts';

const read = (name: string) => readFileSync(exampleFile(name), 'utf8');
const HEADER = '日期,班次,时间,值班人员,带班领导,地点';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

describe('an invalid organization file', () => {
  it('writes nothing through the CLI, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-import-'));
    const file = join(dir, 'bad.yaml');
    const document = parse(read('school.yaml'));
    document.people[3].posts = ['ghost-post'];
    writeFileSync(file, stringify(document));
    const run = promisify(execFile);
    const result = await run('node', ['--import', 'tsx', 'bot/cli/org-import.ts', file], {
      env: { ...process.env, DATA_DIR: join(dir, 'data') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain(
      `${file}: people[3].posts[0]: unknown post "ghost-post"`,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
    // A valid file through the same CLI writes the organization.
    const ok = await run('node', ['--import', 'tsx', 'bot/cli/org-import.ts', exampleFile('school.yaml')], {
      env: { ...process.env, DATA_DIR: join(dir, 'data') },
    });
    expect(ok.stdout).toContain('已导入 jishan-school');
  }, 60_000);
});

describe('npm run roster:import', () => {
  it('exits 1 with row-precise errors and writes nothing; a good file then imports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-import-'));
    // The school, imported in this process: preparing the folder needs no CLI of its own.
    const database = await cliDatabase(['school.yaml']);
    const env = { ...process.env, ...database.env };
    const exec = promisify(execFile);
    const file = join(dir, 'bad.csv');
    writeFileSync(
      file,
      csv(
        '2026-12-01,日间值班,08:00-17:00,陈静,薛建平,值班室',
        '2026-12-01,夜班,20:00-08:00,李四,薛建平,门卫室',
        '2026-12-32,日间值班,08:00-17:00,张丽,薛建平,',
      ),
    );
    const failed = (await exec('node', ['--import', 'tsx', 'bot/cli/roster-import.ts', file], { env }).catch(
      (error) => error,
    )) as { code: number; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${file}: 第 3 行 值班人员: 找不到“李四”`);
    expect(failed.stderr).toContain(`${file}: 第 4 行 日期: “2026-12-32”不是真实存在的日期`);
    expect(failed.stderr).toContain('共 2 处问题，未导入任何班次。');

    const wrongTenant = (await exec(
      'node',
      ['--import', 'tsx', 'bot/cli/roster-import.ts', exampleFile('roster.csv'), '--tenant', 'nope'],
      { env },
    ).catch((error) => error)) as { code: number; stderr: string };
    expect(wrongTenant.code).toBe(1);
    expect(wrongTenant.stderr).toContain('没有代码为“nope”的单位（已有：jishan-school）');

    const ok = await exec(
      'node',
      ['--import', 'tsx', 'bot/cli/roster-import.ts', exampleFile('roster.csv'), '--tenant', 'jishan-school'],
      { env },
    );
    // Nothing was written by the failed run: everything is new.
    expect(ok.stdout).toContain('2026-11-30 至 2026-12-06 的值班表：新建 19 个班次。');
    await database.remove();
  }, 120_000);
});
