// The quarterly 调度会 pack of the bureau's office (001 §二(三), issue 19 §3): the district's hazards by
// school and by category against the last quarter, the overdue and 挂牌督办 items still open, and the 分包
// visits (督查) made and missed. Counted as the quarterly report counts (handlers/report-stats.ts), as of the
// quarter's end or now while it runs; the rows come from db/queries/bureau.ts. Printable HTML (the console)
// and XLSX (here).
import { PassThrough } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { Queryable } from '../db/client.ts';
import {
  linkedObligationSchools,
  openItemsOfSchools,
  quarterCategoriesPerSchool,
  quarterHazardsPerSchool,
  supervisionDuties,
  supervisionVisits,
} from '../db/queries/bureau.ts';
import { childTenants } from '../db/queries/tenants.ts';
import { isoDateIn } from './calendar.ts';
import type { Cadence } from './periods.ts';
import { BORDER, HEADER_FILL, quarterSpan } from './reports.ts';

export interface QuarterCounts {
  found: number;
  closed: number;
  open: number;
  overdue: number;
  listed: number;
}

export interface PackItem {
  school: string;
  code: string;
  description: string;
  /** The local date of the deadline (a listing's own when it has one); null when none. */
  deadline: string | null;
  listed: boolean;
  /** Calendar days past the deadline at the pack's date; 0 when not past. */
  daysOverdue: number;
}

export interface PackVisit {
  person: string;
  post: string;
  duty: string;
  school: string;
  /** Visits the duty asks for in the quarter (undefined: its cadence is longer than a quarter). */
  needed: number | undefined;
  made: number;
  /** Still missing: needed − made, never below 0. */
  missed: number;
}

export interface MeetingPack {
  bureauName: string;
  key: string;
  label: string;
  start: string;
  end: string;
  previousKey: string;
  previousLabel: string;
  asOf: Date;
  /** The local date of `asOf`. */
  asOfDate: string;
  /** The quarter is still running: counts are as of now. */
  current: boolean;
  schools: { schoolId: number; name: string; now: QuarterCounts; before: QuarterCounts }[];
  total: { now: QuarterCounts; before: QuarterCounts };
  categories: { category: string; now: number; before: number }[];
  items: PackItem[];
  visits: PackVisit[];
}

const zero = (): QuarterCounts => ({ found: 0, closed: 0, open: 0, overdue: 0, listed: 0 });
const add = (sum: QuarterCounts, counts: QuarterCounts) => {
  for (const key of Object.keys(sum) as (keyof QuarterCounts)[]) sum[key] += counts[key];
};

/** Visits asked for in a quarter by a duty of each cadence; longer cadences are not counted per quarter. */
const PER_QUARTER: Partial<Record<Cadence, number>> = { weekly: 13, monthly: 3, quarterly: 1 };

/** The key of the quarter before `2026-Q1` (`2025-Q4`). */
export function previousQuarterKey(key: string): string {
  const [year, q] = [Number(key.slice(0, 4)), Number(key.slice(6))];
  return q === 1 ? `${year - 1}-Q4` : `${year}-Q${q - 1}`;
}

const DAY_MS = 86_400_000;

