// The organization and roster tools (`npm run org:import`, `org:resolve`, `org:move`, `roster:import`) run
// in process on the test database (test/helpers/cli.ts): their arguments, messages, exit codes and the rows
// they write. What they import is tested in org-import.test.ts, shifts.test.ts and claims.test.ts; the built
// tools as processes in cli-process.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { command as orgImport } from '../bot/cli/org-import.ts';
import { command as orgMove } from '../bot/cli/org-move.ts';
import { command as orgResolve } from '../bot/cli/org-resolve.ts';
import { command as rosterImport } from '../bot/cli/roster-import.ts';
import type { Database } from '../db/client.ts';
import { auditEvents, chats, identities, people, tenants } from '../db/schema.ts';
import { startFakeFeishu } from './fakes/feishu-api.ts';
import { startFakeWecomApi } from './fakes/wecom-api.ts';
import { bureauClaimingSchool, claimSnapshot, SCHOOL_CHAT, SCHOOL_NAME } from './helpers/claims.ts';
import { runTool } from './helpers/cli.ts';
import { BUREAU } from './helpers/console-http.ts';
import { exampleFile, openTestDatabase, resetDatabase, seedExample, seedExamples } from './helpers/db.ts';
import { schoolDirectories, schoolWithMobilesOnly } from './helpers/org-directory.ts';

const read = (name: string) => readFileSync(exampleFile(name), 'utf8');
const HEADER = '日期,班次,时间,值班人员,带班领导,地点';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

let database: Database;
let dir: string;
beforeAll(async () => {
  database = await openTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'tools-org-'));
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const tenantCount = async () => (await database.db.select().from(tenants)).length;

describe('an invalid organization file', () => {
  it('writes nothing through org:import, and says why; a valid one is imported', async () => {
    await resetDatabase(database);
    const file = join(dir, 'bad.yaml');
    const document = parse(read('school.yaml'));
    document.people[3].posts = ['ghost-post'];
    writeFileSync(file, stringify(document));
    const bad = await runTool(orgImport, [file], { database });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}: people[3].posts[0]: unknown post "ghost-post"`);
    expect(await tenantCount()).toBe(0);

    const ok = await runTool(orgImport, [exampleFile('school.yaml')], { database });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('已导入 jishan-school');
    expect(await tenantCount()).toBe(1);
  });
});

describe('npm run roster:import', () => {
  it('exits 1 with row-precise errors and writes nothing; a good file then imports', async () => {
    await seedExample(database);
    const file = join(dir, 'bad.csv');
    writeFileSync(
      file,
      csv(
        '2026-12-01,日间值班,08:00-17:00,陈静,薛建平,值班室',
        '2026-12-01,夜班,20:00-08:00,李四,薛建平,门卫室',
        '2026-12-32,日间值班,08:00-17:00,张丽,薛建平,',
      ),
    );
    const failed = await runTool(rosterImport, [file], { database });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${file}: 第 3 行 值班人员: 找不到“李四”`);
    expect(failed.stderr).toContain(`${file}: 第 4 行 日期: “2026-12-32”不是真实存在的日期`);
    expect(failed.stderr).toContain('共 2 处问题，未导入任何班次。');

    const wrongTenant = await runTool(rosterImport, [exampleFile('roster.csv'), '--tenant', 'nope'], {
      database,
    });
    expect(wrongTenant.code).toBe(1);
    expect(wrongTenant.stderr).toContain('没有代码为“nope”的单位（已有：jishan-school）');

    const ok = await runTool(rosterImport, [exampleFile('roster.csv'), '--tenant', 'jishan-school'], {
      database,
    });
    expect(ok.code, ok.stderr).toBe(0);
    // Nothing was written by the failed run: everything is new.
    expect(ok.stdout).toContain('2026-11-30 至 2026-12-06 的值班表：新建 19 个班次。');
  });
});

