// The hazard ledger as a file for the superior bureau's inspections (DOMAIN §7; 002 §四(四)5:
// 隐患排查登记表 / 安全检查及隐患整改台帐): an XLSX sheet 隐患台账 or a CSV, one row per hazard with its trail.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { Queryable } from '../db/client.ts';
import { type ShiftLogRow, shiftLogRows } from '../db/queries/shifts.ts';
import { isIsoDate, isoDateIn, startOfDayIn } from './calendar.ts';
import { PHOTO_STAGES, type PhotoStage, THUMBNAIL_SOURCES } from './evidence-rules.ts';
import {
  type ExportPeriod,
  type LedgerExportRow,
  type LedgerPhoto,
  ledgerExportPages,
} from './ledger-rows.ts';
import type { ReadPhoto, ReadThumbnail } from './photo-text.ts';
import { formatDateTime } from './time.ts';

export interface LedgerExportMeta {
  tenantName: string;
  /** The period exported, [from, to): `to` is the start of the day after the last day. */
  from: Date;
  to: Date;
  generatedAt: Date;
  timeZone: string;
  /** The duty shifts of the period with their logs (值班日志): a second sheet of the XLSX. */
  shifts?: ShiftLogRow[];
}

export const SHEET_NAME = '隐患台账';
export const SHIFT_SHEET_NAME = '值班日志';
export const SHIFT_HEADER = [
  '日期',
  '班次',
  '时间',
  '地点',
  '值班人员（到岗确认）',
  '带班领导',
  '值班日志',
  '交班记录',
] as const;

/** The shift sheet: one row per shift, its people with their confirmation times, log lines and handover. */
function addShiftSheet(workbook: ExcelJS.Workbook, shifts: ShiftLogRow[], meta: LedgerExportMeta) {
  const at = (date: Date) => formatDateTime(date, meta.timeZone);
  const sheet = workbook.addWorksheet(SHIFT_SHEET_NAME, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [12, 10, 24, 14, 30, 10, 60, 40].map((width) => ({ width }));
  const header = sheet.addRow([...SHIFT_HEADER]);
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = BORDER;
  });
  header.commit();
  for (const shift of shifts) {
    const line = sheet.addRow([
      shift.date,
      shift.name,
      `${at(shift.startsAt)} 至 ${at(shift.endsAt)}`,
      shift.place ?? '',
      shift.people
        .map(
          (person) =>
            `${person.name}${person.confirmedAt ? `（${at(person.confirmedAt).slice(11)} 到岗）` : '（未确认）'}`,
        )
        .join('、'),
      shift.leader?.name ?? '',
      fitCell(shift.logs.map((log) => `${at(log.at)} ${log.personName ?? ''} ${log.text}`).join('\n')),
      shift.handover
        ? `${shift.handover.byName ?? ''} ${shift.handover.at ? at(shift.handover.at) : ''}：${shift.handover.note}`
        : '',
    ]);
    line.eachCell((cell) => {
      cell.alignment = WRAP;
      cell.border = BORDER;
    });
    line.commit();
  }
  sheet.commit?.();
}

interface Column {
  header: string;
  width: number;
  /** Long free text: wrapped. */
  wrap?: boolean;
  value: (row: LedgerExportRow) => string | number;
}

