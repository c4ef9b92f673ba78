// The office dashboard (/console/dashboard): hazards by state, category, unit and week; overdue and
// 挂牌督办 hazards; obligations met/missed per unit and quarter; shift confirmations; the outbox.
// Charts are inline SVG drawn here on the server (no script); every bar carries its number as text, so
// the page reads the same printed in black and white.
import { html } from 'hono/html';
import {
  type Bar,
  type Dashboard,
  HAZARD_STATES,
  type LateHazard,
  type UnitBar,
} from '../../../handlers/dashboard.ts';
import { STATUS_LABEL } from '../../../handlers/hazard-rules.ts';
import type { TargetGroup, TargetSummaryRow } from '../../../handlers/targets.ts';
import type { Html } from '../layout.ts';

const CHANNEL_LABEL: Record<string, string> = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信',
  console: '控制台',
};

const BLUE = '#245bdb';
const GREEN = '#2ea121';
const RED = '#d83931';
const ORANGE = '#de7802';

/** The legend's swatch of a series colour (style.ts). */
const SWATCH: Record<string, string> = {
  [BLUE]: 'sw-blue',
  [GREEN]: 'sw-green',
  [RED]: 'sw-red',
  [ORANGE]: 'sw-orange',
};

const shortDate = (date: string) => `${Number(date.slice(5, 7))}/${Number(date.slice(8, 10))}`;

/** A label that fits left of the bars; the whole name stays in the bar's tooltip. */
const short = (label: string) =>
  Array.from(label).length > 9 ? `${Array.from(label).slice(0, 8).join('')}…` : label;

/** Horizontal bars, one per label, with the number at the end of each. */
export function barChart(title: string, bars: Bar[], color = BLUE): Html {
  if (bars.length === 0) return html`<p class="muted">暂无数据。</p>`;
  const row = 24;
  const left = 110;
  const width = 460;
  const span = width - left - 50;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * row + 8;
  return html`<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
${bars.map((bar, i) => {
  const y = 4 + i * row;
  const w = Math.round((bar.value / max) * span);
  return html`<g data-label="${bar.label}" data-value="${bar.value}"><text x="${left - 6}" y="${y + 15}" text-anchor="end">${short(bar.label)}</text><rect x="${left}" y="${y + 3}" width="${w}" height="16" fill="${color}"><title>${bar.label}：${bar.value}</title></rect><text x="${left + w + 4}" y="${y + 15}">${bar.value}</text></g>`;
})}
<line class="axis" x1="${left}" y1="2" x2="${left}" y2="${height - 2}"/>
</svg>`;
}

/** Horizontal bars split into 未销号 (orange) and 已销号 (green). */
export function stackedChart(title: string, bars: UnitBar[]): Html {
  if (bars.length === 0) return html`<p class="muted">暂无数据。</p>`;
  const row = 24;
  const left = 110;
  const width = 460;
  const span = width - left - 80;
  const max = Math.max(1, ...bars.map((b) => b.open + b.closed));
  const height = bars.length * row + 8;
  return html`<div class="legend"><span><i class="sw-orange"></i>未销号</span><span><i class="sw-green"></i>已销号</span></div>
<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
${bars.map((bar, i) => {
  const y = 4 + i * row;
  const wo = Math.round((bar.open / max) * span);
  const wc = Math.round((bar.closed / max) * span);
  return html`<g data-label="${bar.label}" data-open="${bar.open}" data-closed="${bar.closed}"><text x="${left - 6}" y="${y + 15}" text-anchor="end">${short(bar.label)}</text><rect x="${left}" y="${y + 3}" width="${wo}" height="16" fill="${ORANGE}"><title>${bar.label} 未销号：${bar.open}</title></rect><rect x="${left + wo}" y="${y + 3}" width="${wc}" height="16" fill="${GREEN}"><title>${bar.label} 已销号：${bar.closed}</title></rect><text x="${left + wo + wc + 4}" y="${y + 15}">${bar.open} / ${bar.closed}</text></g>`;
})}
<line class="axis" x1="${left}" y1="2" x2="${left}" y2="${height - 2}"/>
</svg>`;
}

