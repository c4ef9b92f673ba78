import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
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
import { loadOrgFile, OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { tenantSettings } from '../handlers/settings.ts';
import { exampleFile, openTestDatabase, resetDatabase } from './helpers/db.ts';

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