const COLUMNS: Column[] = [
  { header: '序号', width: 6, value: () => 0 },
  { header: '隐患编号', width: 14, value: (row) => row.code },
  { header: '上报时间', width: 17, value: (row) => row.reportedAt },
  { header: '上报人', width: 12, wrap: true, value: (row) => row.reporter },
  { header: '隐患来源', width: 9, value: (row) => row.origin },
  { header: '检查轮次', width: 16, wrap: true, value: (row) => row.round },
  { header: '地点', width: 16, wrap: true, value: (row) => row.place },
  { header: '隐患描述', width: 40, wrap: true, value: (row) => row.description },
  { header: '类别', width: 18, wrap: true, value: (row) => row.category },
  { header: '严重程度', width: 9, value: (row) => row.severity },
  { header: '责任处室', width: 10, value: (row) => row.unit },
  { header: '状态', width: 8, value: (row) => row.status },
  { header: '受理人', width: 9, value: (row) => row.acceptedBy },
  { header: '受理时间', width: 17, value: (row) => row.acceptedAt },
  { header: '整改责任人', width: 11, value: (row) => row.rectifier },
  { header: '整改期限', width: 17, value: (row) => row.deadline },
  { header: '是否超期', width: 9, value: (row) => row.overdue },
  { header: '临时管控措施', width: 24, wrap: true, value: (row) => row.interimMeasures },
  { header: '整改措施', width: 30, wrap: true, value: (row) => row.measures },
  { header: '整改资金（元）', width: 11, value: (row) => row.funds ?? '' },
  { header: '整改完成时间', width: 17, value: (row) => row.rectifiedAt },
  { header: '复查人', width: 9, value: (row) => row.reviewedBy },
  { header: '复查时间', width: 17, value: (row) => row.reviewedAt },
  { header: '复查意见', width: 28, wrap: true, value: (row) => row.review },
  { header: '销号时间', width: 17, value: (row) => row.closedAt },
  { header: '驳回原因', width: 20, wrap: true, value: (row) => row.rejectReason },
  { header: '挂牌督办', width: 28, wrap: true, value: (row) => row.listed },
  { header: '延期记录', width: 30, wrap: true, value: (row) => row.extensions },
  { header: '照片数', width: 7, value: (row) => row.photoCount },
  { header: '处理过程', width: 60, wrap: true, value: (row) => row.trail },
];

/** The header row, the same in the XLSX and the CSV. */
export const LEDGER_HEADER: readonly string[] = COLUMNS.map((column) => column.header);

/** The values of one data row in header order; `index` is the 1-based 序号. */
export function ledgerCells(row: LedgerExportRow, index: number): (string | number)[] {
  return COLUMNS.map((column, position) => (position === 0 ? index : column.value(row)));
}

/**
 * The XLSX's last two columns: the first stored photo of each stage (整改前, 整改后) as a thumbnail (the
 * CSV has no such columns).
 */
export const PHOTO_HEADERS: Record<PhotoStage, string> = { before: '整改前照片', after: '整改后照片' };
export const XLSX_HEADER: readonly string[] = [
  ...LEDGER_HEADER,
  ...PHOTO_STAGES.map((s) => PHOTO_HEADERS[s]),
];

/**
 * Thumbnails in the XLSX: the JPEG of a few KB made of each JPEG or PNG photo (handlers/thumbnail.ts; long
 * side 128 px, shown at `sizePx`), kept beside the stored file. A photo kept without one (before thumbnails
 * existed, and not yet caught up by jobs/thumbnail-catch-up.ts) gets its thumbnail made by the export, for
 * `makeMs` of each export (the next export finds it kept). A photo
 * with no thumbnail (a GIF; one not made yet; none at all on Cloudflare Workers) is embedded as stored when
 * at most `maxPhotoBytes`; past `maxTotalBytes` for the file nothing more is embedded. What is left out is
 * counted in the footer. exceljs's streaming writer places no images: a ledger of more than `maxRows`
 * hazards is streamed without thumbnails (the photo pack has every photo).
 */
export const THUMBNAILS = {
  sizePx: 64,
  maxRows: 2000,
  /** A photo embedded as stored (no thumbnail). */
  maxPhotoBytes: 2 * 2 ** 20,
  /** 2,000 rows of two thumbnails of ~4 KB are 16 MB; the rest is for photos embedded as stored. */
  maxTotalBytes: 25 * 2 ** 20,
  /** How long one export spends making the thumbnails it does not find kept. */
  makeMs: 20_000,
} as const;

/** The image types an XLSX embeds (exceljs: jpeg, png, gif). */
const EMBEDDABLE: Record<string, 'jpeg' | 'png' | 'gif'> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
};

/** The first and last day of the period, as the title shows them. */
function periodDays(meta: LedgerExportMeta) {
  return {
    first: isoDateIn(meta.from, meta.timeZone),
    last: isoDateIn(new Date(meta.to.getTime() - 1), meta.timeZone),
  };
}

