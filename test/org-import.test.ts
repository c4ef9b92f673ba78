import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { contactKey } from '../bot/channels/directory.ts';
import { feishuDirectory } from '../bot/channels/feishu/directory.ts';
import { createFeishuClient } from '../bot/channels/feishu/sender.ts';
import { createWecomApi } from '../bot/channels/wecom/api.ts';
import { wecomDirectory } from '../bot/channels/wecom/directory.ts';
import { silentLogger } from '../bot/core/log.ts';
import { parseConfig } from '../bot/env.ts';
import { type Directories, resolutionReport, resolveOrgPeople } from '../bot/org-resolve.ts';
import { createService } from '../bot/service.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { feishuUserIdOnlyPeople } from '../db/queries/org.ts';
import {
  categories,
  categoryUnits,
  identities,
  leadingGroupMembers,
  people,
  postHolders,
  posts,
  tenants,
  units,
} from '../db/schema.ts';
import { WorkCalendar } from '../handlers/calendar.ts';
import { loadOrgFile, OrgFileError, parseOrgFile, writeFoundIds } from '../handlers/org-file.ts';
import { tenantSettings } from '../handlers/settings.ts';
import { type FakeFeishu, FEISHU_SCOPES, startFakeFeishu } from './fakes/feishu-api.ts';
import { type FakeWecomApi, startFakeWecomApi } from './fakes/wecom-api.ts';
import { exampleFile, openTestDatabase, resetDatabase } from './helpers/db.ts';
import { schoolDirectories, schoolWithMobilesOnly } from './helpers/org-directory.ts';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await resetDatabase(database);
});

const read = (name: string) => readFileSync(exampleFile(name), 'utf8');

function problemsOf(file: string, source: string) {
  try {
    parseOrgFile(file, source);
  } catch (error) {
    if (error instanceof OrgFileError) return error.problems;
    throw error;
  }
  return [];
}

describe('the example organizations', () => {
  it('imports the school of seed 002 with its leading group, units and category table', async () => {
    const org = parseOrgFile('school.yaml', read('school.yaml'));
    const summary = await importOrganization(database.db, org);
    expect(summary.units).toBe(org.units.length);
    expect((await database.db.select().from(units)).length).toBe(org.units.length);
    expect((await database.db.select().from(posts)).length).toBe(org.posts.length);
    expect((await database.db.select().from(people)).length).toBe(org.people.length);
    expect((await database.db.select().from(categories)).length).toBe(org.categories.length);
    expect((await database.db.select().from(categoryUnits)).length).toBe(
      org.categories.reduce((sum, category) => sum + category.units.length, 0),
    );
    const [tenant] = await database.db.select().from(tenants);
    const [office] = await database.db.select().from(units).where(eq(units.id, tenant!.officeUnitId!));
    expect(office!.name).toBe('办公室');
    const leaders = await database.db
      .select({ name: people.name, role: leadingGroupMembers.role })
      .from(leadingGroupMembers)
      .innerJoin(postHolders, eq(postHolders.postId, leadingGroupMembers.postId))
      .innerJoin(people, eq(people.id, postHolders.personId));
    expect(leaders).toContainEqual({ name: '王晓芳', role: 'leader' });
    expect(leaders).toContainEqual({ name: '周尹尹', role: 'office_director' });
    // Every person with a Feishu open_id can be matched on that channel.
    const openIds = await database.db.select().from(identities).where(eq(identities.kind, 'open_id'));
    expect(openIds.length).toBe(org.people.filter((person) => person.feishu?.open_id).length);
  });

  it('imports the district bureau of seed 001 with its 科室 and their duty lists', async () => {
    const org = parseOrgFile('bureau.yaml', read('bureau.yaml'));
    await importOrganization(database.db, org);
    const rows = await database.db.select().from(units);
    const names = rows.map((row) => row.name);
    for (const name of ['法规安全科', '办公室', '政教科', '教育科', '人事科', '计财科', '督导室']) {
      expect(names).toContain(name);
    }
    expect(rows.every((row) => row.safetyDuties.length > 0)).toBe(true);
    const [tenant] = await database.db.select().from(tenants);
    const [office] = await database.db.select().from(units).where(eq(units.id, tenant!.officeUnitId!));
    expect(office!.name).toBe('法规安全科');
  });

  it('keeps two tenants apart', async () => {
    await importOrganization(database.db, parseOrgFile('school.yaml', read('school.yaml')));
    await importOrganization(database.db, parseOrgFile('bureau.yaml', read('bureau.yaml')));
    const rows = await database.db.select().from(tenants);
    expect(rows.map((row) => row.code).sort()).toEqual(['district-bureau', 'jishan-school']);
  });
});

