// Duty shifts (值班带班) through the real core, router and handlers, on the example school, with a fixed
// clock in Asia/Shanghai: roster files (CSV and XLSX), re-import, time-zone boundaries, the checks before
// a shift, confirmations, the duty log and handover, swaps. The CLI (`npm run roster:import`) is
// in tools-org.test.ts.
import { readFileSync } from 'node:fs';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../bot/core/log.ts';
import type { ExternalUser } from '../bot/core/types.ts';
import type { Database } from '../db/client.ts';
import { shiftLogRows } from '../db/queries/shifts.ts';
import {
  auditEvents,
  people,
  reminders,
  shiftAssignees,
  shiftLogs,
  shiftSwaps,
  shifts,
} from '../db/schema.ts';
import { parseCsv, RosterFileError } from '../handlers/roster-file.ts';
import { importRosterFile } from '../handlers/roster-import.ts';
import { localInstant, parseDayWord } from '../handlers/shift-rules.ts';
import { runShiftChecks } from '../jobs/shift-checks.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { exampleFile, openTestDatabase, seedExample } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, new Date('2026-11-20T02:00:00Z'));
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = new Date('2026-11-20T02:00:00Z');
});

const personId = (code: string) => bot.personId(code);
/** The ids of several people, in the order given. */
const ids = async <const T extends readonly string[]>(...codes: T) =>
  (await Promise.all(codes.map(personId))) as { [K in keyof T]: number };
const say = (code: string, text: string, mentions: ExternalUser[] = []) => bot.say(code, text, { mentions });
const press = (code: string, action: string, args: Record<string, string>) => bot.press(code, action, args);

const inbox = (id: number) => bot.inbox(id);

// --- shift helpers -----------------------------------------------------------------------------------

const HEADER = '日期,班次,时间,值班人员,带班领导,地点';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');
const bytes = (text: string) => new TextEncoder().encode(text);
const importCsv = (text: string, file = 'roster.csv') =>
  importRosterFile(database.db, bot.tenantId, file, bytes(text), bot.now);

async function theShift(date: string, name: string) {
  const [shift] = await database.db
    .select()
    .from(shifts)
    .where(and(eq(shifts.date, date), eq(shifts.name, name)));
  return shift!;
}
async function assigneesOf(shiftId: number) {
  return database.db
    .select({ personId: shiftAssignees.personId, confirmedAt: shiftAssignees.confirmedAt })
    .from(shiftAssignees)
    .where(eq(shiftAssignees.shiftId, shiftId))
    .orderBy(asc(shiftAssignees.personId));
}
const audit = async (shiftId: number) =>
  (
    await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `shift:${shiftId}`))
      .orderBy(asc(auditEvents.id))
  ).map((row) => row.action);
const run = () =>
  runShiftChecks({ db: database.db, channels: bot.channels, log: silentLogger, now: bot.now });
const steps = async () =>
  (await database.db.select().from(reminders).where(eq(reminders.tenantId, bot.tenantId)))
    .map((row) => `${row.step}:${row.personId}`)
    .sort();
const allShifts = async () =>
  (await database.db.select().from(shifts).orderBy(asc(shifts.date), asc(shifts.startsAt))).map(
    (shift) => `${shift.date} ${shift.name}`,
  );

// -----------------------------------------------------------------------------------------------------

