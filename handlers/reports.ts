// Report spans, the XLSX files of the quarterly and year-end reports, and the 述职述安 draft text
// (DOMAIN §7). Everything here is written from the records the queries return: no invented facts.
import type ExcelJS from 'exceljs';
import type { Queryable } from '../db/client.ts';
import type { Span } from '../db/queries/reports.ts';
import { VETO_LABEL } from './accident-rules.ts';
import { isoDateIn, startOfDayIn } from './calendar.ts';

export { VETO_LABEL };

import { addDays, periodOf } from './periods.ts';
import { percent, type SpanReport, type Stats, spanReport, type UnitYearRow } from './report-stats.ts';
import { NO_RECORDS_LINE, statementText } from './statement.ts';
import { formatDateTime } from './time.ts';

const spanOf = (start: string, end: string, timeZone: string): Span => ({
  start,
  end,
  from: startOfDayIn(start, timeZone),
  to: startOfDayIn(addDays(end, 1), timeZone),
});

/**
 * Years a report can cover: every day of them, and the day after, is a YYYY-MM-DD date (years below 100
 * are not; after 9999-12-31 there is no such day).
 */
const coverable = (year: number) => year >= 1000 && year <= 9998;

/** `2026` → 2026; undefined when it is not four digits or not a year a report can cover. */
export function reportYear(value: string): number | undefined {
  if (!/^\d{4}$/.test(value)) return undefined;
  const year = Number(value);
  return coverable(year) ? year : undefined;
}

/** `2026-Q4` → its span and label; undefined when malformed. */
export function quarterSpan(
  key: string,
  timeZone: string,
): (Span & { key: string; label: string }) | undefined {
  const match = /^(\d{4})-Q([1-4])$/.exec(key);
  if (!match || !coverable(Number(match[1]))) return undefined;
  const month = (Number(match[2]) - 1) * 3 + 1;
  const period = periodOf(`${match[1]}-${String(month).padStart(2, '0')}-01`, 'quarterly');
  if (!period) return undefined;
  return { ...spanOf(period.start, period.end, timeZone), key: period.key, label: period.label };
}

export function currentQuarter(now: Date, timeZone: string): string {
  return periodOf(isoDateIn(now, timeZone), 'quarterly')?.key ?? '';
}

export function yearSpan(year: number, timeZone: string): Span {
  return spanOf(`${year}-01-01`, `${year}-12-31`, timeZone);
}

export { percent };

const SEVERITY_ORDER = ['一般', '较大', '重大', '未定'];
const bySeverityOrder = (counts: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(counts).sort(([a], [b]) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b)),
  );

export const tally = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join('；') || '—';

/** The columns of the statistics, shared by the HTML tables and the XLSX sheets. */
export const STAT_COLUMNS: { header: string; value: (s: Stats) => string | number }[] = [
  { header: '职责达标', value: (s) => s.obligationsMet },
  { header: '职责未达标', value: (s) => s.obligationsMissed },
  { header: '职责不考核', value: (s) => s.obligationsExempt },
  { header: '职责进行中', value: (s) => s.obligationsRunning },
  { header: '发现隐患', value: (s) => s.hazardsFound },
  { header: '销号', value: (s) => s.hazardsClosed },
  { header: '未销号', value: (s) => s.hazardsOpen },
  { header: '逾期', value: (s) => s.hazardsOverdue },
  { header: '挂牌督办', value: (s) => s.hazardsListed },
  { header: '按类别', value: (s) => tally(s.byCategory) },
  { header: '按程度', value: (s) => tally(bySeverityOrder(s.bySeverity)) },
  { header: '派发任务', value: (s) => s.tasksAssigned },
  { header: '完成任务', value: (s) => s.tasksDone },
  { header: '逾期任务', value: (s) => s.tasksOverdue },
  { header: '值班班次', value: (s) => s.shifts },
  { header: '到岗确认率', value: (s) => percent(s.shiftConfirmed, s.shiftSlots) },
];

export const vetoResult = (row: UnitYearRow) => (row.flags.length > 0 ? '一票否决' : '无否决项');

