// What a step is given: typed in a button's form, or written after a text command's hazard code.
import type { ActionContext, Context, MessageContext } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import { actions, button, card, note, text } from '../../cards/model.ts';
import { hazardRoles } from '../../db/queries/hazard-roles.ts';
import { type Hazard, hazardByCode } from '../../db/queries/hazards.ts';
import type { Person } from '../../db/queries/org.ts';
import { membersNamed } from '../../db/queries/people.ts';
import { withUnits } from '../colleagues.ts';
import { hazardCodeIn } from '../hazard-rules.ts';
import { decide } from '../hazard-workflow.ts';
import { capped, TEXT_LIMITS } from '../text-limits.ts';
import type { StepContext } from './follow-ups.ts';

/** What a step needs besides the hazard: typed in a form, or written after a text command. */
export interface StepInput {
  reason?: string;
  measures?: string;
  days?: string;
  decision?: 'approve' | 'deny';
  severity?: string;
  place?: string;
  category?: string;
  matter?: string;
  /** 受理: the deadline chosen (no later than the severity's), or 挂牌督办: the listing's deadline. */
  deadline?: string;
  /** 受理: 临时管控措施, required for a 重大 hazard. */
  interim?: string;
  /** 整改完成: 整改资金 as written (yuan), optional. */
  funds?: string;
  /** 复查通过: the reviewer's opinion (复查意见), optional. */
  opinion?: string;
  rectifier?: Person;
  /** The hazard this one repeats (标记为重复). */
  duplicateOf?: Hazard;
}

/** A step's input is not known yet: namesakes were offered to choose from (see `rectifierNamed`). */
export const CHOICE = 'choice';
export type Choice = typeof CHOICE;

/** Everything a hazard card's form and button carry, as the step's input. */
export function formInput(ctx: ActionContext): StepInput {
  const form = ctx.event.form ?? {};
  const args = ctx.event.args;
  return {
    reason: form.reason,
    measures: form.measures,
    days: form.days,
    decision: args.decision === 'approve' ? 'approve' : args.decision === 'deny' ? 'deny' : undefined,
    severity: args.severity ?? form.severity,
    place: form.place,
    category: form.category,
    matter: form.matter,
    deadline: form.deadline,
    interim: form.interim,
    funds: form.funds,
    opinion: form.opinion,
  };
}

/** A text command's hazard (by the code written after the command), and the rest of the text. */
export async function hazardOfCommand(
  ctx: MessageContext,
  usage: string,
): Promise<{ hazard: Hazard; rest: string }> {
  const found = hazardCodeIn(ctx.args);
  if (!found) throw new Refusal(`请写明隐患编号，例如：${usage}`);
  const hazard = await hazardByCode(ctx.db, ctx.tenant.id, found.code);
  if (!hazard) throw new Refusal(`没有找到隐患 ${found.code}。`);
  return { hazard, rest: found.rest };
}

/** `补充 YH-… 地点 X 程度 一般 类别 Y`: the fields in any order, with or without colons. */
export function fieldsOf(rest: string): StepInput {
  const input: StepInput = {};
  const pattern = /(地点|位置|程度|严重程度|类别)\s*[:：]?\s*([^\s，,；;]+)/g;
  for (const match of rest.matchAll(pattern)) {
    const [, key, value] = match;
    if (key === '地点' || key === '位置') input.place = value;
    else if (key === '类别') input.category = value;
    else input.severity = value;
  }
  if (!input.severity) input.severity = /(?:^|\s)(一般|较大|重大)(?:\s|$)/.exec(rest)?.[1];
  return input;
}

