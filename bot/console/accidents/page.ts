// The accident register's pages (事故/事件登记, issue 20 §4): the year's register with the 一票否决 proposals
// awaiting the office's decision, the form of a new record, and one accident with its proposals.
import { html } from 'hono/html';
import type { Accident, postsWithHolders, proposalsOf } from '../../../db/queries/accidents.ts';
import {
  ACCIDENT_KIND_LABELS,
  ACCIDENT_KINDS,
  ACCIDENT_SEVERITIES,
  ACCIDENT_SEVERITY_LABELS,
  PROPOSAL_STATUS_LABELS,
} from '../../../handlers/accident-rules.ts';
import { accidentColumns, type Party, proposalText } from '../../../handlers/accidents.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { option } from '../fields.ts';
import { errorFlash, type Html } from '../layout.ts';

type Proposal = Awaited<ReturnType<typeof proposalsOf>>[number];
type PostRow = Awaited<ReturnType<typeof postsWithHolders>>[number];

/** What the form was filled with, shown again when it is refused. */
export type AccidentFormValues = Record<string, string | string[]>;

const who = (row: Proposal) =>
  row.proposal.unitId !== null ? `${row.unit}（单位）` : `${row.person}（个人）`;

function proposalRows(rows: Proposal[], csrf: string, timeZone: string): Html {
  if (rows.length === 0) return html`<p class="muted">无。</p>`;
  return html`<table class="report">
  <thead><tr><th>事故</th><th>对象</th><th>年度</th><th>状态</th><th>决定</th></tr></thead>
  <tbody>${rows.map(
    (row) => html`<tr data-proposal="${row.proposal.id}">
    <td><a href="/console/accidents/${row.proposal.accidentId}">${row.code}</a></td>
    <td>${proposalText(row.proposal, who(row))}</td>
    <td>${row.proposal.year}</td>
    <td>${PROPOSAL_STATUS_LABELS[row.proposal.status]}</td>
    <td>${
      row.proposal.status === 'pending'
        ? html`<form method="post" action="/console/accidents/proposals/${row.proposal.id}" class="inline no-print">
        <input type="hidden" name="_csrf" value="${csrf}">
        <input type="text" name="reason" maxlength="500" placeholder="理由（必填）" size="24">
        <button class="btn primary" type="submit" name="decision" value="confirm">确认否决</button>
        <button class="btn" type="submit" name="decision" value="dismiss">驳回</button>
      </form>`
        : html`${row.proposal.decidedBy} ${row.proposal.decidedAt ? formatDateTime(row.proposal.decidedAt, timeZone) : ''}：${row.proposal.decisionReason}`
    }</td>
  </tr>`,
  )}</tbody>
</table>`;
}

export function registerPage(input: {
  tenantName: string;
  year: number;
  rows: { accident: Accident; parties: Party[] }[];
  pending: Proposal[];
  units: { id: number; name: string }[];
  posts: PostRow[];
  values: AccidentFormValues;
  confidential: boolean;
  now: Date;
  timeZone: string;
  csrf: string;
  error?: string;
}): Html {
  const columns = accidentColumns(input.confidential, input.now, input.timeZone);
  const value = (name: string) => {
    const got = input.values[name];
    return typeof got === 'string' ? got : '';
  };
  const chosen = (name: string) => {
    const got = input.values[name];
    return Array.isArray(got) ? got : typeof got === 'string' && got ? [got] : [];
  };
  const postChoices = new Map<number, { label: string; holders: string[] }>();
  for (const post of input.posts) {
    const entry = postChoices.get(post.postId) ?? {
      label: `${post.unit ? `${post.unit} ` : ''}${post.title}`,
      holders: [],
    };
    if (post.person) entry.holders.push(post.person);
    postChoices.set(post.postId, entry);
  }
  const postLabel = (entry: { label: string; holders: string[] }) =>
    entry.holders.length > 0 ? `${entry.label}（${entry.holders.join('、')}）` : entry.label;
  return html`<h1>${input.tenantName} ${input.year}年度事故/事件登记</h1>
<form method="get" action="/console/accidents" class="actions-row no-print">
  <label>年度 <input type="text" name="year" value="${input.year}" size="6"></label>
  <button class="btn" type="submit">查看</button>
  <a class="btn" href="/console/accidents.xlsx?year=${input.year}">下载 XLSX</a>
</form>
<h2>待确认的一票否决（002 §四(一)、003 §七.3）</h2>
${proposalRows(input.pending, input.csrf, input.timeZone)}
<h2>登记表</h2>
${
  input.rows.length === 0
    ? html`<p class="muted">本年度没有登记的事故或事件。</p>`
    : html`<table class="report">
  <thead><tr>${columns.map((column) => html`<th>${column.header}</th>`)}</tr></thead>
  <tbody>${input.rows.map(
    ({ accident, parties }) =>
      html`<tr data-accident="${accident.id}">${columns.map((column, index) =>
        index === 0
          ? html`<td><a href="/console/accidents/${accident.id}">${column.value(accident, parties)}</a></td>`
          : html`<td>${column.value(accident, parties)}</td>`,
      )}</tr>`,
  )}</tbody>
</table>`
}
<div class="panel no-print">
  <h2 class="flush">登记事故/事件</h2>
  ${errorFlash(input.error)}
  <form method="post" action="/console/accidents">
    <input type="hidden" name="_csrf" value="${input.csrf}">
    <div class="cols">
      <label>类别 <select name="kind" required>${ACCIDENT_KINDS.map((kind) =>
        option({ value: kind, label: ACCIDENT_KIND_LABELS[kind] }, value('kind')),
      )}</select></label>
      <label>等级 <select name="severity" required>${ACCIDENT_SEVERITIES.map((severity) =>
        option({ value: severity, label: ACCIDENT_SEVERITY_LABELS[severity] }, value('severity')),
      )}</select></label>
      <label>发生时间 <input type="datetime-local" name="occurred_at" value="${value('occurred_at')}" required></label>
      <label>地点 <input type="text" name="place" value="${value('place')}" maxlength="100" required></label>
      <label>涉及学生（人） <input type="number" name="students" min="0" value="${value('students') || '0'}"></label>
      <label>涉及教职工（人） <input type="number" name="staff" min="0" value="${value('staff') || '0'}"></label>
      <label>受伤（人） <input type="number" name="injured" min="0" value="${value('injured') || '0'}"></label>
      <label>死亡（人） <input type="number" name="deaths" min="0" value="${value('deaths') || '0'}"></label>
      <label>责任事故 <select name="responsible">${[
        { value: 'no', label: '否（无人负有责任）' },
        { value: 'yes', label: '是（有单位或个人负有责任）' },
      ].map((choice) => option(choice, value('responsible')))}</select></label>
      <label>已上报上级时间（未报留空） <input type="datetime-local" name="reported_at" value="${value('reported_at')}"></label>
      <label>上报对象 <input type="text" name="reported_to" value="${value('reported_to')}" maxlength="100" placeholder="如：区教育局法规安全科"></label>
    </div>
    <div class="cols">
      <label>责任单位（可多选） <select name="units" multiple size="6">${input.units.map((unit) =>
        option(
          { value: String(unit.id), label: unit.name },
          chosen('units').includes(String(unit.id)) ? String(unit.id) : '',
        ),
      )}</select></label>
      <label>责任岗位（可多选；现任者为责任人） <select name="posts" multiple size="6">${[...postChoices].map(
        ([id, entry]) =>
          option(
            { value: String(id), label: postLabel(entry) },
            chosen('posts').includes(String(id)) ? String(id) : '',
          ),
      )}</select></label>
    </div>
    <div class="wide"><label>概况 <textarea name="summary" rows="2" maxlength="1000" required>${value('summary')}</textarea></label></div>
    <div class="wide"><label>受伤人员姓名（保密） <textarea name="injured_names" rows="1" maxlength="500">${value('injured_names')}</textarea></label></div>
    <div class="wide"><label>处置情况（保密） <textarea name="handling" rows="2" maxlength="2000">${value('handling')}</textarea></label></div>
    <div class="wide"><label>后续整改措施 <textarea name="follow_up" rows="2" maxlength="2000">${value('follow_up')}</textarea></label></div>
    <div class="actions-row"><button class="btn primary" type="submit">登记</button>
    <span class="muted">“八杜绝”所列事故且有人负有责任的，自动提出对责任单位和责任人的一票否决，由办公室确认或驳回。</span></div>
  </form>
</div>`;
}

