// The 述职述安 report (DOMAIN §7; 003 §四.1-2; seed 000): a leader's or a 部门负责人's annual report in the
// structure of seed 000 — 一、履职情况 (业务 and 安全), 二、主要成绩 (the results of what they answer for, with
// numbers), 三、存在不足, 四、下步打算 — written from the records only. The report is text (what the console
// edits and saves); `statementBlocks` reads any such text back into headings and paragraphs for the DOCX
// and the printable page, so a draft and an edited version are laid out alike.
import type { Leader, StatementRecords } from '../db/queries/reports.ts';
import { isoDateIn, startOfDayIn } from './calendar.ts';
import type { ObligationKind } from './obligation-kinds.ts';
import { wholeWord } from './obligation-kinds.ts';
import { CADENCE_LABEL } from './periods.ts';
import { percent } from './report-stats.ts';

/** An accident or incident of the year, as the accident register (another part) gives it. */
export interface StatementAccident {
  date: string;
  kind: string;
  place?: string;
  severity?: string;
  summary: string;
}

export interface StatementOptions {
  /**
   * The accidents of the year the person answers for; undefined when there is no accident register: the
   * report then says nothing about accidents rather than claiming there were none.
   */
  accidents?: StatementAccident[];
  /** When the report is made: what is open and overdue is counted as of min(now, the year's end). */
  now?: Date;
}

const LEVEL_LABEL = { first: '第一责任人', direct: '直接责任人', post: '岗位责任人' } as const;
export const PART_HEADINGS = ['一、履职情况', '二、主要成绩', '三、存在不足', '四、下步打算'] as const;

const KIND_ORDER: ObligationKind[] = [
  'meeting',
  'inspection',
  'supervision',
  'visit',
  'drill',
  'report',
  'plan',
  'annual_report',
];
const KIND_DONE: Record<ObligationKind, string> = {
  meeting: '主持或参加安全工作会议',
  inspection: '开展安全检查',
  supervision: '深入学校督查',
  drill: '组织应急演练',
  report: '报送安全工作报告',
  visit: '深入基层调研',
  plan: '制定安全工作计划',
  annual_report: '提交年度述职述安报告',
};

export const NO_RECORDS_LINE = '本年度系统中无本人的安全履职记录（无记录）。';

/** At most `limit` codes, then 等 n 项. */
const codes = (rows: { code: string }[], limit = 8) =>
  rows.length <= limit
    ? rows.map((row) => row.code).join('、')
    : `${rows
        .slice(0, limit)
        .map((row) => row.code)
        .join('、')} 等 ${rows.length} 项`;

const numbered = (items: string[]) => items.map((item, index) => `${index + 1}. ${item}`);

/** The report's title line. */
export const statementTitle = (year: number) => `${year}年度述职述安报告`;

/**
 * A person's annual 述职述安 report as text, from the records only (`statementRecords`): title, byline,
 * opening, the four parts, closing and signature. `options` gives the year's accidents and the moment of
 * writing when the caller has them.
 */
