// The 学校安全隐患排查登记表 (002 §四(四)5) of one round or of a period (every round started in it): one
// row per item checked, with the hazard a failure became and how far its rectification got. As XLSX
// (exceljs) and as a printable page; both from the same cells.
import type { Queryable } from '../db/client.ts';
import { tenantById } from '../db/queries/org.ts';
import { type RegisterRow, registerRows } from '../db/queries/rounds.ts';
import { isoDateIn } from './calendar.ts';
import { STATUS_LABEL } from './hazard-rules.ts';
import { REGISTER_COLUMNS, ROUND_RESULT_LABELS } from './inspection-rules.ts';
import { wholeWord } from './obligation-kinds.ts';
import { formatDateTime } from './time.ts';

export type RegisterScope = { roundId: number } | { from: Date; to: Date };

export interface Register {
  title: string;
  /** Under the title: what it covers and when it was made. */
  subtitle: string;
  rows: string[][];
  filename: string;
}

/** 整改情况: the hazard's state, and its measures once rectified. */
function rectification(row: RegisterRow): string {
  if (!row.hazardStatus) return '';
  const state = STATUS_LABEL[row.hazardStatus];
  return row.measures && row.rectifiedAt ? `${state}：${row.measures}` : state;
}

/** The cells of one row, in the order of REGISTER_COLUMNS. */
export function registerCells(row: RegisterRow, timeZone: string, whole: string): string[] {
  const scope = row.scope === 'school' ? whole : (row.unitName ?? '');
  return [
    isoDateIn(row.startedAt, timeZone),
    row.inspectorName ?? '',
    row.area ? `${scope}（${row.area}）` : scope,
    row.itemText,
    ROUND_RESULT_LABELS[row.result],
    row.note ?? '',
    row.hazardCode ?? '',
    rectification(row),
  ];
}

/** The register's title and cells. */
export async function buildRegister(
  db: Queryable,
  tenantId: number,
  which: RegisterScope,
  now: Date,
): Promise<Register> {
  const tenant = (await tenantById(db, tenantId))!;
  const rows = await registerRows(db, tenantId, which);
  const whole = wholeWord(tenant.kind);
  const first = rows[0];
  const covers =
    'roundId' in which
      ? first
        ? `${first.roundCode} ${first.checklistName}`
        : '（本次检查尚无结果）'
      : `${isoDateIn(which.from, tenant.timezone)} 至 ${isoDateIn(new Date(which.to.getTime() - 1), tenant.timezone)}`;
  const tag = 'roundId' in which ? (first?.roundCode ?? 'round') : covers.replaceAll(' 至 ', '_');
  return {
    title: `${tenant.name} 学校安全隐患排查登记表`,
    subtitle: `${covers}；导出时间 ${formatDateTime(now, tenant.timezone)}`,
    rows: rows.map((row) => registerCells(row, tenant.timezone, whole)),
    filename: `排查登记表_${tag}.xlsx`,
  };
}

const THIN = { style: 'thin' } as const;
const WIDTHS = [12, 10, 14, 40, 8, 32, 20, 24];

/** The register as an XLSX workbook of one sheet: title, header, one row per item. */
export async function writeRegisterXlsx(
  db: Queryable,
  tenantId: number,
  which: RegisterScope,
  now: Date,
): Promise<{ bytes: Buffer; filename: string }> {
  const register = await buildRegister(db, tenantId, which, now);
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('排查登记表', { views: [{ state: 'frozen', ySplit: 2 }] });
  sheet.columns = WIDTHS.map((width) => ({ width }));
  sheet.getCell(1, 1).value = `${register.title}（${register.subtitle}）`;
  sheet.getCell(1, 1).font = { bold: true, size: 14 };
  [REGISTER_COLUMNS as readonly string[], ...register.rows].forEach((cells, index) => {
    const line = sheet.getRow(2 + index);
    cells.forEach((value, at) => {
      const cell = line.getCell(at + 1);
      cell.value = value;
      cell.border = { top: THIN, left: THIN, bottom: THIN, right: THIN };
      cell.alignment = { wrapText: true, vertical: 'top' };
      if (index === 0) cell.font = { bold: true };
    });
  });
  // exceljs declares its own Buffer type; in Node the value is a Node Buffer.
  return { bytes: (await workbook.xlsx.writeBuffer()) as unknown as Buffer, filename: register.filename };
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => ENTITIES[char]!);

/**
 * The register as a page to print (A4 landscape), standalone; `nonce` is the page's CSP nonce for its
 * one style element (the console's policy allows no other).
 */
export async function registerHtml(
  db: Queryable,
  tenantId: number,
  which: RegisterScope,
  now: Date,
  nonce?: string,
): Promise<string> {
  const register = await buildRegister(db, tenantId, which, now);
  const row = (cells: readonly string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('')}</tr>`;
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(register.title)}</title>
<style${nonce ? ` nonce="${escapeHtml(nonce)}"` : ''}>@page{size:A4 landscape;margin:12mm}body{font-family:"SimSun","Songti SC",serif;font-size:12px}
h1{font-size:18px;text-align:center;margin:0 0 4px}p{text-align:center;margin:0 0 8px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #000;padding:3px 4px;vertical-align:top}
th{background:#eee}.sign{margin-top:16px;display:flex;justify-content:space-around}</style></head><body>
<h1>${escapeHtml(register.title)}</h1><p>${escapeHtml(register.subtitle)}</p>
<table><thead>${row(REGISTER_COLUMNS, 'th')}</thead><tbody>${register.rows.map((cells) => row(cells, 'td')).join('')}</tbody></table>
<div class="sign"><span>检查人（签字）：</span><span>安全办公室（签字）：</span><span>分管领导（签字）：</span></div>
</body></html>`;
}
