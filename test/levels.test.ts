// Levels (issue 19): a bureau over its schools, linked from either file in any order; 分包学校 pointing at
// the school tenants; hazard prefixes unique across the system.
import { readFileSync } from 'node:fs';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { bureauContracts, posts, tenants, units } from '../db/schema.ts';
import { OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
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
const load = (name: string, source = read(name)) =>
  importOrganization(database.db, parseOrgFile(name, source), new Date('2026-01-05T00:00:00Z'));
/** An example file changed by `edit` (on its parsed YAML). */
const edited = (name: string, edit: (doc: ReturnType<typeof parse>) => void) => {
  const doc = parse(read(name));
  edit(doc);
  return stringify(doc);
};

/** Another bureau made from the example's file: its code, name and prefix, no people, these schools. */
const anotherBureau = (
  code: string,
  name: string,
  prefix: string,
  schools: { code: string; name: string }[],
  bureau?: string,
) =>
  edited('bureau.yaml', (doc) => {
    Object.assign(doc.tenant, { code, name, hazard_prefix: prefix, ...(bureau ? { bureau } : {}) });
    doc.people = [];
    doc.schools = schools;
  });

async function levels() {
  const rows = await database.db
    .select({ id: tenants.id, code: tenants.code, parentId: tenants.parentId, prefix: tenants.hazardPrefix })
    .from(tenants)
    .orderBy(asc(tenants.code));
  const codeOf = new Map(rows.map((row) => [row.id, row.code]));
  return Object.fromEntries(
    rows.map((row) => [
      row.code,
      { parent: row.parentId ? codeOf.get(row.parentId) : null, prefix: row.prefix },
    ]),
  );
}

async function contracts() {
  const rows = await database.db
    .select({
      post: posts.code,
      unit: units.code,
      school: bureauContracts.schoolName,
      schoolCode: tenants.code,
    })
    .from(bureauContracts)
    .leftJoin(posts, eq(posts.id, bureauContracts.postId))
    .leftJoin(units, eq(units.id, bureauContracts.unitId))
    .leftJoin(tenants, eq(tenants.id, bureauContracts.schoolId))
    .orderBy(asc(bureauContracts.id));
  return rows.map((row) => `${row.post ?? row.unit} → ${row.school} (${row.schoolCode ?? '未关联'})`);
}

describe('levels in the organization file', () => {
  it('links the bureau and its three schools in any order, and says what is still unresolved', async () => {
    const first = await load('bureau.yaml');
    expect(first.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'schools[0]: 学校“昆山市花桥集善中学”（jishan-school）尚未导入；导入其组织文件后自动关联',
      'schools[1]: 学校“区实验小学”（shiyan-xiaoxue）尚未导入；导入其组织文件后自动关联',
      'schools[2]: 学校“区第一中学”（diyi-zhongxue）尚未导入；导入其组织文件后自动关联',
      expect.stringMatching(
        /^posts\[0\]\.obligations\[0\]\.schools\[0\]: 分包学校“区实验小学”还不是本局已导入的下级学校/,
      ),
      expect.stringMatching(/^posts\[1\]\.obligations\[0\]\.schools\[0\]: 分包学校“昆山市花桥集善中学”/),
      expect.stringMatching(/^posts\[1\]\.obligations\[0\]\.schools\[1\]: 分包学校“区第一中学”/),
      expect.stringMatching(/^posts\[2\]\.obligations\[0\]\.schools\[0\]: 分包学校“区实验小学”/),
      expect.stringMatching(/^posts\[2\]\.obligations\[0\]\.schools\[1\]: 分包学校“昆山市花桥集善中学”/),
      expect.stringMatching(/^posts\[3\]\.obligations\[0\]\.schools\[0\]: 分包学校“区第一中学”/),
      expect.stringMatching(/^units\[0\]\.schools\[0\]: 分包学校“昆山市花桥集善中学”/),
      expect.stringMatching(/^units\[3\]\.schools\[0\]: 分包学校“区实验小学”/),
      expect.stringMatching(/^units\[3\]\.schools\[1\]: 分包学校“区第一中学”/),
    ]);
    expect((await contracts()).every((line) => line.endsWith('(未关联)'))).toBe(true);

    const school = await load('school.yaml');
    expect(school).toMatchObject({ bureau: 'district-bureau', warnings: [] });
    const second = await load('school-2.yaml');
    expect(second).toMatchObject({ bureau: 'district-bureau', warnings: [] });
    expect(await levels()).toEqual({
      'district-bureau': { parent: null, prefix: 'QJTJ' },
      'jishan-school': { parent: 'district-bureau', prefix: 'JSZX' },
      'shiyan-xiaoxue': { parent: 'district-bureau', prefix: 'SYXX' },
    });
    expect(await contracts()).toContain('ju-zhang → 区实验小学 (shiyan-xiaoxue)');
    expect(await contracts()).toContain('fu-ju-zhang-an-quan → 区第一中学 (未关联)');

    await load('school-3.yaml');
    expect((await contracts()).filter((line) => line.endsWith('(未关联)'))).toEqual([]);
    expect(await contracts()).toContain('fa-gui-an-quan-ke → 昆山市花桥集善中学 (jishan-school)');
    // Imported again, the bureau has nothing left to warn about.
    expect((await load('bureau.yaml')).warnings).toEqual([]);
  });

  it('links a school that names its bureau before the bureau is loaded', async () => {
    const school = await load('school-3.yaml');
    expect(school.warnings).toEqual([
      { path: 'tenant.bureau', message: '上级教育局“district-bureau”尚未导入；导入其组织文件后自动关联' },
    ]);
    const bureau = edited('bureau.yaml', (doc) => {
      doc.schools = [];
    });
    await load('bureau.yaml', bureau);
    expect((await levels())['diyi-zhongxue']).toEqual({ parent: 'district-bureau', prefix: 'DIYI-ZHONGXUE' });
  });

  it('refuses two bureaus over one school, a cycle, a school listing schools, and a bureau that is a school', async () => {
    await load('bureau.yaml');
    await load('school.yaml');
    const before = await levels();
    const other = anotherBureau('other-bureau', '另一区教育局', 'LYQ', [
      { code: 'jishan-school', name: '昆山市花桥集善中学' },
    ]);
    await expect(load('other.yaml', other)).rejects.toThrow(
      /other\.yaml: schools: “昆山市花桥集善中学”同时被列为 “某区教育体育局”、“另一区教育局” 的下级/,
    );
    expect(await levels()).toEqual(before);

    const cycle = anotherBureau(
      'city-bureau',
      '市教育局',
      'SJ',
      [{ code: 'district-bureau', name: '某区教育体育局' }],
      'district-bureau',
    );
    await expect(load('city.yaml', cycle)).rejects.toThrow(/上下级关系成环/);
    expect(await levels()).toEqual(before);

    const schoolWithSchools = edited('school-2.yaml', (doc) => {
      doc.schools = [{ code: 'x', name: 'X' }];
    });
    expect(() => parseOrgFile('s.yaml', schoolWithSchools)).toThrow(
      /s\.yaml: schools: 只有教育局（tenant\.kind: bureau）的组织文件可以列出所辖学校/,
    );
    const underASchool = edited('school-2.yaml', (doc) => {
      doc.tenant.code = 'new-school';
      doc.tenant.bureau = 'jishan-school';
    });
    await expect(load('s2.yaml', underASchool)).rejects.toThrow(/“昆山市花桥集善中学”不是教育局/);
    expect(await levels()).toEqual(before);
  });

  it('takes a city bureau over district bureaus as the same relation', async () => {
    await load('bureau.yaml');
    const city = anotherBureau('city-bureau', '市教育局', 'SJ', [
      { code: 'district-bureau', name: '某区教育体育局' },
    ]);
    await load('city.yaml', city);
    expect((await levels())['district-bureau']).toEqual({ parent: 'city-bureau', prefix: 'QJTJ' });
  });
});

