// Inspection rounds through the core, as the console's simulator drives it: the office's monthly 大检查
// of the example school (002 §四(四)) finds two items failing; each becomes a hazard (origin 检查) routed
// to its unit, whose head gets the card; signing the round records the school-wide inspection for the
// 大检查 obligation; the 排查登记表 exports with the cells it should have; the targets count the hazards.

import { and, asc, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import {
  auditEvents,
  checklistItems,
  checklists,
  completions,
  hazardPhotos,
  hazards,
  inspectionRounds,
  roundResults,
  tenants,
  units,
} from '../db/schema.ts';
import { registerAccident } from '../handlers/accidents.ts';
import { REGISTER_COLUMNS } from '../handlers/inspection-rules.ts';
import { parseExportPeriod } from '../handlers/ledger-export.ts';
import { ledgerExportRows } from '../handlers/ledger-rows.ts';
import { loadOrgFile, OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { yearSpan } from '../handlers/reports.ts';
import { registerHtml, writeRegisterXlsx } from '../handlers/round-register.ts';
import { targetStatus } from '../handlers/targets.ts';
import { accidentInput } from './helpers/accidents.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { exampleFile, openTestDatabase, seedExample } from './helpers/db.ts';

let database: Database;
let bot: ConsoleDriver;
/** Friday 2026-11-20, 10:00 in Shanghai. */
const NOW = new Date('2026-11-20T02:00:00Z');
const LIST = '每月安全保卫工作大检查';

beforeAll(async () => {
  database = await openTestDatabase();
  bot = consoleDriver(database, NOW);
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  bot.tenantId = (await seedExample(database)).tenantId;
  bot.now = NOW;
});

async function itemsOfList(code: string) {
  return database.db
    .select({ id: checklistItems.id, text: checklistItems.text, source: checklistItems.source })
    .from(checklistItems)
    .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
    .where(and(eq(checklists.code, code), eq(checklistItems.archived, false)))
    .orderBy(asc(checklistItems.position));
}

async function theRound() {
  const [round] = await database.db.select().from(inspectionRounds).orderBy(asc(inspectionRounds.id));
  return round!;
}

/** The office director walks the monthly 大检查: the two items named fail, the rest pass. */
async function walkMonthlyRound(failing: Record<string, string>) {
  const said = await bot.say('zhouyinyin', `开始检查 ${LIST}`);
  expect(said).toContain('已开始检查 JC-JSZX-2026-0001');
  const round = await theRound();
  for (const item of await itemsOfList('yue-da-jian-cha')) {
    const note = failing[item.text];
    const result = await bot.press(
      'zhouyinyin',
      'round.result',
      { round: String(round.id), item: String(item.id), result: note === undefined ? 'pass' : 'fail' },
      note === undefined ? undefined : { note },
    );
    expect(result?.toast?.text).toContain('已记录');
  }
  return round;
}

const FAILING = {
  消防通道是否畅通: '教学楼东侧消防通道堆放课桌椅',
  学校用电线路有无安全隐患: '实验楼二楼走廊电线裸露',
};

describe('the monthly 大检查 as a round', () => {
  it('turns two failing items into routed hazards, counts the round once signed, and exports the register', async () => {
    const round = await walkMonthlyRound(FAILING);
    const found = await database.db
      .select()
      .from(hazards)
      .where(eq(hazards.tenantId, bot.tenantId))
      .orderBy(asc(hazards.id));
    expect(found.map((hazard) => [hazard.code, hazard.origin, hazard.description])).toEqual([
      ['YH-JSZX-2026-0001', 'inspection', '消防通道是否畅通：教学楼东侧消防通道堆放课桌椅'],
      ['YH-JSZX-2026-0002', 'inspection', '学校用电线路有无安全隐患：实验楼二楼走廊电线裸露'],
    ]);
    // Routed by the category table as any report: 消防通道 → 安保处, 线路 → 总务处 (002 §三(三)2).
    const links = await database.db.select().from(roundResults).where(eq(roundResults.roundId, round.id));
    expect(links).toHaveLength(16);
    expect(links.filter((row) => row.hazardId !== null)).toHaveLength(2);
    const anbao = await bot.inbox(await bot.personId('yinxianju'));
    const zongwu = await bot.inbox(await bot.personId('huangchun'));
    expect(anbao.some((line) => line.includes('YH-JSZX-2026-0001') && line.includes('受理'))).toBe(true);
    expect(zongwu.some((line) => line.includes('YH-JSZX-2026-0002') && line.includes('受理'))).toBe(true);

    // Signed: the school-scope 大检查 obligation's holder (办公室主任) gets the record, scope 全校.
    const signed = await bot.say('zhouyinyin', '检查签字');
    expect(signed).toContain('JC-JSZX-2026-0001 已签字');
    expect((await theRound()).status).toBe('signed');
    const records = await database.db
      .select({ personId: completions.personId, scope: completions.scope, kind: completions.kind })
      .from(completions);
    expect(records).toEqual([
      { personId: await bot.personId('zhouyinyin'), scope: 'school', kind: 'inspection' },
    ]);
    const audit = await database.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.subject, `round:${round.id}`));
    expect(audit.map((row) => row.action)).toEqual(['round.start', 'round.sign']);

    // The register of the round: one row per item, the cells as the 排查登记表 asks.
    const file = await writeRegisterXlsx(database.db, bot.tenantId, { roundId: round.id }, NOW);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.bytes as never);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(2).values).toEqual([undefined, ...REGISTER_COLUMNS]);
    const rows: string[][] = [];
    sheet.eachRow((row, number) => {
      if (number > 2) rows.push((row.values as unknown[]).slice(1).map((value) => String(value ?? '')));
    });
    const fire = rows.find((row) => row[3] === '消防通道是否畅通')!;
    expect(fire).toEqual([
      '2026-11-20',
      '周尹尹',
      '全校',
      '消防通道是否畅通',
      '不合格',
      '教学楼东侧消防通道堆放课桌椅',
      'YH-JSZX-2026-0001',
      '已上报',
    ]);
    expect(rows.find((row) => row[3] === '教室门窗是否及时开关')!.slice(4)).toEqual(['合格', '', '', '']);
    expect(rows.filter((row) => row[0] === '2026-11-20')).toHaveLength(16);
    // The printable page has the same cells.
    const html = await registerHtml(database.db, bot.tenantId, { roundId: round.id }, NOW);
    expect(html).toContain('<td>YH-JSZX-2026-0002</td>');
    expect(html).toContain('学校安全隐患排查登记表');

    // The 隐患台账 names where each came from: 隐患来源 检查 and the round (检查轮次).
    const ledger = await ledgerExportRows(
      database.db,
      bot.tenantId,
      parseExportPeriod('2026-11-01', '2026-11-30', 'Asia/Shanghai'),
      NOW,
    );
    expect(ledger.map((row) => [row.code, row.origin, row.round])).toEqual([
      ['YH-JSZX-2026-0001', '检查', `JC-JSZX-2026-0001 ${LIST}`],
      ['YH-JSZX-2026-0002', '检查', `JC-JSZX-2026-0001 ${LIST}`],
    ]);

    // Targets: 九无(3) 无违规使用电器 carries the open 线路 hazard; 八杜绝(1) 火灾 the 消防通道 one.
    const span = yearSpan(2026, 'Asia/Shanghai');
    const school = await targetStatus(database.db, bot.tenantId, { span });
    const jiuwu = school.find((group) => group.name === '九无')!;
    const dianqi = jiuwu.items.find((item) => item.code === 'dian-qi')!;
    expect(dianqi.openHazards).toBe(1);
    expect(dianqi.status).toBe('unmet');
    expect(dianqi.line).toContain('1 项隐患未整改');
    const huozai = school.find((group) => group.name === '八杜绝')!.items.find((i) => i.code === 'huo-zai')!;
    expect(huozai.openHazards).toBe(1);

    // The accident register feeds 八杜绝: a drowning of 2026 that 德育处 is responsible for breaks
    // 八杜绝(7) for the school and 德育处, not for 总务处; one of 23:00 on 2025-12-31 (Shanghai) counts for 2025.
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, bot.tenantId));
    const [deyu] = await database.db
      .select()
      .from(units)
      .where(and(eq(units.tenantId, bot.tenantId), eq(units.name, '德育处')));
    const [general] = await database.db
      .select()
      .from(units)
      .where(and(eq(units.tenantId, bot.tenantId), eq(units.name, '总务处')));
    const drowning = (occurredAt: string) =>
      accidentInput({
        kind: 'drowning',
        occurredAt: new Date(occurredAt),
        place: '校外河塘',
        summary: '学生周末私自下河游泳溺水，经抢救无效',
        deaths: 1,
        unitIds: [deyu!.id],
      });
    const meta = { by: '安全办公室', at: NOW, accountId: null };
    await registerAccident(database.db, tenant!, drowning('2026-07-12T06:00:00Z'), meta);
    await registerAccident(database.db, tenant!, drowning('2025-12-31T15:00:00Z'), meta);
    const nishuiOf = async (unitId?: number) =>
      (await targetStatus(database.db, bot.tenantId, { span, ...(unitId ? { unitId } : {}) }))
        .find((g) => g.name === '八杜绝')!
        .items.find((i) => i.code === 'ni-shui')!;
    expect(await nishuiOf()).toMatchObject({ accidents: 1, status: 'unmet' });
    expect((await nishuiOf()).line).toBe('杜绝学生溺水事故 — 发生事故 1 起');
    expect(await nishuiOf(deyu!.id)).toMatchObject({ accidents: 1, status: 'unmet' });
    expect(await nishuiOf(general!.id)).toMatchObject({ accidents: 0, status: 'unassessed' });
    const lastYear = await targetStatus(database.db, bot.tenantId, { span: yearSpan(2025, 'Asia/Shanghai') });
    expect(
      lastYear.find((g) => g.name === '八杜绝')!.items.find((i) => i.code === 'ni-shui')!.accidents,
    ).toBe(1);
  });

  it('starts a round by the short form 检查 <清单名>, and leaves any other 检查… text alone', async () => {
    expect(await bot.say('zhouyinyin', '检查 三楼东侧灭火器过期')).not.toContain('已开始检查');
    expect(await database.db.select().from(inspectionRounds)).toHaveLength(0);
    expect(await bot.say('zhouyinyin', `检查 ${LIST} 区域：北楼`)).toContain('已开始检查');
    expect(await theRound()).toMatchObject({ scope: 'school', area: '北楼' });
  });

  it('refuses a school-wide round to a member, and a unit head runs their own unit only', async () => {
    expect(await bot.say('chenjing', `开始检查 ${LIST}`)).toContain('检查由安全办公室');
    expect(await bot.say('huangchun', '开始检查 消防安全专项检查')).toContain('安保处');
    // The head of 总务处 walks the big list as their own unit's check.
    expect(await bot.say('huangchun', `开始检查 ${LIST}`)).toContain('总务处');
    expect((await theRound()).scope).toBe('unit');
    expect(await bot.say('huangchun', '检查签字')).toContain('还有 16 项未检查');
  });
});

