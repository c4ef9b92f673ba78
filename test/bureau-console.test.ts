// The bureau's console across levels (issue 19 §2, §3, §5), over real HTTP against the real service: a
// bureau's admin switches into one of its schools and reads its pages (banner, way back, forms refused);
// isolation both ways with ids guessed in URLs, forms and exports; the comparison of the schools; the
// quarterly 调度会 pack as a page and as XLSX (cells read back).
import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { createEvidenceStore } from '../bot/core/evidence.ts';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { completionPhotos, completions, hazardPhotos, hazards, people, tasks } from '../db/schema.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { Browser, csrfOf, fetchFrom, rowOf, stripTags } from './helpers/browser.ts';
import { exampleFile, loadExample, openTestDatabase, type Snapshot, seedSnapshot } from './helpers/db.ts';
import { png } from './helpers/images.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Saturday 2026-11-28, 10:00 in Shanghai: the fourth quarter runs. */
const NOW = new Date('2026-11-28T02:00:00Z');
const PASSWORD = 'bureau console password';
const JISHAN = '昆山市花桥集善中学';
const SHIYAN = '区实验小学';

interface Ids {
  bureau: number;
  jishan: number;
  shiyan: number;
  diyi: number;
  other: number;
}

/** The bureau, its three schools, a school of no bureau (外区学校), and an office admin in each. */
const TENANTS: Snapshot<Ids> = {
  key: 'bureau_console',
  build: async (database) => {
    const loaded = [];
    for (const name of ['bureau.yaml', 'school.yaml', 'school-2.yaml', 'school-3.yaml']) {
      loaded.push((await loadExample(database, name)).tenantId);
    }
    const text = readFileSync(exampleFile('school-3.yaml'), 'utf8')
      .replaceAll('diyi-zhongxue', 'waiqu-xuexiao')
      .replaceAll('ou_dy', 'ou_wq')
      .replaceAll('dy_', 'wq_')
      .replace('区第一中学', '外区学校')
      .replace(/^\s*bureau: .*$/m, '');
    const other = await importOrganization(
      database.db,
      parseOrgFile('other.yaml', text),
      new Date('2020-01-01T00:00:00Z'),
    );
    for (const code of ['district-bureau', 'jishan-school', 'shiyan-xiaoxue', 'waiqu-xuexiao']) {
      await addAdminAccount(database.db, { tenantCode: code, username: 'office', password: PASSWORD });
    }
    const [bureau, jishan, shiyan, diyi] = loaded as [number, number, number, number];
    return { bureau, jishan, shiyan, diyi, other: other.tenantId };
  },
};

/** One tenant's rows the tests guess at: a hazard, its photo, a record and its file. */
interface Fixture {
  hazard: number;
  code: string;
  photo: number;
  recordFile: number;
}

let database: Database;
let harness: Harness;
let ids: Ids;
let rows: Record<keyof Ids, Fixture>;
const fetcher = fetchFrom(() => harness.url);

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(database, {}, { clock: () => NOW });
});
afterAll(async () => {
  await harness.close();
  await database.close();
});

async function firstPerson(tenantId: number, code?: string) {
  const [row] = await database.db
    .select({ id: people.id })
    .from(people)
    .where(code ? and(eq(people.tenantId, tenantId), eq(people.code, code)) : eq(people.tenantId, tenantId))
    .limit(1);
  return row!.id;
}

const at = (iso: string) => new Date(`${iso}+08:00`);

async function hazard(
  tenantId: number,
  code: string,
  values: Partial<typeof hazards.$inferInsert> = {},
): Promise<number> {
  const [row] = await database.db
    .insert(hazards)
    .values({
      tenantId,
      code,
      description: `${code} 教学楼消防通道堆放杂物`,
      reporterId: await firstPerson(tenantId),
      sourceChannel: 'feishu',
      status: 'rectifying',
      createdAt: at('2026-11-02T09:00:00'),
      updatedAt: at('2026-11-02T09:00:00'),
      ...values,
    })
    .returning({ id: hazards.id });
  return row!.id;
}

