// The hazard ledger export (隐患排查整改台账, 002 §四(四)5): hazards made through the real handlers on a
// PGlite database with the example school, exported and read back cell by cell. The CLI
// (`npm run ledger:export`) is in tools-ledger.test.ts.
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Core, createCore } from '../bot/core/core.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Attachment } from '../bot/core/types.ts';
import type { Database } from '../db/client.ts';
import type { Person } from '../db/queries/org.ts';
import { shiftLogRows } from '../db/queries/shifts.ts';
import {
  hazardEvents,
  hazards,
  inboundEvents,
  outbox,
  people,
  shiftAssignees,
  shiftLogs,
  shifts,
  tenants,
} from '../db/schema.ts';
import { createRouter } from '../handlers/index.ts';
import {
  BOM,
  ExportPeriodError,
  LEDGER_HEADER,
  ledgerCells,
  parseExportPeriod,
  periodDates,
  SHIFT_HEADER,
  streamLedgerCsv,
  writeLedgerCsv,
  writeLedgerXlsx,
} from '../handlers/ledger-export.ts';
import {
  isOverdue,
  type LedgerExportRow,
  ledgerExportPages,
  ledgerExportRows,
} from '../handlers/ledger-rows.ts';
import { formatDateTime, zonedFormatter } from '../handlers/time.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';

const ZONE = 'Asia/Shanghai';
/** A Shanghai wall-clock time. */
const at = (local: string) => new Date(`${local}+08:00`);
const NOW = at('2026-04-20T10:00:00');

let database: Database;
let core: Core;
let clock = NOW;
let tenantId: number;
const person = new Map<string, Person>();
let rows: LedgerExportRow[];
const period = parseExportPeriod('2026-03-01', '2026-03-31', ZONE);

let sequence = 0;
/** A console message from a member of the school at a given time; fails the test if the bot refuses. */
async function say(name: string, text: string, time: string, attachments: Attachment[] = []) {
  const sender = person.get(name)!;
  clock = at(time);
  const eventKey = `ledger-${++sequence}`;
  await core.handle({
    type: 'message',
    channel: 'console',
    eventKey,
    sender: { ids: [{ kind: 'person', value: String(sender.id) }], name },
    chat: { id: `console-${sender.id}`, type: 'p2p' },
    at: clock,
    platformTenant: String(tenantId),
    messageId: `message-${sequence}`,
    text,
    mentionedBot: false,
    mentions: [],
    attachments,
  });
  const [seen] = await database.db.select().from(inboundEvents).where(eq(inboundEvents.eventKey, eventKey));
  if (seen?.status !== 'done') {
    const answers = await database.db.select({ body: outbox.body }).from(outbox);
    throw new Error(`“${text}” was ${seen?.status}: ${JSON.stringify(answers.at(-1)?.body)}`);
  }
}

const image = (key: string): Attachment => ({ kind: 'image', key });

