// How long each free-text input may be (issue 14): long enough for what a school writes down, short
// enough that every card about it reaches the people it is for. A longer text is refused politely and
// nothing is written; the web console always shows a text whole.
import { Refusal } from '../bot/core/errors.ts';

/** The longest text of each kind, in characters. */
export const TEXT_LIMITS = {
  /** 报隐患: where, what, how serious; photos say the rest. */
  description: 500,
  /** 地点 of a hazard. */
  place: 50,
  /** 类别 named in 补充. */
  category: 20,
  /** 驳回, 复查不通过, 申请延期 reasons. */
  reason: 200,
  /** 挂牌督办 matters (the console's form takes the same). */
  matter: 500,
  /** 整改完成 measures; 完成 RW-… notes; 记录 notes. */
  measures: 500,
  /** 派任务 content (the console's form takes the same). */
  task: 1000,
  /** 值班日志 entries and 交班 notes. */
  dutyLog: 1000,
  /** A whole chat message: a command with all its parts never needs more. */
  message: 2000,
} as const;

const lengthOf = (value: string) => Array.from(value).length;

/** The text itself when it is at most `max` characters long; otherwise a polite refusal naming the limit. */
export function capped(value: string, max: number, what: string): string {
  const length = lengthOf(value);
  if (length > max) {
    throw new Refusal(`${what}最多 ${max} 字，本次 ${length} 字，未予登记。请精简后重新发送。`);
  }
  return value;
}
