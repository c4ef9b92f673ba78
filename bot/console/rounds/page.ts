// `/console/rounds`: the checklists (from the organization file, edited here), the inspection rounds
// with their 排查登记表 (XLSX and a page to print), and the register of a period.
import { html } from 'hono/html';
import type { ChecklistItem } from '../../../db/queries/checklists.ts';
import {
  CHECKLIST_KIND_LABELS,
  type ChecklistKind,
  ROUND_STATUS_LABELS,
} from '../../../handlers/inspection-rules.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { type Choice, option } from '../fields.ts';
import type { Html } from '../layout.ts';

export interface RoundsState {
  timeZone: string;
  from: string;
  to: string;
  lists: { id: number; name: string; kind: ChecklistKind; unitName: string | null; source: string | null }[];
  rounds: {
    id: number;
    code: string;
    startedAt: Date;
    checklistName: string;
    scopeName: string;
    inspectorName: string | null;
    status: 'open' | 'signed';
  }[];
  error?: string;
}

export function roundsPage(state: RoundsState): Html {
  return html`<h1>检查清单与排查登记</h1>
<p class="muted">清单来自组织文件的 checklists（可在此增改、归档条目）；对话中发送“开始检查 &lt;清单名&gt;”逐项检查，“检查签字”完成。不合格项登记为隐患（来源：检查）并转责任处室。</p>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
<h2>检查清单</h2>
<table>
  <thead><tr><th>清单</th><th>类型</th><th>处室</th><th>依据</th></tr></thead>
  <tbody>${state.lists.map(
    (list) =>
      html`<tr><td><a href="/console/rounds/checklists/${list.id}">${list.name}</a>${list.kind === 'inspection' ? html` · <a href="/console/rounds/new?list=${list.id}">录入检查</a>` : ''}</td><td>${CHECKLIST_KIND_LABELS[list.kind]}</td><td>${list.unitName ?? '全校'}</td><td>${list.source ?? ''}</td></tr>`,
  )}</tbody>
</table>
<h2>排查登记表（按期间）</h2>
<form method="get" action="/console/rounds/register" class="inline">
  <label>开始日期 <input name="from" value="${state.from}"></label>
  <label>结束日期 <input name="to" value="${state.to}"></label>
  <button class="btn" type="submit" name="format" value="xlsx">导出 XLSX</button>
  <button class="btn" type="submit" name="format" value="html">打印</button>
</form>
<h2>检查记录</h2>
${
  state.rounds.length === 0
    ? html`<p class="muted">暂无检查。</p>`
    : html`<table>
  <thead><tr><th>编号</th><th>开始时间</th><th>清单</th><th>范围</th><th>检查人</th><th>状态</th><th>登记表</th></tr></thead>
  <tbody>${state.rounds.map(
    (
      round,
    ) => html`<tr data-round="${round.code}"><td>${round.code}</td><td class="nowrap">${formatDateTime(round.startedAt, state.timeZone)}</td><td>${round.checklistName}</td><td>${round.scopeName}</td><td>${round.inspectorName ?? ''}</td><td>${ROUND_STATUS_LABELS[round.status]}</td>
<td class="nowrap"><a href="/console/rounds/${round.id}/register?format=xlsx">XLSX</a> · <a href="/console/rounds/${round.id}/register?format=html">打印</a></td></tr>`,
  )}</tbody>
</table>`
}`;
}

export interface ChecklistState {
  csrf: string;
  list: { id: number; name: string; kind: ChecklistKind; source: string | null };
  items: ChecklistItem[];
  error?: string;
}

const itemFields = (
  item?: Pick<ChecklistItem, 'text' | 'source' | 'area'>,
) => html`<label>检查项目 <input name="text" value="${item?.text ?? ''}" size="40"></label>
  <label>依据 <input name="source" value="${item?.source ?? ''}" size="16"></label>
  <label>区域 <input name="area" value="${item?.area ?? ''}" size="8"></label>`;

export function checklistPage(state: ChecklistState): Html {
  const base = `/console/rounds/checklists/${state.list.id}`;
  return html`<h1>${state.list.name}</h1>
<p class="muted">${CHECKLIST_KIND_LABELS[state.list.kind]}清单${state.list.source ? `，依据 ${state.list.source}` : ''}。修改均记入操作日志；归档的条目不再出现在新的检查中，已有检查记录保留。重新导入组织文件时，文件中的条目以文件为准。</p>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
<table>
  <thead><tr><th>#</th><th>条目</th><th>操作</th></tr></thead>
  <tbody>${state.items.map(
    (
      item,
      index,
    ) => html`<tr data-item="${item.id}" class="${item.archived ? 'muted' : ''}"><td>${index + 1}</td>
<td><form method="post" action="${base}/items/${item.id}" class="inline"><input type="hidden" name="_csrf" value="${state.csrf}">${itemFields(item)}
<button class="btn" type="submit" name="op" value="edit">保存</button></form></td>
<td><form method="post" action="${base}/items/${item.id}" class="inline"><input type="hidden" name="_csrf" value="${state.csrf}">
<button class="btn" type="submit" name="op" value="${item.archived ? 'restore' : 'archive'}">${item.archived ? '恢复' : '归档'}</button></form></td></tr>`,
  )}</tbody>
</table>
<h2>添加条目</h2>
<form method="post" action="${base}/items" class="inline"><input type="hidden" name="_csrf" value="${state.csrf}">${itemFields()}
<button class="btn primary" type="submit">添加</button></form>
<p><a href="/console/rounds">返回检查清单</a></p>`;
}

export interface EntryState {
  csrf: string;
  list: { id: number; name: string };
  items: Pick<ChecklistItem, 'id' | 'text' | 'source' | 'area'>[];
  inspectors: Choice[];
  values: Record<string, string>;
  error?: string;
}

const RESULT_CHOICES = [
  ['pass', '合格'],
  ['fail', '不合格'],
  ['na', '不适用'],
] as const;

/** A round entered from a paper form: every item's result at once, in the inspector's name. */
export function entryPage(state: EntryState): Html {
  const value = (name: string) => state.values[name] ?? '';
  return html`<h1>录入检查：${state.list.name}</h1>
<p class="muted">按纸质检查表逐项录入，提交后即以检查人名义签字完成；不合格项登记为隐患（来源：检查）并转责任处室。</p>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
<form method="post" action="/console/rounds/new">
<input type="hidden" name="_csrf" value="${state.csrf}"><input type="hidden" name="list" value="${state.list.id}">
<label>检查人 <select name="inspector"><option value="">请选择</option>${state.inspectors.map((choice) => option(choice, value('inspector')))}</select></label>
<label>区域 <input name="area" value="${value('area')}"></label>
<table><thead><tr><th>#</th><th>检查项目</th><th>结果</th><th>问题描述</th></tr></thead><tbody>${state.items.map(
    (
      item,
      index,
    ) => html`<tr data-item="${item.id}"><td>${index + 1}</td><td>${item.text}<br><span class="muted">${item.source}${item.area ? ` · ${item.area}` : ''}</span></td>
<td class="nowrap">${RESULT_CHOICES.map(
      ([result, label]) =>
        html`<label><input type="radio" name="r${item.id}" value="${result}"${value(`r${item.id}`) === result ? ' checked' : ''}>${label}</label> `,
    )}</td>
<td><input name="n${item.id}" value="${value(`n${item.id}`)}"></td></tr>`,
  )}</tbody></table>
<button class="btn primary" type="submit">提交并签字</button>
</form>`;
}