/** The pack of a quarter (`2026-Q4`); undefined when the key is malformed. */
export async function meetingPack(
  db: Queryable,
  bureau: { id: number; name: string; timezone: string },
  key: string,
  now: Date,
): Promise<MeetingPack | undefined> {
  const tz = bureau.timezone;
  const span = quarterSpan(key, tz);
  if (!span) return undefined;
  const before = quarterSpan(previousQuarterKey(span.key), tz)!;
  const asOf = now < span.to ? now : span.to;
  const spans = [
    { from: span.from, to: span.to, asOf },
    { from: before.from, to: before.to, asOf: now < before.to ? now : before.to },
  ];

  // Independent reads: on PostgreSQL they run side by side on the pool's connections.
  const [schoolRows, countRows, categoryRows, itemRows, visits] = await Promise.all([
    childTenants(db, bureau.id),
    quarterHazardsPerSchool(db, bureau.id, spans),
    quarterCategoriesPerSchool(db, bureau.id, spans),
    openItemsOfSchools(db, bureau.id, asOf),
    visitsOfQuarter(db, bureau.id, span.start, span.end),
  ]);
  const counts = new Map(countRows.map((row) => [row.schoolId, row]));
  const total = { now: zero(), before: zero() };
  const schools = schoolRows.map((school) => {
    const row = counts.get(school.id);
    const entry = {
      schoolId: school.id,
      name: school.name,
      now: row?.spans[0] ?? zero(),
      before: row?.spans[1] ?? zero(),
    };
    add(total.now, entry.now);
    add(total.before, entry.before);
    return entry;
  });

  const byCategory = new Map<string, { category: string; now: number; before: number }>();
  for (const row of categoryRows) {
    const category = row.category ?? '未分类';
    const entry = byCategory.get(category) ?? { category, now: 0, before: 0 };
    entry.now += row.found[0]!;
    entry.before += row.found[1]!;
    byCategory.set(category, entry);
  }
  const categories = [...byCategory.values()]
    .filter((row) => row.now + row.before > 0)
    .sort((a, b) => b.now - a.now || b.before - a.before || a.category.localeCompare(b.category, 'zh-CN'));

  const today = isoDateIn(asOf, tz);
  const items = itemRows.map((row): PackItem => {
    const at = row.listed && row.listedDeadline ? row.listedDeadline : row.deadline;
    const deadline = at ? isoDateIn(at, tz) : null;
    const past = at !== null && at < asOf && deadline !== null;
    return {
      school: row.school,
      code: row.code,
      description: row.description,
      deadline,
      listed: row.listed,
      daysOverdue: past ? Math.max(0, Math.round((Date.parse(today) - Date.parse(deadline)) / DAY_MS)) : 0,
    };
  });

  return {
    bureauName: bureau.name,
    key: span.key,
    label: span.label,
    start: span.start,
    end: span.end,
    previousKey: before.key,
    previousLabel: before.label,
    asOf,
    asOfDate: today,
    current: now >= span.from && now < span.to,
    schools,
    total,
    categories,
    items,
    visits,
  };
}

/** Each 分包 duty's schools with the visits made there in the quarter and those still missing. */
async function visitsOfQuarter(db: Queryable, bureauId: number, first: string, last: string) {
  const made = new Map<string, number>();
  const add = (key: string, visits: number) => made.set(key, (made.get(key) ?? 0) + visits);
  for (const row of await supervisionVisits(db, bureauId, first, last)) {
    if (row.schoolTenantId !== null) add(`${row.personId}\n#${row.schoolTenantId}`, row.visits);
    else add(`${row.personId}\n${row.school ?? ''}`, row.visits);
  }
  const visits: PackVisit[] = [];
  const linkedOf = await linkedObligationSchools(db, { bureauId });
  for (const duty of await supervisionDuties(db, bureauId)) {
    // The duty names its schools as the bureau's file does; linked ones are counted by the school itself.
    const linked = linkedOf.get(`${duty.postId}\n${duty.code}`) ?? new Map<string, number>();
    for (const school of duty.schools) {
      const per = PER_QUARTER[duty.cadence];
      const needed = per === undefined ? undefined : per * duty.minCount;
      const schoolId = linked.get(school);
      const count =
        (schoolId === undefined ? 0 : (made.get(`${duty.personId}\n#${schoolId}`) ?? 0)) +
        (made.get(`${duty.personId}\n${school}`) ?? 0);
      visits.push({
        person: duty.person,
        post: duty.post,
        duty: duty.title,
        school,
        needed,
        made: count,
        missed: needed === undefined ? 0 : Math.max(0, needed - count),
      });
    }
  }
  return visits;
}

/** `+3` / `-2` / `0`: this quarter against the last. */
export const change = (now: number, before: number) => {
  const delta = now - before;
  return delta > 0 ? `+${delta}` : String(delta);
};