/** `受理 YH-… 措施 <临时管控措施> 期限 <日期>`: both optional, in either order. */
export function acceptFieldsOf(rest: string): StepInput {
  const deadline = /(?:^|\s)(?:期限|截止)\s*[:：]?\s*(\S+)\s*(?=$|\s(?:措施|临时管控措施)[\s:：])/.exec(rest);
  const text = deadline ? rest.replace(deadline[0], ' ') : rest;
  const interim = /^\s*(?:临时管控措施|措施)\s*[:：]?\s*([\s\S]*)$/.exec(text.trim());
  return {
    deadline: deadline?.[1],
    interim: interim ? interim[1]!.trim() : text.trim() || undefined,
  };
}

/** `整改完成 YH-… <整改措施> [资金 <金额>]`: the amount (整改资金) anywhere, the rest is the measures. */
export function submitFieldsOf(rest: string): StepInput {
  const funds = /(?:^|\s)(?:整改资金|资金)\s*[:：]?\s*(\S+?)\s*(?=$|\s)/.exec(rest);
  if (!funds) return { measures: rest };
  return { measures: rest.replace(funds[0], ' ').trim(), funds: funds[1] };
}

/** `申请延期 YH-… <天数> <原因>` */
export function extensionFieldsOf(rest: string): StepInput {
  const match = /^(\d+)\s*天?\s*(.*)$/.exec(rest);
  return { days: match?.[1], reason: match?.[2] };
}

/** `挂牌督办 YH-… <事项> 截止 <日期>` */
export function listingFieldsOf(rest: string): StepInput {
  const match = /^(.*?)\s*(?:截止|期限)\s*[:：]?\s*(\S+)\s*$/.exec(rest);
  return { matter: match?.[1] ?? rest, deadline: match?.[2] };
}

/**
 * The rectifier a 指派 names by typing (`张三`, `@张三`, or a person code): one member, or, when several
 * share the name, a card to choose from is sent to the actor and CHOICE returned. Refuses when nobody
 * matches; an empty name is left to the step, which asks for one.
 */
export async function rectifierNamed(
  ctx: Pick<Context, 'db' | 'tenant' | 'actor' | 'reply'>,
  hazard: Hazard,
  typed: string | undefined,
): Promise<Person | Choice | undefined> {
  const word = typed?.trim().replace(/^@\s*/, '').split(/\s+/)[0];
  if (!word) return undefined;
  capped(word, TEXT_LIMITS.place, '整改人');
  const matches = await membersNamed(ctx.db, ctx.tenant.id, word);
  if (matches.length === 0) {
    throw new Refusal(
      `本单位人员名单上没有“${word}”，请写整改人的姓名或人员编号，例如：指派 ${hazard.code} @张三`,
    );
  }
  if (matches.length === 1) return matches[0];
  // Namesakes: the actor chooses; the step itself (and who may take it) is checked on the press.
  const roles = await hazardRoles(ctx.db, hazard, ctx.actor.id);
  // Someone who may not assign gets the step's own refusal, not a choice.
  if (!decide('assign', hazard.status, roles).ok) return matches[0];
  const labels = await withUnits(ctx.db, matches);
  ctx.reply({
    kind: 'card',
    card: card(`请选择 ${hazard.code} 的整改人`, 'orange', [
      text(`本单位有 ${matches.length} 位“${word}”，请选择要指派的一位：`),
      actions(
        ...matches.map((person, index) =>
          button(labels[index]!, 'hazard.assign', { id: String(hazard.id), person: String(person.id) }),
        ),
      ),
      note(`也可发送：指派 ${hazard.code} @人员编号（${matches.map((person) => person.code).join('、')}）`),
    ]),
  });
  return CHOICE;
}

/** A reason like "与 YH-2026-0001 重复": the hazard it names, which makes the rejection a duplicate. */
export async function duplicateNamedIn(
  ctx: StepContext,
  reason: string | undefined,
): Promise<Hazard | undefined> {
  const named = reason && /重复/.test(reason) ? hazardCodeIn(reason) : undefined;
  if (!named) return undefined;
  const original = await hazardByCode(ctx.db, ctx.tenant.id, named.code);
  if (!original) throw new Refusal(`没有找到隐患 ${named.code}。`);
  return original;
}