describe('hazard prefixes', () => {
  it('defaults to the code in capitals, validates the form and refuses a prefix another organization has', async () => {
    await load('school.yaml');
    // A prefix that is another organization's code in capitals (its default) is refused as well.
    await load('school-3.yaml');
    const takesDefault = edited('school-2.yaml', (doc) => {
      doc.tenant.hazard_prefix = 'DIYI-ZHONGXUE';
    });
    await expect(load('d.yaml', takesDefault)).rejects.toThrow(
      /隐患编号前缀“DIYI-ZHONGXUE”已由“区第一中学”使用/,
    );
    expect(() =>
      parseOrgFile(
        'bad.yaml',
        edited('school-2.yaml', (doc) => {
          doc.tenant.hazard_prefix = 'sy xx';
        }),
      ),
    ).toThrow(/bad\.yaml: tenant\.hazard_prefix: 隐患编号前缀只能用大写字母、数字和“-”/);
    const clash = edited('school-2.yaml', (doc) => {
      doc.tenant.hazard_prefix = 'JSZX';
    });
    const refused = await load('clash.yaml', clash).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OrgFileError);
    expect((refused as OrgFileError).message).toBe(
      'clash.yaml: tenant.hazard_prefix: 隐患编号前缀“JSZX”已由“昆山市花桥集善中学”使用，隐患编号须全系统唯一；请在 tenant.hazard_prefix 另设一个前缀',
    );
    expect(Object.keys(await levels())).toEqual(['diyi-zhongxue', 'jishan-school']);
  });
});
