// The hazard workflow's table of steps (handlers/hazards/steps.ts): every step of the state machine has
// its button, and the chat commands derived from the table are the ones 帮助 has always listed. No
// database.
import { describe, expect, it } from 'vitest';
import { type HazardAction, RULES } from '../handlers/hazard-workflow.ts';
import { STEPS } from '../handlers/hazards/index.ts';
import { createRouter } from '../handlers/index.ts';

describe('the table of hazard steps', () => {
  const router = createRouter();

  it('has one entry per step of the state machine, each with its button registered', () => {
    expect(Object.keys(STEPS).sort()).toEqual(Object.keys(RULES).sort());
    const buttons = Object.values(STEPS).map((step) => step.button);
    expect(new Set(buttons).size).toBe(buttons.length);
    for (const button of buttons) expect(router.hasAction(button)).toBe(true);
    expect(router.hasAction('hazard.offer')).toBe(true);
  });

  it('gives the router the hazard commands with their usage and summary, unchanged', () => {
    const commands = router.commands.map(({ names, usage, summary }) => ({ names, usage, summary }));
    const expected = [
      [['补充', '/complete'], '补充 YH-… 地点 <地点> 程度 <一般|较大|重大>', '补充隐患的地点、程度或类别'],
      [
        ['受理', '/accept'],
        '受理 YH-… [措施 <临时管控措施>] [期限 <日期>]',
        '受理隐患（责任处室负责人）；重大隐患须写临时管控措施，期限可短于规定期限',
      ],
      [['驳回', '/reject'], '驳回 YH-… <原因>', '驳回：不属于隐患或重复'],
      [['指派', '/assign'], '指派 YH-… @整改人', '指定整改责任人（@ 或写姓名、人员编号）'],
      [
        ['整改完成', '/rectified'],
        '整改完成 YH-… <整改措施> [资金 <金额>]',
        '提交整改，等待复查；可写明整改资金（元）',
      ],
      [['申请延期', '/extend'], '申请延期 YH-… <天数> <原因>', '申请延长整改期限'],
      [['批准延期', '/approve-extension'], '批准延期 YH-…', '批准延期（分管领导）'],
      [['不批准延期', '/deny-extension'], '不批准延期 YH-…', '不批准延期（分管领导）'],
      [['复查通过', '/pass'], '复查通过 YH-… [复查意见]', '复查通过并销号（非整改人）'],
      [['复查不通过', '/fail'], '复查不通过 YH-… <原因>', '复查不通过，退回整改'],
      [['挂牌督办', '/list'], '挂牌督办 YH-… <事项> 截止 <日期>', '挂牌督办（学校领导）'],
    ] as const;
    for (const [names, usage, summary] of expected) {
      expect(commands).toContainEqual({ names: [...names], usage, summary });
    }
    const fromTable = Object.values(STEPS).flatMap((step) =>
      step.commands.map((command) => command.names[0]),
    );
    expect(fromTable.sort()).toEqual(expected.map(([names]) => names[0]).sort());
  });

  it('takes 标记为重复 by its button, or by 驳回 naming the hazard repeated', () => {
    const duplicate: HazardAction = 'duplicate';
    expect(STEPS[duplicate].commands).toEqual([]);
    expect(STEPS.reject.fromText).toBeDefined();
  });
});