async function fixture(tenantId: number, code: string): Promise<Fixture> {
  const store = createEvidenceStore({ db: database.db });
  const id = await hazard(tenantId, code, { deadline: at('2026-11-20T18:00:00') });
  const person = await firstPerson(tenantId);
  const { file } = await store.put(tenantId, png(code), { imagesOnly: true });
  const [photo] = await database.db
    .insert(hazardPhotos)
    .values({
      tenantId,
      hazardId: id,
      channel: 'feishu',
      fileKey: `img-${code}`,
      fileId: file.id,
      fetchStatus: 'stored',
    })
    .returning({ id: hazardPhotos.id });
  const [record] = await database.db
    .insert(completions)
    .values({ tenantId, personId: person, kind: 'inspection', date: '2026-11-10', note: `${code} 检查` })
    .returning({ id: completions.id });
  const [recordFile] = await database.db
    .insert(completionPhotos)
    .values({
      tenantId,
      completionId: record!.id,
      channel: 'feishu',
      fileKey: `rec-${code}`,
      fileId: file.id,
      fetchStatus: 'stored',
    })
    .returning({ id: completionPhotos.id });
  return { hazard: id, code, photo: photo!.id, recordFile: recordFile!.id };
}

beforeEach(async () => {
  await harness.service.dispatcher.idle();
  ids = await seedSnapshot(database, TENANTS);
  rows = {
    bureau: await fixture(ids.bureau, 'YH-QJTJ-2026-0001'),
    jishan: await fixture(ids.jishan, 'YH-JSZX-2026-0001'),
    shiyan: await fixture(ids.shiyan, 'YH-SYXX-2026-0001'),
    diyi: await fixture(ids.diyi, 'YH-DYZX-2026-0001'),
    other: await fixture(ids.other, 'YH-WQXX-2026-0001'),
  };
});

async function loggedIn(tenant: string): Promise<Browser> {
  const browser = new Browser(fetcher);
  const form = await browser.page('/login');
  const answer = await browser.post('/login', {
    _csrf: csrfOf(form.html),
    tenant,
    username: 'office',
    password: PASSWORD,
  });
  expect(answer.status).toBe(303);
  return browser;
}

/** Every address of a tenant's rows that a page serves: photos, a record's file, a hazard's photo pack. */
const addresses = (fixture: Fixture) => [
  `/console/hazards/photos/${fixture.photo}`,
  `/console/records/files/${fixture.recordFile}`,
  `/console/hazards/${fixture.hazard}/photos.zip`,
];

async function statusOf(browser: Browser, path: string) {
  const response = await browser.get(path);
  await response.arrayBuffer();
  return response.status;
}

async function workbookOf(response: Response) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as unknown as ExcelJS.Buffer);
  return workbook;
}

/** The values of a sheet's rows from row 3 on (row 1 the title, row 2 the header). */
function sheetRows(workbook: ExcelJS.Workbook, name: string): unknown[][] {
  const sheet = workbook.getWorksheet(name)!;
  const out: unknown[][] = [];
  sheet.eachRow((row, number) => {
    if (number >= 3) out.push((row.values as unknown[]).slice(1));
  });
  return out;
}

describe('a school’s admin sees only its school', () => {
  it('gets 404 for the bureau’s pages, the switch, and the bureau’s or a sibling’s rows', async () => {
    const school = await loggedIn('jishan-school');
    for (const path of [
      '/console/bureau',
      `/console/bureau/schools/${ids.jishan}`,
      `/console/bureau/schools/${ids.shiyan}`,
      '/console/bureau/meeting',
      '/console/bureau/meeting.xlsx',
    ]) {
      expect(await statusOf(school, path), path).toBe(404);
    }
    for (const other of [rows.bureau, rows.shiyan, rows.other]) {
      for (const path of addresses(other)) expect(await statusOf(school, path), path).toBe(404);
    }
    for (const path of addresses(rows.jishan)) expect(await statusOf(school, path), path).toBe(200);
    const page = await school.page('/console/hazards');
    expect(page.html).not.toContain('正在查看');
    expect(page.html).not.toContain('学校对比');
    // A school's session that claims to view another school is the school's own: nothing else is shown.
    const ledger = await school.get('/console/ledger/export?from=2026-01-01&to=2026-12-31&format=csv');
    const csv = await ledger.text();
    expect(csv).toContain(rows.jishan.code);
    expect(csv).not.toMatch(/YH-(QJTJ|SYXX|DYZX|WQXX)/);
  });
});