describe('a failing item without a form field', () => {
  it("takes the next text as its 问题描述 and the photos after it as the hazard's", async () => {
    await bot.say('zhouyinyin', `开始检查 ${LIST}`);
    const round = await theRound();
    const [wall] = await itemsOfList('yue-da-jian-cha');
    await bot.press('zhouyinyin', 'round.result', {
      round: String(round.id),
      item: String(wall!.id),
      result: 'fail',
    });
    const said = await bot.say('zhouyinyin', '北侧围墙有约两米长的裂缝');
    expect(said).toContain('已将问题描述记入 YH-JSZX-2026-0001');
    const [hazard] = await database.db.select().from(hazards);
    expect(hazard!.description).toBe('学校围墙及重点基础设施安全隐患和警示标志：北侧围墙有约两米长的裂缝');
    expect(hazard!.place).toBe('校舍');
    const [result] = await database.db.select().from(roundResults);
    expect(result!.note).toBe('北侧围墙有约两米长的裂缝');
    const photo = await bot.say('zhouyinyin', '', { attachments: [{ kind: 'image', key: 'img_wall' }] });
    expect(photo).toContain('已将 1 张照片附到隐患 YH-JSZX-2026-0001');
    const photos = await database.db.select().from(hazardPhotos);
    expect(photos.map((row) => [row.hazardId, row.fileKey])).toEqual([[hazard!.id, 'img_wall']]);
    // A second text is not a note any more: the bot answers it as any text.
    expect(await bot.say('zhouyinyin', '北侧围墙有约两米长的裂缝')).not.toContain('已将问题描述');
  });
});

