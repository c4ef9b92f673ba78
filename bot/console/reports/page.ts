// The report pages (DOMAIN §7): the quarterly statistics, the year-end assessment with the 一票否决
// flags, and a leader's 述职述安 draft. Printable: the print rules (REPORT_PRINT_CSS) hide the navigation and forms.
import { html } from 'hono/html';
import type { SchoolVisit } from '../../../db/queries/bureau.ts';
import type { Leader } from '../../../db/queries/reports.ts';
import { VETO_KINDS } from '../../../db/queries/reports.ts';
import type { AssessmentScheme, VetoKind } from '../../../handlers/accident-rules.ts';
import { type ScoredYearRow, scoredColumns } from '../../../handlers/assessment.ts';
import type { SpanReport } from '../../../handlers/report-stats.ts';
import { STAT_COLUMNS, TOTAL_NAME, VETO_LABEL, vetoResult } from '../../../handlers/reports.ts';
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
  rows: ScoredYearRow[];
  scheme: AssessmentScheme;
  bureau: boolean;
  people: { person: string; flag: { kind: VetoKind; reason: string } }[];
  csrf: string;
  /** A school of the viewer's bureau, read only (issue 19 §4). */
  school?: { id: number; name: string };
  /** The viewer's schools, when it is a bureau. */
  schools: { id: number; name: string }[];
  error?: string;
}): Html {
  const columns = scoredColumns(input.scheme, input.bureau);
  const query = input.school ? `&amp;school=${input.school.id}` : '';
  const adjusted = input.rows.flatMap((row) =>
    row.items.filter((item) => item.adjusted).map((item) => ({ row, item })),
  );
  return html`${tabs('year')}
<h1>${input.school?.name ?? input.tenantName} ${input.year}年度安全工作考核表</h1>
<form method="get" action="/console/reports/year" class="actions-row no-print">
  <label>年度 <input type="text" name="year" value="${input.year}" size="6"></label>
  ${
    input.schools.length > 0
      ? html`<label>查看 <select name="school"><option value="">本局各科室</option>${input.schools.map(
          (school) =>
            html`<option value="${school.id}"${school.id === input.school?.id ? ' selected' : ''}>${school.name}</option>`,
        )}</select></label>`
      : ''
  }
  <button class="btn" type="submit">查看</button>
  <a class="btn" href="/console/reports/year.xlsx?year=${input.year}${query}">下载 XLSX</a>
</form>
${errorFlash(input.error)}
<p class="muted">${
    input.bureau && !input.school
      ? '科室的制度落实、隐患排查治理和事故按其分包学校的记录计分（001 §三.4），安全检查和责任书按科室本身。'
      : ''
  }等次：${input.scheme.grades.excellent} 分及以上为优秀，${input.scheme.grades.pass} 分及以上为合格；无数据的项目不计入，得分按其余项目折算为百分制；一票否决者为不合格。</p>
<table class="report">
  <thead><tr><th>处室</th>${columns.map((column) => html`<th>${column.header}</th>`)}</tr></thead>
  <tbody>
    ${input.rows.map(
      (row) =>
        html`<tr data-unit="${row.unitId ?? ''}"><td>${row.name}</td>${columns.map((column) => {
          const value = column.value(row);
          return (column.header === '考核结果' && vetoResult(row) === '一票否决') ||
            (column.header === '等次' && row.grade === 'fail')
            ? html`<td class="veto">${value}</td>`
            : html`<td>${value}</td>`;
        })}</tr>`,
    )}
  </tbody>
</table>
${
  adjusted.length > 0
    ? html`<h2>办公室调整</h2><ul>${adjusted.map(
        ({ row, item }) =>
          html`<li>${row.name} · ${item.name}：${item.computed ?? '—'} → ${item.adjusted!.points}（${item.adjusted!.reason}）</li>`,
      )}</ul>`
    : ''
}
${
  input.people.length > 0
    ? html`<h2>个人一票否决（取消当年度评优评先、晋职晋级资格）</h2><ul>${input.people.map(
        (row) => html`<li>${row.person}：${VETO_LABEL[row.flag.kind]}（${row.flag.reason}）</li>`,
      )}</ul>`
    : ''
}
${
  input.school
    ? ''
    : html`<h2 class="no-print">调整得分</h2>
<form method="post" action="/console/reports/year/adjust" class="panel no-print">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <input type="hidden" name="year" value="${input.year}">
  <div class="cols">
    <label>处室 <select name="unit">${input.rows
      .filter((row) => row.unitId !== null)
      .map((row) => html`<option value="${row.unitId}">${row.name}</option>`)}</select></label>
    <label>项目 <select name="item">${input.scheme.items.map(
      (item) => html`<option value="${item.key}">${item.name}（${item.weight}分）</option>`,
    )}</select></label>
    <label>调整为（分；留空为撤销调整） <input type="text" name="points" size="5"></label>
  </div>
  <div class="wide"><label>理由（必填） <textarea name="reason" rows="2" maxlength="500"></textarea></label></div>
  <div class="actions-row"><button class="btn primary" type="submit">提交</button></div>
</form>
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
</form>`
}`;
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
