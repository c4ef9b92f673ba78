// `/console/supervision`: what a bureau does to its schools (issue 19) — 挂牌督办 of a school's open
// hazard, 整改通知书 / 约谈整改 to a school's 第一责任人, and the state of what was sent, school by school.
import { html } from 'hono/html';
import { TASK_KIND_LABEL, TASK_STATUS_LABEL } from '../../../cards/task.ts';
import type { SentTask } from '../../../db/queries/bureau.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { type Choice, operationForm, option } from '../fields.ts';
import type { Html } from '../layout.ts';

export interface ListingValues {
  actor: string;
  hazard: string;
  matter: string;
  deadline: string;
}

export interface NoticeValues {
  actor: string;
  school: string;
  kind: string;
  content: string;
  due: string;
}

export interface SupervisionState {
  csrf: string;
  timeZone: string;
  now: Date;
  /** The schools under the tenant: none means it is no bureau (the page says so). */
  schools: Choice[];
  /** Open hazards of the schools (`学校 · 编号 · 描述`). */
  hazards: Choice[];
  sent: SentTask[];
  /** Who the console may act as (demo mode): the bureau's leaders and office. */
  actors: Choice[];
  actingAs?: string;
  listing: ListingValues;
  notice: NoticeValues;
  listingError?: string;
  noticeError?: string;
}

export const NOTICE_KINDS = ['rectification_notice', 'interview_followup'] as const;

function listingForm(state: SupervisionState): Html {
  const values = state.listing;
  return operationForm(
    { csrf: state.csrf, error: state.listingError, actingAs: state.actingAs },
    {
      title: '挂牌督办学校隐患',
      action: '/console/supervision/list',
      actor: {
        name: 'actor',
        label: '督办人',
        placeholder: '请选择局领导或领导小组办公室成员',
        choices: state.actors,
        selected: values.actor,
      },
    },
    html`<label>隐患
        <select name="hazard" required>
          <option value="">请选择</option>
          ${state.hazards.map((choice) => option(choice, values.hazard))}
        </select>
      </label>
      <label>督办期限
        <input type="date" name="deadline" value="${values.deadline}" required>
      </label>`,
    html`<div class="wide">
      <label>督办事项
        <textarea name="matter" rows="2" maxlength="500" required placeholder="如：围墙拆除重建，期间封闭该路段">${values.matter}</textarea>
      </label>
    </div>
    <div class="actions-row">
      <button class="btn primary" type="submit">挂牌督办</button>
      <span class="muted">该校第一责任人和安全办公室会收到通知；学校不能更改督办事项和期限，超过督办期限时本局领导小组办公室会收到提醒。</span>
    </div>`,
  );
}

function noticeForm(state: SupervisionState): Html {
  const values = state.notice;
  return operationForm(
    { csrf: state.csrf, error: state.noticeError, actingAs: state.actingAs },
    {
      title: '下发整改通知书、约谈整改',
      action: '/console/supervision/notice',
      actor: {
        name: 'actor',
        label: '下发人',
        placeholder: '请选择局领导或领导小组办公室成员',
        choices: state.actors,
        selected: values.actor,
      },
    },
    html`<label>学校
        <select name="school" required>
          <option value="">请选择</option>
          ${state.schools.map((choice) => option(choice, values.school))}
        </select>
      </label>
      <label>类型
        <select name="kind">
          ${NOTICE_KINDS.map((kind) => option({ value: kind, label: TASK_KIND_LABEL[kind] }, values.kind))}
        </select>
      </label>
      <label>截止日期
        <input type="date" name="due" value="${values.due}">
      </label>`,
    html`<div class="wide">
      <label>内容
        <textarea name="content" rows="3" maxlength="1000" required placeholder="如：食堂后门消防通道堵塞，限期清理并书面报告">${values.content}</textarea>
      </label>
    </div>
    <div class="actions-row">
      <button class="btn primary" type="submit">下发</button>
      <span class="muted">发给该校第一责任人，由其“确认收到”“完成”；不填截止日期时为 20 个工作日后。</span>
    </div>`,
  );
}

function sentTable(state: SupervisionState): Html {
  if (state.sent.length === 0)
    return html`<div class="panel"><p>尚未向所辖学校下发整改通知书或约谈整改。</p></div>`;
  const tz = state.timeZone;
  return html`<table>
  <thead><tr><th>学校</th><th>编号</th><th>类型</th><th>内容</th><th>第一责任人</th><th>截止</th><th>状态</th></tr></thead>
  <tbody>
    ${state.sent.map(({ task, schoolName, assigneeName }) => {
      const open = task.status === 'assigned' || task.status === 'acknowledged';
      const overdue = open && task.dueAt < state.now;
      const tone = task.status === 'done' ? 'good' : overdue ? 'late' : open ? 'wait' : 'muted';
      return html`<tr data-task="${schoolName} ${task.code}">
      <td>${schoolName}</td>
      <td class="nowrap">${task.code}</td>
      <td class="nowrap">${TASK_KIND_LABEL[task.kind]}</td>
      <td>${task.content}${task.completionNote ? html`<br><span class="muted">完成情况：${task.completionNote}</span>` : ''}</td>
      <td>${assigneeName ?? ''}</td>
      <td class="nowrap">${formatDateTime(task.dueAt, tz)}</td>
      <td><span class="${tone}">${TASK_STATUS_LABEL[task.status]}${overdue ? '（已超期）' : ''}</span></td>
    </tr>`;
    })}
  </tbody>
</table>`;
}

export function supervisionPage(state: SupervisionState): Html {
  if (state.schools.length === 0) {
    return html`<h1>督办学校</h1><div class="panel"><p>本单位没有所辖学校。</p></div>`;
  }
  return html`<h1>督办学校</h1>
${listingForm(state)}
${noticeForm(state)}
<h2>下发学校的通知办理情况</h2>
${sentTable(state)}`;
}
