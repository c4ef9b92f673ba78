// A group chat binding and a platform identity belong to one tenant (issue 14, item 2): an organization
// file that claims one another tenant holds is refused whole, by file, path and line, without naming the
// other tenant — through the importer, the console's upload and `npm run org:import`; two imports at once
// cannot both claim one. `npm run org:import` refusing it and `npm run org:move` moving one between tenants,
// recorded in both audit trails, through the tools in tools-org.test.ts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { and, asc, eq, sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { ensureOutsidePerson } from '../db/queries/org.ts';
import { auditEvents, chats, identities, people, tenants } from '../db/schema.ts';
import { OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { RosterFileError } from '../handlers/roster-file.ts';
import { importRosterFile } from '../handlers/roster-import.ts';
import { bureauClaimingSchool, claimSnapshot, SCHOOL_CHAT, SCHOOL_NAME } from './helpers/claims.ts';
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
import { exampleFile, identityOf, loadExample, openTestDatabase, seedExamples } from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const read = (name: string) => readFileSync(exampleFile(name), 'utf8');

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
