// The bureau's pages (issue 19): the comparison of its schools, each row a way into the school (read
// only), and the quarterly 调度会 pack, printable (REPORT_PRINT_CSS) and as XLSX.
import { html } from 'hono/html';
import {
  type BureauComparison,
  COMPARE_ORDERS,
  type CompareOrder,
  type SchoolComparison,
} from '../../../handlers/bureau-compare.ts';
import {
  change,
  DISTRICT_TOTAL,
  type MeetingPack,
  neededText,
  overdueText,
  PACK_SCHOOL_COLUMNS,
} from '../../../handlers/meeting-pack.ts';
import { percent } from '../../../handlers/reports.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { errorFlash, type Html } from '../layout.ts';

/** The address that switches a bureau's console into one of its schools. */
export const schoolHref = (schoolId: number) => `/console/bureau/schools/${schoolId}`;

const COLUMNS: { order: CompareOrder; header: string; value: (row: SchoolComparison) => string | number }[] =
  [
    { order: 'open', header: '未销号隐患', value: (row) => row.open },
    { order: 'overdue', header: '逾期', value: (row) => row.overdue },
    { order: 'listed', header: '挂牌督办', value: (row) => row.listed },
    {
      order: 'duties',
      header: '履职达标率',
      value: (row) => percent(row.dutiesMet, row.dutiesMet + row.dutiesMissed),
    },
    {
      order: 'letters',
      header: '责任书签订率',
      value: (row) => percent(row.lettersSigned, row.lettersIssued),
    },
    { order: 'shifts', header: '到岗确认率', value: (row) => percent(row.shiftConfirmed, row.shiftSlots) },
  ];

export function comparePage(input: {
  bureauName: string;
  data: BureauComparison;
  order: CompareOrder;
}): Html {
  const { data } = input;
  const sortLink = (order: CompareOrder, label: string) =>
    order === input.order
      ? html`<strong>${label} ▼</strong>`
      : html`<a href="/console/bureau?sort=${order}">${label}</a>`;
  return html`<h1>${input.bureauName}：所辖学校对比</h1>
<p class="muted">未销号、逾期、挂牌督办为当前数；履职达标率、责任书签订率、到岗确认率统计 ${data.yearStart} 至 ${data.today}（本年度）。按“${COMPARE_ORDERS[input.order]}”排序，最需关注的在前；点学校名称进入该校（只读查看）。</p>
${
  data.rows.length === 0
    ? html`<div class="panel"><p>本局还没有所辖学校：请在组织文件的 schools 中列出学校，或在学校的组织文件中写明 tenant.bureau。</p></div>`
    : html`<table class="report" id="schools">
  <thead><tr><th>${sortLink('name', '学校')}</th>${COLUMNS.map((column) => html`<th>${sortLink(column.order, column.header)}</th>`)}</tr></thead>
  <tbody>
    ${data.rows.map(
      (row) =>
        html`<tr data-school="${row.schoolId}"><td><a href="${schoolHref(row.schoolId)}">${row.name}</a></td>${COLUMNS.map(
          (column) => html`<td>${column.value(row)}</td>`,
        )}</tr>`,
    )}
  </tbody>
</table>`
}`;
}

/** The pack shows at most this many items on the page; the workbook has them all. */
export const PAGE_ITEMS = 500;

export function meetingPage(input: {
  pack: MeetingPack;
  quarter: string;
  timeZone: string;
  error?: string;
}): Html {
  const { pack } = input;
  const items = pack.items.slice(0, PAGE_ITEMS);
  return html`<h1>${pack.bureauName} ${pack.label}学校安全调度会材料</h1>
<form method="get" action="/console/bureau/meeting" class="actions-row no-print">
  <label>季度 <input type="text" name="quarter" value="${input.quarter}" placeholder="2026-Q4" size="8"></label>
  <button class="btn" type="submit">查看</button>
  <a class="btn" href="/console/bureau/meeting.xlsx?quarter=${encodeURIComponent(pack.key)}">下载 XLSX</a>
</form>
${errorFlash(input.error)}
<p class="muted">统计期 ${pack.start} 至 ${pack.end}，对比${pack.previousLabel}；未销号、逾期截至 ${formatDateTime(pack.asOf, input.timeZone)}${pack.current ? '（本季度尚未结束）' : '（季度末）'}。</p>

<h2>一、各校隐患排查治理情况</h2>
<table class="report" id="by-school">
  <thead><tr><th>学校</th>${PACK_SCHOOL_COLUMNS.map((column) => html`<th>${column.header}</th>`)}</tr></thead>
  <tbody>
    <tr><td><strong>${DISTRICT_TOTAL}</strong></td>${PACK_SCHOOL_COLUMNS.map((column) => html`<td><strong>${column.value(pack.total)}</strong></td>`)}</tr>
    ${pack.schools.map(
      (row) =>
        html`<tr data-school="${row.schoolId}"><td>${row.name}</td>${PACK_SCHOOL_COLUMNS.map((column) => html`<td>${column.value(row)}</td>`)}</tr>`,
    )}
  </tbody>
</table>

<h2>二、隐患类别（全区）</h2>
${
  pack.categories.length === 0
    ? html`<p class="muted">本季和上季均无隐患。</p>`
    : html`<table class="report" id="by-category">
  <thead><tr><th>类别</th><th>本季发现</th><th>上季发现</th><th>增减</th></tr></thead>
  <tbody>${pack.categories.map(
    (row) =>
      html`<tr><td>${row.category}</td><td>${row.now}</td><td>${row.before}</td><td>${change(row.now, row.before)}</td></tr>`,
  )}</tbody>
</table>`
}

<h2>三、逾期与挂牌督办隐患（${pack.items.length} 项）</h2>
${
  pack.items.length === 0
    ? html`<p class="muted">截至 ${pack.asOfDate} 无逾期或挂牌督办的隐患。</p>`
    : html`<table class="report" id="items">
  <thead><tr><th>学校</th><th>隐患编号</th><th>隐患描述</th><th>整改期限</th><th>逾期</th><th>挂牌督办</th></tr></thead>
  <tbody>${items.map(
    (item) =>
      html`<tr><td>${item.school}</td><td>${item.code}</td><td class="text">${item.description}</td><td>${item.deadline ?? '—'}</td><td>${overdueText(item)}</td><td>${item.listed ? '是' : '否'}</td></tr>`,
  )}</tbody>
</table>
${pack.items.length > items.length ? html`<p class="muted">页面仅列出前 ${items.length} 项，完整清单见 XLSX。</p>` : ''}`
}

<h2>四、分包学校督查（明查暗访）</h2>
${
  pack.visits.length === 0
    ? html`<p class="muted">本局的职责中没有列明分包学校的督查职责。</p>`
    : html`<table class="report" id="visits">
  <thead><tr><th>责任人</th><th>岗位</th><th>分包学校</th><th>应督查</th><th>已督查</th><th>未完成</th></tr></thead>
  <tbody>${pack.visits.map(
    (visit) =>
      html`<tr><td>${visit.person}</td><td>${visit.post}</td><td>${visit.school}</td><td>${neededText(visit)}</td><td>${visit.made}</td><td${visit.missed > 0 ? html` class="veto"` : ''}>${visit.missed}</td></tr>`,
  )}</tbody>
</table>`
}`;
}
