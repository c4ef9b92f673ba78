// The weekly digest card (issue 15 §5) for the 第一责任人 and the office director.
import type { WeeklySummary } from '../db/queries/weekly-digest.ts';
import { type Card, divider, fields, listCard, note, text } from './model.ts';

const codes = (list: { count: number; codes: string[] }) =>
  list.count === 0
    ? '无'
    : `${list.count} 项：${list.codes.join('、')}${list.count > list.codes.length ? ' 等' : ''}`;

const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

export function weeklyDigestCard(
  summary: WeeklySummary & {
    /** Per unit (校领导 for posts of no unit): the current periods' duties met, of all. */
    duties: { unit: string; met: number; total: number }[];
  },
  week: { from: string; to: string },
): Card {
  const { hazards, tasks, shifts } = summary;
  const severity = [
    hazards.bySeverity.grave && `重大 ${hazards.bySeverity.grave}`,
    hazards.bySeverity.major && `较大 ${hazards.bySeverity.major}`,
    hazards.bySeverity.general && `一般 ${hazards.bySeverity.general}`,
    hazards.bySeverity.unset && `待定 ${hazards.bySeverity.unset}`,
  ].filter(Boolean);
  const duties =
    summary.duties.length === 0
      ? '本期无常规职责。'
      : summary.duties.map((row) => `${row.unit}：${row.met}/${row.total} 项已完成`).join('\n');
  return listCard(
    `安全工作周报（${week.from} 至 ${week.to}）`,
    hazards.overdue.count > 0 || tasks.overdue.count > 0 || summary.missed > 0 ? 'orange' : 'blue',
    [
      fields([
        ['新上报隐患', `${hazards.reported} 项${severity.length > 0 ? `（${severity.join('，')}）` : ''}`],
        ['本周销号', `${hazards.closed} 项`],
        ['未销号隐患', `${hazards.open} 项`],
        ['超期未整改', codes(hazards.overdue)],
        ['挂牌督办', codes(hazards.listed)],
      ]),
      divider(),
      text(
        `本期职责完成情况（按处室）\n${duties}${summary.missed > 0 ? `\n本周记为未履职：${summary.missed} 项` : ''}`,
      ),
      divider(),
      fields([
        [
          '值班到岗确认',
          shifts.total === 0
            ? '本周无排班'
            : `${percent(shifts.confirmed, shifts.total)}（${shifts.confirmed}/${shifts.total} 人次）`,
        ],
        ['未完成任务', `${tasks.open} 项`],
        ['超期任务', codes(tasks.overdue)],
      ]),
      note('详情请在网页控制台“工作看板”查看；发送「隐患台账 超期」查看超期隐患。'),
    ],
  );
}