export function statementText(
  leader: Leader,
  year: number,
  records: StatementRecords,
  timeZone: string,
  options: StatementOptions = {},
): string {
  const day = (date: Date) => isoDateIn(date, timeZone);
  const yearEnd = startOfDayIn(`${year + 1}-01-01`, timeZone);
  const asOf = options.now && options.now < yearEnd ? options.now : yearEnd;
  const asOfDay = options.now && options.now < yearEnd ? day(options.now) : `${year}-12-31`;
  const whole = wholeWord(records.tenant?.kind ?? 'school');
  const scope = records.scope ?? { kind: 'own' as const };
  const scopeName =
    scope.kind === 'whole'
      ? whole
      : scope.kind === 'units'
        ? `${leader.posts.some((post) => post.level === 'direct') ? '分管的' : ''}${scope.units.map((unit) => unit.name).join('、')}`
        : '';
  const roles = leader.posts
    .map((post) => {
      const level =
        post.level !== 'post' ? LEVEL_LABEL[post.level] : post.unitHead ? '部门负责人' : LEVEL_LABEL.post;
      return `${post.title}（${level}）`;
    })
    .join('、');
  const own = records.own ?? { letters: [], openHazards: [], openTasks: [], duties: [] };
  const lines: string[] = [
    statementTitle(year),
    '',
    [records.tenant?.name, leader.posts.map((post) => post.title).join('、'), leader.name]
      .filter(Boolean)
      .join(' '),
    '',
    `本人${leader.name}，现任${roles}。${year}年度，本人按照“党政同责、一岗双责、齐抓共管、失职追责”的要求，既抓分管业务工作，又抓${scopeName ? `${scopeName}的` : '岗位范围内的'}安全工作。现将本年度履职和安全工作情况报告如下，请予评议（文中事实和数字均取自安全助手的记录，统计至 ${asOfDay}）。`,
  ];
  const part = (index: number, body: string[]) => lines.push('', PART_HEADINGS[index]!, ...body);

  // 一、履职情况
  const business = leader.posts.flatMap((post) =>
    post.businessDuties && post.businessDuties.length > 0
      ? [`岗位业务职责（${post.title}）：${post.businessDuties.join('；')}。`]
      : [],
  );
  const safetyDuties = leader.posts.flatMap((post) =>
    post.safetyDuties && post.safetyDuties.length > 0
      ? [`岗位安全职责（${post.title}）：${post.safetyDuties.join('；')}。`]
      : [],
  );
  const safety: string[] = [];
  for (const kind of KIND_ORDER) {
    const rows = records.completions.filter((row) => row.kind === kind);
    if (rows.length === 0) continue;
    safety.push(
      `${KIND_DONE[kind]} ${rows.length} 次：${rows
        .map((row) => `${row.date}${row.school ? `（${row.school}）` : ''} ${row.note}`)
        .join('；')}。`,
    );
  }
  const reported = records.reported ?? [];
  const rectified = records.rectified ?? [];
  const hazardCounts = [
    reported.length > 0 && `上报安全隐患 ${reported.length} 项`,
    records.accepted.length > 0 && `受理隐患 ${records.accepted.length} 项`,
    rectified.length > 0 && `完成隐患整改 ${rectified.length} 项`,
    records.closed.length > 0 && `复查通过并销号隐患 ${records.closed.length} 项`,
    records.listed.length > 0 && `挂牌督办隐患 ${records.listed.length} 项`,
  ].filter(Boolean);
  if (hazardCounts.length > 0) {
    const named = [
      records.accepted.length > 0 && `受理 ${codes(records.accepted)}`,
      records.closed.length > 0 && `销号 ${codes(records.closed)}`,
      records.listed.length > 0 && `挂牌督办 ${codes(records.listed)}`,
    ].filter(Boolean);
    safety.push(
      `隐患排查治理：${hazardCounts.join('，')}${named.length > 0 ? `（${named.join('；')}）` : ''}。`,
    );
  }
  if (records.tasksAssigned.length > 0 || records.tasksCompleted.length > 0) {
    safety.push(
      `督办任务：派发督办任务 ${records.tasksAssigned.length} 项，本人完成任务 ${records.tasksCompleted.length} 项${records.tasksCompleted.length > 0 ? `（${codes(records.tasksCompleted)}）` : ''}。`,
    );
  }
  for (const letter of own.letters) {
    safety.push(
      letter.signedAt
        ? `签订${year}年度《一岗双责安全责任书》（${letter.post}），签订日期 ${day(letter.signedAt)}。`
        : `${year}年度《一岗双责安全责任书》（${letter.post}）已于 ${day(letter.issuedAt)} 下发，尚未签订。`,
    );
  }
  part(0, [
    '（一）业务工作',
    ...(business.length > 0
      ? [...business, '（业务工作的具体成效请本人补充。）']
      : ['岗位业务职责未在系统中登记，业务工作情况请本人补充。']),
    '（二）安全工作',
    ...safetyDuties,
    ...(safety.length > 0 ? numbered(safety) : [NO_RECORDS_LINE]),
  ]);

  // 二、主要成绩
  const results: string[] = [];
  const rows = records.scopeRows;
  /** Open hazards the person answers for: their own (rectifier, unit headed) and their scope's. */
  const openHazards = new Map<string, { code: string; description: string; deadline: Date | null }>();
  for (const row of own.openHazards) openHazards.set(row.code, row);
  let closedLate = 0;
  if (scope.kind !== 'own' && rows) {
    const from = startOfDayIn(`${year}-01-01`, timeZone);
    const inYear = (at: Date | null) => at !== null && at >= from && at < yearEnd;
    const found = rows.hazards.filter((row) => inYear(row.createdAt));
    const closed = rows.hazards.filter((row) => row.status === 'closed' && inYear(row.closedAt));
    const onTime = closed.filter((row) => row.deadline === null || row.closedAt! <= row.deadline);
    const open = rows.hazards.filter(
      (row) =>
        row.status !== 'rejected' && !(row.status === 'closed' && row.closedAt && row.closedAt <= asOf),
    );
    const overdue = open.filter((row) => row.deadline !== null && row.deadline < asOf);
    const listed = rows.hazards.filter((row) => inYear(row.listedAt));
    for (const row of open) if (!openHazards.has(row.code)) openHazards.set(row.code, row);
    closedLate = closed.length - onTime.length;
    results.push(
      `隐患排查治理：${scopeName}全年排查发现安全隐患 ${found.length} 项，整改销号 ${closed.length} 项，其中按期销号 ${onTime.length} 项（按期销号率 ${percent(onTime.length, closed.length)}）；挂牌督办 ${listed.length} 项；截至 ${asOfDay}，未销号 ${open.length} 项，其中逾期 ${overdue.length} 项。`,
    );
    const count = (kind: ObligationKind) => rows.completions.filter((row) => row.kind === kind).length;
    const schoolWide = rows.completions.filter(
      (row) => row.kind === 'inspection' && row.scope === 'school',
    ).length;
    results.push(
      `安全活动：召开安全工作会议 ${count('meeting')} 次，开展安全检查 ${count('inspection')} 次（其中${whole}性大检查 ${schoolWide} 次），开展督查 ${count('supervision')} 次，组织应急演练 ${count('drill')} 次。`,
    );
    const signed = rows.letters.filter((row) => row.signedAt !== null).length;
    results.push(
      rows.letters.length > 0
        ? `安全责任书：应签订 ${rows.letters.length} 份，已签订 ${signed} 份（签订率 ${percent(signed, rows.letters.length)}）。`
        : `安全责任书：${year}年度尚未发起签订。`,
    );
    const met = rows.periods.filter((row) => row.met === true).length;
    const missed = rows.periods.filter((row) => row.met === false).length;
    const exempt = rows.periods.filter((row) => row.met === null).length;
    results.push(
      `职责履行：考核周期内各岗位职责达标 ${met} 项、未达标 ${missed} 项（达标率 ${percent(met, met + missed)}）${exempt > 0 ? `，另有 ${exempt} 项当期不考核` : ''}。`,
    );
  }
  if (options.accidents) {
    results.push(
      options.accidents.length === 0
        ? `安全事故：${year}年度${scopeName || '本人职责范围内'}未发生安全事故。`
        : `安全事故：${year}年度发生安全事故（事件）${options.accidents.length} 起，见“存在不足”。`,
    );
  }
  part(1, results.length > 0 ? numbered(results) : ['本人未分管处室，本年度的工作成效见“履职情况”。']);

  // 三、存在不足
  const shortfalls: string[] = [];
  if (records.missed.length > 0) {
    shortfalls.push(
      `未按要求完成的职责 ${records.missed.length} 项：${records.missed
        .map((row) => `${row.periodKey} ${row.title}（完成 ${row.done}/${row.needed}）`)
        .join('；')}。`,
    );
  }
  const lateHazards = [...openHazards.values()].filter((row) => row.deadline !== null && row.deadline < asOf);
  if (lateHazards.length > 0) {
    shortfalls.push(
      `逾期未整改销号的隐患 ${lateHazards.length} 项：${lateHazards
        .map((row) => `${row.code} ${row.description}（期限 ${day(row.deadline!)}）`)
        .join('；')}。`,
    );
  }
  if (closedLate > 0) shortfalls.push(`超过整改期限才销号的隐患 ${closedLate} 项。`);
  const lateTasks = own.openTasks.filter((row) => row.dueAt < asOf);
  if (lateTasks.length > 0) {
    shortfalls.push(
      `逾期未完成的任务 ${lateTasks.length} 项：${lateTasks
        .map((row) => `${row.code} ${row.content}（截止 ${day(row.dueAt)}）`)
        .join('；')}。`,
    );
  }
  for (const accident of options.accidents ?? []) {
    shortfalls.push(
      `${accident.date} ${accident.place ? `${accident.place}发生` : '发生'}${accident.kind}${accident.severity ? `（${accident.severity}）` : ''}：${accident.summary}。`,
    );
  }
  part(
    2,
    shortfalls.length > 0
      ? [...numbered(shortfalls), '其他不足请本人补充。']
      : ['对照系统记录，本年度本人无未履职事项，无逾期未整改的隐患和逾期未完成的任务。其他不足请本人补充。'],
  );
  if (records.exempt.length > 0) {
    lines.push(
      `另：以下 ${records.exempt.length} 项职责当期不考核，不计为不足：${records.exempt
        .map((row) => `${row.periodKey} ${row.title}（${row.reason}）`)
        .join('；')}。`,
    );
  }

  // 四、下步打算
  const next = year + 1;
  const plans: string[] = [];
  if (openHazards.size > 0)
    plans.push(`督促 ${openHazards.size} 项未销号隐患按期整改销号：${codes([...openHazards.values()])}。`);
  if (own.openTasks.length > 0)
    plans.push(`办结在办任务 ${own.openTasks.length} 项：${codes(own.openTasks)}。`);
  if (records.missed.length > 0)
    plans.push(`针对未按要求完成的 ${records.missed.length} 项职责逐项整改，确保${next}年按期完成。`);
  if (own.duties.length > 0) {
    plans.push(
      `${next}年按期履行岗位安全职责：${own.duties
        .map((duty) => `${duty.title}（${CADENCE_LABEL[duty.cadence]}不少于 ${duty.minCount} 次）`)
        .join('；')}。`,
    );
  }
  plans.push(`签订${next}年度《一岗双责安全责任书》，把安全工作与业务工作同部署、同检查、同考核。`);
  part(3, numbered(plans));

  lines.push(
    '',
    '以上报告，请各位领导和同志们评议，批评指正。',
    '',
    `述职人：${leader.name}`,
    '日期：    年  月  日',
  );
  return `${lines.join('\n')}\n`;
}

