// The report pages (DOMAIN §7): the quarterly statistics, the year-end assessment with the 一票否决
// flags, and a leader's 述职述安 draft. Printable: the print rules (REPORT_PRINT_CSS) hide the navigation and forms.
import { html } from 'hono/html';
import type { SchoolVisit } from '../../../db/queries/bureau.ts';
import type { Leader } from '../../../db/queries/reports.ts';
import { VETO_KINDS } from '../../../db/queries/reports.ts';
import type { SpanReport, UnitYearRow } from '../../../handlers/report-stats.ts';
import { STAT_COLUMNS, TOTAL_NAME, VETO_LABEL, vetoResult, YEAR_COLUMNS } from '../../../handlers/reports.ts';
import { visitLine } from '../../../handlers/submissions.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { errorFlash, type Html } from '../layout.ts';

/** The report pages' print rules, in the page's head (layout.ts): printed, a report is the table alone. */
export const REPORT_PRINT_CSS = html`@media print {
  .top, .banner, .no-print, form { display: none !important; }
  main { max-width: none; margin: 0; padding: 0; }
  body, html { background: #fff; font-size: 11pt; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}`;

const tabs = (active: string) => html`<div class="tabs no-print">
  <a href="/console/reports/quarterly" class="${active === 'quarterly' ? 'on' : ''}">季度统计</a>
  <a href="/console/reports/year" class="${active === 'year' ? 'on' : ''}">年度考核</a>
  <a href="/console/reports/statement" class="${active === 'statement' ? 'on' : ''}">述职述安</a>
</div>`;

export function quarterlyPage(input: {
  tenantName: string;
  quarter: string;
  label: string;
  report: SpanReport;
  timeZone: string;
  error?: string;
  /** The visits of the school's bureau in the quarter (区教育局督查). */
  visits?: SchoolVisit[];
  /** The bureau the school reports to, and the session's CSRF token: the 报送上级 form. */
  upward?: { bureauName: string; csrf: string };
}): Html {
  const { report } = input;
  const upward = input.upward
    ? html`<form method="post" action="/console/submissions/quarterly" class="actions-row no-print">
  <input type="hidden" name="_csrf" value="${input.upward.csrf}">
  <input type="hidden" name="quarter" value="${input.quarter}">
  <button class="btn primary" type="submit">报送${input.upward.bureauName}</button>
</form>`
    : '';
  return html`${tabs('quarterly')}
<h1>${input.tenantName} ${input.label}安全工作统计</h1>
<form method="get" action="/console/reports/quarterly" class="actions-row no-print">
  <label>季度 <input type="text" name="quarter" value="${input.quarter}" placeholder="2026-Q4" size="8"></label>
  <button class="btn" type="submit">查看</button>
  <a class="btn" href="/console/reports/quarterly.xlsx?quarter=${encodeURIComponent(input.quarter)}">下载 XLSX</a>
</form>
${errorFlash(input.error)}
<p class="muted">统计期 ${report.span.start} 至 ${report.span.end}；未销号、逾期截至 ${formatDateTime(report.asOf, input.timeZone)}${report.current ? '（本季度尚未结束）' : '（季度末）'}。职责达标/未达标按本季度内结束的考核周期统计。</p>
<table class="report">
  <thead><tr><th>处室</th>${STAT_COLUMNS.map((column) => html`<th>${column.header}</th>`)}</tr></thead>
  <tbody>
    <tr><td><strong>${TOTAL_NAME}</strong></td>${STAT_COLUMNS.map((column) => html`<td><strong>${column.value(report.total)}</strong></td>`)}</tr>
    ${report.units.map(
      (unit) =>
        html`<tr><td>${unit.name}</td>${STAT_COLUMNS.map((column) => html`<td>${column.value(unit.stats)}</td>`)}</tr>`,
    )}
  </tbody>
</table>
${
  input.visits && input.visits.length > 0
    ? html`<h2>上级督查</h2><ul class="visits">${input.visits.map((visit) => html`<li>${visitLine(visit)}</li>`)}</ul>`
    : ''
}
${upward}`;
}