describe('people given by their mobile, through the tools', () => {
  it('org:import --strict writes nothing when someone is not found; org:resolve reports and writes a copy; org:import imports the others', async () => {
    await resetDatabase(database);
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
    const env = {
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
    try {
      const strict = await runTool(orgImport, [file, '--strict'], { env, database });
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain('2 人次未能按手机号或邮箱找到账号');
      expect(strict.stderr).toContain(
        'zhaoming（赵明）企业微信 手机号 13800000017：此人不在应用的可见范围内',
      );
      expect(strict.stderr).toContain('使用了 --strict：未导入任何内容。');
      expect(await tenantCount()).toBe(0);

      const copy = join(dir, 'school-ids.yaml');
      const resolved = await runTool(orgResolve, [file, '--write', copy], { env, database });
      expect(resolved.code).toBe(1);
      expect(resolved.stdout).toContain('查找 34 人次：找到 32，未找到 2。');
      expect(resolved.stdout).toContain(
        `wangxiaofang（王晓芳）飞书 手机号 13800000001：找到 open_id ${school.feishu[0]!.openId}`,
      );
      expect(resolved.stdout).toContain('zhaoming（赵明）飞书 手机号 13800000017：未查到');
      expect(parse(readFileSync(copy, 'utf8')).people[0].wecom).toEqual({ userid: 'wangxiaofang' });
      expect(await tenantCount()).toBe(0);

      const imported = await runTool(orgImport, [file], { env, database });
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain('已导入 jishan-school');
      expect(imported.stdout).toContain('按手机号或邮箱查到 32 个账号');
      expect(imported.stdout).toContain('zhaoming（赵明）飞书 手机号 13800000017');
      const rows = await database.db
        .select({ code: people.code, channel: identities.channel })
        .from(identities)
        .innerJoin(people, eq(people.id, identities.personId));
      expect(rows.filter((row) => row.channel !== 'wechaty')).toHaveLength(32);
      expect(rows.filter((row) => row.code === 'zhaoming').map((row) => row.channel)).toEqual(['wechaty']);
    } finally {
      await feishu.close();
      await wecom.close();
    }
  });
});

// `npm run org:import` refusing a file that claims another tenant's chat and a member's ids, and
// `npm run org:move` moving one between tenants, audited in both (issue 14, item 2).
describe('claims on the command line', () => {
  it('org:import refuses the claim; org:move moves a chat and an id, audited in both tenants', async () => {
    await seedExamples(database, ['school.yaml', 'bureau.yaml']);
    const file = join(dir, 'bureau.yaml');
    const claim = await bureauClaimingSchool(() => database);
    writeFileSync(file, claim.source);
    const before = await claimSnapshot(database.db);
    const refused = await runTool(orgImport, [file], { database });
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) => {
      expect(line.startsWith(`${file}: ${claim.expected[i]}`), line).toBe(true);
      expect(line).not.toContain(SCHOOL_NAME);
    });
    expect(await claimSnapshot(database.db)).toEqual(before);

    // org:move: usage, then the operator's move.
    const usage = [
      [],
      ['--chat', 'feishu:oc_x', '--from', 'a', '--to', 'b'],
      ['--chat', 'qq:oc_x', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--identity', 'feishu:email:x', '--person', 'p', '--from', 'a', '--to', 'b', '--reason', 'x'],
      // The 智能机器人 knows members by their wecom userid: it has chats of its own, no ids.
      ['--identity', 'wecom_bot:userid:x', '--person', 'p', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--chat', 'feishu:oc_x', '--identity', 'wecom:userid:x', '--from', 'a', '--to', 'b', '--reason', 'x'],
    ];
    const help = await runTool(orgMove, ['--help'], { database });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run org:move -- --chat');
    for (const args of usage) {
      const wrong = await runTool(orgMove, args, { database });
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr).toContain('用法：npm run org:move');
    }
    const reason = ['--reason', '该群移交教育局'];
    const wrongFrom = await runTool(
      orgMove,
      ['--chat', `feishu:${SCHOOL_CHAT}`, '--from', BUREAU, '--to', 'jishan-school', ...reason],
      { database },
    );
    expect(wrongFrom.code).toBe(1);
    expect(wrongFrom.stderr).toContain('没有绑定飞书群');
    expect(await claimSnapshot(database.db)).toEqual(before);

    const chat = await runTool(
      orgMove,
      ['--chat', `feishu:${SCHOOL_CHAT}`, '--from', 'jishan-school', '--to', BUREAU, ...reason],
      { database },
    );
    expect(chat.code, chat.stderr).toBe(0);
    const identity = await runTool(
      orgMove,
      [
        '--identity',
        `feishu:open_id:${claim.ids.openId}`,
        '--person',
        'zhaoguoping',
        '--from',
        'jishan-school',
        '--to',
        BUREAU,
        '--reason',
        '调任教育局',
      ],
      { database },
    );
    expect(identity.code, identity.stderr).toBe(0);
    expect(identity.stdout).toContain('赵国平');

    const ids = Object.fromEntries(
      (await database.db.select().from(tenants)).map((tenant) => [tenant.code, tenant.id]),
    );
    const [moved] = await database.db.select().from(chats).where(eq(chats.chatId, SCHOOL_CHAT));
    expect(moved!.tenantId).toBe(ids[BUREAU]);
    const [id] = await database.db
      .select({ tenantId: identities.tenantId, person: people.code })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId))
      .where(and(eq(identities.kind, 'open_id'), eq(identities.value, claim.ids.openId)));
    expect(id).toEqual({ tenantId: ids[BUREAU], person: 'zhaoguoping' });
    const trail = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    expect(trail.map((row) => [row.tenantId, row.action, row.fromStatus, row.toStatus, row.note])).toEqual([
      [ids['jishan-school'], 'chat.moved', 'jishan-school', BUREAU, '该群移交教育局'],
      [ids[BUREAU], 'chat.moved', 'jishan-school', BUREAU, '该群移交教育局'],
      [ids['jishan-school'], 'identity.moved', 'jishan-school', BUREAU, '调任教育局'],
      [ids[BUREAU], 'identity.moved', 'jishan-school', BUREAU, '调任教育局'],
    ]);
    expect(trail[2]!.data).toMatchObject({
      value: claim.ids.openId,
      fromPerson: 'wangxiaofang',
      toPerson: 'zhaoguoping',
    });
    expect(String(trail[0]!.data?.operator)).toMatch(/.+@.+/);

    // The school's file still names the moved id and chat: now the school's import is the one refused.
    const school = await runTool(orgImport, [exampleFile('school.yaml')], { database });
    expect(school.code).toBe(1);
    expect(school.stderr).toContain('feishu.open_id: 第 ');
    expect(school.stderr).toContain(`飞书群“${SCHOOL_CHAT}”已登记在另一个单位`);
  });
});
