// `/console/submissions` (上报材料): what the tenant reported to the level above, with the comments it got,
// and — for a bureau — what its schools and members reported to it, to acknowledge and comment.
import { html } from 'hono/html';
import type { SubmissionRow } from '../../../db/queries/submissions.ts';
import { SUBMISSION_LABEL } from '../../../handlers/submissions.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { errorFlash, type Html } from '../layout.ts';

export interface SubmissionsState {
  csrf: string;
  timeZone: string;
  /** The level above, when there is one: the school reports to it. */
  bureauName?: string;
  quarter: string;
  sent: SubmissionRow[];
  /** For a bureau: received reports, and the schools that have not sent the quarter's report. */
  received?: SubmissionRow[];
  missing?: { school: string; what: string }[];
  error?: string;
}

const stateOf = (row: SubmissionRow, timeZone: string) =>
  row.submission.acknowledgedAt
    ? `已确认（${row.submission.acknowledgedBy}，${formatDateTime(row.submission.acknowledgedAt, timeZone)}）`
    : '待确认';

const commentOf = (row: SubmissionRow, timeZone: string): Html | string =>
  row.submission.comment
    ? html`<div class="comment">${row.submission.comment}<br><span class="muted">${row.submission.commentedBy} ${formatDateTime(row.submission.commentedAt!, timeZone)}</span></div>`
    : html`<span class="muted">—</span>`;

export function submissionsPage(state: SubmissionsState): Html {
  const tz = state.timeZone;
  const upward =
    state.bureauName !== undefined
      ? html`<h2>报送上级（${state.bureauName}）</h2>
<form method="post" action="/console/submissions/quarterly" class="panel actions-row">
  <input type="hidden" name="_csrf" value="${state.csrf}">
  <label>季度 <input type="text" name="quarter" value="${state.quarter}" size="8" placeholder="2026-Q4"></label>
  <button class="btn primary" type="submit">报送季度安全工作报告</button>
  <span class="muted">述职述安在“报表 → 述职述安”中修改后报送（次年1月10日前）。</span>
</form>
${
  state.sent.length === 0
    ? html`<p class="muted">尚未报送。</p>`
    : html`<table>
  <thead><tr><th>材料</th><th>期间</th><th>本人</th><th>报送</th><th>状态</th><th>上级意见</th></tr></thead>
  <tbody>${state.sent.map(
    (row) => html`<tr data-submission="${row.submission.id}">
  <td><a href="/console/submissions/${row.submission.id}">${row.submission.title}</a></td>
  <td>${row.submission.period}</td>
  <td>${row.personName ?? '—'}</td>
  <td class="nowrap">${formatDateTime(row.submission.submittedAt, tz)}</td>
  <td>${stateOf(row, tz)}</td>
  <td>${commentOf(row, tz)}</td>
</tr>`,
  )}</tbody>
</table>`
}`
      : '';
  const received =
    state.received !== undefined
      ? html`<h2>收到的报送</h2>
${
  state.missing && state.missing.length > 0
    ? html`<div class="flash warning" role="status">尚未报送：${state.missing.map((one) => `${one.school}（${one.what}）`).join('；')}</div>`
    : ''
}
${
  state.received.length === 0
    ? html`<p class="muted">还没有收到报送。</p>`
    : html`<table>
  <thead><tr><th>单位</th><th>材料</th><th>期间</th><th>本人</th><th>报送</th><th>状态</th><th>意见</th></tr></thead>
  <tbody>${state.received.map(
    (row) => html`<tr data-submission="${row.submission.id}">
  <td>${row.fromName}</td>
  <td><a href="/console/submissions/${row.submission.id}">${row.submission.title}</a></td>
  <td>${row.submission.period}</td>
  <td>${row.personName ?? '—'}</td>
  <td class="nowrap">${formatDateTime(row.submission.submittedAt, tz)}</td>
  <td>${stateOf(row, tz)}</td>
  <td>${commentOf(row, tz)}</td>
</tr>`,
  )}</tbody>
</table>`
}`
      : '';
  return html`<h1>上报材料</h1>
<p class="muted">分包督查报告（001 §三.2）、学校季度安全工作报告（003 §五.1）和领导述职述安（003 §四，次年1月10日前）逐级报送，上级确认并批注，意见留存。</p>
${errorFlash(state.error)}
${upward}
${received}`;
}

export function submissionPage(input: {
  row: SubmissionRow;
  timeZone: string;
  /** The viewer received it: the acknowledge and comment form. */
  canAnswer: boolean;
  csrf: string;
  error?: string;
}): Html {
  const { row, timeZone } = input;
  const s = row.submission;
  return html`<p><a href="/console/submissions">← 上报材料</a></p>
<h1>${s.title}</h1>
<p class="muted">${row.fromName} · ${SUBMISSION_LABEL[s.kind]} · ${s.period}${row.personName ? ` · ${row.personName}` : ''} · ${s.submittedBy} 报送于 ${formatDateTime(s.submittedAt, timeZone)} · ${stateOf(row, timeZone)}</p>
${errorFlash(input.error)}
<pre class="panel report-body">${s.body}</pre>
<h2>上级意见</h2>
${commentOf(row, timeZone)}
${
  input.canAnswer
    ? html`<form method="post" action="/console/submissions/${s.id}/ack" class="panel">
  <input type="hidden" name="_csrf" value="${input.csrf}">
  <div class="wide"><label>意见（可不填，仅确认收到） <textarea name="comment" rows="3" maxlength="1000"></textarea></label></div>
  <div class="actions-row"><button class="btn primary" type="submit">${s.acknowledgedAt ? '提交意见' : '确认收到'}</button></div>
</form>`
    : ''
}`;
}
