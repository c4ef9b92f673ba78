// The console's other pages: login, ledger export, failed messages, and the error page.
import { html } from 'hono/html';
import { formatDateTime } from '../../handlers/time.ts';
import { bodySummary } from '../channels/console/render.ts';
import type { FailedMessage } from '../console/queries.ts';
import type { Html } from './layout.ts';

const CHANNEL_NAMES: Record<string, string> = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信（Wechaty）',
  console: '网页控制台',
};
export const channelName = (channel: string) => CHANNEL_NAMES[channel] ?? channel;

export interface LoginState {
  csrf: string;
  next?: string;
  tenantCode?: string;
  username?: string;
  error?: string;
  demo: boolean;
}

export function loginPage(state: LoginState): Html {
  return html`<h1>管理员登录</h1>
<div class="panel">
  ${state.error ? html`<div class="flash error" role="alert">${state.error}</div>` : ''}
  ${state.demo ? html`<p class="muted">演示模式下无需登录即可使用示例单位；登录后只显示本单位的数据。</p>` : ''}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="_csrf" value="${state.csrf}">
    ${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ''}
    <label>单位代码<input type="text" name="tenant" value="${state.tenantCode ?? ''}" required autocomplete="organization" placeholder="如 jishan-school"></label>
    <label>用户名<input type="text" name="username" value="${state.username ?? ''}" required autocomplete="username"></label>
    <label>密码<input type="password" name="password" required autocomplete="current-password"></label>
    <div><button class="btn primary" type="submit">登录</button></div>
  </form>
  <p class="muted">账号由运维人员用 <code>npm run admin:add -- --tenant &lt;单位代码&gt; --user &lt;用户名&gt;</code> 创建。</p>
</div>`;
}

export interface LedgerState {
  tenantName: string;
  from: string;
  to: string;
  format: 'xlsx' | 'csv';
  error?: string;
}

export function ledgerPage(state: LedgerState): Html {
  return html`<h1>隐患台账导出</h1>
<div class="panel">
  ${state.error ? html`<div class="flash error" role="alert">${state.error}</div>` : ''}
  <p>导出 <strong>${state.tenantName}</strong> 在所选期间内上报的全部隐患（隐患排查整改台账），每条隐患一行，含处理过程。</p>
  <form method="get" action="/console/ledger/export" class="stack">
    <label>开始日期<input type="date" name="from" value="${state.from}" required></label>
    <label>结束日期（含当天）<input type="date" name="to" value="${state.to}" required></label>
    <label>格式
      <select name="format">
        <option value="xlsx"${state.format === 'xlsx' ? ' selected' : ''}>Excel（.xlsx）</option>
        <option value="csv"${state.format === 'csv' ? ' selected' : ''}>CSV（UTF-8，可用 Excel 打开）</option>
      </select>
    </label>
    <div><button class="btn primary" type="submit">下载</button></div>
  </form>
</div>`;
}

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

export function errorPage(
  title: string,
  message: string,
  link: { href: string; label: string } = { href: '/', label: '返回首页' },
): Html {
  return html`<h1>${title}</h1><div class="panel"><p>${message}</p><p><a href="${link.href}">${link.label}</a></p></div>`;
}
