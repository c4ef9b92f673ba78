// The accident register (事故/事件登记, DOMAIN §6; issue 20 §4): recording an accident with the time it
// must be reported upward by (settings `accident_report_hours`) and the 一票否决 it proposes, its columns
// for the console and the XLSX — the confidential ones (injured people's names, handling) only for the
// office and the leaders — and `事故登记` in chat.
import type { MessageContext } from '../bot/core/context.ts';
import type { Db, Queryable } from '../db/client.ts';
import {
  type Accident,
  accidentsIn,
  type NewAccident,
  partiesOf,
  recordAccident,
} from '../db/queries/accidents.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { officeStaff } from '../db/queries/org.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import {
  ACCIDENT_KIND_LABELS,
  ACCIDENT_SEVERITY_LABELS,
  proposedVeto,
  reportDueAt,
  VETO_LABEL,
} from './accident-rules.ts';
import { isIsoDate } from './calendar.ts';
import { yearSpan } from './reports.ts';
import { tenantSettings } from './settings.ts';
import { localInstant } from './shift-rules.ts';
import { formatDateTime, yearIn } from './time.ts';

/** `2026-11-03T10:30` or `2026-11-03 10:30` (a datetime-local field) in the tenant's zone; undefined if not one. */
export function parseLocalDateTime(value: string, timeZone: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})$/.exec(value.trim());
  if (!match || !isIsoDate(match[1]!)) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3]);
  if (hours > 23 || minutes > 59) return undefined;
  return localInstant(match[1]!, hours * 60 + minutes, timeZone);
}

/** Records the accident in the tenant's year of its occurrence, with its report deadline and proposals. */
export async function registerAccident(
  db: Db,
  tenant: Tenant,
  input: Omit<NewAccident, 'reportDueAt'>,
  meta: { by: string; at: Date; accountId: number | null },
) {
  const hours = tenantSettings(tenant.settings).accident_report_hours;
  const veto = proposedVeto(input);
  return db.transaction((tx) =>
    recordAccident(
      tx,
      tenant.id,
      { ...input, reportDueAt: reportDueAt(input.occurredAt, hours) },
      { ...meta, year: yearIn(input.occurredAt, tenant.timezone), veto },
    ),
  );
}

export type Party = Awaited<ReturnType<typeof partiesOf>>[number];

export const REDACTED = '（保密，仅领导小组办公室和领导可见）';

/** How the report upward stands: reported when, due when, or overdue. */
export function reportState(accident: Accident, now: Date, timeZone: string): string {
  if (accident.reportedAt)
    return `已于 ${formatDateTime(accident.reportedAt, timeZone)} 报${accident.reportedTo ?? '上级'}`;
  const due = formatDateTime(accident.reportDueAt, timeZone);
  return now > accident.reportDueAt ? `逾期未报（应于 ${due} 前上报）` : `待上报（${due} 前）`;
}

export const partiesText = (parties: Party[]) =>
  parties
    .map((party) =>
      party.unitId !== null ? party.unit : `${party.post ?? ''}${party.person ? `（${party.person}）` : ''}`,
    )
    .join('、') || '—';

/** The register's columns, shared by the console table and the XLSX; `confidential` shows the two kept fields. */
export function accidentColumns(
  confidential: boolean,
  now: Date,
  timeZone: string,
): { header: string; value: (row: Accident, parties: Party[]) => string | number }[] {
  return [
    { header: '编号', value: (row) => row.code },
    { header: '类别', value: (row) => ACCIDENT_KIND_LABELS[row.kind] },
    { header: '等级', value: (row) => ACCIDENT_SEVERITY_LABELS[row.severity] },
    { header: '发生时间', value: (row) => formatDateTime(row.occurredAt, timeZone) },
    { header: '地点', value: (row) => row.place },
    { header: '概况', value: (row) => row.summary },
    { header: '涉及学生', value: (row) => row.students },
    { header: '涉及教职工', value: (row) => row.staff },
    { header: '受伤', value: (row) => row.injured },
    { header: '死亡', value: (row) => row.deaths },
    { header: '受伤人员', value: (row) => (confidential ? row.injuredNames || '—' : REDACTED) },
    { header: '责任事故', value: (row) => (row.responsible ? '是' : '否') },
    { header: '责任单位及岗位', value: (_row, parties) => partiesText(parties) },
    { header: '处置情况', value: (row) => (confidential ? row.handling || '—' : REDACTED) },
    { header: '上报情况', value: (row) => reportState(row, now, timeZone) },
    { header: '后续整改', value: (row) => row.followUp || '—' },
  ];
}