describe('roster files', () => {
  it('imports the example roster (a week, CSV) with local times, overnight shifts and quoted fields', async () => {
    const file = exampleFile('roster.csv');
    const summary = await importRosterFile(
      database.db,
      bot.tenantId,
      'roster.csv',
      readFileSync(file),
      bot.now,
    );
    expect(summary).toMatchObject({
      from: '2026-11-30',
      to: '2026-12-06',
      created: 19,
      replaced: 0,
      kept: 0,
      skippedRows: [],
    });
    const night = await theShift('2026-11-30', '夜间值班');
    // 17:30–07:30 in Shanghai: 09:30Z to 23:30Z, still dated the day it starts.
    expect(night.startsAt.toISOString()).toBe('2026-11-30T09:30:00.000Z');
    expect(night.endsAt.toISOString()).toBe('2026-11-30T23:30:00.000Z');
    expect(night.leaderId).toBe(await personId('xuejianping'));
    const bus = await theShift('2026-11-30', '放学护导');
    expect(bus.place).toBe('校门口公交站台（东门, 南门）');
    const day = await theShift('2026-11-30', '日间值班');
    expect((await assigneesOf(day.id)).map((row) => row.personId)).toEqual(
      [await personId('chenjing'), await personId('wuyunan')].sort((a, b) => a - b),
    );
    expect(await audit(day.id)).toEqual(['roster.import']);
  });

  it('reads UTF-8 with a BOM, CRLF, RFC 4180 quotes, person codes, 24-hour and 次日 times', async () => {
    const text =
      '\uFEFF' +
      [
        HEADER,
        '2026-12-01,日间值班,08:00-17:00,"陈静,张丽",薛建平,"行政楼""一楼""值班室"',
        '2026/12/1,夜班,20:00-08:00,"liguoqiang；赵明",xuejianping,门卫室',
        '2026年12月2日（星期三）,全天值班,08:00-08:00,"林晨杰\n侯燕婷",章方辉,',
        '2026-12-03,夜班,20:00-次日07:30,李国强,章方辉,门卫室',
        ',,,,,',
      ].join('\r\n') +
      '\r\n';
    const summary = await importCsv(text);
    expect(summary.created).toBe(4);
    const day = await theShift('2026-12-01', '日间值班');
    expect(day.place).toBe('行政楼"一楼"值班室');
    expect(await assigneesOf(day.id)).toHaveLength(2);
    const night = await theShift('2026-12-01', '夜班');
    expect(night.startsAt.toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(night.endsAt.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect((await assigneesOf(night.id)).map((row) => row.personId)).toEqual(
      [await personId('liguoqiang'), await personId('zhaoming')].sort((a, b) => a - b),
    );
    const allDay = await theShift('2026-12-02', '全天值班');
    expect(allDay.endsAt.getTime() - allDay.startsAt.getTime()).toBe(24 * 3_600_000);
    expect(allDay.place).toBeNull();
    const explicit = await theShift('2026-12-03', '夜班');
    expect(explicit.endsAt.toISOString()).toBe('2026-12-03T23:30:00.000Z');
  });

  it('reads an XLSX roster with a title row, Excel date cells, a merged date column and rich text', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('十二月值班表');
    sheet.addRow(['集善中学 2026 年 12 月值班表']);
    sheet.mergeCells('A1:F1');
    sheet.addRow(['日期', '班次', '时间', '值班人员', '带班领导', '地点']);
    sheet.addRow([
      new Date(Date.UTC(2026, 11, 1)),
      '日间值班',
      '08:00-17:00',
      { richText: [{ text: '陈静' }, { text: '、张丽', font: { bold: true } }] },
      '薛建平',
      '行政楼值班室',
    ]);
    sheet.addRow([null, '夜班', '20:00-08:00', '李国强', '薛建平', '门卫室']);
    sheet.mergeCells('A3:A4');
    sheet.addRow(['2026-12-02', '日间值班', '08:00-17:00', '赵明', '章方辉', null]);
    const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
    const summary = await importRosterFile(database.db, bot.tenantId, '十二月.xlsx', buffer, bot.now);
    expect(summary).toMatchObject({ from: '2026-12-01', to: '2026-12-02', created: 3 });
    expect(await allShifts()).toEqual(['2026-12-01 日间值班', '2026-12-01 夜班', '2026-12-02 日间值班']);
    const night = await theShift('2026-12-01', '夜班');
    expect(night.startsAt.toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(night.endsAt.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(await assigneesOf((await theShift('2026-12-01', '日间值班')).id)).toHaveLength(2);

    // A bad XLSX names the sheet's own row numbers.
    sheet.getCell('D5').value = '李四';
    const bad = Buffer.from(await workbook.xlsx.writeBuffer());
    const error = await importRosterFile(database.db, bot.tenantId, '十二月.xlsx', bad, bot.now).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RosterFileError);
    expect(error.message).toBe('十二月.xlsx: 第 5 行 值班人员: 找不到“李四”');
  });

  it('names every problem with its row and column, and writes nothing', async () => {
    await importCsv(csv('2026-12-10,日间值班,08:00-17:00,陈静,薛建平,值班室'));
    const before = { shifts: await allShifts(), audit: await database.db.select().from(auditEvents) };
    await database.db.insert(people).values([
      { tenantId: bot.tenantId, code: 'wangfang1', name: '王芳' },
      { tenantId: bot.tenantId, code: 'wangfang2', name: '王芳' },
    ]);
    const text = csv(
      '2026-12-01,日间值班,08:00-17:00,陈静,薛建平,值班室',
      '2026-12-01,夜班,20:00-08:00,李四,薛建平,门卫室',
      '2026-02-30,日间值班,08:00-17:00,张丽,薛建平,',
      '2026-12-02,日间值班,25:00-08:00,张丽,,',
      '2026-12-02,夜班,20:00-08:00,王芳,王老师,',
      '2026-12-01,日间值班,09:00-18:00,赵明,薛建平,',
      '2026-12-03,夜班,20:00-08:00,赵明,章方辉,',
      '2026-12-04,早班,07:00-09:00,赵明,章方辉,',
      ',中班,12:00-14:00,陈静,章方辉,',
      '2026-12-05,中班,12:00-14:00,陈静,"薛建平、章方辉",',
      '2026-12-06(周一),中班,12点到14点,陈静,章方辉,',
    );
    const error = await importCsv(text).catch((e) => e);
    expect(error).toBeInstanceOf(RosterFileError);
    expect(error.message.split('\n')).toEqual([
      'roster.csv: 第 3 行 值班人员: 找不到“李四”',
      'roster.csv: 第 4 行 日期: “2026-02-30”不是真实存在的日期',
      'roster.csv: 第 5 行 时间: 开始时间“25:00”不存在',
      'roster.csv: 第 5 行 带班领导: 不能为空',
      'roster.csv: 第 6 行 值班人员: “王芳”有 2 人同名，请改写人员编号（wangfang1、wangfang2）',
      'roster.csv: 第 6 行 带班领导: 找不到“王老师”',
      'roster.csv: 第 7 行 班次: 与第 2 行重复（2026-12-01 已有“日间值班”）',
      'roster.csv: 第 9 行 值班人员: 赵明 与第 8 行的班次（2026-12-03 夜班）时间重叠',
      'roster.csv: 第 10 行 日期: 不能为空（合并的单元格导出为 CSV 时只保留在第一行，请每行都填写日期）',
      'roster.csv: 第 11 行 带班领导: 每个班次只填一位带班领导（写了 薛建平、章方辉）',
      'roster.csv: 第 12 行 日期: 2026-12-06 是星期日，不是周一',
      'roster.csv: 第 12 行 时间: “12点到14点”不是时间段；请写成 08:00-17:00（结束早于开始表示次日，如 20:00-08:00）',
    ]);
    expect(await allShifts()).toEqual(before.shifts);
    expect(await database.db.select().from(auditEvents)).toEqual(before.audit);

    // Person codes resolve what a name cannot.
    const fixed = await importCsv(csv('2026-12-02,夜班,20:00-08:00,wangfang1,薛建平,'));
    expect(fixed.created).toBe(1);
  });

  it('reports a file that is not a roster at all: encoding, header, quotes', async () => {
    const binary = Uint8Array.from([0xc8, 0xd5, 0x81, 0x20, 0xff]); // neither UTF-8 nor GB18030
    await expect(importRosterFile(database.db, bot.tenantId, 'binary.csv', binary, bot.now)).rejects.toThrow(
      'binary.csv: 文件既不是 UTF-8 也不是 GBK 编码的文本',
    );
    await expect(importCsv('姓名,电话\n陈静,123')).rejects.toThrow('roster.csv: 第 1 行: 找不到表头');
    await expect(importCsv('日期,班次,时间\n2026-12-01,夜班,20:00-08:00')).rejects.toThrow(
      'roster.csv: 第 1 行: 缺少列 “值班人员”、“带班领导”',
    );
    await expect(importCsv(`${HEADER}\n`)).rejects.toThrow('roster.csv: 第 1 行: 表头下面没有任何班次');
    expect(parseCsv('a,"b\nc\n1,2').problems).toEqual([{ row: 1, message: '引号没有闭合' }]);
    expect(parseCsv('a,"b"x\n').problems[0]?.row).toBe(1);
    expect(await allShifts()).toEqual([]);
  });

  it('re-importing a period replaces the shifts not yet started and keeps those already under way', async () => {
    await importCsv(
      csv(
        '2026-12-01,日间值班,08:00-17:00,陈静,薛建平,值班室',
        '2026-12-01,夜班,20:00-08:00,李国强,薛建平,门卫室',
        '2026-12-02,日间值班,08:00-17:00,张丽,章方辉,值班室',
        '2026-12-02,夜班,20:00-08:00,李国强,章方辉,门卫室',
        '2026-12-03,日间值班,08:00-17:00,赵明,薛建平,值班室',
      ),
    );
    await importCsv(csv('2026-12-10,日间值班,08:00-17:00,陈静,薛建平,值班室'), 'later.csv');
    const oldNight = await theShift('2026-12-02', '夜班');
    bot.now = new Date('2026-12-02T02:00:00Z'); // 10:00 on 12-02: its day shift is under way
    expect(await say('zhangli', '值班日志 10:00 巡查教学楼，正常')).toContain('已记入');

    const summary = await importCsv(
      csv(
        '2026-12-02,日间值班,08:00-17:00,赵明,章方辉,值班室',
        '2026-12-02,夜班,20:00-08:00,赵明,章方辉,门卫室',
        '2026-12-03,白班,08:00-18:00,陈静,薛建平,值班室',
      ),
      'again.csv',
    );
    expect(summary).toEqual({
      from: '2026-12-02',
      to: '2026-12-03',
      created: 2,
      replaced: 2,
      kept: 1,
      skippedRows: [2],
      roster: expect.anything(),
    });
    expect(await allShifts()).toEqual([
      '2026-12-01 日间值班',
      '2026-12-01 夜班',
      '2026-12-02 日间值班',
      '2026-12-02 夜班',
      '2026-12-03 白班',
      '2026-12-10 日间值班',
    ]);
    // The shift under way keeps its people and its duty log.
    const running = await theShift('2026-12-02', '日间值班');
    expect((await assigneesOf(running.id)).map((row) => row.personId)).toEqual([await personId('zhangli')]);
    expect(await database.db.select().from(shiftLogs).where(eq(shiftLogs.shiftId, running.id))).toHaveLength(
      1,
    );
    // The night shift is new, with the new person; the old one's trail says why it went.
    const night = await theShift('2026-12-02', '夜班');
    expect(night.id).not.toBe(oldNight.id);
    expect((await assigneesOf(night.id)).map((row) => row.personId)).toEqual([await personId('zhaoming')]);
    expect(await audit(oldNight.id)).toEqual(['roster.import', 'roster.replace']);
  });

  it('carries a confirmation given ahead over to the re-imported shift when the person stays on it', async () => {
    const night = '2026-12-02,夜班,20:00-08:00,李国强,章方辉,门卫室';
    await importCsv(csv(night));
    bot.now = new Date('2026-12-02T10:30:00Z'); // 18:30, within the 2 h before the start
    await run();
    expect(await say('liguoqiang', '确认到岗')).toContain('已确认到岗（18:30）');
    await importCsv(csv(night, '2026-12-03,夜班,20:00-08:00,李国强,章方辉,门卫室'));
    const shift = await theShift('2026-12-02', '夜班');
    expect((await assigneesOf(shift.id))[0]?.confirmedAt?.toISOString()).toBe('2026-12-02T10:30:00.000Z');
    expect(await run()).toEqual({ sent: 0 });
  });
});

describe('今天谁值班', () => {
  const roster = csv(
    '2026-12-01,日间值班,08:00-17:00,陈静,薛建平,行政楼值班室',
    '2026-12-01,夜班,20:00-08:00,李国强,薛建平,门卫室',
    '2026-12-02,日间值班,08:00-17:00,张丽,章方辉,行政楼值班室',
  );

  it('uses the local date: at 00:30 on 12-02 in Shanghai (16:30Z on 12-01) it shows 12-02', async () => {
    await importCsv(roster);
    bot.now = new Date('2026-12-01T16:30:00Z');
    const answer = await say('chenjing', '今天谁值班');
    expect(answer).toContain('今天谁值班 2026-12-02（星期三）');
    expect(answer).toContain('张丽（未确认）');
    expect(answer).toContain('章方辉');
    expect(answer).toContain('08:00–17:00');
    expect(answer).not.toContain('陈静');
    // The night shift that began on 12-01 is still running, and says so.
    expect(answer).toContain('夜班（2026-12-01 起，进行中）');
    expect(answer).toContain('20:00–次日 08:00');

    bot.now = new Date('2026-12-01T15:59:00Z'); // 23:59 on 12-01
    const before = await say('chenjing', '/onduty');
    expect(before).toContain('今天谁值班 2026-12-01（星期二）');
    expect(before).toContain('陈静');
    expect(before).not.toContain('张丽');
  });

  it('says so when nobody is on duty', async () => {
    expect(await say('chenjing', '今天谁值班')).toContain('今天没有排班');
  });
});

describe('before a shift: confirmation and escalation', () => {
  // 12-02 日间值班 08:00 in Shanghai = 00:00Z; the card goes out at 06:00 (22:00Z on 12-01).
  const roster = csv(
    '2026-12-02,日间值班,08:00-17:00,张丽、赵明,章方辉,行政楼值班室',
    '2026-12-03,日间值班,08:00-17:00,陈静,章方辉,行政楼值班室',
  );

  it('sends the card once at the lead time, then tells the 带班领导, then the office, each once', async () => {
    await importCsv(roster);
    const shift = await theShift('2026-12-02', '日间值班');
    const [zhangli, zhaoming, leader, office, deputy] = await ids(
      'zhangli',
      'zhaoming',
      'zhangfanghui',
      'zhouyinyin',
      'wangxiaohua',
    );
    bot.now = new Date('2026-12-01T21:59:00Z');
    expect(await run()).toEqual({ sent: 0 });
    bot.now = new Date('2026-12-01T22:00:00Z');
    const results = await Promise.all([run(), run(), run()]);
    await run();
    expect(results.reduce((sum, result) => sum + result.sent, 0)).toBe(2);
    expect(await steps()).toEqual([`confirm:${zhangli}`, `confirm:${zhaoming}`].sort());
    const card = (await inbox(zhangli)).filter((text) => text.includes('shift.confirm'));
    expect(card).toHaveLength(1);
    expect(card[0]).toContain('值班提醒 2026-12-02（星期三）日间值班');

    bot.now = new Date('2026-12-01T23:50:00Z');
    expect((await press('zhangli', 'shift.confirm', { id: String(shift.id) }))?.toast.kind).toBe('success');
    bot.now = new Date('2026-12-02T00:14:59Z');
    expect(await run()).toEqual({ sent: 0 });
    bot.now = new Date('2026-12-02T00:15:00Z'); // start + 15 min: the 带班领导
    await Promise.all([run(), run()]);
    await run();
    expect(await steps()).toEqual(
      [`confirm:${zhangli}`, `confirm:${zhaoming}`, `late-leader:${leader}`].sort(),
    );
    const told = (await inbox(leader)).filter((text) => text.includes('尚未确认到岗'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('赵明 尚未确认到岗');
    expect(told[0]).not.toContain('张丽 尚未');
    expect(await inbox(office)).toEqual([]);

    bot.now = new Date('2026-12-02T00:30:00Z'); // start + 30 min: the office
    await Promise.all([run(), run()]);
    expect(await run()).toEqual({ sent: 0 });
    expect(await steps()).toEqual(
      [
        `confirm:${zhangli}`,
        `confirm:${zhaoming}`,
        `late-leader:${leader}`,
        `late-office:${office}`,
        `late-office:${deputy}`,
      ].sort(),
    );
    expect((await inbox(office)).filter((text) => text.includes('仍未确认到岗'))).toHaveLength(1);
    expect((await inbox(leader)).filter((text) => text.includes('尚未确认到岗'))).toHaveLength(1);

    // A late confirmation is recorded as late, and the leader's card now shows everyone at their post.
    bot.now = new Date('2026-12-02T00:40:00Z');
    expect(await say('zhaoming', '确认到岗')).toContain('已确认到岗（08:40）');
    const trail = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subject, `shift:${shift.id}`), eq(auditEvents.action, 'confirm')))
      .orderBy(asc(auditEvents.id));
    expect(trail.map((row) => [row.actorId, row.note])).toEqual([
      [zhangli, null],
      [zhaoming, '迟于开始时间 40 分钟确认'],
    ]);
    const leaderCard = (await inbox(leader)).find((text) => text.includes('值班到岗情况'))!;
    expect(leaderCard).toContain('值班人员均已确认到岗');
    expect(await run()).toEqual({ sent: 0 });
    // Nothing about a shift that has ended.
    bot.now = new Date('2026-12-02T10:00:00Z');
    expect(await run()).toEqual({ sent: 0 });
  });

  it('refuses 确认到岗 from someone not on the shift and changes nothing; the right person refreshes the card', async () => {
    await importCsv(roster);
    const shift = await theShift('2026-12-02', '日间值班');
    const zhangli = await personId('zhangli');
    bot.now = new Date('2026-12-01T22:00:00Z');
    await run();
    const before = await assigneesOf(shift.id);

    bot.now = new Date('2026-12-01T23:30:00Z');
    const refused = await press('chenjing', 'shift.confirm', { id: String(shift.id) });
    expect(refused?.toast.kind).toBe('error');
    expect(refused?.toast.text).toContain('您不在 2026-12-02（星期三）日间值班 的值班名单上');
    expect(await assigneesOf(shift.id)).toEqual(before);
    expect(await audit(shift.id)).toEqual(['roster.import']);

    // Too early: the day before.
    bot.now = new Date('2026-12-01T02:00:00Z');
    expect((await press('zhangli', 'shift.confirm', { id: String(shift.id) }))?.toast.kind).toBe('error');

    bot.now = new Date('2026-12-01T23:30:00Z');
    const done = await press('zhangli', 'shift.confirm', { id: String(shift.id) });
    expect(done?.toast).toEqual({
      kind: 'success',
      text: '已确认到岗（07:30），2026-12-02（星期三）日间值班。',
    });
    const [mine] = (await assigneesOf(shift.id)).filter((row) => row.personId === zhangli);
    expect(mine!.confirmedAt?.toISOString()).toBe(bot.now.toISOString());
    expect(await audit(shift.id)).toEqual(['roster.import', 'confirm']);
    // The card already queued for her now shows the confirmation and no button.
    const [card] = (await inbox(zhangli)).filter((text) => text.includes('值班提醒'));
    expect(card).toContain('张丽（已到岗 07:30）');
    expect(card).not.toContain('shift.confirm');
    const again = await press('zhangli', 'shift.confirm', { id: String(shift.id) });
    expect(again?.toast.kind).toBe('info');
    expect(await audit(shift.id)).toEqual(['roster.import', 'confirm']);
  });

  it('honours the tenant’s lead and grace times', async () => {
    await database.db.execute(
      sql`update tenants set settings = settings || '{"shift_lead_minutes": 30, "shift_grace_minutes": 5}'::jsonb`,
    );
    await importCsv(roster);
    bot.now = new Date('2026-12-01T23:29:00Z');
    expect(await run()).toEqual({ sent: 0 });
    bot.now = new Date('2026-12-01T23:30:00Z');
    expect(await run()).toEqual({ sent: 2 });
    bot.now = new Date('2026-12-02T00:05:00Z');
    expect(await run()).toEqual({ sent: 1 });
    bot.now = new Date('2026-12-02T00:10:00Z');
    expect(await run()).toEqual({ sent: 2 });
  });
});

describe('duty log and handover', () => {
  const roster = csv('2026-12-01,夜班,20:00-08:00,李国强,薛建平,门卫室');

  it('logs to the shift under way, takes the handover at its end and tells the 带班领导', async () => {
    await importCsv(roster);
    const shift = await theShift('2026-12-01', '夜班');
    const leader = await personId('xuejianping');
    bot.now = new Date('2026-12-01T11:00:00Z'); // 19:00: not started yet
    expect(await say('liguoqiang', '值班日志 巡查')).toContain('您现在不在值班时间内');
    bot.now = new Date('2026-12-01T14:10:00Z'); // 22:10
    expect(await say('liguoqiang', '值班日志 22:10 巡查宿舍楼，一切正常')).toContain(
      '已记入 2026-12-01（星期二）夜班 的值班日志（第 1 条，22:10）',
    );
    bot.now = new Date('2026-12-01T15:00:00Z');
    expect(await say('xuejianping', '/dutylog 抽查门卫室，值班人员在岗')).toContain('第 2 条');
    expect(await say('chenjing', '值班日志 有人吗')).toContain('您现在不在值班时间内');
    expect(await say('liguoqiang', '值班日志')).toContain('请在“值班日志”后写明情况');

    bot.now = new Date('2026-12-02T00:05:00Z'); // 08:05, just after the end
    expect(await say('liguoqiang', '交班 夜间巡查 3 次，无异常，钥匙已交接')).toContain(
      '已交班：2026-12-01（星期二）夜班。已告知带班领导 薛建平。',
    );
    expect(await say('liguoqiang', '/handover 再补一句')).toContain('已由 李国强 于 2026-12-02 08:05 交班');
    expect((await inbox(leader)).join('\n')).toContain('李国强 已交班');
    expect(await audit(shift.id)).toContain('handover');
    bot.now = new Date('2026-12-02T02:06:00Z'); // more than 2 h after the end
    expect(await say('liguoqiang', '值班日志 补记')).toContain('您现在不在值班时间内');

    const ledger = await shiftLogRows(database.db, bot.tenantId, { from: '2026-12-01', to: '2026-12-01' });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      shiftId: shift.id,
      date: '2026-12-01',
      name: '夜班',
      place: '门卫室',
      leader: { id: leader, name: '薛建平' },
      people: [{ id: await personId('liguoqiang'), name: '李国强', confirmedAt: null }],
      handover: { note: '夜间巡查 3 次，无异常，钥匙已交接', byName: '李国强' },
    });
    expect(ledger[0]!.logs.map((log) => [log.personName, log.text, log.at.toISOString()])).toEqual([
      ['李国强', '22:10 巡查宿舍楼，一切正常', '2026-12-01T14:10:00.000Z'],
      ['薛建平', '抽查门卫室，值班人员在岗', '2026-12-01T15:00:00.000Z'],
    ]);
    expect(await shiftLogRows(database.db, bot.tenantId, { from: '2026-12-02', to: '2026-12-31' })).toEqual(
      [],
    );
  });
});

