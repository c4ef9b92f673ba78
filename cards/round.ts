// The cards of an inspection round: one per item (合格 / 不合格 with its note / 不适用), and the round's
// summary with its sign-off button.
import { ROUND_RESULT_LABELS, type RoundResult } from '../handlers/inspection-rules.ts';
import { actions, button, type Card, card, fields, note, text } from './model.ts';

export interface RoundItemView {
  id: number;
  text: string;
  source: string;
  area: string | null;
  result: RoundResult | null;
  hazardCode: string | null;
}

export interface RoundCardView {
  id: number;
  code: string;
  listName: string;
  /** 全校, or the unit's name. */
  scopeName: string;
  area: string | null;
  items: RoundItemView[];
}

export const roundSubject = (roundId: number) => `round:${roundId}`;

/** The card of one item of a round, with its buttons. */
export function roundItemCard(round: RoundCardView, itemId: number): Card {
  const index = round.items.findIndex((item) => item.id === itemId);
  const item = round.items[index]!;
  const args = { round: String(round.id), item: String(item.id) };
  return card(`${round.listName}（${index + 1}/${round.items.length}）`, 'blue', [
    fields([
      ['检查编号', round.code],
      ['范围', round.scopeName],
      ['区域', round.area ?? item.area],
      ['检查项目', item.text],
      ['依据', item.source],
    ]),
    actions(
      button('合格', 'round.result', { ...args, result: 'pass' }, 'primary'),
      button('不适用', 'round.result', { ...args, result: 'na' }),
    ),
    {
      kind: 'form',
      name: 'round-fail',
      inputs: [{ name: 'note', label: '问题描述', placeholder: '不合格时写明发现的问题', multiline: true }],
      submit: button('不合格', 'round.result', { ...args, result: 'fail' }, 'danger'),
    },
    note(
      '不合格的项目登记为隐患（来源：检查），转责任处室受理。问题描述可填在上方，或点“不合格”后 10 分钟内另发一条文字；现场照片可在 10 分钟内另发。',
    ),
  ]);
}

/** Counts of a round's results. */
export function roundCounts(items: RoundItemView[]) {
  const count = (result: RoundResult) => items.filter((item) => item.result === result).length;
  return {
    pass: count('pass'),
    fail: count('fail'),
    na: count('na'),
    left: items.filter((item) => item.result === null).length,
  };
}

/** The round at a glance: what was found, the hazards, and the sign-off (签字) when every item is done. */
export function roundSummaryCard(round: RoundCardView, signed: { at: string } | undefined): Card {
  const counts = roundCounts(round.items);
  const failed = round.items.filter((item) => item.result === 'fail');
  return card(
    `${round.listName}：${signed ? '已签字' : counts.left > 0 ? '进行中' : '待签字'}`,
    signed ? 'green' : 'orange',
    [
      fields([
        ['检查编号', round.code],
        ['范围', round.scopeName],
        ['区域', round.area],
        [
          '结果',
          `${ROUND_RESULT_LABELS.pass} ${counts.pass} 项，${ROUND_RESULT_LABELS.fail} ${counts.fail} 项，${ROUND_RESULT_LABELS.na} ${counts.na} 项${counts.left > 0 ? `，未检查 ${counts.left} 项` : ''}`,
        ],
        ['签字', signed?.at],
      ]),
      failed.length > 0 &&
        text(failed.map((item) => `· ${item.text} → ${item.hazardCode ?? '隐患'}`).join('\n')),
      !signed &&
        counts.left === 0 &&
        actions(button('签字完成', 'round.sign', { round: String(round.id) }, 'primary')),
      !signed && note(counts.left === 0 ? '也可发送：检查签字' : '继续检查：开始检查 <清单名>'),
    ],
  );
}