export function accidentPage(input: {
  accident: Accident;
  parties: Party[];
  proposals: Proposal[];
  confidential: boolean;
  now: Date;
  timeZone: string;
  csrf: string;
  /** The bureau above in this system, if any: the 快报 goes to it from here. */
  bureauName?: string;
  error?: string;
}): Html {
  const { accident } = input;
  const columns = accidentColumns(input.confidential, input.now, input.timeZone);
  return html`<p class="no-print"><a href="/console/accidents">← 事故/事件登记</a></p>
<h1>事故/事件 ${accident.code}</h1>
${errorFlash(input.error)}
<table class="report">
  <tbody>${columns.map(
    (column) => html`<tr><th>${column.header}</th><td>${column.value(accident, input.parties)}</td></tr>`,
  )}
  <tr><th>登记人</th><td>${accident.recordedBy}（${formatDateTime(accident.createdAt, input.timeZone)}）</td></tr></tbody>
</table>
${
  accident.reportedAt || !input.bureauName
    ? ''
    : html`<form method="post" action="/console/accidents/${accident.id}/report-up" class="panel no-print">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <p>向${input.bureauName}报送事故快报：发给教育局办公室和本校的分包人员，不含受伤人员姓名和处置情况等保密内容；报送后记为已上报。</p>
  <div class="actions-row"><button class="btn primary" type="submit">报送${input.bureauName}</button></div>
</form>`
}
${
  accident.reportedAt
    ? ''
    : html`<form method="post" action="/console/accidents/${accident.id}/report" class="panel no-print">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <div class="cols">
    <label>上报时间 <input type="datetime-local" name="reported_at" required></label>
    <label>上报对象 <input type="text" name="reported_to" maxlength="100" required placeholder="如：区教育局法规安全科"></label>
  </div>
  <div class="actions-row"><button class="btn primary" type="submit">记录已上报</button></div>
</form>`
}
<h2>一票否决建议</h2>
${proposalRows(input.proposals, input.csrf, input.timeZone)}`;
}

/** The dashboard's notice (issue 20 §4): proposals awaiting a decision and accidents not reported in time. */
export function accidentsPanel(pending: Proposal[], unreported: Accident[]): Html | '' {
  if (pending.length === 0 && unreported.length === 0) return '';
  return html`<section class="panel" id="accidents"><h2>事故登记待办</h2><ul>
  ${pending.map(
    (row) =>
      html`<li>待确认：<a href="/console/accidents/${row.proposal.accidentId}">${row.code}</a> ${proposalText(row.proposal, who(row))}</li>`,
  )}
  ${unreported.map(
    (row) => html`<li>逾期未报上级：<a href="/console/accidents/${row.id}">${row.code}</a> ${row.place}</li>`,
  )}
</ul></section>`;
}