// -------------------------------------------------------------------------------------------------
// Reading the text back: headings and paragraphs, for the DOCX and the printable page

export type StatementBlock =
  | { kind: 'title'; text: string }
  /** Who reports: the line after the title when it is not a sentence. */
  | { kind: 'byline'; text: string }
  | { kind: 'part'; text: string }
  | { kind: 'section'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'signature'; text: string };

/**
 * The blocks of a report's text: the first line is the title; `一、…` a part, `（一）…` a section;
 * `述职人：` and `日期：` lines the signature; every other line a paragraph; blank lines separate.
 */
export function statementBlocks(text: string): StatementBlock[] {
  const blocks: StatementBlock[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (blocks.length === 0) blocks.push({ kind: 'title', text: line });
    else if (blocks.length === 1 && !/[。：:]/.test(line)) blocks.push({ kind: 'byline', text: line });
    else if (/^[一二三四五六七八九十]+、/.test(line)) blocks.push({ kind: 'part', text: line });
    else if (/^（[一二三四五六七八九十]+）/.test(line)) blocks.push({ kind: 'section', text: line });
    else if (/^(述职人|日期)[:：]/.test(line)) blocks.push({ kind: 'signature', text: line });
    else blocks.push({ kind: 'paragraph', text: line });
  }
  return blocks;
}
