// The report pages (DOMAIN §7): the quarterly statistics, the year-end assessment with the 一票否决
// flags, and a leader's 述职述安 draft. Printable: the print rules (REPORT_PRINT_CSS) hide the navigation and forms.
import { html } from 'hono/html';
import type { SchoolVisit } from '../../../db/queries/bureau.ts';
import type { Leader } from '../../../db/queries/reports.ts';
import { isLeadership, VETO_KINDS } from '../../../db/queries/reports.ts';
import type { AssessmentScheme, VetoKind } from '../../../handlers/accident-rules.ts';
import { type ScoredYearRow, scoredColumns } from '../../../handlers/assessment.ts';
import type { SpanReport } from '../../../handlers/report-stats.ts';
import { STAT_COLUMNS, TOTAL_NAME, VETO_LABEL, vetoResult } from '../../../handlers/reports.ts';
import { statementBlocks } from '../../../handlers/statement.ts';
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
  /** The whole school's 五有/九无/八杜绝 in the year ('' without target lists). */
  targets: string;
  csrf: string;
  /** A school of the viewer's bureau, read only (issue 19 §4). */
  school?: { id: number; name: string };
  /** The viewer's schools, when it is a bureau. */
  schools: { id: number; name: string }[];
  error?: string;
}): Html {
  const columns = scoredColumns(input);
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
  ${input.school ? '' : html`<a class="btn" href="/console/reports/archive.zip?year=${input.year}" title="隐患台账、排查登记表、事故登记、季度统计、年度考核、述职述安，一次下载">下载全年安全档案（迎检）</a>`}
</form>
${errorFlash(input.error)}
<p class="muted">${
    input.bureau && !input.school
      ? '科室的制度落实、隐患排查治理和事故按其分包学校的记录计分（001 §三.4），安全检查和责任书按科室本身。'
      : ''
  }等次：${input.scheme.grades.excellent} 分及以上为优秀，${input.scheme.grades.pass} 分及以上为合格；无数据的项目不计入，得分按其余项目折算为百分制；一票否决者为不合格。</p>
${input.targets ? html`<p id="school-targets"><strong>全校安全目标（004 §二）</strong>：${input.targets}</p>` : ''}
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

/** The printable report: the layout of the DOCX in the page (A4, 仿宋, indented paragraphs). */
export const STATEMENT_PRINT_CSS = html`${REPORT_PRINT_CSS}
.statement { max-width: 46em; margin: 0 auto; font-family: "FangSong", "STFangsong", "仿宋", serif; font-size: 16pt; line-height: 1.75; }
.statement h1 { text-align: center; font-family: "SimHei", "黑体", sans-serif; font-size: 22pt; margin: 0 0 .3em; }
.statement .byline { text-align: center; font-family: "KaiTi", "楷体", serif; margin: 0 0 1em; }
.statement h2 { font-family: "SimHei", "黑体", sans-serif; font-size: 16pt; font-weight: normal; text-indent: 2em; margin: .6em 0 0; }
.statement h3 { font-family: "KaiTi", "楷体", serif; font-size: 16pt; text-indent: 2em; margin: 0; }
.statement p { text-indent: 2em; margin: 0; text-align: justify; }
.statement p.signature { text-align: right; padding-right: 4em; text-indent: 0; }
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }`;

export function statementPrintPage(text: string, back: string): Html {
  return html`<p class="no-print actions-row"><a class="btn" href="${back}">返回</a> 请用浏览器的“打印”打印本页或另存为 PDF。</p>
<article class="statement">${statementBlocks(text).map((block) => {
    switch (block.kind) {
      case 'title':
        return html`<h1>${block.text}</h1>`;
      case 'byline':
        return html`<p class="byline">${block.text}</p>`;
      case 'part':
        return html`<h2>${block.text}</h2>`;
      case 'section':
        return html`<h3>${block.text}</h3>`;
      case 'signature':
        return html`<p class="signature">${block.text}</p>`;
      default:
        return html`<p>${block.text}</p>`;
    }
  })}</article>`;
}

const levelOf = (leader: Leader) => (isLeadership(leader) ? 'leader' : 'head');

export function statementPage(input: {
  year: number;
  leaders: Leader[];
  person?: Leader;
  text?: string;
  /** The draft from the records, when a saved version is shown instead. */
  generated?: string;
  saved?: { by: string; at: string };
  csrf: string;
  /** The bureau the school reports to: the 报送 button beside the download. */
  bureauName?: string;
}): Html {
  const option = (leader: Leader) =>
    html`<option value="${leader.id}"${leader.id === input.person?.id ? ' selected' : ''}>${leader.name}（${leader.posts.map((p) => p.title).join('、')}）</option>`;
  const person = input.person;
  const query = person ? `person=${person.id}&year=${input.year}` : '';
  const hidden = person
    ? html`<input type="hidden" name="_csrf" value="${input.csrf}">
  <input type="hidden" name="person" value="${person.id}">
  <input type="hidden" name="year" value="${input.year}">`
    : '';
  return html`${tabs('statement')}
<h1>述职述安报告${person ? html`：${person.name}` : ''}</h1>
<form method="get" action="/console/reports/statement" class="actions-row no-print">
  <label>述职人 <select name="person">
    <optgroup label="校（局）领导">${input.leaders.filter((leader) => levelOf(leader) === 'leader').map(option)}</optgroup>
    <optgroup label="部门负责人">${input.leaders.filter((leader) => levelOf(leader) === 'head').map(option)}</optgroup>
  </select></label>
  <label>年度 <input type="text" name="year" value="${input.year}" size="6"></label>
  <button class="btn" type="submit">打开报告</button>
</form>
${
  person && input.text !== undefined
    ? html`<p class="muted no-print" data-state="${input.saved ? 'saved' : 'draft'}">${
        input.saved
          ? html`当前为已保存的修改稿（${input.saved.by}，${input.saved.at}）；下载和打印均按此稿。记录有更新时，修改稿不会被覆盖。`
          : '当前为依据系统记录生成的草稿，尚未修改；请本人修改补充后保存。'
      }</p>
<div class="actions-row no-print">
  <a class="btn" href="/console/reports/statement.docx?${query}">下载 Word（.docx）</a>
  <a class="btn" href="/console/reports/statement/print?${query}">打印版</a>
  <a class="btn" href="/console/reports/statement.txt?${query}">下载文本（.txt）</a>
</div>
<form method="post" action="/console/reports/statement/save">
  ${hidden}
  <div class="wide"><textarea name="text" rows="32" maxlength="30000">${input.text}</textarea></div>
  <div class="actions-row"><button class="btn primary" type="submit">保存修改稿</button>
  <button class="btn" type="submit" formaction="/console/reports/statement.txt">下载修改后的文本（不保存）</button>
  ${input.bureauName ? html`<button class="btn" type="submit" formaction="/console/submissions/statement">报送${input.bureauName}</button>` : ''}</div>
</form>
${
  input.saved
    ? html`<details class="no-print"><summary>按最新记录生成的草稿（供对照）</summary><pre class="wrap">${input.generated ?? ''}</pre></details>
<form method="post" action="/console/reports/statement/discard" class="panel no-print">
  ${hidden}
  <label><input type="checkbox" name="confirm" value="yes"> 放弃已保存的修改稿</label>
  <button class="btn danger" type="submit">按最新记录重新生成</button>
</form>`
    : ''
}`
    : ''
}`;
}
