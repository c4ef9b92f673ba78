// Hostile and large uploads (issue 14, items 5, 6 and 12): XLSX archives that inflate far beyond their
// size or lie about it, too many rows or too long a cell, reports cut to their first 50 problems, an org
// file with 40,000 keys, a parse stopped at its time limit, webhooks answering while a file is parsed
// (on its own thread), and rosters and org files saved as GBK by Excel or Notepad on Chinese Windows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { shifts } from '../db/schema.ts';
import { loadOrgFile, OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { parseRoster, RosterFileError } from '../handlers/roster-file.ts';
import { importRosterFile } from '../handlers/roster-import.ts';
import { UPLOAD_LIMITS } from '../handlers/upload-limits.ts';
import { parseRosterInThread } from '../handlers/upload-thread.ts';
import { Browser, csrfOf, fetchFrom, login, resetConsoleTenants } from './helpers/console-http.ts';
import { exampleFile } from './helpers/db.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import type { Harness } from './helpers/service.ts';
import { csvWithRows, lyingSizes, xlsxWithCell, xlsxWithRows, yamlWithKeys } from './helpers/upload-files.ts';

/** Saturday 2026-11-28, 10:00 in Shanghai: the example roster (11-30 … 12-06) lies ahead. */
const NOW = new Date('2026-11-28T02:00:00Z');
let database: Database;
let harness: Harness;
harnessPerFile((opened) => ({ database, harness } = opened), { clock: () => NOW });

const PEOPLE = [
  { id: 1, code: 'zhangsan', name: '张三', archived: false },
  { id: 2, code: 'lisi', name: '李四', archived: false },
];
const OPTIONS = { people: PEOPLE, timeZone: 'Asia/Shanghai' };
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The error a parse throws (it must throw). */
async function refusal(parse: Promise<unknown>): Promise<RosterFileError> {
  const error = await parse.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RosterFileError);
  return error as RosterFileError;
}

async function schoolId() {
  return (await resetConsoleTenants(harness, database)).schoolId;
}

