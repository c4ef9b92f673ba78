// `/console/records`: the latest records (记录) of duties done, with the photos and files kept with them
// (a file's name and size, a link to download it; a word for one still downloading or not kept).
import { html } from 'hono/html';
import type { SchoolVisit } from '../../../db/queries/bureau.ts';
import type { RecordFileListing } from '../../../db/queries/evidence.ts';
import type { Completion } from '../../../db/queries/obligations.ts';
import { KIND_LABEL } from '../../../handlers/obligation-kinds.ts';
import { visitLine } from '../../../handlers/submissions.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import type { Html } from '../layout.ts';

export interface RecordItem {
  completion: Completion;
  personName: string;
  files: RecordFileListing[];
}

export interface RecordsState {
  timeZone: string;
  items: RecordItem[];
  /** The 督查 visits of the school's bureau at the school (a bureau's own page has none). */
  visits?: SchoolVisit[];
  /** How many records the page shows at most (the newest). */
  limit: number;
}

/** A size in the words of the office: 512 KB, 3.2 MB. */
export function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MB`;
}

function fileCell(files: RecordFileListing[]): Html | string {
  if (files.length === 0) return html`<span class="muted">无</span>`;
  return html`${files.map((file) => {
    const label = file.fileName ?? (file.kind === 'image' ? '照片' : '文件');
    if (file.status === 'pending') {
      return html`<div class="muted" data-file="${file.id}">${label}（下载中）</div>`;
    }
    if (file.status === 'failed') {
      return html`<div class="late" data-file="${file.id}">${label}未能保存：${file.error ?? '原因不明'}</div>`;
    }
    return html`<div data-file="${file.id}"><a href="/console/records/files/${file.id}">${label}</a> <span class="muted">${sizeText(file.size ?? 0)}</span></div>`;
  })}`;
}

export function recordsPage(state: RecordsState): Html {
  const rows = state.items.map(
    ({ completion, personName, files }) => html`<tr>
  <td class="nowrap">${completion.date}</td>
  <td>${KIND_LABEL[completion.kind]}</td>
  <td>${personName}</td>
  <td>${completion.note}${completion.school ? html`<br><span class="muted">学校：${completion.school}</span>` : ''}</td>
  <td class="nowrap muted">${formatDateTime(completion.createdAt, state.timeZone)}</td>
  <td>${fileCell(files)}</td>
</tr>`,
  );
  const visits =
    state.visits && state.visits.length > 0
      ? html`<h2>上级督查</h2>
<ul class="visits">${state.visits.map((visit) => html`<li data-visit="${visit.id}">${visitLine(visit)}</li>`)}</ul>`
      : '';
  return html`<h1>工作记录</h1>
${visits}
<p class="muted">对话中“记录 会议|检查|督查|演练 …”登记的工作记录（最新 ${state.limit} 条），及随记录发送、由系统保存的照片和文件（会议纪要、检查表等）。</p>
${
  rows.length === 0
    ? html`<p class="muted">暂无记录。</p>`
    : html`<table>
  <thead><tr><th>日期</th><th>类型</th><th>记录人</th><th>说明</th><th>登记时间</th><th>照片和文件</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`
}`;
}
