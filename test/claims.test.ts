// A group chat binding and a platform identity belong to one tenant (issue 14, item 2): an organization
// file that claims one another tenant holds is refused whole, by file, path and line, without naming the
// other tenant — through the importer, the console's upload and `npm run org:import`; two imports at once
// cannot both claim one; `npm run org:move` moves one between tenants and both audit trails record it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { and, asc, eq, sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Database, Db } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { ensureOutsidePerson } from '../db/queries/org.ts';
import { auditEvents, chats, identities, people, tenants } from '../db/schema.ts';
import { OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { RosterFileError } from '../handlers/roster-file.ts';
import { importRosterFile } from '../handlers/roster-import.ts';
import {
  Browser,
  BUREAU,
  BUREAU_PASSWORD,
  csrfOf,
  fetchFrom,
  login,
  resetConsoleTenants,
  unescapeHtml,
} from './helpers/console-http.ts';
import {
  cliDatabase,
  exampleFile,
  identityOf,
  loadExample,
  openTestDatabase,
  seedExamples,
} from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const SCHOOL_CHAT = 'oc_jishan_safety';
const SCHOOL_NAME = '昆山市花桥集善中学';
const read = (name: string) => readFileSync(exampleFile(name), 'utf8');

/** The line (1-based) of the first line of `source` containing `text`. */
const lineOf = (source: string, text: string) =>
  source.split('\n').findIndex((line) => line.includes(text)) + 1;

/** The bureau's own file, plus a person holding the school principal's ids and the school's group chat. */
async function bureauClaimingSchool(open: () => Promise<Database> | Database) {
  const database = await open();
  const ids = {
    openId: await identityOf(database, 'wangxiaofang', 'open_id'),
    userid: await identityOf(database, 'wangxiaofang', 'userid'),
  };
  const document = parse(read('bureau.yaml'));
  document.people.push({
    code: 'mao-ming',
    name: '冒名者',
    feishu: { open_id: ids.openId },
    wecom: { userid: ids.userid },
  });
  document.chats = [{ channel: 'feishu', id: SCHOOL_CHAT, name: '集善中学安全工作群' }];
  const source = stringify(document);
  const index = document.people.length - 1;
  return {
    source,
    index,
    ids,
    expected: [
      `people[${index}].feishu.open_id: 第 ${lineOf(source, ids.openId)} 行：飞书 open_id“${ids.openId}”已登记在另一个单位`,
      `people[${index}].wecom.userid: 第 ${lineOf(source, `userid: ${ids.userid}`)} 行：企业微信 userid“${ids.userid}”已登记在另一个单位`,
      `chats[0].id: 第 ${lineOf(source, SCHOOL_CHAT)} 行：飞书群“${SCHOOL_CHAT}”已登记在另一个单位`,
    ],
  };
}

function expectClaimProblems(problems: { path: string; message: string }[], expected: string[]) {
  expect(problems).toHaveLength(expected.length);
  problems.forEach((problem, i) => {
    expect(
      `${problem.path}: ${problem.message}`.startsWith(expected[i]!),
      `${problem.path}: ${problem.message}`,
    ).toBe(true);
    expect(problem.message).toContain('npm run org:move');
    expect(problem.message).not.toContain('jishan-school');
    expect(problem.message).not.toContain(SCHOOL_NAME);
  });
}

/** Everything an import could change about chats, identities, people and tenants. */
async function claimSnapshot(db: Db) {
  return {
    tenants: await db.select().from(tenants).orderBy(asc(tenants.id)),
    people: await db.select().from(people).orderBy(asc(people.id)),
    identities: await db.select().from(identities).orderBy(asc(identities.id)),
    chats: await db.select().from(chats).orderBy(asc(chats.id)),
  };
}

/** A small organization of its own, giving one person the ids named. */
function smallOrg(code: string, ids: { openId?: string; chat?: string } = {}) {
  return stringify({
    tenant: { code, name: `测试学校 ${code}` },
    units: [{ code: 'ban-gong-shi', name: '办公室' }],
    posts: [{ code: 'zhu-ren', title: '办公室主任', unit: 'ban-gong-shi', head_of_unit: true }],
    people: [
      { code: 'zhuren', name: '主任', posts: ['zhu-ren'], feishu: { open_id: ids.openId ?? `ou_${code}` } },
    ],
    leading_group: { office: 'ban-gong-shi', office_director: ['zhu-ren'] },
    chats: ids.chat ? [{ channel: 'feishu', id: ids.chat }] : [],
  });
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(OrgFileError);
  return error as OrgFileError;
}

describe('the importer', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await seedExamples(database, ['school.yaml', 'bureau.yaml']);
  });

  it("refuses a file claiming another tenant's chat and a member's ids, by line, and writes nothing", async () => {
    const claim = await bureauClaimingSchool(() => database);
    const before = await claimSnapshot(database.db);
    const error = await refusal(importOrganization(database.db, parseOrgFile('bureau.yaml', claim.source)));
    expectClaimProblems(error.problems, claim.expected);
    expect(error.message.split('\n')[0]).toMatch(
      /^bureau\.yaml: people\[\d+\]\.feishu\.open_id: 第 \d+ 行：/,
    );
    expect(await claimSnapshot(database.db)).toEqual(before);
    // The school's group still reports to the school; its principal is the school's alone.
    const [chat] = await database.db.select().from(chats).where(eq(chats.chatId, SCHOOL_CHAT));
    const [school] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    expect(chat!.tenantId).toBe(school!.id);
    const holders = await database.db.select().from(identities).where(eq(identities.value, claim.ids.openId));
    expect(holders.map((row) => row.tenantId)).toEqual([school!.id]);
  });

  it('lets each tenant re-import its own file, and take ids no other tenant uses any more', async () => {
    // The school's own file again, unchanged: nothing to refuse.
    await loadExample(database, 'school.yaml');
    // Someone reported in the school's group as an outsider, and a teacher left the school.
    const [school] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    await ensureOutsidePerson(
      database.db,
      school!.id,
      'feishu',
      { kind: 'open_id', value: 'ou_visitor' },
      '访客',
    );
    const document = parse(read('school.yaml'));
    const leaver = document.people.find((person: { code: string }) => person.code === 'chenjing');
    document.people = document.people.filter((person: { code: string }) => person.code !== 'chenjing');
    await importOrganization(database.db, parseOrgFile('school.yaml', stringify(document)));
    // The bureau's file names both: they are the bureau's now, and no longer reach anyone at the school.
    const bureau = parse(read('bureau.yaml'));
    bureau.people.push(
      { code: 'visitor', name: '访客', feishu: { open_id: 'ou_visitor' } },
      { code: 'chenjing', name: leaver.name, feishu: { open_id: leaver.feishu.open_id } },
    );
    const summary = await importOrganization(database.db, parseOrgFile('bureau.yaml', stringify(bureau)));
    for (const value of ['ou_visitor', leaver.feishu.open_id]) {
      const rows = await database.db.select().from(identities).where(eq(identities.value, value));
      expect(rows.map((row) => row.tenantId)).toEqual([summary.tenantId]);
    }
  });

  it('releases a chat the file no longer names, which another tenant may then bind', async () => {
    const document = parse(read('school.yaml'));
    document.chats = [];
    await importOrganization(database.db, parseOrgFile('school.yaml', stringify(document)));
    expect(await database.db.select().from(chats).where(eq(chats.chatId, SCHOOL_CHAT))).toEqual([]);
    const summary = await importOrganization(
      database.db,
      parseOrgFile('new.yaml', smallOrg('new-school', { chat: SCHOOL_CHAT })),
    );
    const [chat] = await database.db.select().from(chats).where(eq(chats.chatId, SCHOOL_CHAT));
    expect(chat!.tenantId).toBe(summary.tenantId);
  });

  it('lets only one of two imports at once claim the same id or chat', async () => {
    for (const round of [1, 2, 3]) {
      const claim = { openId: `ou_contested_${round}`, chat: `oc_contested_${round}` };
      const results = await Promise.allSettled([
        importOrganization(database.db, parseOrgFile('a.yaml', smallOrg(`race-a-${round}`, claim))),
        importOrganization(database.db, parseOrgFile('b.yaml', smallOrg(`race-b-${round}`, claim))),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const [failed] = results.filter((result) => result.status === 'rejected');
      const error = (failed as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(OrgFileError);
      expect((error as OrgFileError).problems.map((problem) => problem.path)).toEqual([
        'people[0].feishu.open_id',
        'chats[0].id',
      ]);
      expect(
        await database.db.select().from(identities).where(eq(identities.value, claim.openId)),
      ).toHaveLength(1);
      const losers = await database.db
        .select()
        .from(tenants)
        .where(eq(tenants.code, results[0]!.status === 'rejected' ? `race-a-${round}` : `race-b-${round}`));
      expect(losers).toEqual([]);
    }
  });

  it("refuses a roster naming another tenant's people", async () => {
    const [bureau] = await database.db.select().from(tenants).where(eq(tenants.code, BUREAU));
    const csv = '日期,班次,时间,值班人员,带班领导\n2026-11-30,日间值班,07:30-17:30,陈静,王晓芳\n';
    const error = await importRosterFile(
      database.db,
      bureau!.id,
      'roster.csv',
      Buffer.from(csv),
      new Date('2026-11-28T02:00:00Z'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RosterFileError);
    expect((error as RosterFileError).message).toContain('找不到“陈静”');
  });
});

describe('the console upload', () => {
  let database: Database;
  let harness: Harness;
  const fetcher = fetchFrom(() => harness.url);
  beforeAll(async () => {
    database = await openTestDatabase();
    harness = await startHarness(database, {}, {});
  });
  afterAll(async () => {
    await harness.close();
    await database.close();
  });

  it("refuses (409) the bureau admin's file claiming the school's chat and principal, naming lines, not the school", async () => {
    await resetConsoleTenants(harness, database);
    const claim = await bureauClaimingSchool(() => database);
    const browser = new Browser(fetcher);
    await login(browser, BUREAU, BUREAU_PASSWORD);
    const form = await browser.page('/console/org');
    const before = await claimSnapshot(database.db);
    const posted = await browser.upload(
      '/console/org',
      { _csrf: csrfOf(form.html) },
      { name: 'bureau.yaml', bytes: new TextEncoder().encode(claim.source) },
    );
    expect(posted.status).toBe(409);
    const html = await posted.text();
    expect(html).toContain('组织文件 bureau.yaml 有 3 处问题，未导入任何内容');
    const problems = [...html.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => unescapeHtml(m[1]!));
    expect(problems).toHaveLength(3);
    problems.forEach((problem, i) => {
      expect(problem.startsWith(`bureau.yaml: ${claim.expected[i]}`), problem).toBe(true);
    });
    expect(html).not.toContain('jishan-school');
    expect(html).not.toContain(SCHOOL_NAME);
    expect(await claimSnapshot(database.db)).toEqual(before);

    // Its own file goes through.
    const own = await browser.upload(
      '/console/org',
      { _csrf: csrfOf(form.html) },
      { name: 'bureau.yaml', bytes: new TextEncoder().encode(read('bureau.yaml')) },
    );
    expect(own.status).toBe(303);
  });
});

describe('the command line', () => {
  const run = promisify(execFile);
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let dir: string;
  beforeAll(async () => {
    cli = await cliDatabase();
    dir = mkdtempSync(join(tmpdir(), 'claims-cli-'));
  });
  afterAll(async () => {
    await cli.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const tool = (script: string, args: string[]) =>
    run('node', ['--import', 'tsx', `bot/cli/${script}.ts`, ...args], {
      env: { PATH: process.env.PATH ?? '', ...cli.env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
    const database = await cli.open();
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  it('org:import refuses the claim; org:move moves a chat and an id, audited in both tenants', async () => {
    expect((await tool('org-import', [exampleFile('school.yaml')])).code).toBe(0);
    expect((await tool('org-import', [exampleFile('bureau.yaml')])).code).toBe(0);
    const file = join(dir, 'bureau.yaml');
    const claim = await withDatabase(async (database) => {
      const found = await bureauClaimingSchool(() => database);
      writeFileSync(file, found.source);
      return found;
    });
    const before = await withDatabase((database) => claimSnapshot(database.db));
    const refused = await tool('org-import', [file]);
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) => {
      expect(line.startsWith(`${file}: ${claim.expected[i]}`), line).toBe(true);
      expect(line).not.toContain(SCHOOL_NAME);
    });
    expect(await withDatabase((database) => claimSnapshot(database.db))).toEqual(before);

    // org:move: usage, then the operator's move.
    const help = await tool('org-move', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run org:move -- --chat');
    for (const args of [
      [],
      ['--chat', 'feishu:oc_x', '--from', 'a', '--to', 'b'],
      ['--chat', 'qq:oc_x', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--identity', 'feishu:email:x', '--person', 'p', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--chat', 'feishu:oc_x', '--identity', 'wecom:userid:x', '--from', 'a', '--to', 'b', '--reason', 'x'],
    ]) {
      const wrong = await tool('org-move', args);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr).toContain('用法：npm run org:move');
    }
    const reason = ['--reason', '该群移交教育局'];
    const wrongFrom = await tool('org-move', [
      '--chat',
      `feishu:${SCHOOL_CHAT}`,
      '--from',
      BUREAU,
      '--to',
      'jishan-school',
      ...reason,
    ]);
    expect(wrongFrom.code).toBe(1);
    expect(wrongFrom.stderr).toContain('没有绑定飞书群');
    expect(await withDatabase((database) => claimSnapshot(database.db))).toEqual(before);

    const chat = await tool('org-move', [
      '--chat',
      `feishu:${SCHOOL_CHAT}`,
      '--from',
      'jishan-school',
      '--to',
      BUREAU,
      ...reason,
    ]);
    expect(chat.code, chat.stderr).toBe(0);
    const identity = await tool('org-move', [
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
    ]);
    expect(identity.code, identity.stderr).toBe(0);
    expect(identity.stdout).toContain('赵国平');

    await withDatabase(async (database) => {
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
    });

    // The school's file still names the moved id and chat: now the school's import is the one refused.
    const school = await tool('org-import', [exampleFile('school.yaml')]);
    expect(school.code).toBe(1);
    expect(school.stderr).toContain('feishu.open_id: 第 ');
    expect(school.stderr).toContain(`飞书群“${SCHOOL_CHAT}”已登记在另一个单位`);
  }, 120_000);
});

describe('migration 0009', () => {
  it('leaves an id held in two tenants with one (a member first, then the earliest), audited', async () => {
    // The importer writes today's schema, so the state before 0009 is made on today's schema with the
    // old per-tenant index put back; then 0009's statements run as the migrator runs them.
    const database = await openTestDatabase();
    try {
      const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url));
      const migration = readMigrationFiles({ migrationsFolder }).find((candidate) =>
        candidate.sql.join('').includes('identities_unique" ON "identities" USING btree ("channel"'),
      );
      expect(migration).toBeDefined();
      const migrate = async () => {
        for (const statement of migration!.sql) await database.db.execute(sql.raw(statement));
      };
      await database.db.execute(sql.raw('DROP INDEX "identities_unique"'));
      await database.db.execute(
        sql.raw(
          'CREATE UNIQUE INDEX "identities_unique" ON "identities" USING btree ("tenant_id","channel","kind","value")',
        ),
      );
      // Before 0009 each tenant could hold the same id: the state an earlier claim left behind.
      await loadExample(database, 'school.yaml');
      await loadExample(database, 'bureau.yaml');
      const ids = Object.fromEntries(
        (await database.db.select().from(tenants)).map((tenant) => [tenant.code, tenant.id]),
      );
      const principal = await identityOf(database, 'wangxiaofang', 'open_id');
      const [bureauPerson] = await database.db
        .select()
        .from(people)
        .where(and(eq(people.tenantId, ids[BUREAU]!), eq(people.code, 'zhaoguoping')));
      await database.db.insert(identities).values({
        tenantId: ids[BUREAU]!,
        personId: bureauPerson!.id,
        channel: 'feishu',
        kind: 'open_id',
        value: principal,
      });
      // An outside reporter's row came first, a member's later: the member keeps it.
      const visitor = await ensureOutsidePerson(
        database.db,
        ids['jishan-school']!,
        'wecom',
        { kind: 'userid', value: 'shared_userid' },
        '访客',
      );
      await database.db.insert(identities).values({
        tenantId: ids[BUREAU]!,
        personId: bureauPerson!.id,
        channel: 'wecom',
        kind: 'userid',
        value: 'shared_userid',
      });

      await migrate();
      const holder = async (value: string) =>
        (await database.db.select().from(identities).where(eq(identities.value, value))).map(
          (row) => row.tenantId,
        );
      expect(await holder(principal)).toEqual([ids['jishan-school']]);
      expect(await holder('shared_userid')).toEqual([ids[BUREAU]]);
      const trail = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
      expect(trail.map((row) => [row.tenantId, row.action, row.data?.value])).toEqual([
        [ids[BUREAU], 'identity.released', principal],
        [ids['jishan-school'], 'identity.released', 'shared_userid'],
      ]);
      expect(trail[1]!.data?.personId).toBe(visitor.id);
      // From now on the database itself refuses a second holder.
      await expect(
        database.db.insert(identities).values({
          tenantId: ids[BUREAU]!,
          personId: bureauPerson!.id,
          channel: 'feishu',
          kind: 'open_id',
          value: principal,
        }),
      ).rejects.toThrow();
    } finally {
      await database.close();
    }
  });
});