/** `<tenant> 隐患排查整改台账（2026-01-01 至 2026-03-31）` */
export function ledgerTitle(meta: LedgerExportMeta): string {
  const { first, last } = periodDays(meta);
  return `${meta.tenantName} 隐患排查整改台账（${first} 至 ${last}）`;
}

export function ledgerFooter(meta: LedgerExportMeta, count: number): string {
  return `生成时间：${formatDateTime(meta.generatedAt, meta.timeZone)}（${meta.timeZone}）；共 ${count} 条隐患`;
}

// ---------------------------------------------------------------------------------------------------
// XLSX

/** Excel refuses longer cell texts (and the file would not open). */
const EXCEL_CELL_LIMIT = 32_767;
const TRUNCATED = '…（已截断）';
const fitCell = (value: string | number) =>
  typeof value === 'string' && value.length > EXCEL_CELL_LIMIT
    ? value.slice(0, EXCEL_CELL_LIMIT - TRUNCATED.length) + TRUNCATED
    : value;

const THIN = { style: 'thin' as const, color: { argb: 'FF999999' } };
const BORDER: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN };
const WRAP: Partial<ExcelJS.Alignment> = { vertical: 'top', wrapText: true };
const PLAIN: Partial<ExcelJS.Alignment> = { vertical: 'top' };
const CENTER: Partial<ExcelJS.Alignment> = { vertical: 'middle', horizontal: 'center', wrapText: true };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };
const LAST_COLUMN = COLUMNS.length;
/** The 1-based column of each stage's thumbnail. */
const PHOTO_COLUMNS: Record<PhotoStage, number> = { before: LAST_COLUMN + 1, after: LAST_COLUMN + 2 };
const WIDEST = LAST_COLUMN + PHOTO_STAGES.length;
const HEADER_ROW = 2;

/** How thumbnails are had: the readers of the tenant's stored photos (in-memory workbooks only). */
interface Thumbnails {
  tenantId: number;
  read: ReadPhoto;
  /** Kept thumbnails, made when missing until `makeUntil` (ms since the epoch); without it, photos as stored. */
  thumbnail?: ReadThumbnail;
  makeUntil?: number;
}

type LeftOut = 'type' | 'size' | 'missing' | 'undecodable' | 'long';

/** What a cell shows: the thumbnail, else the photo as stored; why neither, when it cannot. */
async function pictureOf(
  photo: LedgerPhoto,
  thumbnails: Thumbnails,
  budget: { bytes: number },
): Promise<
  { bytes: Uint8Array; extension: 'jpeg' | 'png' | 'gif'; size?: { width: number; height: number } } | LeftOut
> {
  if (thumbnails.thumbnail && THUMBNAIL_SOURCES.has(photo.contentType)) {
    const make = Date.now() < (thumbnails.makeUntil ?? 0);
    const found = await thumbnails.thumbnail(thumbnails.tenantId, photo.fileId, { make });
    if (found.kind === 'made') {
      if (budget.bytes + found.bytes.byteLength > THUMBNAILS.maxTotalBytes) return 'size';
      budget.bytes += found.bytes.byteLength;
      return { bytes: found.bytes, extension: 'jpeg', size: found };
    }
    if (found.kind === 'refused') return 'undecodable';
    if (found.kind === 'missing') return 'missing';
  }
  const extension = EMBEDDABLE[photo.contentType];
  if (!extension) return 'type';
  const file = await thumbnails.read(thumbnails.tenantId, photo.fileId);
  if (!file) return 'missing';
  if (
    file.bytes.byteLength > THUMBNAILS.maxPhotoBytes ||
    budget.bytes + file.bytes.byteLength > THUMBNAILS.maxTotalBytes
  ) {
    return 'size';
  }
  budget.bytes += file.bytes.byteLength;
  return { bytes: file.bytes, extension };
}