describe('re-importing', () => {
  it('is idempotent and hands a post to its successor, who inherits its duties', async () => {
    const source = read('school.yaml');
    await importOrganization(database.db, parseOrgFile('school.yaml', source));
    const again = await importOrganization(database.db, parseOrgFile('school.yaml', source));
    expect(again.holdersStarted).toBe(0);
    expect(again.holdersEnded).toBe(0);

    // The head of 安保处 changes: the old holder's term ends, the successor holds the same post.
    const document = parse(source);
    const head = document.posts.find(
      (post: { unit?: string; head_of_unit?: boolean }) => post.unit === 'an-bao-chu' && post.head_of_unit,
    );
    const previous = document.people.find((person: { posts: string[] }) => person.posts.includes(head.code));
    previous.posts = previous.posts.filter((code: string) => code !== head.code);
    document.people.push({
      code: 'successor',
      name: '接任者',
      posts: [head.code],
      wecom: { userid: 'successor' },
    });
    const changed = await importOrganization(database.db, parseOrgFile('school.yaml', stringify(document)));
    expect(changed).toMatchObject({ holdersStarted: 1, holdersEnded: 1 });

    const [post] = await database.db.select().from(posts).where(eq(posts.code, head.code));
    const current = await database.db
      .select({ name: people.name })
      .from(postHolders)
      .innerJoin(people, eq(people.id, postHolders.personId))
      .where(and(eq(postHolders.postId, post!.id), isNull(postHolders.endedAt)));
    expect(current).toEqual([{ name: '接任者' }]);
    expect(post!.safetyDuties.length).toBeGreaterThan(0);
  });
});

describe('an invalid organization file', () => {
  it('names an alias without its anchor as a YAML problem (found by test/properties-input.test.ts)', () => {
    for (const source of ['*!', 'tenant: *missing\n']) {
      expect(problemsOf('org.yaml', source)).toEqual([
        { path: '(yaml)', message: expect.stringContaining('Unresolved alias') },
      ]);
    }
  });

  it('names the file, the path and the reason, for every problem', () => {
    const document = parse(read('school.yaml'));
    document.posts[1].unit = 'no-such-unit';
    document.posts[2].level = '大领导';
    document.people[0].posts.push('no-such-post');
    document.units[1].code = document.units[0].code;
    delete document.units[2].name;
    document.leading_group.office = 'nowhere';
    const problems = problemsOf('org.yaml', stringify(document));
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'posts[2].level', message: 'must be 第一责任人, 直接责任人 or 岗位责任人' },
        { path: 'units[2].name', message: expect.any(String) },
      ]),
    );
    // Cross-references are checked once the shape is right.
    const shapeOk = parse(read('school.yaml'));
    shapeOk.posts[1].unit = 'no-such-unit';
    shapeOk.people[0].posts.push('no-such-post');
    shapeOk.units[1].code = shapeOk.units[0].code;
    shapeOk.leading_group.office = 'nowhere';
    expect(problemsOf('org.yaml', stringify(shapeOk))).toEqual(
      expect.arrayContaining([
        { path: 'posts[1].unit', message: 'unknown unit "no-such-unit"' },
        {
          path: `people[0].posts[${shapeOk.people[0].posts.length - 1}]`,
          message: 'unknown post "no-such-post"',
        },
        { path: 'units[1].code', message: `duplicate code "${shapeOk.units[0].code}"` },
        { path: 'leading_group.office', message: 'unknown unit "nowhere"' },
      ]),
    );
  });

  it('reports YAML syntax errors with line and column, and unknown keys', () => {
    expect(problemsOf('broken.yaml', 'tenant:\n  code: x\n  name: [unclosed\n')[0]?.path).toMatch(
      /^line \d+, column \d+$/,
    );
    const typo = parse(read('school.yaml'));
    typo.units[0].saftey_duties = [];
    expect(problemsOf('typo.yaml', stringify(typo))).toContainEqual({
      path: 'units[0]',
      message: expect.stringContaining('saftey_duties'),
    });
  });

  it('leaves the database untouched when the file is invalid', async () => {
    const document = parse(read('school.yaml'));
    document.categories[0].units[0].unit = 'missing';
    expect(() => parseOrgFile('x.yaml', stringify(document))).toThrow(OrgFileError);
    expect(await database.db.select().from(tenants)).toHaveLength(0);
  });
});

