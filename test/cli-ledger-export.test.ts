// `npm run ledger:export` as its own process (slow lane: each run starts Node and opens PGlite); the
// export itself is tested in process in ledger-export.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { hazards, people, tenants } from '../db/schema.ts';
import { LEDGER_HEADER } from '../handlers/ledger-export.ts';
import { built } from './helpers/built.ts';
import { cliDatabase } from './helpers/db.ts';

const at = (local: string) => new Date(`${local}+08:00`);

/** The texts of a sheet row, columns 1..26, '' for empty cells. */
const texts = (sheet: ExcelJS.Worksheet, row: number) =>
  Array.from({ length: LEDGER_HEADER.length }, (_, index) => {
    const value = sheet.getRow(row).getCell(index + 1).value;
    return value === null || value === undefined ? '' : value;
  });

describe('npm run ledger:export', () => {
  const run = promisify(execFile);
  const cli = (args: string[], env: Record<string, string>) =>
    run('node', built('cli/ledger-export', ...args), {
      env: { ...process.env, ...env },
    }).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('refuses bad arguments with exit code 2 and writes nothing; writes the file otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-export-'));
    // The school, a second tenant and one hazard of the school, written while no CLI has the database
    // open (in this process: preparing the folder needs no CLI of its own).
    const database = await cliDatabase(['school.yaml', 'bureau.yaml']);
    const env = database.env;
    const local = await database.open();
    try {
      const [school] = await local.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
      const [reporter] = await local.db
        .select()
        .from(people)
        .where(and(eq(people.tenantId, school!.id), eq(people.code, 'wangxiaofang')));
      await local.db.insert(hazards).values({
        tenantId: school!.id,
        code: 'YH-2026-0001',
        description: '配电间门锁损坏',
        reporterId: reporter!.id,
        sourceChannel: 'console',
        createdAt: at('2026-03-02T08:00:00'),
      });
    } finally {
      await local.close();
    }

    const out = join(dir, 'ledger.xlsx');
    const good = ['--from', '2026-01-01', '--to', '2026-03-31', '--out', out];
    const bad = [
      ...(await Promise.all([
        cli(['--from', '2026-01-01', '--to', '2026-13-01', '--out', out], env),
        cli(['--from', '2026-01-01', '--to', '2026-03-31', '--out', join(dir, 'ledger.txt')], env),
      ])),
      // These two open the database: one at a time, as a PGlite data directory takes one process.
      await cli(good, env), // two tenants and no --tenant
      await cli([...good, '--tenant', 'nowhere'], env),
    ];
    expect(bad.map((result) => result.code)).toEqual([2, 2, 2, 2]);
    expect(bad[0]!.stderr).toContain('结束日期“2026-13-01”不是有效日期');
    expect(bad[1]!.stderr).toContain('无法从输出文件');
    expect(bad[2]!.stderr).toContain('请用 --tenant 指明其一：district-bureau、jishan-school');
    expect(bad[3]!.stderr).toContain('没有代码为“nowhere”的单位');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'ledger.txt'))).toBe(false);

    const xlsx = await cli([...good, '--tenant', 'jishan-school'], env);
    expect(xlsx.code).toBe(0);
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
    await database.remove();
  }, 90_000);
});