describe('checklists in the organization file', () => {
  it('imports the example lists with their sources, and re-import archives a dropped item', async () => {
    const monthly = await itemsOfList('yue-da-jian-cha');
    expect(monthly).toHaveLength(16);
    expect(monthly[5]).toMatchObject({ text: '消防通道是否畅通', source: '002 §四(四)3' });
    const jiuwu = await itemsOfList('jiu-wu');
    expect(jiuwu.map((item) => item.source)).toContain('004 §二(二) 九无(3)');
    const org = loadOrgFile(exampleFile('school.yaml'));
    const list = org.checklists.find((candidate) => candidate.code === 'yue-da-jian-cha')!;
    list.items = list.items.slice(1);
    await importOrganization(database.db, org, NOW);
    const after = await database.db
      .select({ text: checklistItems.text, archived: checklistItems.archived })
      .from(checklistItems)
      .where(eq(checklistItems.id, monthly[0]!.id));
    expect(after).toEqual([{ text: monthly[0]!.text, archived: true }]);
    expect(await itemsOfList('yue-da-jian-cha')).toHaveLength(15);
  });

  it('refuses a bad checklist with its path and reason', () => {
    const source = readExample().replace('target: jiu-wu/dian-qi }', 'target: jiu-wu/no-such }');
    expect(() => parseOrgFile('school.yaml', source)).toThrow(OrgFileError);
    expect(() => parseOrgFile('school.yaml', source)).toThrow(
      /checklists\[\d+\]\.items\[\d+\]\.target: checklist "jiu-wu" has no item/,
    );
    const noSource = readExample().replace(
      '{ text: 教室门窗是否及时开关, area: 教学楼, source: 002 §四(四)1 }',
      '{ text: 教室门窗是否及时开关 }',
    );
    expect(() => parseOrgFile('school.yaml', noSource)).toThrow(/checklists\[3\]\.items\[1\]\.source/);
    // An accident kind only on a target item, and only a kind the register knows.
    const onInspection = readExample().replace(
      '{ text: 教室门窗是否及时开关, area: 教学楼, source: 002 §四(四)1 }',
      '{ text: 教室门窗是否及时开关, area: 教学楼, source: 002 §四(四)1, accident: 火灾 }',
    );
    expect(() => parseOrgFile('school.yaml', onInspection)).toThrow(
      /checklists\[3\]\.items\[1\]\.accident: only an item of a target list/,
    );
    const unknownKind = readExample().replace('accident: 溺水 }', 'accident: 落水 }');
    expect(() => parseOrgFile('school.yaml', unknownKind)).toThrow(
      /checklists\[2\]\.items\[6\]\.accident: must be one of 火灾、垮塌/,
    );
  });
});

import { readFileSync } from 'node:fs';

const readExample = () => readFileSync(exampleFile('school.yaml'), 'utf8');