describe('a calendar override named by the organization file', () => {
  it('is loaded at import and used for deadlines in a year the package does not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-cal-'));
    const document = parse(read('school.yaml'));
    document.settings = { calendar_file: 'calendar.yaml' };
    writeFileSync(join(dir, 'org.yaml'), stringify(document));
    writeFileSync(join(dir, 'calendar.yaml'), readFileSync(exampleFile('calendar-2027.yaml'), 'utf8'));
    const org = loadOrgFile(join(dir, 'org.yaml'));
    expect(org.settings.calendar?.holidays).toContain('2027-02-08');
    await importOrganization(database.db, org);
    const [tenant] = await database.db.select().from(tenants);
    const settings = tenantSettings(tenant!.settings);
    const warned: number[] = [];
    const calendar = new WorkCalendar({
      override: settings.calendar,
      onUnknownYear: (year) => warned.push(year),
    });
    // 2027-02-04 (Thu) + 3 working days, across the illustrative Spring Festival break (02-05…02-13)
    // and its make-up Sunday 02-14: 02-14, 02-15, 02-16.
    expect(calendar.addWorkingDays('2027-02-04', 3)).toBe('2027-02-16');
    expect(warned).toEqual([]);
  });

  it('names the calendar file and the problem when it is wrong, and imports nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-cal-'));
    const document = parse(read('school.yaml'));
    document.settings = { calendar_file: 'calendar.yaml' };
    writeFileSync(join(dir, 'org.yaml'), stringify(document));
    writeFileSync(join(dir, 'calendar.yaml'), 'year: 2027\nholidays: [2027-02-30]\n');
    expect(() => loadOrgFile(join(dir, 'org.yaml'))).toThrow(
      /calendar\.yaml: holidays\[0\]: "2027-02-30" is not a real date/,
    );
    writeFileSync(
      join(dir, 'org.yaml'),
      stringify({ ...document, settings: { calendar_file: 'missing.yaml' } }),
    );
    expect(() => loadOrgFile(join(dir, 'org.yaml'))).toThrow(/settings\.calendar_file: cannot read/);
  });
});

