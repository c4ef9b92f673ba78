// The words of checklists and inspection rounds (002 §四(四) 大检查 and 排查登记; 004 §二 五有/九无/八杜绝):
// kinds, results, scopes, their labels, and the columns of the 排查登记表. Vocabulary: imports nothing.

/** A target list (004's 五有/九无/八杜绝, assessed) or a list walked on an inspection round. */
export const CHECKLIST_KINDS = ['target', 'inspection'] as const;
export type ChecklistKind = (typeof CHECKLIST_KINDS)[number];
export const CHECKLIST_KIND_LABELS: Record<ChecklistKind, string> = { target: '目标', inspection: '检查' };

/** What an item was found to be on a round. */
export const ROUND_RESULTS = ['pass', 'fail', 'na'] as const;
export type RoundResult = (typeof ROUND_RESULTS)[number];
export const ROUND_RESULT_LABELS: Record<RoundResult, string> = {
  pass: '合格',
  fail: '不合格',
  na: '不适用',
};

/** Whose a round is: the whole school's (the monthly 大检查 counts only so) or one unit's. */
export const ROUND_SCOPES = ['school', 'unit'] as const;
export type RoundScope = (typeof ROUND_SCOPES)[number];

/** A round is open while its items are walked, then signed off (签字/完成). */
export type RoundStatus = 'open' | 'signed';
export const ROUND_STATUS_LABELS: Record<RoundStatus, string> = { open: '进行中', signed: '已签字' };

/** The columns of the 排查登记表 (002 §四(四)5), in order: XLSX and the printable page share them. */
export const REGISTER_COLUMNS = [
  '日期',
  '检查人',
  '范围',
  '项目',
  '结果',
  '问题描述',
  '隐患编号',
  '整改情况',
] as const;

/** A round's human number: JC-<prefix>-2026-0001, as hazards are YH-<prefix>-2026-0001. */
export const roundCode = (prefix: string, year: number, sequence: number) =>
  `JC-${prefix}-${year}-${String(sequence).padStart(4, '0')}`;

/** `开始检查 <清单> [区域：…]`: the list's name (or code) and the area, when one is named. */
export function parseRoundStart(args: string): { list: string; area?: string } {
  const match = /(?:^|\s)(?:区域|地点|范围)[:：]\s*(\S.*)$/.exec(args);
  const area = match?.[1]?.trim();
  const list = (match ? args.slice(0, match.index) : args).trim();
  return area ? { list, area } : { list };
}

/** A target's status from its counts: 未达标 when anything is open or failed, 达标 when assessed clean. */
export type TargetStatus = 'met' | 'unmet' | 'unassessed';
export const TARGET_STATUS_LABELS: Record<TargetStatus, string> = {
  met: '达标',
  unmet: '未达标',
  unassessed: '未评估',
};
