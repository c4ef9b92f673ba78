// The organization and roster command-line tools as their own processes (slow lane: each run starts Node
// and opens PGlite). What they import is tested in process in org-import.test.ts and shifts.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { identities, people, tenants } from '../db/schema.ts';
import { startFakeFeishu } from './fakes/feishu-api.ts';
import { startFakeWecomApi } from './fakes/wecom-api.ts';
import { built } from './helpers/built.ts';
import { migratedDataDir } from './helpers/data-dir.ts';
import { cliDatabase, exampleFile } from './helpers/db.ts';
import { schoolDirectories, schoolWithMobilesOnly } from './helpers/org-directory.ts';

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
    const result = await run('node', built('cli/org-import', file), {
      env: { ...process.env, DATA_DIR: join(dir, 'data') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain(
      `${file}: people[3].posts[0]: unknown post "ghost-post"`,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
    // A valid file through the same CLI writes the organization (into a migrated folder: the first start
    // on a folder that does not exist, initdb and migrations, is start.test.ts's).
    await migratedDataDir(join(dir, 'data'));
    const ok = await run('node', built('cli/org-import', exampleFile('school.yaml')), {
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
    const failed = (await exec('node', built('cli/roster-import', file), { env }).catch(
      (error) => error,
    )) as { code: number; stderr: string };
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${file}: 第 3 行 值班人员: 找不到“李四”`);
    expect(failed.stderr).toContain(`${file}: 第 4 行 日期: “2026-12-32”不是真实存在的日期`);
    expect(failed.stderr).toContain('共 2 处问题，未导入任何班次。');

    const wrongTenant = (await exec(
      'node',
      built('cli/roster-import', exampleFile('roster.csv'), '--tenant', 'nope'),
      { env },
    ).catch((error) => error)) as { code: number; stderr: string };
    expect(wrongTenant.code).toBe(1);
    expect(wrongTenant.stderr).toContain('没有代码为“nope”的单位（已有：jishan-school）');

    const ok = await exec(
      'node',
      built('cli/roster-import', exampleFile('roster.csv'), '--tenant', 'jishan-school'),
      { env },
    );
    // Nothing was written by the failed run: everything is new.
    expect(ok.stdout).toContain('2026-11-30 至 2026-12-06 的值班表：新建 19 个班次。');
    await database.remove();
  }, 120_000);
});

describe('people given by their mobile, through the CLIs', () => {
  it('org:import --strict writes nothing when someone is not found; org:resolve reports and writes a copy; org:import imports the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-resolve-'));
    const file = join(dir, 'school-mobiles.yaml');
    writeFileSync(file, schoolWithMobilesOnly());
    const school = schoolDirectories();
    // 赵明 is outside the Feishu app's 可用范围 and the WeCom app's 可见范围.
    const outside = <T extends { mobile?: string }>(entry: T): T => ({
      ...entry,
      inRange: entry.mobile !== '13800000017',
    });
    const feishu = await startFakeFeishu({ directory: school.feishu.map(outside) });
    const wecom = await startFakeWecomApi({ directory: school.wecom.map(outside) });
    const database = await cliDatabase();
    const tenantCount = async () => {
      const db = await database.open();
      try {
        return (await db.db.select().from(tenants)).length;
      } finally {
        await db.close();
      }
    };
    const env = {
      ...process.env,
      ...database.env,
      FEISHU_APP_ID: feishu.appId,
      FEISHU_APP_SECRET: feishu.appSecret,
      FEISHU_DOMAIN: feishu.url,
      WECOM_CORP_ID: wecom.api.corpId,
      WECOM_SECRET: wecom.api.corpSecret,
      WECOM_AGENT_ID: '1000002',
      WECOM_TOKEN: 'token',
      WECOM_ENCODING_AES_KEY: 'a'.repeat(43),
      WECOM_API_BASE: wecom.url,
    };
    const run = (tool: string, ...args: string[]) =>
      promisify(execFile)('node', built(`cli/${tool}`, ...args), { env }).then(
        (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    try {
      const strict = await run('org-import', file, '--strict');
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain('2 人次未能按手机号或邮箱找到账号');
      expect(strict.stderr).toContain(
        'zhaoming（赵明）企业微信 手机号 13800000017：此人不在应用的可见范围内',
      );
      expect(strict.stderr).toContain('使用了 --strict：未导入任何内容。');
      expect(await tenantCount()).toBe(0);

      const copy = join(dir, 'school-ids.yaml');
      const resolved = await run('org-resolve', file, '--write', copy);
      expect(resolved.code).toBe(1);
      expect(resolved.stdout).toContain('查找 34 人次：找到 32，未找到 2。');
      expect(resolved.stdout).toContain(
        `wangxiaofang（王晓芳）飞书 手机号 13800000001：找到 open_id ${school.feishu[0]!.openId}`,
      );
      expect(resolved.stdout).toContain('zhaoming（赵明）飞书 手机号 13800000017：未查到');
      expect(parse(readFileSync(copy, 'utf8')).people[0].wecom).toEqual({ userid: 'wangxiaofang' });
      expect(await tenantCount()).toBe(0);

      const imported = await run('org-import', file);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('已导入 jishan-school');
      expect(imported.stdout).toContain('按手机号或邮箱查到 32 个账号');
      expect(imported.stdout).toContain('zhaoming（赵明）飞书 手机号 13800000017');
      const db = await database.open();
      try {
        const rows = await db.db
          .select({ code: people.code, channel: identities.channel })
          .from(identities)
          .innerJoin(people, eq(people.id, identities.personId));
        expect(rows.filter((row) => row.channel !== 'wechaty')).toHaveLength(32);
        expect(rows.filter((row) => row.code === 'zhaoming').map((row) => row.channel)).toEqual(['wechaty']);
      } finally {
        await db.close();
      }
    } finally {
      await feishu.close();
      await wecom.close();
      await database.remove();
    }
  }, 120_000);
});
