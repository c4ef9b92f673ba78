// `npm run ledger:export` run in process on the test database (test/helpers/cli.ts): bad arguments exit 2
// and write nothing, a good run writes the file. The export itself is tested in ledger-export.test.ts; the
// built tool as a process in cli-process.test.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as ledgerExport } from '../bot/cli/ledger-export.ts';
import type { Database } from '../db/client.ts';
import { hazards, people, tenants } from '../db/schema.ts';
import { LEDGER_HEADER } from '../handlers/ledger-export.ts';
import { runTool } from './helpers/cli.ts';
import { openTestDatabase, seedExamples } from './helpers/db.ts';

const at = (local: string) => new Date(`${local}+08:00`);

/** The texts of a sheet row, columns 1..26, '' for empty cells. */
const texts = (sheet: ExcelJS.Worksheet, row: number) =>
  Array.from({ length: LEDGER_HEADER.length }, (_, index) => {
    const value = sheet.getRow(row).getCell(index + 1).value;
    return value === null || value === undefined ? '' : value;
  });

describe('npm run ledger:export', () => {
  let database: Database;
  let dir: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'ledger-export-'));
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments with exit code 2 and writes nothing; writes the file otherwise', async () => {
    // The school, a second tenant and one hazard of the school.
    await seedExamples(database, ['school.yaml', 'bureau.yaml']);
    const [school] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const [reporter] = await database.db
      .select()
      .from(people)
      .where(and(eq(people.tenantId, school!.id), eq(people.code, 'wangxiaofang')));
    await database.db.insert(hazards).values({
      tenantId: school!.id,
      code: 'YH-2026-0001',
      description: '配电间门锁损坏',
      reporterId: reporter!.id,
      sourceChannel: 'console',
      createdAt: at('2026-03-02T08:00:00'),
    });

    const cli = (args: string[]) => runTool(ledgerExport, args, { database });
    const out = join(dir, 'ledger.xlsx');
    const good = ['--from', '2026-01-01', '--to', '2026-03-31', '--out', out];
    const bad = await Promise.all([
      cli(['--from', '2026-01-01', '--to', '2026-13-01', '--out', out]),
      cli(['--from', '2026-01-01', '--to', '2026-03-31', '--out', join(dir, 'ledger.txt')]),
      cli(good), // two tenants and no --tenant
      cli([...good, '--tenant', 'nowhere']),
    ]);
    expect(bad.map((result) => result.code)).toEqual([2, 2, 2, 2]);
    expect(bad[0]!.stderr).toContain('结束日期“2026-13-01”不是有效日期');
    expect(bad[1]!.stderr).toContain('无法从输出文件');
    expect(bad[2]!.stderr).toContain('请用 --tenant 指明其一：district-bureau、jishan-school');
    expect(bad[3]!.stderr).toContain('没有代码为“nowhere”的单位');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'ledger.txt'))).toBe(false);

    const xlsx = await cli([...good, '--tenant', 'jishan-school']);
    expect(xlsx.code, xlsx.stderr).toBe(0);
    expect(xlsx.stdout).toContain(`已导出 1 条隐患到 ${out}`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheet = workbook.getWorksheet('隐患台账')!;
    expect(sheet.getCell('A1').value).toBe('昆山市花桥集善中学 隐患排查整改台账（2026-01-01 至 2026-03-31）');
    expect(texts(sheet, 2)).toEqual([...LEDGER_HEADER]);
    expect(texts(sheet, 3).slice(0, 8)).toEqual([
      1,
      'YH-2026-0001',
      '2026-03-02 08:00',
      '王晓芳',
      '上报',
      '',
      '',
      '配电间门锁损坏',
    ]);
  });
});