describe('a bureau’s admin switches into its schools', () => {
  it('cannot switch into a school that is not its own, nor read a school’s rows without switching', async () => {
    const bureau = await loggedIn('district-bureau');
    for (const path of [
      `/console/bureau/schools/${ids.other}`,
      `/console/bureau/schools/${ids.bureau}`,
      '/console/bureau/schools/0',
      '/console/bureau/schools/99999999',
      '/console/bureau/schools/abc',
    ]) {
      expect(await statusOf(bureau, path), path).toBe(404);
    }
    // Still the bureau itself: the schools' rows are not its own.
    for (const school of [rows.jishan, rows.shiyan, rows.other]) {
      for (const path of addresses(school)) expect(await statusOf(bureau, path), path).toBe(404);
    }
    for (const path of addresses(rows.bureau)) expect(await statusOf(bureau, path), path).toBe(200);
    const page = await bureau.page('/console/dashboard');
    expect(page.html).not.toContain('正在查看');
  });

  it('reads a school’s pages with a banner and a way back, and none of another school’s rows', async () => {
    const bureau = await loggedIn('district-bureau');
    const switched = await bureau.get(`/console/bureau/schools/${ids.jishan}`);
    expect(switched.status).toBe(302);
    expect(switched.headers.get('location')).toBe('/console/dashboard');

    for (const path of [
      '/console/dashboard',
      '/console/hazards',
      '/console/ledger',
      '/console/reports/quarterly',
      '/console/reports/year',
      '/console/records',
      '/console/letters',
      '/console/rosters',
    ]) {
      const page = await bureau.page(path);
      expect(page.response.status, path).toBe(200);
      expect(page.html, path).toContain(`正在查看：${JISHAN}`);
      expect(page.html, path).toContain('href="/console/bureau">返回教育局');
      // The school's forms are not offered while viewing (the logout form is kept).
      expect(page.html, path).toContain('form[method="post"]:not(.keep) { display: none !important; }');
    }
    const hazardsPage = await bureau.page('/console/hazards');
    expect(hazardsPage.html).toContain(rows.jishan.code);
    expect(hazardsPage.html).not.toMatch(/YH-(QJTJ|SYXX|DYZX|WQXX)/);

    for (const path of addresses(rows.jishan)) expect(await statusOf(bureau, path), path).toBe(200);
    // School A's pages do not serve school B's, the bureau's or a stranger's ids.
    for (const other of [rows.shiyan, rows.bureau, rows.other]) {
      for (const path of addresses(other)) expect(await statusOf(bureau, path), path).toBe(404);
    }
    const ledger = await bureau.get('/console/ledger/export?from=2026-01-01&to=2026-12-31&format=xlsx');
    expect(ledger.status).toBe(200);
    const workbook = await workbookOf(ledger);
    const text = JSON.stringify(sheetRows(workbook, workbook.worksheets[0]!.name));
    expect(text).toContain(rows.jishan.code);
    expect(text).not.toMatch(/YH-(QJTJ|SYXX|DYZX|WQXX)/);
    const quarterly = await bureau.page('/console/reports/quarterly');
    expect(quarterly.html).toContain(`${JISHAN} 2026年第四季度安全工作统计`);

    // Switching to another school shows that one; the bureau's page ends the viewing.
    expect((await bureau.get(`/console/bureau/schools/${ids.shiyan}`)).status).toBe(302);
    const second = await bureau.page('/console/hazards');
    expect(second.html).toContain(`正在查看：${SHIYAN}`);
    expect(second.html).toContain(rows.shiyan.code);
    expect(second.html).not.toContain(rows.jishan.code);
    const back = await bureau.page('/console/bureau');
    expect(back.response.status).toBe(200);
    expect(back.html).not.toContain('正在查看');
    const own = await bureau.page('/console/hazards');
    expect(own.html).toContain(rows.bureau.code);
    expect(own.html).not.toContain(rows.shiyan.code);
  });

  it('refuses the school’s forms while viewing it, and writes nothing', async () => {
    const bureau = await loggedIn('district-bureau');
    await bureau.get(`/console/bureau/schools/${ids.jishan}`);
    const page = await bureau.page('/console/tasks');
    const csrf = csrfOf(page.html);
    const person = await firstPerson(ids.jishan, 'yinxianju');
    const posts: [string, Record<string, string>][] = [
      ['/console/tasks', { assignee: String(person), content: '检查消防通道', due: '2026-12-05' }],
      [
        '/console/hazards/list',
        { hazard: String(rows.jishan.hazard), matter: '限期整改', deadline: '2026-12-10' },
      ],
      ['/console/letters', { year: '2026' }],
      ['/console/reports/year/veto', { year: '2026', unit: '1', kind: 'concealed', reason: '测试' }],
      ['/console/calendar', { year: '2027', text: '' }],
    ];
    for (const [path, fields] of posts) {
      const answer = await bureau.post(path, { _csrf: csrf, ...fields });
      expect(answer.status, path).toBe(403);
      expect(await answer.text(), path).toContain('教育局查看学校时只能查看');
    }
    expect(await database.db.select().from(tasks)).toHaveLength(0);
    const [listed] = await database.db.select().from(hazards).where(eq(hazards.id, rows.jishan.hazard));
    expect(listed!.listed).toBe(false);
    // Logging out still works while viewing.
    expect((await bureau.post('/logout', { _csrf: csrf })).status).toBe(303);
  });
});