/** Vertical columns over time (one per week or day), stacked when a second series is given. */
export function columnChart(
  title: string,
  columns: { label: string; values: number[] }[],
  colors: string[],
  names: string[],
): Html {
  const width = 480;
  const top = 16;
  const bottom = 22;
  const plot = 110;
  const height = top + plot + bottom;
  const left = 10;
  const step = (width - left * 2) / Math.max(1, columns.length);
  const max = Math.max(1, ...columns.map((c) => c.values.reduce((a, b) => a + b, 0)));
  return html`${names.length > 1 ? html`<div class="legend">${names.map((name, i) => html`<span><i class="${SWATCH[colors[i] ?? BLUE]}"></i>${name}</span>`)}</div>` : ''}
<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
<line class="axis" x1="${left}" y1="${top + plot}" x2="${width - left}" y2="${top + plot}"/>
${columns.map((column, i) => {
  const x = left + i * step + step * 0.15;
  const w = step * 0.7;
  let y = top + plot;
  const total = column.values.reduce((a, b) => a + b, 0);
  const data = column.values.map((v, k) => `${names[k]}=${v}`).join(';');
  const rects = column.values.map((value, k) => {
    const h = Math.round((value / max) * plot);
    y -= h;
    return html`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${h}" fill="${colors[k]}"><title>${column.label} ${names[k]}：${value}</title></rect>`;
  });
  return html`<g data-label="${column.label}" data-values="${data}">${rects}<text x="${(x + w / 2).toFixed(1)}" y="${y - 3}" text-anchor="middle">${total}</text><text x="${(x + w / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${shortDate(column.label)}</text></g>`;
})}
</svg>`;
}

function lateTable(rows: LateHazard[], deadlineLabel: string, empty: string, id: string): Html {
  if (rows.length === 0) return html`<p class="muted" id="${id}">${empty}</p>`;
  return html`<table id="${id}">
<thead><tr><th>编号</th><th>责任处室</th><th>${deadlineLabel}</th><th class="num">超期天数</th></tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr><td class="nowrap">${row.code}</td><td>${row.unit ?? '未分派'}</td><td class="nowrap">${row.deadline ?? '—'}</td><td class="num ${row.daysOverdue > 0 ? 'late' : ''}">${row.daysOverdue > 0 ? `${row.daysOverdue} 天` : '—'}</td></tr>`,
  )}</tbody>
</table>`;
}

function heatTable(data: Dashboard): Html {
  return html`<div class="legend"><span><i class="sw-met"></i>全部达标</span><span><i class="sw-missed"></i>有未达标</span><span><i class="sw-exempt"></i>不考核（到任或建档时当期已过半）</span><span><i class="sw-none"></i>无记录</span></div>
<table class="heat" id="heat">
<thead><tr><th>处室</th>${data.quarters.map((q) => html`<th class="num">${q.slice(0, 4)}年第${q.slice(5)}季度</th>`)}</tr></thead>
<tbody>${data.heat.map(
    (row) =>
      html`<tr><td>${row.unit}</td>${row.cells.map((cell, i) => {
        const kind = cell.missed > 0 ? 'missed' : cell.met > 0 ? 'met' : cell.exempt > 0 ? 'exempt' : 'none';
        const exempt =
          cell.exempt > 0
            ? html`${kind === 'exempt' ? '' : ' · '}不考核 ${cell.exempt}<span class="why">${cell.reasons.slice(0, 3).join('；')}${cell.reasons.length > 3 ? ' 等' : ''}</span>`
            : '';
        const counts = kind === 'exempt' ? '' : html`达标 ${cell.met} · 未达标 ${cell.missed}`;
        const why =
          cell.exempt > 0 ? html` data-exempt="${cell.exempt}" title="${cell.reasons.join('\n')}"` : '';
        return html`<td class="cell ${kind}" data-unit="${row.unit}" data-quarter="${data.quarters[i]}" data-met="${cell.met}" data-missed="${cell.missed}"${why}>${kind === 'none' ? '—' : html`${counts}${exempt}`}</td>`;
      })}</tr>`,
  )}</tbody>
</table>`;
}

/** The dashboard; `holidayGap` is the warning while a year deadlines may reach has no holiday schedule. */
type Targets = { year: number; school: TargetGroup[]; units: TargetSummaryRow[] };