export const YEAR_COLUMNS: { header: string; value: (row: UnitYearRow) => string | number }[] = [
  ...STAT_COLUMNS.map((column) => ({
    header: column.header,
    value: (row: UnitYearRow) => column.value(row.stats),
  })),
  {
    header: '责任书签订',
    value: (row) => (row.lettersIssued === 0 ? '未发起' : `${row.lettersSigned}/${row.lettersIssued}`),
  },
  {
    header: '职责达标率',
    value: (row) => percent(row.stats.obligationsMet, row.stats.obligationsMet + row.stats.obligationsMissed),
  },
  {
    header: '一票否决事项',
    value: (row) => row.flags.map((flag) => `${VETO_LABEL[flag.kind]}（${flag.reason}）`).join('；') || '—',
  },
  { header: '考核结果', value: vetoResult },
];

export const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F3F5' } };
export const BORDER: Partial<ExcelJS.Borders> = {
  top: { style: 'thin' },
  left: { style: 'thin' },
  bottom: { style: 'thin' },
  right: { style: 'thin' },
};

export async function sheetFile<T>(
  sheetName: string,
  title: string,
  columns: { header: string; value: (row: T) => string | number }[],
  rows: { name: string; row: T }[],
  footer: string,
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', xSplit: 1, ySplit: 2 }] });
  sheet.columns = [18, ...columns.map((column) => (column.header.startsWith('按') ? 30 : 12))].map(
    (width) => ({ width }),
  );
  const head = sheet.getRow(1);
  head.getCell(1).value = title;
  head.getCell(1).font = { bold: true, size: 14 };
  const header = sheet.getRow(2);
  ['处室', ...columns.map((column) => column.header)].forEach((value, index) => {
    const cell = header.getCell(index + 1);
    cell.value = value;
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = BORDER;
  });
  rows.forEach(({ name, row }, index) => {
    const line = sheet.getRow(3 + index);
    [name, ...columns.map((column) => column.value(row))].forEach((value, at) => {
      const cell = line.getCell(at + 1);
      cell.value = value;
      cell.border = BORDER;
    });
  });
  const foot = sheet.getRow(4 + rows.length);
  foot.getCell(1).value = footer;
  foot.getCell(1).font = { italic: true, color: { argb: 'FF666666' } };
  // exceljs declares its own Buffer type; in Node the value is a Node Buffer.
  return (await workbook.xlsx.writeBuffer()) as unknown as Buffer;
}

export const TOTAL_NAME = '全单位合计';

export function writeQuarterlyXlsx(
  report: SpanReport,
  meta: { tenantName: string; label: string; footer: string },
) {
  return sheetFile(
    '季度安全工作统计',
    `${meta.tenantName} ${meta.label}安全工作统计`,
    STAT_COLUMNS,
    [
      { name: TOTAL_NAME, row: report.total },
      ...report.units.map((unit) => ({ name: unit.name, row: unit.stats })),
    ],
    meta.footer,
  );
}

/** A quarter's statistics as the XLSX the console downloads: counted as of `now`, its span in the footer. */
export async function quarterlyXlsx(
  db: Queryable,
  tenant: { id: number; name: string; timezone: string },
  span: Span & { label: string },
  now: Date,
) {
  return writeQuarterlyXlsx(await spanReport(db, tenant.id, span, now), {
    tenantName: tenant.name,
    label: span.label,
    footer: `统计期 ${span.start} 至 ${span.end}；生成于 ${formatDateTime(now, tenant.timezone)}`,
  });
}

export function writeYearXlsx<Row extends UnitYearRow>(
  rows: Row[],
  meta: { tenantName: string; year: number; footer: string },
  columns: { header: string; value: (row: Row) => string | number }[] = YEAR_COLUMNS,
) {
  return sheetFile(
    '年度考核',
    `${meta.tenantName} ${meta.year}年度安全工作考核表`,
    columns,
    rows.map((row) => ({ name: row.name, row })),
    meta.footer,
  );
}

// 述职述安: the report is built in handlers/statement.ts; named here too, where callers found it.
export { NO_RECORDS_LINE, statementText };
