// `/console/rosters`: upload a duty roster (值班表, XLSX or CSV) the way `npm run roster:import` reads it,
// every problem listed with its row; and the shifts of the next 7 days with who is on duty, the 带班领导
// and who has confirmed being at their post.
import { html } from 'hono/html';
import type { RosterImportSummary, ShiftView } from '../../../db/queries/shifts.ts';
import { periodLabel, type RosterProblem } from '../../../handlers/roster-file.ts';
import { formatShiftTime, weekdayOf } from '../../../handlers/shift-rules.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { omittedLine } from '../../../handlers/upload-limits.ts';
import { formPanel } from '../fields.ts';
import { errorFlash, type Html } from '../layout.ts';

export interface RosterErrors {
  file: string;
  /** The first 50 problems; `omitted` counts the rest. */
  problems: RosterProblem[];
  omitted?: number;
}

export interface RostersState {
  csrf: string;
  timeZone: string;
  now: Date;
  /** The days shown: today and the next 6. */
  from: string;
  to: string;
  shifts: ShiftView[];
  /** A file refused: every problem, or one message when there is no file to speak of. */
  error?: RosterErrors | string;
  /** The most an upload may weigh, for the hint. */
  maxMegabytes: number;
}

/** What an import did, in one line for the flash message. */
export function rosterSummaryText(file: string, summary: RosterImportSummary): string {
  const parts = [
    `已导入值班表 ${file}（${periodLabel(summary)}）：新建 ${summary.created} 个班次`,
    summary.replaced > 0 ? `，替换尚未开始的原班次 ${summary.replaced} 个` : '',
    summary.kept > 0 ? `；已开始的 ${summary.kept} 个原班次保留原记录` : '',
    summary.skippedRows.length > 0
      ? `，文件第 ${summary.skippedRows.join('、')} 行对应的班次已开始，未改动`
      : '',
    '。',
  ];
  return parts.join('');
}

function errorPanel(error: RosterErrors | string): Html | '' {
  if (typeof error === 'string') return errorFlash(error);
  return html`<div class="flash error" role="alert">值班表 ${error.file} 有 ${error.problems.length + (error.omitted ?? 0)} 处问题，未导入任何班次。请修改后重新上传：</div>
<table class="problems">
  <thead><tr><th>行</th><th>列</th><th>问题</th></tr></thead>
  <tbody>
    ${error.problems.map(
      (problem) =>
        html`<tr><td>${problem.row === undefined ? '—' : `第 ${problem.row} 行`}</td><td>${problem.column ?? ''}</td><td>${problem.message}</td></tr>`,
    )}
  </tbody>
</table>${error.omitted ? html`<p class="muted">${omittedLine(error.omitted)}。</p>` : ''}`;
}

function uploadForm(state: RostersState): Html {
  const panel = {
    title: '导入值班表',
    action: '/console/rosters',
    csrf: state.csrf,
    error: state.error ? errorPanel(state.error) : '',
    upload: true,
  } as const;
  return formPanel(
    panel,
    html`<div class="actions-row">
      <input type="file" name="file" accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv" required>
      <button class="btn primary" type="submit">导入</button>
    </div>`,
    html`
  <p class="muted">Excel（.xlsx）或 CSV（UTF-8 或 GBK）文件，最大 ${state.maxMegabytes} MB。表头：<code>日期, 班次, 时间, 值班人员, 带班领导, 地点</code>（地点可不填），如
  <code>2026-12-01, 夜间值班, 17:30-07:30, 李国强, 章方辉, 门卫室</code>；多名值班人员用“、”分隔，人员写姓名或人员代码。
  文件中任何一行有问题都不会导入，所有问题连同行号一并列出。重新导入同一时段时，尚未开始的班次按新文件替换，已开始的班次保留原记录。</p>`,
  );
}

function confirmation(person: ShiftView['people'][number], view: ShiftView, state: RostersState): Html {
  if (person.confirmedAt) {
    return html`<span class="good">已到岗确认</span> <span class="muted nowrap">${formatDateTime(person.confirmedAt, state.timeZone)}</span>`;
  }
  return view.shift.startsAt <= state.now
    ? html`<span class="late">未确认到岗</span>`
    : html`<span class="wait">待确认</span>`;
}

const SWAP_STATUS = { pending: '待对方同意', accepted: '已换班', declined: '对方未同意' } as const;

function swapNote(view: ShiftView): Html | string {
  const swaps = view.swaps.filter((swap) => swap.status !== 'declined');
  if (swaps.length === 0) return '';
  return html`<br><span class="muted">换班：${swaps
    .map((swap) => `${swap.fromName}→${swap.toName}（${SWAP_STATUS[swap.status]}）`)
    .join('、')}</span>`;
}

function shiftTable(state: RostersState): Html {
  if (state.shifts.length === 0) {
    return html`<div class="panel"><p>${state.from} 至 ${state.to} 没有班次。请导入值班表。</p></div>`;
  }
  return html`<table>
  <thead><tr><th>日期</th><th>班次</th><th>时间</th><th>地点</th><th>值班人员（到岗确认）</th><th>带班领导</th><th>交班</th></tr></thead>
  <tbody>
    ${state.shifts.map(
      (view) => html`<tr data-shift="${view.shift.id}">
      <td class="nowrap">${view.shift.date}<br><span class="muted">${weekdayOf(view.shift.date)}</span></td>
      <td>${view.shift.name}</td>
      <td class="nowrap">${formatShiftTime(view.shift, state.timeZone)}</td>
      <td>${view.shift.place ?? ''}</td>
      <td>${view.people.map(
        (person, index) =>
          html`${index > 0 ? html`<br>` : ''}${person.name}：${confirmation(person, view, state)}`,
      )}${swapNote(view)}</td>
      <td>${view.leaderName ?? ''}</td>
      <td>${
        view.shift.handoverAt
          ? html`${view.handoverByName ?? ''}<br><span class="muted nowrap">${formatDateTime(view.shift.handoverAt, state.timeZone)}</span>`
          : ''
      }</td>
    </tr>`,
    )}
  </tbody>
</table>`;
}

export function rostersPage(state: RostersState): Html {
  return html`<h1>值班表</h1>
${uploadForm(state)}
<h2>未来 7 天的班次（${state.from} 至 ${state.to}）</h2>
${shiftTable(state)}`;
}