export function yearPage(input: {
  tenantName: string;
  year: number;
  rows: UnitYearRow[];
  csrf: string;
  error?: string;
}): Html {
  return html`${tabs('year')}
<h1>${input.tenantName} ${input.year}年度安全工作考核表</h1>
<form method="get" action="/console/reports/year" class="actions-row no-print">
  <label>年度 <input type="text" name="year" value="${input.year}" size="6"></label>
  <button class="btn" type="submit">查看</button>
  <a class="btn" href="/console/reports/year.xlsx?year=${input.year}">下载 XLSX</a>
</form>
${errorFlash(input.error)}
<table class="report">
  <thead><tr><th>处室</th>${YEAR_COLUMNS.map((column) => html`<th>${column.header}</th>`)}</tr></thead>
  <tbody>
    ${input.rows.map(
      (row) =>
        html`<tr data-unit="${row.unitId ?? ''}"><td>${row.name}</td>${YEAR_COLUMNS.map((column) => {
          const value = column.value(row);
          return column.header === '考核结果' && vetoResult(row) === '一票否决'
            ? html`<td class="veto">${value}</td>`
            : html`<td>${value}</td>`;
        })}</tr>`,
    )}
  </tbody>
</table>
<h2 class="no-print">一票否决（003 §七.3）</h2>
<form method="post" action="/console/reports/year/veto" class="panel no-print">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <input type="hidden" name="year" value="${input.year}">
  <div class="cols">
    <label>处室 <select name="unit">${input.rows
      .filter((row) => row.unitId !== null)
      .map((row) => html`<option value="${row.unitId}">${row.name}</option>`)}</select></label>
    <label>否决事项 <select name="kind">${VETO_KINDS.map(
      (kind) => html`<option value="${kind}">${VETO_LABEL[kind]}</option>`,
    )}</select></label>
    <label>操作 <select name="action"><option value="set">设定</option><option value="clear">撤销</option></select></label>
  </div>
  <div class="wide"><label>理由（设定时必填） <textarea name="reason" rows="2" maxlength="500"></textarea></label></div>
  <div class="actions-row"><button class="btn primary" type="submit">提交</button></div>
</form>`;
}

export function statementPage(input: {
  year: number;
  leaders: Leader[];
  person?: Leader;
  text?: string;
  csrf: string;
  /** The bureau the school reports to: the 报送 button beside the download. */
  bureauName?: string;
}): Html {
  return html`${tabs('statement')}
<h1>述职述安报告草稿${input.person ? html`：${input.person.name}` : ''}</h1>
<form method="get" action="/console/reports/statement" class="actions-row no-print">
  <label>领导 <select name="person">${input.leaders.map(
    (leader) =>
      html`<option value="${leader.id}"${leader.id === input.person?.id ? ' selected' : ''}>${leader.name}（${leader.posts.map((p) => p.title).join('、')}）</option>`,
  )}</select></label>
  <label>年度 <input type="text" name="year" value="${input.year}" size="6"></label>
  <button class="btn" type="submit">生成草稿</button>
</form>
${
  input.person && input.text !== undefined
    ? html`<p class="muted no-print">草稿仅依据系统记录生成，请本人修改补充后使用。</p>
<form method="post" action="/console/reports/statement.txt">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <input type="hidden" name="person" value="${input.person.id}">
  <input type="hidden" name="year" value="${input.year}">
  <div class="wide"><textarea name="text" rows="28">${input.text}</textarea></div>
  <div class="actions-row"><button class="btn primary" type="submit">下载修改后的文本（.txt）</button>
  ${input.bureauName ? html`<button class="btn" type="submit" formaction="/console/submissions/statement">报送${input.bureauName}</button>` : ''}
  <a class="btn" href="/console/reports/statement.txt?person=${input.person.id}&amp;year=${input.year}">下载原始草稿</a></div>
</form>`
    : ''
}`;
}