describe('换班', () => {
  const roster = csv(
    '2026-12-03,日间值班,08:00-17:00,张丽,薛建平,值班室',
    '2026-12-03,夜班,20:00-08:00,陈静,薛建平,门卫室',
  );

  it('asks a colleague; only the colleague may answer; acceptance changes the assignee and tells the leader', async () => {
    await importCsv(roster);
    bot.now = new Date('2026-12-01T02:00:00Z');
    const shift = await theShift('2026-12-03', '夜班');
    const [chenjing, zhangli, zhaoming, leader] = await ids('chenjing', 'zhangli', 'zhaoming', 'xuejianping');

    // An @-mention from the chat platform, declined.
    const mention: ExternalUser = { ids: [{ kind: 'person', value: String(zhaoming) }], name: '赵明' };
    expect(await say('chenjing', '换班 12-03', [mention])).toContain(
      '已请 赵明 替您值 2026-12-03（星期四）夜班',
    );
    const [first] = await database.db.select().from(shiftSwaps);
    expect(first).toMatchObject({ fromPersonId: chenjing, toPersonId: zhaoming, status: 'pending' });
    expect((await inbox(zhaoming)).join('\n')).toContain('shift.swap.accept');
    const wrong = await press('zhangli', 'shift.swap.accept', { swap: String(first!.id) });
    expect(wrong?.toast).toEqual({
      kind: 'error',
      text: '这个换班请求是 陈静 发给 赵明 的，只有 赵明 可以答复。',
    });
    expect(await say('chenjing', '换班 12-03 夜班 @张丽')).toContain(
      '已就 2026-12-03（星期四）夜班 向 赵明 发出换班请求',
    );
    expect((await press('zhaoming', 'shift.swap.decline', { swap: String(first!.id) }))?.toast.kind).toBe(
      'info',
    );
    expect((await inbox(chenjing)).join('\n')).toContain('赵明 未接受您的换班请求');
    expect((await assigneesOf(shift.id)).map((row) => row.personId)).toEqual([chenjing]);

    // @姓名 typed in the text, accepted.
    expect(await say('chenjing', '换班 周四 夜班 @张丽')).toContain('已请 张丽');
    const second = (await database.db.select().from(shiftSwaps).orderBy(desc(shiftSwaps.id)))[0]!;
    expect((await press('zhaoming', 'shift.swap.accept', { swap: String(second.id) }))?.toast.kind).toBe(
      'error',
    );
    expect((await assigneesOf(shift.id)).map((row) => row.personId)).toEqual([chenjing]);
    const accepted = await press('zhangli', 'shift.swap.accept', { swap: String(second.id) });
    expect(accepted?.toast).toEqual({
      kind: 'success',
      text: '已接受，2026-12-03（星期四）夜班 改由您值班。',
    });
    expect((await assigneesOf(shift.id)).map((row) => row.personId)).toEqual([zhangli]);
    expect(await audit(shift.id)).toEqual([
      'roster.import',
      'swap.request',
      'swap.decline',
      'swap.request',
      'swap.accept',
    ]);
    const [row] = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subject, `shift:${shift.id}`), eq(auditEvents.action, 'swap.accept')));
    expect(row).toMatchObject({ actorId: zhangli, fromStatus: '陈静', toStatus: '张丽' });
    expect((await inbox(leader)).join('\n')).toContain('值班人员由 陈静 改为 张丽');
    expect((await inbox(chenjing)).join('\n')).toContain('张丽 已接受您的换班请求');
    // Her request card now says it is done, without buttons.
    const card = (await inbox(zhangli)).find((text) => text.includes('换班请求'))!;
    expect(card).toContain('您已接受');
    expect(card).not.toContain('shift.swap.accept');
    expect((await press('zhangli', 'shift.swap.accept', { swap: String(second.id) }))?.toast.kind).toBe(
      'error',
    );
    // The new person gets the confirm card at the lead time; the old one does not.
    bot.now = new Date('2026-12-03T10:00:00Z');
    await run();
    expect(await steps()).toEqual([`confirm:${zhangli}`]);
  });

  it('refuses what cannot be swapped', async () => {
    await importCsv(roster);
    bot.now = new Date('2026-12-01T02:00:00Z');
    expect(await say('chenjing', '换班 12-03 夜班')).toContain('请 @ 要替您值班的同事');
    expect(await say('chenjing', '换班 12-05 @张丽')).toContain('没有找到您 2026-12-05 的班次');
    expect(await say('chenjing', '换班 12-03 @陈静')).toContain('不能和自己换班');
    expect(await say('chenjing', '换班 12-03 @李四')).toContain('找不到“李四”');
    expect(await say('zhaoming', '换班 12-03 @张丽')).toContain('您近期没有排班');
    bot.now = new Date('2026-12-03T12:30:00Z'); // 20:30 on 12-03: under way
    expect(await say('chenjing', '换班 12-03 @赵明')).toContain('已经开始，不能再换班');
    expect(await database.db.select().from(shiftSwaps)).toEqual([]);
  });
});