beforeAll(async () => {
  database = await openTestDatabase();
  await seedExample(database);
  const [tenant] = await database.db.select().from(tenants);
  tenantId = tenant!.id;
  for (const row of await database.db.select().from(people)) person.set(row.name, row);
  core = createCore({
    db: database.db,
    router: createRouter(),
    channels: new Set(['console']),
    log: silentLogger,
    clock: () => clock,
  });

  // Before the period (Shanghai time; still February 28 in UTC too).
  await say('陈静', '报隐患 操场跑道破损，一般', '2026-02-28T23:50:00'); // YH-2026-0001
  // Report → accept → submit → pass, with photos.
  await say('陈静', '报隐患 教学楼三楼东侧灭火器过期，一般', '2026-03-02T09:15:00', [image('img-1')]); // 0002
  await say('陈静', '', '2026-03-02T09:17:00', [image('img-2')]);
  await say('尹仙菊', '受理 YH-2026-0002', '2026-03-02T10:00:00');
  await say('尹仙菊', '整改完成 YH-2026-0002 已更换灭火器', '2026-03-03T14:30:00');
  await say('周尹尹', '复查不通过 YH-2026-0002 未张贴检查卡', '2026-03-03T16:00:00');
  await say('尹仙菊', '整改完成 YH-2026-0002 已更换灭火器并张贴检查卡 资金 1,250.5', '2026-03-03T17:00:00');
  await say('周尹尹', '复查通过 YH-2026-0002 整改到位', '2026-03-04T09:00:00');
  // Rejected by the office.
  await say('李国强', '报隐患 校门口有陌生人徘徊', '2026-03-05T08:40:00'); // 0003
  await say('周尹尹', '驳回 YH-2026-0003 经核实为学生家长，非隐患', '2026-03-05T09:10:00');
  // Accepted, extended, and still open after the new deadline.
  await say('张丽', '报隐患 食堂后门水管漏水 较大', '2026-03-06T10:00:00'); // 0004
  await say('黄春', '受理 YH-2026-0004 措施 关闭食堂后门总阀，地面放置防滑警示牌', '2026-03-06T11:00:00');
  await say('黄春', '申请延期 YH-2026-0004 5天 等待配件', '2026-03-25T16:00:00');
  await say('薛建平', '批准延期 YH-2026-0004', '2026-03-26T09:00:00');
  // Listed for supervision by the principal.
  await say('林晨杰', '报隐患 围墙东侧出现裂缝', '2026-03-10T09:00:00'); // 0005
  await say('王晓芳', '挂牌督办 YH-2026-0005 围墙加固需外部施工 截止 2026-06-30', '2026-03-10T15:00:00');
  // The last evening of the period is in it; the first minutes of April are not.
  await say('赵明', '报隐患 实验室浓硫酸未专柜存放', '2026-03-31T23:30:00'); // 0006
  await say('赵明', '报隐患 实验室酒精灯缺少灭火毯', '2026-04-01T00:10:00'); // 0007

  // An outside reporter's text with a comma, quotes and a line break, and an event of an action the
  // ledger does not know; written directly, as a channel adapter could not type a line break here.
  const [outsider] = await database.db
    .insert(people)
    .values({ tenantId, code: 'outside-wechaty-id-wx1', name: '路人甲', isOutside: true })
    .returning();
  const [raw] = await database.db
    .insert(hazards)
    .values({
      tenantId,
      code: 'YH-JSZX-2026-0008',
      description: 'A栋楼顶,"广告牌"松动\n风大时晃动',
      reporterId: outsider!.id,
      // 隐患来源 as another path records it (督查); the ledger shows its label.
      origin: 'supervision',
      sourceChannel: 'wechaty',
      createdAt: at('2026-03-12T12:00:00'),
      updatedAt: at('2026-03-12T12:00:00'),
    })
    .returning();
  await database.db.insert(hazardEvents).values([
    {
      tenantId,
      hazardId: raw!.id,
      actorId: outsider!.id,
      action: 'report',
      toStatus: 'reported',
      note: '未识别类别，\n转安全办公室',
      at: at('2026-03-12T12:00:00'),
    },
    { tenantId, hazardId: raw!.id, action: 'escalate', at: at('2026-03-13T08:00:00') },
  ]);

  rows = await ledgerExportRows(database.db, tenantId, period, NOW);
}, 60_000);

afterAll(async () => {
  await database?.close();
});

const meta = () => ({
  tenantName: '昆山市花桥集善中学',
  from: period.from,
  to: period.to,
  generatedAt: NOW,
  timeZone: ZONE,
});

/** The texts of a sheet row, columns 1..29, '' for empty cells. */
const texts = (sheet: ExcelJS.Worksheet, row: number) =>
  Array.from({ length: LEDGER_HEADER.length }, (_, index) => {
    const value = sheet.getRow(row).getCell(index + 1).value;
    return value === null || value === undefined ? '' : value;
  });