/** Places a photo's picture in its stage's cell of the row; why not, when it cannot. */
async function addThumbnail(
  workbook: ExcelJS.Workbook,
  sheet: ExcelJS.Worksheet,
  line: ExcelJS.Row,
  photo: LedgerPhoto,
  column: number,
  thumbnails: Thumbnails,
  budget: { bytes: number },
): Promise<LeftOut | undefined> {
  const picture = await pictureOf(photo, thumbnails, budget);
  if (typeof picture === 'string') return picture;
  // exceljs declares its own Buffer type; a Node Buffer is what it takes.
  const image = workbook.addImage({
    buffer: Buffer.from(picture.bytes) as unknown as ExcelJS.Buffer,
    extension: picture.extension,
  });
  const margin = 0.08;
  // A thumbnail in its proportions, its long side `sizePx`; a photo as stored (size unknown) in the square.
  const scale = picture.size ? THUMBNAILS.sizePx / Math.max(picture.size.width, picture.size.height) : 1;
  sheet.addImage(image, {
    tl: { col: column - 1 + margin, row: line.number - 1 + margin },
    ext: picture.size
      ? { width: picture.size.width * scale, height: picture.size.height * scale }
      : { width: THUMBNAILS.sizePx, height: THUMBNAILS.sizePx },
    editAs: 'oneCell',
  });
  // Points: the thumbnail's pixels at 96 dpi, and a margin.
  line.height = Math.max(line.height ?? 0, (THUMBNAILS.sizePx * 3) / 4 + 6);
  return undefined;
}

const LEFT_OUT: Record<LeftOut, string> = {
  type: '格式不能嵌入',
  size: '文件过大',
  missing: '文件未找到',
  undecodable: '无法生成缩略图（文件损坏或分辨率过高）',
  long: `台账超过 ${THUMBNAILS.maxRows} 条`,
};

/** Builds the sheet into a workbook (in memory, or a streaming writer that flushes committed rows). */
async function fillWorkbook(
  workbook: ExcelJS.Workbook,
  pages: AsyncIterable<LedgerExportRow[]> | Iterable<LedgerExportRow[]>,
  meta: LedgerExportMeta,
  /** The reader of thumbnails; `too-long` when the ledger is streamed for its length (none embedded). */
  thumbnails?: Thumbnails | 'too-long',
): Promise<{ sheet: ExcelJS.Worksheet; count: number }> {
  workbook.creator = '一岗双责安全助手';
  workbook.created = meta.generatedAt;
  workbook.title = ledgerTitle(meta);
  const sheet = workbook.addWorksheet(SHEET_NAME, {
    // Title and header stay in view; so do 序号 and 隐患编号 when scrolling right.
    views: [{ state: 'frozen', xSplit: 2, ySplit: HEADER_ROW, topLeftCell: 'C3', activeCell: 'C3' }],
    pageSetup: {
      paperSize: 9, // A4
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `1:${HEADER_ROW}`,
    },
  });
  sheet.columns = [...COLUMNS.map((column) => ({ width: column.width })), { width: 11 }, { width: 11 }];

  const title = sheet.addRow([ledgerTitle(meta)]);
  title.height = 28;
  title.getCell(1).font = { bold: true, size: 14 };
  title.getCell(1).alignment = { vertical: 'middle', horizontal: 'center' };
  sheet.mergeCells(1, 1, 1, WIDEST);
  title.commit();

  const header = sheet.addRow([...XLSX_HEADER]);
  header.height = 30;
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.alignment = CENTER;
    cell.fill = HEADER_FILL;
    cell.border = BORDER;
  });
  header.commit();

  let count = 0;
  const leftOut = new Map<keyof typeof LEFT_OUT, number>();
  const budget = { bytes: 0 };
  for await (const page of pages) {
    for (const row of page) {
      count += 1;
      const line = sheet.addRow(
        ledgerCells(row, count).map((value) => (value === '' ? null : fitCell(value))),
      );
      for (let position = 1; position <= WIDEST; position += 1) {
        const cell = line.getCell(position);
        cell.alignment = COLUMNS[position - 1]?.wrap ? WRAP : PLAIN;
        cell.border = BORDER;
      }
      for (const stage of PHOTO_STAGES) {
        const photo = row.photos[stage];
        if (!photo || !thumbnails) continue;
        const why =
          thumbnails === 'too-long'
            ? 'long'
            : await addThumbnail(workbook, sheet, line, photo, PHOTO_COLUMNS[stage], thumbnails, budget);
        if (why) leftOut.set(why, (leftOut.get(why) ?? 0) + 1);
      }
      line.commit();
    }
  }
  sheet.autoFilter = { from: { row: HEADER_ROW, column: 1 }, to: { row: HEADER_ROW, column: WIDEST } };

  sheet.addRow([]).commit();
  const notes = [ledgerFooter(meta, count)];
  if (leftOut.size > 0) {
    const reasons = [...leftOut].map(([why, n]) => `${LEFT_OUT[why]} ${n} 张`).join('，');
    notes.push(`照片缩略图未嵌入：${reasons}；全部照片请在管理后台下载照片包。`);
  }
  for (const text of notes) {
    const footer = sheet.addRow([text]);
    footer.getCell(1).font = { italic: true, color: { argb: 'FF666666' } };
    sheet.mergeCells(footer.number, 1, footer.number, WIDEST);
    footer.commit();
  }
  return { sheet, count };
}

