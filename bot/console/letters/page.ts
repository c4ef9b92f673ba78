// `/console/letters`: start a year's round of the 一岗双责 safety responsibility letter (责任书) in the name
// of an office member (the same code path as the chat command 发起责任书), and follow who has signed,
// per unit, from letterStatus.
import { html } from 'hono/html';
import { LEVEL_LABEL, letterTitle, type UnitProgress } from '../../../cards/letter.ts';
import type { LetterStatusRow } from '../../../db/queries/letters.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { type Choice, operationForm, option } from '../fields.ts';
import type { Html } from '../layout.ts';

export interface LettersState {
  csrf: string;
  timeZone: string;
  /** The year shown. */
  year: number;
  /** The years a round may be started for (the current one and its neighbours). */
  startYears: number[];
  /** The years that have a round, newest first. */
  roundYears: number[];
  /** Who the console may act as (demo mode): the office staff and the 第一责任人. */
  runners: Choice[];
  /** The logged-in office account the console acts as (then there is no choice of member). */
  actingAs?: string;
  values: { actor: string; year: string };
  error?: string;
  round?: { startedAt: Date; startedByName: string | null };
  units: UnitProgress[];
  rows: LetterStatusRow[];
  leadersLabel: string;
}

function startForm(state: LettersState): Html {
  const actor = {
    name: 'actor',
    label: '发起人',
    placeholder: '请选择安全办公室成员',
    choices: state.runners,
    selected: state.values.actor,
  };
  return operationForm(
    state,
    { title: '发起责任书签订', action: '/console/letters', actor },
    html`<label>年度
        <select name="year">
          ${state.startYears.map((year) => option({ value: String(year), label: `${year} 年度` }, state.values.year))}
        </select>
      </label>`,
    html`<div class="actions-row">
      <button class="btn primary" type="submit">发起签订</button>
      <span class="muted">每位在岗人员按岗位各收到一份责任书卡片（含岗位职责和“确认签订”按钮）；未签订的人员在下发 3 天、7 天后收到提醒。同一年度只发起一次。</span>
    </div>`,
  );
}

function percent(signed: number, total: number): string {
  return total === 0 ? '—' : `${Math.round((signed * 100) / total)}%`;
}

function progress(state: LettersState): Html {
  const title = letterTitle(state.year);
  if (!state.round) {
    return html`<div class="panel"><p>${title}尚未发起。</p></div>`;
  }
  const total = state.units.reduce((sum, unit) => sum + unit.total, 0);
  const signed = state.units.reduce((sum, unit) => sum + unit.signed, 0);
  const tz = state.timeZone;
  return html`<div class="panel">
  <p><strong>${title}</strong>：${formatDateTime(state.round.startedAt, tz)}${state.round.startedByName ? ` 由${state.round.startedByName}` : ''}发起。
  总体 <strong>${signed}/${total}</strong> 已签订（${percent(signed, total)}）。</p>
</div>
<table class="progress">
  <thead><tr><th>处室</th><th>已签订/应签订</th><th>进度</th><th>未签订</th></tr></thead>
  <tbody>
    ${state.units.map(
      (unit) => html`<tr data-unit="${unit.unitName}">
      <td>${unit.unitName}</td>
      <td class="nowrap ${unit.signed === unit.total ? 'good' : 'wait'}">${unit.signed}/${unit.total}</td>
      <td>${percent(unit.signed, unit.total)}</td>
      <td>${unit.waiting.map((w) => `${w.name}（${w.postTitle}${w.issued ? '' : '，待补发'}）`).join('、')}</td>
    </tr>`,
    )}
  </tbody>
</table>
<h2>明细</h2>
<table>
  <thead><tr><th>处室</th><th>岗位</th><th>责任级别</th><th>责任人</th><th>下发时间</th><th>签订</th></tr></thead>
  <tbody>
    ${state.rows.map(
      (row) => html`<tr>
      <td>${row.unitName ?? state.leadersLabel}</td>
      <td>${row.postTitle}</td>
      <td class="nowrap">${LEVEL_LABEL[row.level]}</td>
      <td>${row.personName}${row.current ? '' : html`<br><span class="muted">已离任</span>`}</td>
      <td class="nowrap">${row.issuedAt ? formatDateTime(row.issuedAt, tz) : html`<span class="wait">待补发</span>`}</td>
      <td class="nowrap">${
        row.signedAt
          ? html`<span class="good">已签订</span> <span class="muted">${formatDateTime(row.signedAt, tz)}</span>`
          : row.current
            ? html`<span class="wait">未签订</span>`
            : html`<span class="muted">未签订（由继任者履行）</span>`
      }</td>
    </tr>`,
    )}
  </tbody>
</table>`;
}

export function lettersPage(state: LettersState): Html {
  const years = [...new Set([...state.roundYears, state.year])].sort((a, b) => b - a);
  return html`<h1>责任书签订</h1>
${startForm(state)}
<h2>签订进度</h2>
<nav class="tabs" aria-label="年度">
  ${years.map(
    (year) =>
      html`<a href="/console/letters?year=${year}" class="${year === state.year ? 'on' : ''}">${year} 年度</a>`,
  )}
</nav>
${progress(state)}`;
}