describe('the bureau’s comparison of its schools', () => {
  it('compares open, overdue and listed hazards and the rates, the most overdue first, each a way in', async () => {
    await hazard(ids.shiyan, 'YH-SYXX-2026-0002', { deadline: at('2026-11-01T18:00:00') });
    await hazard(ids.shiyan, 'YH-SYXX-2026-0003', { listed: true, listedAt: at('2026-11-05T10:00:00') });
    await hazard(ids.shiyan, 'YH-SYXX-2026-0004', { status: 'closed', closedAt: at('2026-11-06T10:00:00') });
    await hazard(ids.other, 'YH-WQXX-2026-0009', { deadline: at('2026-11-01T18:00:00') });
    const bureau = await loggedIn('district-bureau');
    const page = await bureau.page('/console/bureau');
    expect(page.response.status).toBe(200);
    const table = /<table class="report" id="schools">([\s\S]*?)<\/table>/.exec(page.html)![1]!;
    const names = [...table.matchAll(/<tr data-school="(\d+)"><td><a href="([^"]+)">([^<]+)<\/a>/g)];
    expect(names.map((m) => m[3])).toEqual([SHIYAN, expect.any(String), expect.any(String)]);
    expect(names.map((m) => m[3]).sort()).toEqual([JISHAN, SHIYAN, '区第一中学'].sort());
    expect(names.find((m) => m[3] === JISHAN)![2]).toBe(`/console/bureau/schools/${ids.jishan}`);
    expect(page.html).not.toContain('外区学校');
    // 未销号 逾期 挂牌督办 履职达标率 责任书签订率 到岗确认率
    expect(rowOf(page.html, SHIYAN).slice(1, 4)).toEqual(['3', '2', '1']);
    expect(rowOf(page.html, JISHAN).slice(1, 4)).toEqual(['1', '1', '0']);
    expect(rowOf(page.html, SHIYAN)[5]).toBe('—');

    const byName = await bureau.page('/console/bureau?sort=name');
    expect(stripTags(byName.html)).toContain('按“学校名称”排序');
  });
});