describe('people given by their mobile', () => {
  let feishu: FakeFeishu;
  let wecom: { api: FakeWecomApi; url: string; close: () => Promise<void> };
  beforeAll(async () => {
    feishu = await startFakeFeishu();
    wecom = await startFakeWecomApi();
  });
  afterAll(async () => {
    await feishu.close();
    await wecom.close();
  });
  beforeEach(() => {
    feishu.reset();
    wecom.api.reset();
    const directories = schoolDirectories();
    feishu.directory = directories.feishu;
    wecom.api.directory = directories.wecom;
    wecom.api.untrusted = false;
  });

  const feishuClient = () =>
    createFeishuClient({ appId: feishu.appId, appSecret: feishu.appSecret, domain: feishu.url }).client;
  const directories = (): Directories => ({
    feishu: feishuDirectory(feishuClient()),
    wecom: wecomDirectory(
      createWecomApi({
        config: { corpId: wecom.api.corpId, secret: wecom.api.corpSecret, apiBase: wecom.url },
      }),
    ),
  });
  const mobilesOnly = () => parseOrgFile('school.yaml', schoolWithMobilesOnly());
  const identityRows = () =>
    database.db
      .select({
        code: people.code,
        channel: identities.channel,
        kind: identities.kind,
        value: identities.value,
      })
      .from(identities)
      .innerJoin(people, eq(people.id, identities.personId));

  it('finds every person of examples/school.yaml on Feishu and WeCom, and imports their ids', async () => {
    const school = parseOrgFile('school.yaml', read('school.yaml'));
    const resolution = await resolveOrgPeople(mobilesOnly(), directories());
    expect(resolution.unresolved).toEqual([]);
    expect(resolution.found).toHaveLength(2 * school.people.length);
    // One batch_get_id for the 17 mobiles (at most 50 a call), asking for this app's open_ids.
    const lookups = feishu.calls.filter((call) => call.kind === 'contact.batch_get_id');
    expect(lookups.map((call) => [call.status, call.query.user_id_type])).toEqual([[200, 'open_id']]);
    expect(wecom.api.log.filter((call) => call.endpoint === 'user_getuserid')).toHaveLength(17);

    await importOrganization(database.db, resolution.org);
    const rows = await identityRows();
    for (const person of school.people) {
      const mine = rows.filter((row) => row.code === person.code);
      expect(mine).toContainEqual({
        code: person.code,
        channel: 'feishu',
        kind: 'open_id',
        value: person.feishu!.open_id,
      });
      expect(mine).toContainEqual({
        code: person.code,
        channel: 'wecom',
        kind: 'userid',
        value: person.wecom!.userid,
      });
    }
    const [principal] = await database.db.select().from(people).where(eq(people.code, 'wangxiaofang'));
    expect(principal?.phone).toBe('13800000001');
  });

  it('lists who is out of range and who is not found, with the reasons, and imports the others', async () => {
    // 赵明 is outside both apps' ranges; 张丽's number is in neither directory.
    for (const user of feishu.directory) if (user.mobile === '13800000017') user.inRange = false;
    for (const member of wecom.api.directory) if (member.mobile === '13800000017') member.inRange = false;
    feishu.directory = feishu.directory.filter((user) => user.mobile !== '13800000016');
    wecom.api.directory = wecom.api.directory.filter((member) => member.mobile !== '13800000016');

    const resolution = await resolveOrgPeople(mobilesOnly(), directories());
    expect(
      resolution.unresolved.map((lookup) => [lookup.code, lookup.channel, lookup.failure]).sort(),
    ).toEqual([
      ['zhangli', 'feishu', 'not_found_or_out_of_range'],
      ['zhangli', 'wecom', 'not_found'],
      ['zhaoming', 'feishu', 'not_found_or_out_of_range'],
      ['zhaoming', 'wecom', 'out_of_range'],
    ]);
    const report = resolutionReport(resolution).join('\n');
    expect(report).toContain('4 人次未能按手机号或邮箱找到账号');
    expect(report).toContain('zhaoming（赵明）企业微信 手机号 13800000017：此人不在应用的可见范围内');
    expect(report).toContain('zhangli（张丽）企业微信 手机号 13800000016：通讯录中没有这个手机号或邮箱');
    expect(report).toContain('zhaoming（赵明）飞书 手机号 13800000017：未查到');
    expect(report).toContain('版本管理与发布 → 可用范围');

    await importOrganization(database.db, resolution.org);
    const rows = await identityRows();
    expect(
      rows.filter((row) => row.code === 'zhaoming' || row.code === 'zhangli').map((row) => row.channel),
    ).toEqual(expect.not.arrayContaining(['feishu', 'wecom']));
    expect(rows.filter((row) => row.channel === 'feishu')).toHaveLength(15);
  });

  it('says which permission or setting is missing: Feishu scope, WeCom trusted IP', async () => {
    feishu.scopes[FEISHU_SCOPES.userIdByContact] = 2;
    wecom.api.untrusted = true;
    const resolution = await resolveOrgPeople(mobilesOnly(), directories());
    const failures = new Set(resolution.unresolved.map((lookup) => `${lookup.channel}:${lookup.failure}`));
    expect([...failures].sort()).toEqual(['feishu:no_permission', 'wecom:untrusted_ip']);
    expect(resolution.unresolved).toHaveLength(34);
    expect(feishu.calls.find((call) => call.kind === 'contact.batch_get_id')?.code).toBe(99991672);
    // After the first refusals nothing more is asked of WeCom (at most one call per worker was under way).
    expect(wecom.api.log.filter((call) => call.endpoint === 'user_getuserid').length).toBeLessThanOrEqual(4);
    const report = resolutionReport(resolution).join('\n');
    expect(report).toContain('contact:user.id:readonly');
    expect(report).toContain('企业可信IP');
  });

  it('asks Feishu at most 50 mobiles and 50 e-mails a call, as the fake enforces', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => ({
      by: 'mobile' as const,
      value: `139${String(i).padStart(8, '0')}`,
    }));
    const outcomes = await feishuDirectory(feishuClient())([
      ...keys,
      { by: 'email', value: 'nobody@example.org' },
    ]);
    expect(outcomes.size).toBe(121);
    const calls = feishu.calls.filter((call) => call.kind === 'contact.batch_get_id');
    expect(calls.map((call) => (call.body as { mobiles: string[] }).mobiles.length)).toEqual([50, 50, 20]);
    expect(calls.every((call) => call.status === 200)).toBe(true);
    const tooMany = await (await feishuClient()()).contact.user
      .batchGetId({ data: { mobiles: keys.slice(0, 51).map((key) => key.value) } })
      .catch((error: { response: { status: number; data: { code: number } } }) => error.response);
    expect(tooMany).toMatchObject({ status: 400, data: { code: 99992402 } });
  });

  it('asks both platforms for a mainland number without +86, as their directories keep it', async () => {
    const key = { by: 'mobile' as const, value: '+8613800000001' };
    const [onFeishu, onWecom] = [directories().feishu!, directories().wecom!];
    expect((await onFeishu([key])).get(contactKey(key))).toEqual({ id: feishu.directory[0]!.openId });
    expect((await onWecom([key])).get(contactKey(key))).toEqual({ id: 'wangxiaofang' });
  });

  it('refuses a found id that is another person’s in the same file', async () => {
    const org = mobilesOnly();
    org.people[1]!.feishu = { open_id: feishu.directory[0]!.openId! };
    const resolution = await resolveOrgPeople(org, { feishu: feishuDirectory(feishuClient()) });
    expect(resolution.unresolved.map((lookup) => [lookup.code, lookup.failure])).toEqual([
      ['wangxiaofang', 'taken'],
    ]);
  });

  it('writes a copy of the file with the ids found, comments kept', async () => {
    const source = schoolWithMobilesOnly().replace('people:', '# the staff\npeople:');
    const resolution = await resolveOrgPeople(parseOrgFile('school.yaml', source), directories());
    const copy = writeFoundIds(source, resolution.found);
    expect(copy).toContain('# the staff');
    const reread = parseOrgFile('copy.yaml', copy);
    const school = parseOrgFile('school.yaml', read('school.yaml'));
    expect(reread.people.map((person) => [person.feishu?.open_id, person.wecom?.userid])).toEqual(
      school.people.map((person) => [person.feishu?.open_id, person.wecom?.userid]),
    );
  });
});

