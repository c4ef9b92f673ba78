// `/console/hazards`: the tenant's open hazards, and per hazard the form that lists it for supervision
// (挂牌督办), through the same step as the chat command: in the office account's own name, or in demo mode
// in the name of a chosen leader.
import { html } from 'hono/html';
import type { HazardPhotoListing } from '../../../db/queries/evidence.ts';
import { PHOTO_STAGES, STAGE_LABEL } from '../../../handlers/evidence-rules.ts';
import { SEVERITY_LABEL, STATUS_LABEL } from '../../../handlers/hazard-rules.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { type Choice, option } from '../fields.ts';
import { errorFlash, type Html } from '../layout.ts';

export interface OpenHazard {
  id: number;
  code: string;
  description: string;
  status: keyof typeof STATUS_LABEL;
  severity: keyof typeof SEVERITY_LABEL | null;
  unitName: string | null;
  deadline: Date | null;
  listed: boolean;
  listedMatter: string | null;
  listedDeadline: Date | null;
  /** Who listed it: the leader's name, or the office's account label. */
  listedBy: string | null;
  photos: HazardPhotoListing[];
}

export interface ListFormValues {
  hazard: string;
  actor: string;
  matter: string;
  deadline: string;
}

export interface HazardsState {
  csrf: string;
  timeZone: string;
  now: Date;
  items: OpenHazard[];
  /** Who the demo console may list as: the tenant's 第一责任人 and 直接责任人. */
  leaders: Choice[];
  /** Outside demo mode: the office's account, which lists in its own name (no leader to pick). */
  actingAs?: string;
  values?: ListFormValues;
  error?: string;
}

function listForm(item: OpenHazard, state: HazardsState): Html {
  const values =
    state.values?.hazard === String(item.id)
      ? state.values
      : { hazard: String(item.id), actor: '', matter: '', deadline: '' };
  return html`<form method="post" action="/console/hazards/list" class="card-form" data-list="${item.code}">
  <input type="hidden" name="_csrf" value="${state.csrf}">
  <input type="hidden" name="hazard" value="${item.id}">
  ${
    state.actingAs
      ? html`<p>督办人<strong>${state.actingAs}</strong></p>`
      : html`<label>督办人<select name="actor" required>
    <option value="">请选择学校领导</option>
    ${state.leaders.map((choice) => option(choice, values.actor))}
  </select></label>`
  }
  <label>督办事项<input type="text" name="matter" maxlength="500" required value="${values.matter}"></label>
  <label>督办期限<input type="date" name="deadline" required value="${values.deadline}"></label>
  <button class="btn" type="submit">${item.listed ? '重新挂牌' : '挂牌督办'}</button>
</form>`;
}

/** A hazard's photos under 整改前 / 整改后: thumbnails of those kept, a word for those not (yet) kept. */
function photoCell(photos: HazardPhotoListing[]): Html | string {
  if (photos.length === 0) return html`<span class="muted">无</span>`;
  return html`${PHOTO_STAGES.map((stage) => {
    const ofStage = photos.filter((photo) => photo.stage === stage);
    if (ofStage.length === 0) return '';
    return html`<div class="photos" data-stage="${stage}"><span class="muted">${STAGE_LABEL[stage]}</span>
${ofStage.map((photo) =>
  photo.status === 'stored'
    ? html`<a href="/console/hazards/photos/${photo.id}" target="_blank" rel="noopener"><img class="thumb" src="/console/hazards/photos/${photo.id}/thumb" alt="${STAGE_LABEL[stage]}照片" loading="lazy" width="64" height="64" data-photo="${photo.id}"></a>`
    : photo.status === 'pending'
      ? html`<span class="muted" data-photo="${photo.id}">照片下载中</span>`
      : html`<span class="late" data-photo="${photo.id}">照片未能保存：${photo.error ?? '原因不明'}</span>`,
)}</div>`;
  })}`;
}

export function hazardsPage(state: HazardsState): Html {
  const tz = state.timeZone;
  const rows = state.items.map((item) => {
    const overdue = item.deadline !== null && item.deadline < state.now;
    return html`<tr data-hazard="${item.code}">
  <td class="nowrap">${item.code}<br><a href="/console/hazards/${item.id}/photos.zip">照片包</a></td>
  <td>${item.description}</td>
  <td class="nowrap">${STATUS_LABEL[item.status]}</td>
  <td>${item.unitName ?? '—'}</td>
  <td class="nowrap">${item.severity ? SEVERITY_LABEL[item.severity] : html`<span class="muted">未注明</span>`}</td>
  <td class="nowrap">${item.deadline ? html`<span class="${overdue ? 'late' : ''}">${formatDateTime(item.deadline, tz)}${overdue ? '（已超期）' : ''}</span>` : '—'}</td>
  <td>${item.listed ? html`<span class="late">已挂牌</span><br>${item.listedMatter ?? ''}${item.listedDeadline ? html`<br><span class="muted nowrap">期限 ${formatDateTime(item.listedDeadline, tz)}</span>` : ''}${item.listedBy ? html`<br><span class="muted">督办人 ${item.listedBy}</span>` : ''}` : html`<span class="muted">否</span>`}</td>
  <td class="photo-cell">${photoCell(item.photos)}</td>
  <td>${listForm(item, state)}</td>
</tr>`;
  });
  return html`<h1>隐患督办</h1>
${errorFlash(state.error)}
<p class="muted">未销号的隐患。${
    state.actingAs
      ? html`挂牌督办以本账号（${state.actingAs}）的名义进行，台账中如实记录；`
      : '挂牌督办以所选学校领导（第一责任人、直接责任人）的名义进行，'
  }与对话中的“挂牌督办 YH-… 事项 截止 日期”相同；责任处室负责人会收到更新后的隐患卡片。</p>
${
  state.items.length === 0
    ? html`<div class="panel"><p>没有未销号的隐患。</p></div>`
    : html`<table>
  <thead><tr><th>编号</th><th>隐患</th><th>状态</th><th>责任处室</th><th>程度</th><th>整改期限</th><th>挂牌督办</th><th>照片</th><th>挂牌</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`
}`;
}