/** The year's register as XLSX: title, header, one row per accident, and when it was made. */
export async function writeAccidentsXlsx(
  rows: { accident: Accident; parties: Party[] }[],
  meta: { tenantName: string; year: number; now: Date; timeZone: string; confidential: boolean },
): Promise<Buffer> {
  const columns = accidentColumns(meta.confidential, meta.now, meta.timeZone);
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('事故事件登记', { views: [{ state: 'frozen', ySplit: 2 }] });
  sheet.columns = columns.map((column) => ({ width: column.header === '概况' ? 40 : 16 }));
  sheet.getRow(1).getCell(1).value = `${meta.tenantName} ${meta.year}年度事故/事件登记表`;
  sheet.getRow(1).getCell(1).font = { bold: true, size: 14 };
  columns.forEach((column, index) => {
    const cell = sheet.getRow(2).getCell(index + 1);
    cell.value = column.header;
    cell.font = { bold: true };
  });
  rows.forEach(({ accident, parties }, at) => {
    columns.forEach((column, index) => {
      sheet.getRow(3 + at).getCell(index + 1).value = column.value(accident, parties);
    });
  });
  sheet.getRow(4 + rows.length).getCell(1).value = `生成于 ${formatDateTime(meta.now, meta.timeZone)}`;
  return (await workbook.xlsx.writeBuffer()) as unknown as Buffer;
}

/** The accidents within the span, newest first, with their parties. */
export async function accidentsWithParties(db: Queryable, tenantId: number, span: { from: Date; to: Date }) {
  const list = await accidentsIn(db, tenantId, span.from, span.to);
  const parties = await partiesOf(
    db,
    tenantId,
    list.map((row) => row.id),
  );
  return list.map((accident) => ({
    accident,
    parties: parties.filter((party) => party.accidentId === accident.id),
  }));
}

/** The year's accidents with their parties. */
export const yearRegister = (db: Queryable, tenant: Tenant, year: number) =>
  accidentsWithParties(db, tenant.id, yearSpan(year, tenant.timezone));

/** The units an accident's parties make responsible: each unit named, and the unit of each post named. */
export const responsibleUnits = (parties: readonly Party[]) =>
  new Set(parties.flatMap((party) => party.unitId ?? party.postUnitId ?? []));

/** The proposal's wording, for the console and the chat. */
export const proposalText = (proposal: { kind: keyof typeof VETO_LABEL }, who: string) =>
  `${who}：一票否决（${VETO_LABEL[proposal.kind]}）`;

/**
 * `事故登记 [年度]`: this year's register in chat. The office and the leaders see every field; anyone else
 * sees the register without the confidential ones.
 */
export async function accidentRegister(ctx: MessageContext): Promise<void> {
  const { db, actor, now, tenant } = ctx;
  const asked = /^\d{4}$/.test(ctx.args.trim()) ? Number(ctx.args.trim()) : yearIn(now, tenant.timezone);
  const confidential =
    (await officeStaff(db, tenant.id)).some((person) => person.id === actor.id) ||
    (await holdersAtLevel(db, tenant.id, ['first', 'direct'])).some((person) => person.id === actor.id);
  const rows = await yearRegister(db, tenant, asked);
  if (rows.length === 0) {
    ctx.reply({ kind: 'text', text: `${asked}年度没有登记的事故或事件。` });
    return;
  }
  const lines = rows.map(({ accident, parties }) => {
    const head = `${accident.code} ${formatDateTime(accident.occurredAt, tenant.timezone)} ${accident.place} ${ACCIDENT_KIND_LABELS[accident.kind]}（${ACCIDENT_SEVERITY_LABELS[accident.severity]}）`;
    const people = `涉及学生 ${accident.students}、教职工 ${accident.staff}，受伤 ${accident.injured}，死亡 ${accident.deaths}`;
    const kept = confidential
      ? [`受伤人员：${accident.injuredNames || '—'}`, `处置：${accident.handling || '—'}`]
      : [];
    return [
      head,
      `  ${accident.summary}`,
      `  ${people}`,
      `  责任：${partiesText(parties)}`,
      ...kept.map((line) => `  ${line}`),
      `  ${reportState(accident, now, tenant.timezone)}`,
    ].join('\n');
  });
  const footer = confidential ? '' : `\n受伤人员和处置情况${REDACTED}。`;
  ctx.reply({
    kind: 'text',
    text: `${tenant.name} ${asked}年度事故/事件登记（${rows.length} 起）\n\n${lines.join('\n\n')}${footer}`,
  });
}
