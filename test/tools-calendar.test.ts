// The State Council's holiday notice read into a tenant's calendar through `npm run calendar:import`, run
// in process on the test database (test/helpers/cli.ts), and storage that survives re-importing the
// organization file. The parser is tested in holiday-notice.test.ts; the built tool as a process in
// cli-process.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as calendarImport } from '../bot/cli/calendar-import.ts';
import type { Database } from '../db/client.ts';
import { saveHolidayNotice } from '../db/queries/calendar.ts';
import { auditEvents, tenants } from '../db/schema.ts';
import { workCalendar } from '../handlers/deadlines.ts';
import { type HolidayNotice, parseHolidayNotice } from '../handlers/holiday-notice.ts';
import { tenantSettings } from '../handlers/settings.ts';
import { runTool } from './helpers/cli.ts';
import { loadExample, openTestDatabase, seedExample } from './helpers/db.ts';

function parsed(text: string, options: { year?: number } = {}): HolidayNotice {
  const result = parseHolidayNotice(text, options);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.notice;
}

/** A whole notice for 2027 in the style of the real ones (the example's dates, not official ones). */
const NOTICE_2027 = readFileSync(new URL('./fixtures/holiday-notice-2027.txt', import.meta.url), 'utf8');

describe('the tenant calendar from an imported notice', () => {
  let database: Database;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'calendar-import-'));
    database = await openTestDatabase();
    // The tests run in order on the same school: the third re-imports what the second stored.
    await seedExample(database);
  });
  afterAll(async () => {
    await database.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function schoolSettings() {
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const trail = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, 'calendar:2027'));
    return { settings: tenantSettings(tenant!.settings), trail };
  }

  const run = (args: string[]) => runTool(calendarImport, args, { database });

  it('npm run calendar:import names bad lines and writes nothing', async () => {
    const file = join(root, 'bad.txt');
    writeFileSync(file, NOTICE_2027.replace('6月9日（周三）', '6月9日（周四）'));
    const bad = await run([file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${file}: 第 6 行：端午节：2027年6月9日是周三，通知写的是周四`);
    expect(bad.stderr).toContain('未导入');
    expect((await schoolSettings()).settings.calendar).toBeUndefined();
  });

  it('prints what it read and writes nothing without --yes; with --yes deadlines count the holidays', async () => {
    const file = join(root, 'notice.txt');
    writeFileSync(file, NOTICE_2027);
    const dry = await run([file, '--tenant', 'jishan-school']);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(
      '春节　放假 2月5日（周五）至2月13日（周六）（9天）；上班 1月31日（周日）、2月14日（周日）',
    );
    expect(dry.stdout).toContain('未导入：请核对以上日期，确认无误后加 --yes 再运行。');
    expect((await schoolSettings()).settings.calendar).toBeUndefined();

    const yes = await run([file, '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain('已导入 2027 年节假日安排');
    const { settings, trail } = await schoolSettings();
    const calendar = workCalendar(settings.calendar);
    expect(calendar.knows('2027-06-01')).toBe(true);
    // 20 working days from 2026-12-21 (Mon): with plain weekends 2027-01-18; 元旦 pushes it a day.
    expect(calendar.addWorkingDays('2026-12-21', 20)).toBe('2027-01-19');
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: 'calendar.imported', note: expect.stringContaining('命令行') });
  });

  it('keeps the imported year when the organization file is imported again; a second import replaces it', async () => {
    await loadExample(database, 'school.yaml');
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    expect(workCalendar(tenantSettings(tenant!.settings).calendar).knows('2027-06-01')).toBe(true);
    const moved = parsed(NOTICE_2027.replace('六、中秋节：9月15日（周三）', '六、中秋节：9月16日（周四）'));
    expect(
      (await saveHolidayNotice(database.db, tenant!.id, moved, { label: 'test' }, new Date())).replaced,
    ).toBe(true);
    const [after] = await database.db.select().from(tenants).where(eq(tenants.code, 'jishan-school'));
    const calendar = workCalendar(tenantSettings(after!.settings).calendar);
    expect(calendar.isWorkingDay('2027-09-15')).toBe(true);
    expect(calendar.isWorkingDay('2027-09-16')).toBe(false);
  });
});
