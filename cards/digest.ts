// One message for everything a job run has for one person (issue 15 §5): a line per reminder step,
// grouped by what it is about, instead of one card each.
import type { HeldLine } from '../db/queries/reminders.ts';
import { type Block, type Card, divider, listCard, note, text } from './model.ts';

const GROUPS: [prefix: string, label: string][] = [
  ['hazard:', '隐患'],
  ['task:', '任务'],
  ['shift:', '值班'],
  ['obligation:', '职责'],
  ['letter:', '责任书'],
];

const MISSED = '未履职';

function groupOf(line: HeldLine): string {
  if (line.step === 'missed') return MISSED;
  return GROUPS.find(([prefix]) => line.subject.startsWith(prefix))?.[1] ?? '其他';
}

/** The line a step contributes: its own, a text's text, or a card's leading note (else its title). */
export function lineOf(line: HeldLine): string {
  const { held } = line;
  if (held.line) return held.line;
  if (held.body.kind === 'text') return held.body.text;
  const value = held.body.card;
  const lead = value.blocks.find((block) => block.kind === 'note');
  if (lead && lead.kind === 'note' && lead.text) return lead.text;
  return value.title.replace(/^【提醒】/, '');
}

export function digestCard(lines: HeldLine[]): Card {
  const groups = new Map<string, string[]>();
  for (const line of lines) {
    const label = groupOf(line);
    groups.set(label, [...(groups.get(label) ?? []), lineOf(line)]);
  }
  const onlyMissed = groups.size === 1 && groups.has(MISSED);
  const blocks: Block[] = [];
  // Misses first: they are what a leader or the office must act on.
  const order = [MISSED, ...GROUPS.map(([, label]) => label), '其他'].filter((label) => groups.has(label));
  order.forEach((label, index) => {
    if (index > 0) blocks.push(divider());
    const items = groups.get(label)!;
    blocks.push(
      text(`${label}（${items.length}）\n${items.map((item, n) => `${n + 1}. ${item}`).join('\n')}`),
    );
  });
  blocks.push(
    note(
      onlyMissed
        ? '以上周期已结束并记为未履职；发送「我的职责」查看本期进度。'
        : '发送「我的待办」查看并逐项办理，「我的职责」查看本期职责进度。',
    ),
  );
  return listCard(
    onlyMissed ? `未履职汇总（${lines.length} 项）` : `【提醒】待办汇总（${lines.length} 项）`,
    groups.has(MISSED) ? 'red' : 'orange',
    blocks,
  );
}