describe('the quarterly 调度会 pack', () => {
  it('gives the district by school and category against the last quarter, the items, and the visits', async () => {
    await hazard(ids.shiyan, 'YH-SYXX-2026-0002', {
      createdAt: at('2026-08-02T09:00:00'),
      deadline: at('2026-08-20T18:00:00'),
    });
    await hazard(ids.shiyan, 'YH-SYXX-2026-0003', {
      listed: true,
      listedAt: at('2026-11-05T10:00:00'),
      listedDeadline: at('2026-12-20T18:00:00'),
      deadline: at('2026-12-30T18:00:00'),
    });
    await hazard(ids.jishan, 'YH-JSZX-2026-0002', {
      createdAt: at('2026-07-15T09:00:00'),
      status: 'closed',
      closedAt: at('2026-07-20T09:00:00'),
    });
    // The 局长 visits 区实验小学 (his 分包学校, twice a quarter) once in the fourth quarter, once in the third.
    const director = await firstPerson(ids.bureau, 'zhaoguoping');
    await database.db.insert(completions).values([
      {
        tenantId: ids.bureau,
        personId: director,
        kind: 'supervision',
        date: '2026-10-12',
        note: '督查',
        school: SHIYAN,
      },
      {
        tenantId: ids.bureau,
        personId: director,
        kind: 'supervision',
        date: '2026-09-12',
        note: '督查',
        school: SHIYAN,
      },
    ]);

    const bureau = await loggedIn('district-bureau');
    const page = await bureau.page('/console/bureau/meeting?quarter=2026-Q4');
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('某区教育体育局 2026年第四季度学校安全调度会材料');
    // 本季发现 上季发现 增减 本季销号 未销号 逾期 上季末逾期 本季挂牌督办
    expect(rowOf(page.html, SHIYAN).slice(1)).toEqual(['2', '1', '+1', '0', '3', '2', '1', '1']);
    expect(rowOf(page.html, JISHAN).slice(1)).toEqual(['1', '1', '0', '0', '1', '1', '0', '0']);
    expect(rowOf(page.html, '全区合计').slice(1, 4)).toEqual(['4', '2', '+2']);
    expect(page.html).not.toContain('外区学校');
    expect(page.html).not.toContain('YH-WQXX');
    expect(page.html).toContain('YH-SYXX-2026-0003');
    expect(rowOf(page.html, '赵国平').slice(2)).toEqual([SHIYAN, '2', '1', '1']);

    const file = await bureau.get('/console/bureau/meeting.xlsx?quarter=2026-Q4');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain('meeting_district-bureau_2026-Q4.xlsx');
    const workbook = await workbookOf(file);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      '按学校',
      '按类别',
      '逾期与挂牌督办',
      '分包督查',
    ]);
    const bySchool = sheetRows(workbook, '按学校');
    expect(bySchool[0]!.slice(0, 4)).toEqual(['全区合计', 4, 2, '+2']);
    expect(bySchool.find((row) => row[0] === SHIYAN)).toEqual([SHIYAN, 2, 1, '+1', 0, 3, 2, 1, 1]);
    const items = sheetRows(workbook, '逾期与挂牌督办');
    expect(items).toContainEqual([
      SHIYAN,
      'YH-SYXX-2026-0003',
      'YH-SYXX-2026-0003 教学楼消防通道堆放杂物',
      '2026-12-20',
      '未逾期',
      '是',
    ]);
    expect(items).toContainEqual([
      SHIYAN,
      'YH-SYXX-2026-0002',
      'YH-SYXX-2026-0002 教学楼消防通道堆放杂物',
      '2026-08-20',
      '逾期 100 天',
      '否',
    ]);
    expect(JSON.stringify(items)).not.toContain('WQXX');
    const visits = sheetRows(workbook, '分包督查');
    expect(visits).toContainEqual(['赵国平', '局长', '分包学校专门督查（名单为示例）', SHIYAN, 2, 1, 1]);

    expect((await bureau.get('/console/bureau/meeting.xlsx?quarter=2026-Q5')).status).toBe(400);
    expect((await bureau.page('/console/bureau/meeting?quarter=abc')).response.status).toBe(400);
  });
});
