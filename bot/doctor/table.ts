// The doctor's table for a terminal: 项目 / 状态 / 说明与处理办法, columns aligned by display width (a
// Chinese character takes two columns).
import type { CheckRow } from './rows.ts';

const width = (text: string) =>
  [...text].reduce(
    (sum, char) =>
      sum +
      (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
        char,
      )
        ? 2
        : 1),
    0,
  );
const pad = (text: string, to: number) => text + ' '.repeat(Math.max(to - width(text), 0));

export function formatTable(rows: CheckRow[]): string {
  const header = { item: '项目', status: '状态', detail: '说明与处理办法' };
  const itemWidth = Math.max(...[header, ...rows].map((entry) => width(entry.item)));
  const statusWidth = Math.max(...[header, ...rows].map((entry) => width(entry.status)));
  const line = (entry: { item: string; status: string; detail: string }) =>
    `${pad(entry.item, itemWidth)}  ${pad(entry.status, statusWidth)}  ${entry.detail}`;
  const errors = rows.filter((entry) => entry.status === 'error').length;
  const warnings = rows.filter((entry) => entry.status === 'warning').length;
  const summary =
    errors + warnings === 0
      ? `全部 ${rows.length} 项正常。`
      : `${rows.length} 项中：${errors} 项 error，${warnings} 项 warning。`;
  return [line(header), '-'.repeat(itemWidth + statusWidth + 20), ...rows.map(line), '', summary].join('\n');
}