/** 五有/九无/八杜绝 (004 §二): the school's status and each unit's, from handlers/targets.ts. */
function targetsPanel(targets: Targets): Html {
  if (targets.school.length === 0) return html``;
  const unmet = targets.school.flatMap((group) =>
    group.items.filter((item) => item.status === 'unmet').map((item) => ({ group: group.name, item })),
  );
  return html`<section class="panel" id="targets"><h2>${targets.year} 年安全目标（五有 · 九无 · 八杜绝）</h2>
<p>${targets.school.map((group) => html`<strong>${group.name}</strong> 达标 ${group.met}/${group.items.length}　`)}</p>
${
  unmet.length === 0
    ? html`<p class="muted">全校各项目标均无未整改隐患或事故。</p>`
    : html`<ul>${unmet.map(({ group, item }) => html`<li data-target="${item.id}">${group}：${item.line}</li>`)}</ul>`
}
<table><thead><tr><th>处室</th>${targets.school.map((group) => html`<th>${group.name}</th>`)}</tr></thead><tbody>${targets.units.map(
    (row) =>
      html`<tr><td>${row.name}</td>${row.lists.map((list) => html`<td class="${list.unmet > 0 ? 'late' : ''}">${list.text}</td>`)}</tr>`,
  )}</tbody></table>
<p class="muted">未达标：有未整改的检查隐患或事故；未评估：尚无签字的检查涉及该项。<a href="/console/rounds">检查清单与排查登记</a></p>
</section>`;
}

export function dashboardPage(data: Dashboard, holidayGap?: string, targets?: Targets): Html {
  const states = HAZARD_STATES.map((s) => ({ label: STATUS_LABEL[s], value: data.byState[s] }));
  const total = states.reduce((a, b) => a + b.value, 0);
  const pending = data.outbox.reduce((a, b) => a + b.pending, 0);
  const failed = data.outbox.reduce((a, b) => a + b.failed, 0);
  return html`<h1>工作看板 <span class="muted">截至 ${data.today}</span></h1>
${holidayGap ? html`<div class="flash error" role="alert">${holidayGap} <a href="/console/calendar">去导入</a></div>` : ''}
<div class="dash">
<section class="panel" id="by-state"><h2>隐患状态（共 ${total} 条）</h2>${barChart('隐患状态', states)}</section>
<section class="panel" id="by-category"><h2>隐患类别</h2>${barChart('隐患类别', data.byCategory)}</section>
<section class="panel" id="by-unit"><h2>各处室隐患（未销号 / 已销号）</h2>${stackedChart('各处室隐患', data.byUnit)}</section>
<section class="panel" id="weekly"><h2>近 12 周上报隐患（按周）</h2>${columnChart(
    '近 12 周上报隐患',
    data.weekly.map((w) => ({ label: w.label, values: [w.value] })),
    [BLUE],
    ['上报'],
  )}</section>
</div>
<section class="panel"><h2>超期未整改隐患（${data.overdue.length}）</h2>${lateTable(data.overdue, '整改期限', '没有超期隐患。', 'overdue')}</section>
<section class="panel"><h2>挂牌督办隐患（${data.listed.length}）</h2>${lateTable(data.listed, '督办期限', '没有挂牌督办的隐患。', 'listed')}</section>
${targets ? targetsPanel(targets) : ''}
<section class="panel"><h2>履职情况（各处室 · 近 ${data.quarters.length} 个季度）</h2>${heatTable(data)}</section>
<div class="dash">
<section class="panel" id="shifts"><h2>近 7 天值班到岗确认</h2>${columnChart(
    '近 7 天值班到岗确认',
    data.shiftDays.map((d) => ({ label: d.date, values: [d.confirmed, d.unconfirmed] })),
    [GREEN, RED],
    ['已确认', '未确认'],
  )}</section>
<section class="panel" id="outbox"><h2>消息发送</h2>
${
  data.outbox.length === 0
    ? html`<p class="muted">没有待发送或发送失败的消息。</p>`
    : html`<table><thead><tr><th>渠道</th><th class="num">待发送</th><th class="num">发送失败</th></tr></thead><tbody>${data.outbox.map(
        (row) =>
          html`<tr data-channel="${row.channel}"><td>${CHANNEL_LABEL[row.channel] ?? row.channel}</td><td class="num">${row.pending}</td><td class="num ${row.failed > 0 ? 'late' : ''}">${row.failed}</td></tr>`,
      )}</tbody><tfoot><tr><th>合计</th><th class="num">${pending}</th><th class="num">${failed}</th></tr></tfoot></table>`
}
<p><a href="/console/outbox">查看发送失败的消息</a></p>
</section>
</div>
<p class="muted">图表中的数字均为本单位数据。</p>`;
}
