// `npm run doctor` as its own process, once (slow lane): the table on stdout, exit code 1 when WeCom
// refuses the server's IP (60020), no secret printed, and the database's migrations not applied by it.
// The checks themselves are tested in process in doctor.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';
import { built } from './helpers/built.ts';
import { cliDatabase } from './helpers/db.ts';
import { WECOM_APP, wecomEnv } from './helpers/wecom-events.ts';

describe('npm run doctor', () => {
  const run = promisify(execFile);
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let feishu: FakeFeishu;
  let wecom: FakeWecomApi;
  beforeAll(async () => {
    cli = await cliDatabase(['school.yaml']);
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
    await cli.remove();
  });

  it('prints the table, exits 1 on WeCom 60020, and prints no secret', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      ...cli.env,
      FEISHU_APP_ID: FAKE_APP_ID,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_DOMAIN: feishu.url,
      ...wecomEnv(wecom.url),
    };
    const result = await run('node', built('cli/doctor', '--workers'), { env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
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
