// `/console/outbox`: the messages that could not be delivered, with why.
import { html } from 'hono/html';
import type { FailedMessage } from '../../../db/queries/outbox.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { bodySummary } from '../../channels/console/render.ts';
import type { Html } from '../layout.ts';

const CHANNEL_NAMES: Record<string, string> = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信（Wechaty）',
  console: '网页控制台',
};
export const channelName = (channel: string) => CHANNEL_NAMES[channel] ?? channel;

export function outboxPage(state: { rows: FailedMessage[]; timeZone: string }): Html {
  if (state.rows.length === 0) {
    return html`<h1>发送失败的消息</h1><div class="panel"><p>没有发送失败的消息。</p></div>`;
  }
  return html`<h1>发送失败的消息</h1>
<p class="muted">以下消息未能送达（最近 ${state.rows.length} 条）。常见原因：此人未在已开通的渠道登记身份、平台拒绝或多次重试仍失败。</p>
<table>
  <thead><tr><th>编号</th><th>时间</th><th>渠道</th><th>收件人</th><th>内容</th><th>尝试次数</th><th>最后的错误</th></tr></thead>
  <tbody>
    ${state.rows.map(
      (row) => html`<tr>
      <td>${row.id}</td>
      <td>${formatDateTime(row.createdAt, state.timeZone)}</td>
      <td>${channelName(row.channel)}</td>
      <td>${row.personName ?? ''}${row.targetKind === 'none' ? '' : html`<br><span class="muted">${row.targetKind}: ${row.targetId}</span>`}</td>
      <td>${bodySummary(row.body)}</td>
      <td>${row.attempts}</td>
      <td>${row.lastError ?? ''}</td>
    </tr>`,
    )}
  </tbody>
</table>`;
}