/**
 * The ledger as an XLSX file in memory: sheet 隐患台账 with title, header, one row per hazard (its first
 * stored photo as a thumbnail when `thumbnails` reads them), footer.
 */
export async function writeLedgerXlsx(
  rows: LedgerExportRow[] | LedgerExportRow[][],
  meta: LedgerExportMeta,
  thumbnails?: Thumbnails,
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const pages =
    rows.length > 0 && Array.isArray(rows[0]) ? (rows as LedgerExportRow[][]) : [rows as LedgerExportRow[]];
  await fillWorkbook(workbook, pages, meta, thumbnails);
  if (meta.shifts) addShiftSheet(workbook, meta.shifts, meta);
  // exceljs declares its own Buffer type; in Node the value is a Node Buffer.
  return (await workbook.xlsx.writeBuffer()) as unknown as Buffer;
}

/**
 * The ledger as an XLSX file written while the pages are read, for long periods: committed rows leave
 * memory. Returns the number of hazards written.
 */
export async function streamLedgerXlsx(
  pages: AsyncIterable<LedgerExportRow[]>,
  meta: LedgerExportMeta,
  output: { filename: string } | { stream: Writable },
  /** Streamed for its length: rows with photos are counted as left without a thumbnail. */
  tooLong = false,
): Promise<number> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    ...output,
    useStyles: true,
    useSharedStrings: false,
  });
  const { sheet, count } = await fillWorkbook(workbook, pages, meta, tooLong ? 'too-long' : undefined);
  sheet.commit();
  if (meta.shifts) addShiftSheet(workbook as unknown as ExcelJS.Workbook, meta.shifts, meta);
  await workbook.commit();
  return count;
}

// ---------------------------------------------------------------------------------------------------
// CSV

/** Makes Excel read the file as UTF-8 (without it, Chinese text comes out garbled). */
export const BOM = '\uFEFF';
const CRLF = '\r\n';

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote or a line break, quotes doubled. Text that
 * a spreadsheet would take for a formula (=, +, -, @ first) gets a leading apostrophe: descriptions come
 * from anyone, including outside reporters, and the office opens the file in Excel.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvRecord = (values: readonly (string | number)[]) => values.map(csvField).join(',') + CRLF;

export const ledgerCsvHeader = (): string => BOM + csvRecord(LEDGER_HEADER);

/** The ledger as CSV: UTF-8 with BOM, the header row, one record per hazard, CRLF line ends. */
export function writeLedgerCsv(rows: LedgerExportRow[], _meta?: LedgerExportMeta): string {
  return ledgerCsvHeader() + rows.map((row, index) => csvRecord(ledgerCells(row, index + 1))).join('');
}