const CLOSED_TRAIL = [
  '2026-03-02 09:15 陈静 上报 → 已上报；按“灭火器”归类',
  '2026-03-02 10:00 尹仙菊 受理 → 已受理；整改期限 2026-03-11 23:59',
  '2026-03-03 14:30 尹仙菊 提交整改 → 待复查；已更换灭火器',
  '2026-03-03 16:00 周尹尹 复查不通过 → 整改中；未张贴检查卡',
  '2026-03-03 17:00 尹仙菊 提交整改 → 待复查；已更换灭火器并张贴检查卡；整改资金 1,250.50 元',
  '2026-03-04 09:00 周尹尹 复查通过 → 已销号；整改到位',
].join('\n');

describe('the ledger of a period', () => {
  it('has every hazard reported in [from, to) in the tenant zone, in order of reporting', () => {
    expect(rows.map((row) => row.code)).toEqual([
      'YH-JSZX-2026-0002',
      'YH-JSZX-2026-0003',
      'YH-JSZX-2026-0004',
      'YH-JSZX-2026-0005',
      'YH-JSZX-2026-0008',
      'YH-JSZX-2026-0006',
    ]);
    expect(period).toEqual({ from: new Date('2026-02-28T16:00:00Z'), to: new Date('2026-03-31T16:00:00Z') });
  });

  it('pages through long periods in the same order', async () => {
    const pages: string[][] = [];
    for await (const page of ledgerExportPages(database.db, tenantId, period, NOW, { pageSize: 4 })) {
      pages.push(page.map((row) => row.code));
    }
    expect(pages.map((page) => page.length)).toEqual([4, 2]);
    expect(pages.flat()).toEqual(rows.map((row) => row.code));
  });

  it('writes the XLSX: title, header, and full rows read back cell by cell', async () => {
    const buffer = await writeLedgerXlsx(rows, meta());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('隐患台账')!;
    expect(sheet).toBeDefined();

    expect(sheet.getCell('A1').value).toBe('昆山市花桥集善中学 隐患排查整改台账（2026-03-01 至 2026-03-31）');
    expect(sheet.getCell('AF1').isMerged).toBe(true);
    expect(texts(sheet, 2)).toEqual([
      '序号',
      '隐患编号',
      '上报时间',
      '上报人',
      '隐患来源',
      '检查轮次',
      '地点',
      '隐患描述',
      '类别',
      '严重程度',
      '责任处室',
      '状态',
      '受理人',
      '受理时间',
      '整改责任人',
      '整改期限',
      '是否超期',
      '临时管控措施',
      '整改措施',
      '整改资金（元）',
      '整改完成时间',
      '复查人',
      '复查时间',
      '复查意见',
      '销号时间',
      '驳回原因',
      '挂牌督办',
      '延期记录',
      '照片数',
      '处理过程',
    ]);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(sheet.getColumn(8).width).toBe(40);
    expect(sheet.getCell('AD3').alignment?.wrapText).toBe(true);

    // report → accept → submit → pass, by the handlers, at fixed times in Asia/Shanghai.
    expect(texts(sheet, 3)).toEqual([
      1,
      'YH-JSZX-2026-0002',
      '2026-03-02 09:15',
      '陈静',
      '上报',
      '',
      '教学楼三楼东侧',
      '教学楼三楼东侧灭火器过期',
      '学校内部安全（水电气、消防及设施设备）',
      '一般',
      '安保处',
      '已销号',
      '尹仙菊',
      '2026-03-02 10:00',
      '尹仙菊',
      '2026-03-11 23:59',
      '否',
      '',
      '已更换灭火器并张贴检查卡',
      1250.5,
      '2026-03-03 17:00',
      '周尹尹',
      '2026-03-04 09:00',
      '2026-03-03 不通过：未张贴检查卡\n2026-03-04 通过：整改到位',
      '2026-03-04 09:00',
      '',
      '',
      '',
      2,
      CLOSED_TRAIL,
    ]);

    // Rejected: the reason, no deadline, not overdue; severity never given.
    const rejected = texts(sheet, 4);
    expect(rejected.slice(1, 4)).toEqual(['YH-JSZX-2026-0003', '2026-03-05 08:40', '李国强']);
    expect(rejected[9]).toBe('未注明');
    expect(rejected[10]).toBe('安保处');
    expect(rejected[11]).toBe('已驳回');
    expect(rejected[15]).toBe('');
    expect(rejected[16]).toBe('否');
    expect(rejected[25]).toBe('经核实为学生家长，非隐患');
    expect(rejected[29]).toBe(
      '2026-03-05 08:40 李国强 上报 → 已上报；按“校门、陌生人、校门口”归类\n' +
        '2026-03-05 09:10 周尹尹 驳回 → 已驳回；经核实为学生家长，非隐患',
    );

    // Open past its extended deadline at `now`: overdue, with the extension approved.
    const overdue = texts(sheet, 5);
    expect(overdue.slice(1, 4)).toEqual(['YH-JSZX-2026-0004', '2026-03-06 10:00', '张丽']);
    // 临时管控措施 given on accepting the 较大 hazard: in its own column and in the trail.
    expect(overdue.slice(9, 18)).toEqual([
      '较大',
      '总务处',
      '已受理',
      '黄春',
      '2026-03-06 11:00',
      '黄春',
      '2026-04-03 23:59',
      '是',
      '关闭食堂后门总阀，地面放置防滑警示牌',
    ]);
    expect(overdue[27]).toBe('2026-03-25 申请延期5天（等待配件）已批准');
    expect(String(overdue[29]).split('\n')).toEqual([
      '2026-03-06 10:00 张丽 上报 → 已上报；按“漏水、水管”归类',
      '2026-03-06 11:00 黄春 受理 → 已受理；整改期限 2026-03-27 23:59；临时管控措施：关闭食堂后门总阀，地面放置防滑警示牌',
      '2026-03-25 16:00 黄春 申请延期；申请延期 5 天：等待配件',
      '2026-03-26 09:00 薛建平 审批延期；批准延期至 2026-04-03 23:59',
    ]);

    // Listed for supervision: matter, unit, deadline.
    const listed = texts(sheet, 6);
    expect(listed[1]).toBe('YH-JSZX-2026-0005');
    expect(listed[11]).toBe('已上报');
    expect(listed[26]).toBe('围墙加固需外部施工；督办处室：总务处；期限：2026-06-30 23:59；督办人：王晓芳');
    expect(String(listed[29]).split('\n')[1]).toBe(
      '2026-03-10 15:00 王晓芳 挂牌督办；围墙加固需外部施工，期限 2026-06-30 23:59',
    );

    // The outside reporter, a line break kept in the description, one line per event in the trail.
    const outside = texts(sheet, 7);
    expect(outside.slice(1, 8)).toEqual([
      'YH-JSZX-2026-0008',
      '2026-03-12 12:00',
      '路人甲（外部人员）',
      '督查',
      '',
      '',
      'A栋楼顶,"广告牌"松动\n风大时晃动',
    ]);
    expect(outside[29]).toBe(
      '2026-03-12 12:00 路人甲（外部人员） 上报 → 已上报；未识别类别， 转安全办公室\n2026-03-13 08:00 系统 escalate',
    );

    expect(texts(sheet, 8)[1]).toBe('YH-JSZX-2026-0006');
    expect(texts(sheet, 8)[2]).toBe('2026-03-31 23:30');
    expect(sheet.getCell('A9').value).toBeNull();
    expect(sheet.getCell('A10').value).toBe('生成时间：2026-04-20 10:00（Asia/Shanghai）；共 6 条隐患');
    expect(sheet.rowCount).toBe(10);
  });

  it('adds the duty log (值班日志) of the period as a second sheet', async () => {
    const guard = person.get('李国强')!;
    const leader = person.get('王晓芳')!;
    const [shift] = await database.db
      .insert(shifts)
      .values({
        tenantId,
        date: '2026-03-10',
        name: '夜班',
        startsAt: at('2026-03-10T20:00:00'),
        endsAt: at('2026-03-11T08:00:00'),
        place: '校门',
        leaderId: leader.id,
        handoverNote: '一切正常',
        handoverById: guard.id,
        handoverAt: at('2026-03-11T08:05:00'),
      })
      .returning();
    await database.db
      .insert(shiftAssignees)
      .values({ shiftId: shift!.id, personId: guard.id, confirmedAt: at('2026-03-10T19:50:00') });
    await database.db.insert(shiftLogs).values({
      tenantId,
      shiftId: shift!.id,
      personId: guard.id,
      text: '22:30 巡查教学楼，门窗已关',
      at: at('2026-03-10T22:31:00'),
    });
    const logs = await shiftLogRows(database.db, tenantId, periodDates(period, ZONE));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(
      (await writeLedgerXlsx(rows, { ...meta(), shifts: logs })) as unknown as ArrayBuffer,
    );
    const sheet = workbook.getWorksheet('值班日志')!;
    expect(texts(sheet, 1).slice(0, 8)).toEqual([...SHIFT_HEADER]);
    expect(texts(sheet, 2).slice(0, 8)).toEqual([
      '2026-03-10',
      '夜班',
      '2026-03-10 20:00 至 2026-03-11 08:00',
      '校门',
      '李国强（19:50 到岗）',
      '王晓芳',
      '2026-03-10 22:31 李国强 22:30 巡查教学楼，门窗已关',
      '李国强 2026-03-11 08:05：一切正常',
    ]);
  });

  it('writes the CSV with a BOM, the same header and RFC 4180 quoting', () => {
    const csv = writeLedgerCsv(rows, meta());
    expect(csv.startsWith(BOM)).toBe(true);
    const records = parseCsv(csv.slice(BOM.length));
    expect(records[0]).toEqual([...LEDGER_HEADER]);
    expect(records).toHaveLength(rows.length + 1);
    expect(records[1]).toEqual(ledgerCells(rows[0]!, 1).map(String));
    expect(records[1]![29]).toBe(CLOSED_TRAIL);
    expect(csv).toContain(',"A栋楼顶,""广告牌""松动\n风大时晃动",');
    expect(records[5]![7]).toBe('A栋楼顶,"广告牌"松动\n风大时晃动');
    expect(csv.split('\r\n')[0]).toBe(`${BOM}${LEDGER_HEADER.join(',')}`);
  });

  it('streams the same CSV page by page', async () => {
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    const pages = ledgerExportPages(database.db, tenantId, period, NOW, { pageSize: 4 });
    expect(await streamLedgerCsv(pages, output)).toBe(rows.length);
    output.end();
    await finished(output);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(writeLedgerCsv(rows, meta()));
  });

  it('disarms text that a spreadsheet would run as a formula', () => {
    const row = { ...rows[0]!, description: '=HYPERLINK("http://x","点我")' };
    const records = parseCsv(writeLedgerCsv([row]).slice(BOM.length));
    expect(records[1]![7]).toBe(`'=HYPERLINK("http://x","点我")`);
  });
});

