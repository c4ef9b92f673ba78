// `/console/tasks`: the tenant's tasks (督办) with their state, and the form that assigns one in the name of
// a leader or office member, through the same code path as the chat command 派任务.
import { html } from 'hono/html';
import { TASK_KIND_LABEL, TASK_STATUS_LABEL } from '../../../cards/task.ts';
import type { TaskFilter, TaskListItem } from '../../../db/queries/tasks.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { type Choice, operationForm, option } from '../fields.ts';
import type { Html } from '../layout.ts';

export interface TaskFormValues {
  assigner: string;
  assignee: string;
  kind: string;
  content: string;
  due: string;
}

export interface TasksState {
  csrf: string;
  timeZone: string;
  now: Date;
  filter: TaskFilter;
  items: TaskListItem[];
  /** Who the console may act as (demo mode): the tenant's leaders and office staff. */
  assigners: Choice[];
  /** The logged-in office account the console acts as (then there is no choice of member). */
  actingAs?: string;
  units: Choice[];
  people: Choice[];
  values: TaskFormValues;
  error?: string;
  /** Working days a 整改通知书 or 约谈整改 gets when no due date is given. */
  defaultDays: number;
}

export const TASK_FILTER_LABEL: Record<TaskFilter, string> = {
  all: '全部',
  open: '未完成',
  overdue: '已超期',
  done: '已完成',
};

export const TASK_KINDS = Object.keys(TASK_KIND_LABEL) as (keyof typeof TASK_KIND_LABEL)[];

function taskForm(state: TasksState): Html {
  const { values } = state;
  const assigner = {
    name: 'assigner',
    label: '派发人',
    placeholder: '请选择学校领导或安全办公室成员',
    choices: state.assigners,
    selected: values.assigner,
  };
  return operationForm(
    state,
    { title: '派发任务', action: '/console/tasks', actor: assigner },
    html`<label>承办处室或人员
        <select name="assignee" required>
          <option value="">请选择</option>
          <optgroup label="处室（由处室负责人承办）">
            ${state.units.map((choice) => option(choice, values.assignee))}
          </optgroup>
          <optgroup label="人员">
            ${state.people.map((choice) => option(choice, values.assignee))}
          </optgroup>
        </select>
      </label>
      <label>任务类型
        <select name="kind">
          ${TASK_KINDS.map((kind) => option({ value: kind, label: TASK_KIND_LABEL[kind] }, values.kind))}
        </select>
      </label>
      <label>截止日期
        <input type="date" name="due" value="${values.due}">
      </label>`,
    html`<div class="wide">
      <label>任务内容
        <textarea name="content" rows="3" maxlength="1000" required placeholder="如：排查教学楼消防通道是否畅通，书面报告结果">${values.content}</textarea>
      </label>
    </div>
    <div class="actions-row">
      <button class="btn primary" type="submit">派发任务</button>
      <span class="muted">工作任务、专项行动须填截止日期；整改通知书、约谈整改不填时默认为 ${state.defaultDays} 个工作日后（按法定节假日计算）。承办人会收到带“确认收到”“完成”的任务卡片。</span>
    </div>`,
  );
}

function statusCell(item: TaskListItem, state: TasksState): Html {
  const { task } = item;
  const open = task.status === 'assigned' || task.status === 'acknowledged';
  const overdue = open && task.dueAt < state.now;
  const tone = task.status === 'done' ? 'good' : overdue ? 'late' : open ? 'wait' : 'muted';
  return html`<span class="${tone}">${TASK_STATUS_LABEL[task.status]}${overdue ? '（已超期）' : ''}</span>`;
}

const when = (name: string | null, at: Date | null, timeZone: string) =>
  name && at ? html`${name}<br><span class="muted nowrap">${formatDateTime(at, timeZone)}</span>` : '';

function taskTable(state: TasksState): Html {
  if (state.items.length === 0) {
    return html`<div class="panel"><p>${state.filter === 'all' ? '还没有任务。' : `没有${TASK_FILTER_LABEL[state.filter]}的任务。`}</p></div>`;
  }
  const tz = state.timeZone;
  return html`<table>
  <thead><tr><th>编号</th><th>类型</th><th>内容</th><th>承办</th><th>派发人</th><th>截止</th><th>状态</th><th>确认收到</th><th>完成</th></tr></thead>
  <tbody>
    ${state.items.map(
      (item) => html`<tr data-task="${item.task.code}">
      <td class="nowrap">${item.task.code}</td>
      <td class="nowrap">${TASK_KIND_LABEL[item.task.kind]}</td>
      <td>${item.task.content}${item.task.completionNote ? html`<br><span class="muted">完成情况：${item.task.completionNote}</span>` : ''}</td>
      <td>${item.unitName ? html`${item.unitName}<br><span class="muted">处室</span>` : (item.assigneeName ?? '')}</td>
      <td>${item.assignerName}</td>
      <td class="nowrap">${formatDateTime(item.task.dueAt, tz)}</td>
      <td>${statusCell(item, state)}</td>
      <td>${when(item.acknowledgedByName, item.task.acknowledgedAt, tz)}</td>
      <td>${when(item.completedByName, item.task.completedAt, tz)}</td>
    </tr>`,
    )}
  </tbody>
</table>`;
}

export function tasksPage(state: TasksState): Html {
  return html`<h1>任务督办</h1>
${taskForm(state)}
<h2>任务列表</h2>
<nav class="tabs" aria-label="筛选">
  ${(Object.keys(TASK_FILTER_LABEL) as TaskFilter[]).map(
    (filter) =>
      html`<a href="/console/tasks${filter === 'all' ? '' : `?status=${filter}`}" class="${filter === state.filter ? 'on' : ''}">${TASK_FILTER_LABEL[filter]}</a>`,
  )}
</nav>
${taskTable(state)}`;
}
