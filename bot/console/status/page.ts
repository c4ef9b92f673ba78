// `/console/status` (运行状态): the doctor's rows (bot/doctor), as `npm run doctor` prints them.
import { html } from 'hono/html';
import { formatDateTime } from '../../../handlers/time.ts';
import type { CheckRow } from '../../doctor/index.ts';
import type { Html } from '../layout.ts';

const STATUS_LABELS: Record<CheckRow['status'], string> = { ok: '正常', warning: '注意', error: '错误' };

export function statusPage(rows: CheckRow[], checkedAt: Date, timeZone: string): Html {
  const errors = rows.filter((entry) => entry.status === 'error').length;
  const warnings = rows.filter((entry) => entry.status === 'warning').length;
  const summary =
    errors > 0
      ? html`<div class="flash error" role="alert">${errors} 项错误${warnings > 0 ? `、${warnings} 项需要注意` : ''}：请按“说明与处理办法”处理。</div>`
      : warnings > 0
        ? html`<div class="flash warning" role="status">${warnings} 项需要注意。</div>`
        : html`<div class="flash success" role="status">全部 ${rows.length} 项正常。</div>`;
  return html`<h1>运行状态</h1>
${summary}
<p class="muted">检查时间：${formatDateTime(checkedAt, timeZone)}。与命令行 <code>npm run doctor</code> 的检查相同；平台接口每项最多等待 3 秒。</p>
<table>
  <thead><tr><th>项目</th><th>状态</th><th>说明与处理办法</th></tr></thead>
  <tbody>
    ${rows.map(
      (entry) =>
        html`<tr><td>${entry.item}</td><td class="check-${entry.status}" data-status="${entry.status}">${STATUS_LABELS[entry.status]}</td><td>${entry.detail}</td></tr>`,
    )}
  </tbody>
</table>`;
}
