// `npm run doctor` run in process on the test database (test/helpers/cli.ts): the table on stdout, exit
// code 1 when WeCom refuses the server's IP (60020), no secret printed. The checks themselves are tested in
// doctor.test.ts; the built tool as a process in cli-process.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as doctor } from '../bot/cli/doctor.ts';
import type { Database } from '../db/client.ts';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';
import { runTool } from './helpers/cli.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';
import { WECOM_APP, wecomEnv } from './helpers/wecom-events.ts';

describe('npm run doctor', () => {
  let database: Database;
  let feishu: FakeFeishu;
  let wecom: FakeWecomApi;
  beforeAll(async () => {
    database = await openTestDatabase();
    await seedExample(database);
    feishu = await startFakeFeishu();
    wecom = new FakeWecomApi({
      corpId: WECOM_APP.corpId,
      corpSecret: WECOM_APP.secret,
      agentId: WECOM_APP.agentId,
      untrusted: true,
    });
    await wecom.start();
  });
  afterAll(async () => {
    await wecom.close();
    await feishu.close();
    await database.close();
  });

  it('prints the table, exits 1 on WeCom 60020, and prints no secret', async () => {
    const env = {
      FEISHU_APP_ID: FAKE_APP_ID,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_DOMAIN: feishu.url,
      ...wecomEnv(wecom.url),
    };
    const result = await runTool(doctor, ['--workers'], { env, database });
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^项目\s+状态\s+说明与处理办法$/);
    const line = (item: string) => lines.find((entry) => entry.startsWith(`${item} `)) ?? '';
    expect(line('飞书 · 凭据')).toMatch(/\sok\s+已获取 tenant_access_token/);
    expect(line('企业微信 · 可信IP与可见范围')).toMatch(
      /\serror\s+企业微信拒绝了来自 IP 127\.0\.0\.1 的调用（60020/,
    );
    expect(line('企业微信 · 部署方式')).toMatch(/\serror\s+Cloudflare Workers 没有固定的出口 IP/);
    expect(line('数据库迁移')).toMatch(/\sok\s+已全部应用/);
    expect(lines.at(-1)).toMatch(/^\d+ 项中：2 项 error，\d+ 项 warning。$/);
    for (const secret of [FAKE_APP_SECRET, WECOM_APP.secret, WECOM_APP.token, WECOM_APP.encodingAesKey]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });
});
