// `/console/calendar` (节假日安排): the holiday schedules the tenant has, the form to paste a notice, and
// the table of what was read from it to confirm.
import { html } from 'hono/html';
import { packageYears, unknownYearMessage } from '../../../handlers/calendar.ts';
import { missingHolidayYears } from '../../../handlers/deadlines.ts';
import { describeDays, type HolidayNotice } from '../../../handlers/holiday-notice.ts';
import { tenantSettings } from '../../../handlers/settings.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import type { Viewer } from '../kit.ts';
import type { Html } from '../layout.ts';

export interface CalendarValues {
  text: string;
  year: string;
}

export function calendarPage(
  viewer: Viewer,
  values: CalendarValues,
  extra: { problems?: string[]; notice?: HolidayNotice },
  now: Date,
): Html {
  const settings = tenantSettings(viewer.tenant.settings);
  const years = packageYears();
  const missing = missingHolidayYears(settings, now, viewer.tenant.timezone);
  const notices = settings.holiday_notices ?? [];
  const form = (action: 'preview' | 'confirm') => html`<form method="post" action="/console/calendar">
  <input type="hidden" name="_csrf" value="${viewer.session.csrf}">
  <input type="hidden" name="action" value="${action}">
  ${
    action === 'confirm'
      ? html`<input type="hidden" name="text" value="${values.text}"><input type="hidden" name="year" value="${values.year}">
  <div class="actions-row"><button class="btn primary" type="submit">确认导入</button><span class="muted">请逐条与通知原文核对；导入后新计算的期限按此安排。</span></div>`
      : html`<label>通知全文（含标题）<textarea name="text" rows="14" required placeholder="国务院办公厅关于2027年部分节假日安排的通知&#10;一、元旦：1月1日（周五）放假……">${values.text}</textarea></label>
  <label>年份（标题中有年份时可不填）<input name="year" inputmode="numeric" value="${values.year}" placeholder="如 2027"></label>
  <div class="actions-row"><button class="btn primary" type="submit">识别</button></div>`
  }
</form>`;
  return html`${
    missing.length > 0
      ? html`<div class="flash error" role="alert">${unknownYearMessage(missing)}，涉及的期限标注“（估算）”。请粘贴国务院办公厅的放假通知导入。</div>`
      : ''
  }
<div class="panel">
<h2 class="flush">已有的节假日安排</h2>
<p>${years[0]}—${years.at(-1)} 年：随系统提供（国务院办公厅历年通知）。</p>
${
  notices.length > 0
    ? html`<table><thead><tr><th>年份</th><th>依据</th><th>导入</th><th class="num">放假</th><th class="num">调休上班</th></tr></thead><tbody>
    ${notices.map(
      (notice) =>
        html`<tr><td>${notice.year}</td><td>${notice.source ?? '—'}</td><td>${notice.imported_by}，${formatDateTime(new Date(notice.imported_at), viewer.tenant.timezone)}</td><td class="num">${notice.holidays.length} 天</td><td class="num">${notice.workdays.length} 天</td></tr>`,
    )}</tbody></table>`
    : html`<p class="muted">尚未导入其他年份。</p>`
}
</div>
<div class="panel">
<h2 class="flush">${extra.notice ? `核对 ${extra.notice.year} 年节假日安排` : '导入放假通知'}</h2>
${
  extra.problems
    ? html`<div class="flash error" role="alert">未导入，请修改后重新识别：<ul>${extra.problems.map((problem) => html`<li>${problem}</li>`)}</ul></div>`
    : ''
}
${
  extra.notice
    ? html`<p>${extra.notice.source ?? ''}</p><table><thead><tr><th>行</th><th>节日</th><th>放假</th><th>调休上班</th></tr></thead><tbody>
    ${extra.notice.items.map(
      (item) =>
        html`<tr><td class="num">${item.line}</td><td>${item.name}</td><td>${describeDays(item.holidays)}</td><td>${item.workdays.length > 0 ? describeDays(item.workdays) : '—'}</td></tr>`,
    )}</tbody></table>
    <p>共放假 ${extra.notice.holidays.length} 天，调休上班 ${extra.notice.workdays.length} 天。</p>
    ${form('confirm')}`
    : form('preview')
}
</div>`;
}
