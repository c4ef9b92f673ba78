// The text of `记录 <类型> …`: the note, and the fields written into it. A field is taken only when it is
// written as one — a marker at the start of a phrase (`日期：11月20日`, `学校：区实验小学`, `范围：全校`)
// or a date as the last word — so that 学校, 日期 and 时间 inside a sentence stay text
// ("研究放学时间段校门口交通秩序" is a note, not a date).

import { Refusal } from '../bot/core/errors.ts';
import type { ObligationScope } from './obligation-kinds.ts';

export interface RecordText {
  note: string;
  /** The date as typed, when one was given. */
  date?: string;
  school?: string;
  scope?: ObligationScope;
}

/** What people write after `范围：`. */
export const SCOPE_WORDS: Record<string, ObligationScope> = {
  全校: 'school',
  全局: 'school',
  全单位: 'school',
  本处室: 'own',
  本部门: 'own',
  本科室: 'own',
  本岗位: 'own',
  本人: 'own',
};

/** A marker begins a phrase: at the start, or after a space or a punctuation mark. */
const START = String.raw`(?<=^|[\s，,。；;、（(])`;
/** Dates written so that they cannot be anything else: 2026-11-20, 2026年11月20日, 11月20日. */
const PLAIN_DATE = String.raw`(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}月\d{1,2}[日号])`;

/** A field's value runs to the next space or punctuation mark. */
const marker = (word: string) => new RegExp(`${START}${word}\\s*[:：]\\s*([^\\s，,。；;、]*)`, 'g');

/** Splits the words after the kind into the note and its fields; refuses a marker without a value. */
export function parseRecordText(body: string, options: { schoolWord: boolean }): RecordText {
  let rest = body;
  const takeAll = (pattern: RegExp) => {
    const values = [...rest.matchAll(pattern)].map((match) => match[1] ?? '');
    rest = rest.replace(pattern, ' ');
    return values;
  };
  const one = (values: string[], label: string, example: string) => {
    if (values.length > 1) throw new Refusal(`“${label}：”只能写一次。`);
    const [value] = values;
    if (value === undefined) return undefined;
    if (!value) throw new Refusal(`“${label}：”后请写明${label}，例如：${label}：${example}`);
    return value;
  };

  const school = one(takeAll(marker('学校')), '学校', '区实验小学');
  const scopeWord = one(takeAll(marker('范围')), '范围', '全校');
  let date = one(takeAll(marker('日期')), '日期', '2026-11-20');
  // `时间：` begins minutes ("时间：11月20日下午 地点：…"): its date is taken and the phrase stays in the note.
  const timed = new RegExp(`${START}时间\\s*[:：]\\s*(${PLAIN_DATE})`).exec(rest);
  if (!date && timed) date = timed[1];
  // `日期 2026-11-20` without a colon, anywhere: only when a date follows.
  if (!date) {
    const spaced = new RegExp(`${START}日期\\s+(${PLAIN_DATE}|\\d{1,2}[-/.]\\d{1,2})(?=\\s|$)`).exec(rest);
    if (spaced) {
      date = spaced[1];
      rest = rest.replace(spaced[0], ' ');
    }
  }
  // A date as the last word (optionally after 日期/时间 as a word of its own).
  if (!date) {
    const trailing = new RegExp(`(?:^|[\\s，,。；;、])(?:(?:日期|时间)\\s*)?(${PLAIN_DATE})\\s*$`).exec(rest);
    if (trailing) {
      date = trailing[1];
      rest = rest.slice(0, trailing.index);
    }
  }
  // 督查 has always been written `记录 督查 学校 区实验小学 …`: a first word 学校 is the field.
  let schoolValue = school;
  if (!schoolValue && options.schoolWord) {
    const first = /^\s*学校\s+(\S+)/.exec(rest);
    if (first) {
      schoolValue = first[1];
      rest = rest.slice(first[0].length);
    }
  }
  let scope: ObligationScope | undefined;
  if (scopeWord !== undefined) {
    scope = Object.hasOwn(SCOPE_WORDS, scopeWord) ? SCOPE_WORDS[scopeWord] : undefined;
    if (!scope) throw new Refusal(`“范围：”请写“全校”或“本处室”，本次写的是“${scopeWord}”。`);
  }
  return {
    note: rest.replace(/\s+/g, ' ').trim(),
    ...(date ? { date } : {}),
    ...(schoolValue ? { school: schoolValue } : {}),
    ...(scope ? { scope } : {}),
  };
}