/** The ledger as CSV into a stream while the pages are read; returns the number of hazards written. */
export async function streamLedgerCsv(
  pages: AsyncIterable<LedgerExportRow[]>,
  output: Writable,
): Promise<number> {
  let count = 0;
  const write = async (chunk: string) => {
    if (!output.write(chunk)) await once(output, 'drain');
  };
  await write(ledgerCsvHeader());
  for await (const page of pages) {
    await write(page.map((row) => csvRecord(ledgerCells(row, ++count))).join(''));
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------
// The export, for the CLI (bot/cli/ledger-export.ts) and the web console (/console/ledger/export)

export type LedgerFormat = 'xlsx' | 'csv';

/**
 * Writes the ledger of a tenant's period into `output` while its pages are read (three years of a
 * district are 100,000 rows: memory stays flat): the XLSX with its shift sheet (值班日志), or the CSV.
 * The output is ended when the file is complete; a failure half-way rejects, and the caller discards
 * what was written. Returns the number of hazards written.
 */
export async function exportLedger(
  db: Queryable,
  tenant: { id: number; name: string; timezone: string },
  period: ExportPeriod,
  format: LedgerFormat,
  output: Writable,
  now: Date,
  options: { readPhoto?: ReadPhoto; readThumbnail?: ReadThumbnail } = {},
): Promise<number> {
  const pages = ledgerExportPages(db, tenant.id, period, now);
  if (format === 'csv') {
    const count = await streamLedgerCsv(pages, output);
    output.end();
    return count;
  }
  const meta: LedgerExportMeta = {
    tenantName: tenant.name,
    from: period.from,
    to: period.to,
    generatedAt: now,
    timeZone: tenant.timezone,
    shifts: await shiftLogRows(db, tenant.id, periodDates(period, tenant.timezone)),
  };
  // Up to THUMBNAILS.maxRows hazards the workbook is made in memory, with thumbnails; a longer ledger is
  // streamed on from the pages read so far.
  const iterator = pages[Symbol.asyncIterator]();
  const read: LedgerExportRow[][] = [];
  let rows = 0;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    read.push(next.value);
    rows += next.value.length;
    if (rows > THUMBNAILS.maxRows) {
      const rest = async function* () {
        yield* read;
        for (let more = await iterator.next(); !more.done; more = await iterator.next()) yield more.value;
      };
      return streamLedgerXlsx(rest(), meta, { stream: output }, true);
    }
  }
  const thumbnails = options.readPhoto
    ? {
        tenantId: tenant.id,
        read: options.readPhoto,
        thumbnail: options.readThumbnail,
        makeUntil: Date.now() + THUMBNAILS.makeMs,
      }
    : undefined;
  output.end(await writeLedgerXlsx(read, meta, thumbnails));
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// The period

export class ExportPeriodError extends Error {
  override name = 'ExportPeriodError';
}

const nextDay = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * `--from 2026-01-01 --to 2026-03-31` → [start of Jan 1, start of Apr 1) in the tenant's zone: `to` is
 * the last day included. Throws ExportPeriodError for a date that is not a real YYYY-MM-DD date, or a
 * `to` before `from`.
 */
export function parseExportPeriod(from: string, to: string, timeZone: string): ExportPeriod {
  const check = (value: string, what: string) => {
    if (!isIsoDate(value.trim()))
      throw new ExportPeriodError(`${what}“${value}”不是有效日期，应写成 YYYY-MM-DD，如 2026-03-31`);
    return value.trim();
  };
  const first = check(from, '开始日期');
  const last = check(to, '结束日期');
  if (last < first) throw new ExportPeriodError(`结束日期 ${last} 早于开始日期 ${first}`);
  // The period ends where the day after `to` starts; after 9999-12-31 there is no such YYYY-MM-DD day.
  const end = nextDay(last);
  if (!isIsoDate(end))
    throw new ExportPeriodError(`结束日期“${to}”超出范围，应写成 YYYY-MM-DD，如 2026-03-31`);
  return { from: startOfDayIn(first, timeZone), to: startOfDayIn(end, timeZone) };
}

/** The local dates (both included) of an export period, for the shift sheet. */
export function periodDates(period: ExportPeriod, timeZone: string): { from: string; to: string } {
  return {
    from: isoDateIn(period.from, timeZone),
    to: isoDateIn(new Date(period.to.getTime() - 1), timeZone),
  };
}
