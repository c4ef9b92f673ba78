// `/console/ledger`: the form of the 隐患台账 export (a period and a format).
import { html } from 'hono/html';
import { errorFlash, type Html } from '../layout.ts';

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
  ${errorFlash(state.error)}
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
    <div><button class="btn primary" type="submit">下载</button>
      <button class="btn" type="submit" formaction="/console/ledger/photos">下载照片包（ZIP）</button></div>
  </form>
  <p class="muted">Excel 台账每条隐患附首张照片的缩略图；照片包含所选期间内每条隐患的全部照片（按隐患编号分文件夹，整改前、整改后分别编号），并附照片清单，未能保存的照片在清单中注明原因。</p>
</div>`;
}