/** The columns of the by-school table, shared by the page and the workbook. */
export const PACK_SCHOOL_COLUMNS: {
  header: string;
  value: (row: { now: QuarterCounts; before: QuarterCounts }) => number | string;
}[] = [
  { header: '本季发现', value: (row) => row.now.found },
  { header: '上季发现', value: (row) => row.before.found },
  { header: '增减', value: (row) => change(row.now.found, row.before.found) },
  { header: '本季销号', value: (row) => row.now.closed },
  { header: '未销号', value: (row) => row.now.open },
  { header: '逾期', value: (row) => row.now.overdue },
  { header: '上季末逾期', value: (row) => row.before.overdue },
  { header: '本季挂牌督办', value: (row) => row.now.listed },
];

export const DISTRICT_TOTAL = '全区合计';

/** The days a hazard is overdue, as the pack says it. */
export const overdueText = (item: PackItem) =>
  item.daysOverdue > 0 ? `逾期 ${item.daysOverdue} 天` : '未逾期';

export const neededText = (visit: PackVisit) => (visit.needed === undefined ? '不按季考核' : visit.needed);

type SheetWriter = ExcelJS.stream.xlsx.WorkbookWriter;

/** A sheet of a title, a header and rows, written row by row (the streaming writer: a district is thousands of rows). */
function table(
  workbook: SheetWriter,
  name: string,
  title: string,
  headers: string[],
  rows: (string | number)[][],
  widths: number[],
  footer?: string,
) {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2 }] });
  sheet.columns = widths.map((width) => ({ width }));
  const head = sheet.addRow([title]);
  head.getCell(1).font = { bold: true, size: 14 };
  head.commit();
  const header = sheet.addRow(headers);
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = BORDER;
  });
  header.commit();
  for (const values of rows) {
    const row = sheet.addRow(values);
    row.eachCell((cell) => {
      cell.border = BORDER;
    });
    row.commit();
  }
  if (footer !== undefined) sheet.addRow([footer]).commit();
  sheet.commit();
}

/** The pack as a workbook: 按学校, 按类别, 逾期与挂牌督办, 分包督查. */
export async function writeMeetingPackXlsx(pack: MeetingPack, footer: string): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useStyles: true,
    useSharedStrings: false,
  });
  const heading = `${pack.bureauName} ${pack.label}学校安全调度会材料`;
  table(
    workbook,
    '按学校',
    `${heading}：各校隐患统计（对比${pack.previousLabel}）`,
    ['学校', ...PACK_SCHOOL_COLUMNS.map((column) => column.header)],
    [
      [DISTRICT_TOTAL, ...PACK_SCHOOL_COLUMNS.map((column) => column.value(pack.total))],
      ...pack.schools.map((row) => [row.name, ...PACK_SCHOOL_COLUMNS.map((column) => column.value(row))]),
    ],
    [24, ...PACK_SCHOOL_COLUMNS.map(() => 12)],
    footer,
  );
  table(
    workbook,
    '按类别',
    `${heading}：隐患类别（全区）`,
    ['类别', '本季发现', '上季发现', '增减'],
    pack.categories.map((row) => [row.category, row.now, row.before, change(row.now, row.before)]),
    [20, 12, 12, 10],
  );
  table(
    workbook,
    '逾期与挂牌督办',
    `${heading}：逾期与挂牌督办隐患（截至 ${pack.asOfDate}）`,
    ['学校', '隐患编号', '隐患描述', '整改期限', '逾期', '挂牌督办'],
    pack.items.map((item) => [
      item.school,
      item.code,
      item.description,
      item.deadline ?? '—',
      overdueText(item),
      item.listed ? '是' : '否',
    ]),
    [24, 20, 50, 12, 12, 10],
  );
  table(
    workbook,
    '分包督查',
    `${heading}：分包学校督查（明查暗访）`,
    ['责任人', '岗位', '职责', '分包学校', '应督查', '已督查', '未完成'],
    pack.visits.map((visit) => [
      visit.person,
      visit.post,
      visit.duty,
      visit.school,
      neededText(visit),
      visit.made,
      visit.missed,
    ]),
    [12, 20, 28, 24, 10, 10, 10],
  );
  await workbook.commit();
  return Buffer.concat(chunks);
}