describe('time helpers', () => {
  it('turns local wall-clock times into instants, and day words into dates', () => {
    expect(localInstant('2026-12-01', 20 * 60, 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-01T12:00:00.000Z',
    );
    expect(localInstant('2026-12-01', 32 * 60, 'Asia/Shanghai').toISOString()).toBe(
      '2026-12-02T00:00:00.000Z',
    );
    // A zone with DST: 2026-03-08 is the spring-forward day in New York (EST −5 → EDT −4).
    expect(localInstant('2026-03-08', 20 * 60, 'America/New_York').toISOString()).toBe(
      '2026-03-09T00:00:00.000Z',
    );
    const at = new Date('2026-12-01T16:30:00Z'); // 00:30 on 12-02 in Shanghai
    expect(parseDayWord('今天', 'Asia/Shanghai', at)).toBe('2026-12-02');
    expect(parseDayWord('明天', 'Asia/Shanghai', at)).toBe('2026-12-03');
    expect(parseDayWord('12-03', 'Asia/Shanghai', at)).toBe('2026-12-03');
    expect(parseDayWord('1月5日', 'Asia/Shanghai', at)).toBe('2027-01-05');
    expect(parseDayWord('周五', 'Asia/Shanghai', at)).toBe('2026-12-04');
    expect(parseDayWord('夜班', 'Asia/Shanghai', at)).toBeUndefined();
  });
});