describe('the Feishu user_id trap', () => {
  let feishu: FakeFeishu;
  beforeAll(async () => {
    feishu = await startFakeFeishu({ directory: schoolDirectories().feishu });
  });
  afterAll(async () => {
    await feishu.close();
  });

  it('warns at import, and finds the people start-up warns about, when people are given by user_id only', async () => {
    const document = parse(schoolWithMobilesOnly());
    document.people[2].feishu = { user_id: 'js_zhangfanghui' };
    delete document.people[2].mobile;
    const org = parseOrgFile('school.yaml', stringify(document));
    const resolution = await resolveOrgPeople(org, {});
    expect(resolution.warnings.join('\n')).toContain(
      'zhangfanghui（章方辉） 只有飞书 user_id。飞书只在应用开通“获取用户 user ID”权限（contact:user.employee_id:readonly）时才在消息中附带 user_id',
    );
    await importOrganization(database.db, resolution.org);
    expect(await feishuUserIdOnlyPeople(database.db)).toEqual([
      { tenantId: expect.any(Number), code: 'zhangfanghui' },
    ]);
    // Start-up says so, with the Feishu channel on.
    const warnings: { message: string; fields?: unknown }[] = [];
    const log = {
      ...silentLogger,
      warn: (message: string, fields?: unknown) => warnings.push({ message, fields }),
    };
    const config = parseConfig({
      FEISHU_APP_ID: feishu.appId,
      FEISHU_APP_SECRET: feishu.appSecret,
      FEISHU_DOMAIN: feishu.url,
      FEISHU_VERIFICATION_TOKEN: 'token',
    });
    const service = await createService({ config, log, database });
    await service.close();
    expect(warnings).toContainEqual({
      message: expect.stringContaining('contact:user.employee_id:readonly'),
      fields: { people: 1, first: ['zhangfanghui'] },
    });
  });

  it('finds a WeCom member by the corp mailbox, then by a personal one', async () => {
    const wecom = await startFakeWecomApi({
      directory: [
        { userid: 'chenjing', bizMail: 'chenjing@school.example' },
        { userid: 'liguoqiang', email: 'liguoqiang@example.org' },
      ],
    });
    try {
      const api = createWecomApi({
        config: { corpId: wecom.api.corpId, secret: wecom.api.corpSecret, apiBase: wecom.url },
      });
      const keys = [
        { by: 'email' as const, value: 'chenjing@school.example' },
        { by: 'email' as const, value: 'liguoqiang@example.org' },
        { by: 'email' as const, value: 'nobody@example.org' },
      ];
      const outcomes = await wecomDirectory(api)(keys);
      expect(keys.map((key) => outcomes.get(contactKey(key)))).toEqual([
        { id: 'chenjing' },
        { id: 'liguoqiang' },
        { failure: 'not_found' },
      ]);
      expect(
        wecom.api.log
          .filter((call) => call.endpoint === 'user_get_userid_by_email')
          .map((call) => (call.body as { email_type: number }).email_type)
          .sort(),
      ).toEqual([1, 1, 1, 2, 2]);
    } finally {
      await wecom.close();
    }
  });

  it('is real on the fake: no user_id in events and no sending by user_id without the scope', async () => {
    const user = feishu.directory[2]!;
    expect(feishu.senderIdOf(user).user_id).toBe('js_zhangfanghui');
    feishu.scopes[FEISHU_SCOPES.userId] = 2;
    try {
      expect(feishu.senderIdOf(user)).not.toHaveProperty('user_id');
      const client = createFeishuClient({
        appId: feishu.appId,
        appSecret: feishu.appSecret,
        domain: feishu.url,
      }).client;
      const send = (type: 'user_id' | 'open_id', id: string) =>
        client()
          .then((sdk) =>
            sdk.im.message.create({
              params: { receive_id_type: type },
              data: { receive_id: id, msg_type: 'text', content: JSON.stringify({ text: '测试' }) },
            }),
          )
          .then(() => ({ status: 200, data: { code: 0 } }))
          .catch((error: { response: { status: number; data: { code: number } } }) => error.response);
      expect(await send('user_id', user.userId)).toMatchObject({ status: 400, data: { code: 99991672 } });
      expect(await send('open_id', feishu.openIdOf(user))).toMatchObject({ status: 200 });
      user.inRange = false;
      expect(await send('open_id', feishu.openIdOf(user))).toMatchObject({
        status: 400,
        data: { code: 230013 },
      });
    } finally {
      feishu.reset();
      user.inRange = true;
    }
  });
});