describe('整改资金 and 复查意见 as written in chat', () => {
  it('refuses an amount that is not one, and changes nothing', async () => {
    clock = at('2026-03-27T10:00:00');
    const before = (
      await database.db.select().from(hazards).where(eq(hazards.code, 'YH-JSZX-2026-0004'))
    )[0]!;
    const eventKey = `ledger-${++sequence}`;
    const sender = person.get('黄春')!;
    await core.handle({
      type: 'message',
      channel: 'console',
      eventKey,
      sender: { ids: [{ kind: 'person', value: String(sender.id) }], name: '黄春' },
      chat: { id: `console-${sender.id}`, type: 'p2p' },
      at: clock,
      platformTenant: String(tenantId),
      messageId: `message-${sequence}`,
      text: '整改完成 YH-2026-0004 已更换水管 资金 三千元',
      mentionedBot: false,
      mentions: [],
      attachments: [],
    });
    const answers = await database.db.select({ body: outbox.body }).from(outbox);
    expect(JSON.stringify(answers.at(-1)?.body)).toContain('整改资金“三千元”不是有效金额');
    const after = (await database.db.select().from(hazards).where(eq(hazards.code, 'YH-JSZX-2026-0004')))[0]!;
    expect(after).toEqual(before);
  });
});

describe('the rules of the columns', () => {
  it('counts a hazard closed after its deadline as overdue, and a rejected one never', () => {
    const deadline = at('2026-03-11T23:59:59');
    expect(isOverdue({ status: 'closed', deadline, closedAt: at('2026-03-12T09:00:00') }, NOW)).toBe(true);
    expect(isOverdue({ status: 'closed', deadline, closedAt: at('2026-03-10T09:00:00') }, NOW)).toBe(false);
    expect(isOverdue({ status: 'rejected', deadline, closedAt: null }, NOW)).toBe(false);
    expect(isOverdue({ status: 'rectifying', deadline, closedAt: null }, at('2026-03-11T12:00:00'))).toBe(
      false,
    );
    expect(isOverdue({ status: 'pending_review', deadline, closedAt: null }, NOW)).toBe(true);
  });

  it('formats times exactly as formatDateTime does, across DST changes', () => {
    const transitions: Record<string, string[]> = {
      'Asia/Shanghai': [],
      'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
      'Europe/London': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
      // Half-hour DST: +11 → +10:30 and back.
      'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
    };
    for (const [zone, changes] of Object.entries(transitions)) {
      const time = zonedFormatter(zone);
      const instants: number[] = [];
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 7_633_000) instants.push(ms);
      for (const change of changes) {
        for (let minute = -40; minute <= 40; minute += 1)
          instants.push(Date.parse(change) + minute * 60_000 + 7_000);
      }
      for (const ms of instants) {
        const date = new Date(ms);
        const expected = formatDateTime(date, zone);
        if (time.dateTime(date) !== expected)
          expect(time.dateTime(date), `${zone} ${date.toISOString()}`).toBe(expected);
        if (time.date(date) !== expected.slice(0, 10)) expect(time.date(date)).toBe(expected.slice(0, 10));
      }
    }
  });

  it('reads the period as whole local days, and says what is wrong with it', () => {
    expect(parseExportPeriod('2026-03-01', '2026-03-01', 'America/New_York')).toEqual({
      from: new Date('2026-03-01T05:00:00Z'),
      to: new Date('2026-03-02T05:00:00Z'),
    });
    // The DST day is 23 hours long.
    expect(parseExportPeriod('2026-03-08', '2026-03-08', 'America/New_York').to).toEqual(
      new Date('2026-03-09T04:00:00Z'),
    );
    expect(() => parseExportPeriod('2026-02-30', '2026-03-31', ZONE)).toThrow(ExportPeriodError);
    expect(() => parseExportPeriod('2026-02-30', '2026-03-31', ZONE)).toThrow(
      '开始日期“2026-02-30”不是有效日期',
    );
    expect(() => parseExportPeriod('2026-03-01', '31/03/2026', ZONE)).toThrow('结束日期“31/03/2026”');
    expect(() => parseExportPeriod('2026-03-31', '2026-03-01', ZONE)).toThrow(
      '结束日期 2026-03-01 早于开始日期 2026-03-31',
    );
  });
});

/** A minimal RFC 4180 reader, to check what the writer wrote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else field += char;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