describe('spreadsheet bombs', () => {
  it('refuses an XLSX whose entries inflate beyond 50 MB before exceljs reads it, in a short message', async () => {
    const bomb = await xlsxWithCell('A'.repeat(UPLOAD_LIMITS.inflatedBytes + 2 ** 20));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const tenantId = await schoolId();
    const error = await refusal(importRosterFile(database.db, tenantId, 'bomb.xlsx', bomb, NOW));
    expect(error.message).toBe(
      'bomb.xlsx: 文件解压后超过 50 MB（约 51 MB），不像是一份值班表；请只保留值班表所在的工作表后重新导入',
    );
    expect(await database.db.select().from(shifts)).toEqual([]);
  }, 60_000);

  it('counts the bytes an entry really inflates to when the archive declares less', async () => {
    const limits = { ...UPLOAD_LIMITS, inflatedBytes: 2 ** 20 };
    const honest = await xlsxWithCell('A'.repeat(3 * 2 ** 20));
    const lying = lyingSizes(honest, 100);
    const error = await refusal(parseRoster('lying.xlsx', lying, OPTIONS, limits));
    expect(error.message).toBe(
      'lying.xlsx: 文件解压后超过 1 MB，不像是一份值班表；请只保留值班表所在的工作表后重新导入',
    );
  });

  it('refuses a workbook of more than 20,000 rows before building it', async () => {
    const error = await refusal(parseRoster('rows.xlsx', await xlsxWithRows(20_000), OPTIONS));
    expect(error.message).toBe(
      'rows.xlsx: 工作簿共有 20001 行，超过 20000 行的上限；请按学期或月份分成几个文件导入',
    );
    const csv = await refusal(parseRoster('rows.csv', utf8(csvWithRows(20_000)), OPTIONS));
    expect(csv.message).toBe('rows.csv: 文件超过 20000 行的上限，未读完；请按学期或月份分成几个文件导入');
  });

  it('refuses a cell longer than 1,000 characters, quoting its first 100', async () => {
    const long = `2027-01-01${'期'.repeat(1_200)}`;
    for (const [file, bytes] of [
      ['long.xlsx', await xlsxWithCell(long)],
      ['long.csv', utf8(`日期,班次,时间,值班人员,带班领导\n${long},白班,08:00-17:00,张三,李四`)],
    ] as const) {
      const error = await refusal(parseRoster(file, bytes, OPTIONS));
      expect(error.problems).toEqual([
        {
          row: 2,
          column: 'A 列',
          message: `内容超过 1000 字：“2027-01-01${'期'.repeat(90)}…（共 1210 字）”`,
        },
      ]);
    }
  });

  it('lists the first 50 problems with cells cut to ~100 characters, and counts the rest', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${'日'.repeat(500)}${i},白班,08:00-17:00,张三,李四`);
    const error = await refusal(
      parseRoster('bad.csv', utf8(['日期,班次,时间,值班人员,带班领导', ...rows].join('\n')), OPTIONS),
    );
    expect(error.problems).toHaveLength(50);
    expect(error.omitted).toBe(250);
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe(
      `bad.csv: 第 2 行 日期: “${'日'.repeat(100)}…（共 501 字）”不是日期；请写成 2026-12-01`,
    );
    expect(lines[50]).toBe('另有 250 处问题未列出');
    expect(error.message.length).toBeLessThan(10_000);
  });

  it('shows the count of all problems and of those not listed on the rosters page', async () => {
    await schoolId();
    const browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
    const form = await browser.page('/console/rosters');
    const rows = Array.from({ length: 80 }, (_, i) => `2026-12-01,班${i},08:00-17:00,没有这个人,薛建平`);
    const response = await browser.upload(
      '/console/rosters',
      { _csrf: csrfOf(form.html) },
      { name: 'bad.csv', bytes: utf8(['日期,班次,时间,值班人员,带班领导', ...rows].join('\n')) },
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('值班表 bad.csv 有 80 处问题，未导入任何班次');
    expect(html.match(/<tr><td>第 \d+ 行<\/td>/g)).toHaveLength(50);
    expect(html).toContain('另有 30 处问题未列出。');
    expect(await database.db.select().from(shifts)).toEqual([]);
  });
});

describe('parsing off the event loop', () => {
  it('reads an org file of 40,000 keys in linear time and still refuses a repeated key', () => {
    const started = performance.now();
    expect(() => parseOrgFile('keys.yaml', yamlWithKeys(40_000))).toThrow(OrgFileError);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(() => parseOrgFile('twice.yaml', 'tenant: { code: a, name: 甲 }\nunits: []\nunits: []\n')).toThrow(
      'twice.yaml: line 3, column 1: Map keys must be unique ("units" is repeated)',
    );
  });

  it('stops a parse that passes its time limit and refuses the file', async () => {
    const limits = { ...UPLOAD_LIMITS, parseMs: 1 };
    const error = await refusal(parseRosterInThread('slow.csv', utf8(csvWithRows(19_000)), OPTIONS, limits));
    expect(error.message).toBe(
      'slow.csv: 文件 0.001 秒内未能读完，已停止；请删去值班表以外的内容，或分成几个文件导入',
    );
    // The next parse gets a thread of its own.
    const roster = await parseRosterInThread('ok.csv', utf8(csvWithRows(2)), OPTIONS);
    expect(roster.rows.map((row) => row.name)).toEqual(['白班', '夜班']);
  });

  it('keeps answering /healthz quickly while an uploaded org file is parsed', async () => {
    await schoolId();
    const browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
    const form = await browser.page('/console/org');
    let uploading = true;
    const uploadStarted = performance.now();
    const upload = browser
      .upload(
        '/console/org',
        { _csrf: csrfOf(form.html) },
        { name: 'keys.yaml', bytes: utf8(yamlWithKeys(40_000)) },
      )
      .finally(() => {
        uploading = false;
      });
    const answers: number[] = [];
    while (uploading) {
      const started = performance.now();
      const health = await fetch(`${harness.url}/healthz`);
      expect(health.status).toBe(200);
      if (uploading) answers.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const response = await upload;
    const uploadMs = performance.now() - uploadStarted;
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Unrecognized key: &quot;extra&quot;');
    expect(answers.length).toBeGreaterThanOrEqual(5);
    // Parsed on the event loop, one answer would wait for most of the upload (the parse is most of it); on
    // the thread every answer is a small part of it, however loaded the machine (a fixed bound was not).
    expect(Math.max(...answers)).toBeLessThan(uploadMs / 4);
  }, 60_000);
});

describe('GBK files', () => {
  it('imports a roster CSV saved as GBK as it imports the UTF-8 one', async () => {
    const tenantId = await schoolId();
    const gbk = readFileSync(new URL('./fixtures/roster-gbk.csv', import.meta.url));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk)).toThrow();
    const summary = await importRosterFile(database.db, tenantId, 'roster-gbk.csv', gbk, NOW);
    expect(summary.created).toBe(19);
    const rows = await database.db.select().from(shifts).orderBy(asc(shifts.id));
    expect(rows[1]).toMatchObject({
      date: '2026-11-30',
      name: '放学护导',
      place: '校门口公交站台（东门, 南门）',
    });
  });

  it('reads an organization file saved as GBK', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'org-gbk-')), 'school.yaml');
    writeFileSync(file, execFileSync('iconv', ['-f', 'utf-8', '-t', 'gb18030', exampleFile('school.yaml')]));
    const org = loadOrgFile(file);
    expect(org.tenant.name).toBe('昆山市花桥集善中学');
  });
});
