// 记录 会议|检查|督查|演练…: a recurring duty done (a meeting held, an inspection made, a school visited).
// One record counts for every obligation of the person's posts of that kind in its period (DOMAIN §3).

import type { ActionContext, Context, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { type Card, card, fields, note, text } from '../cards/model.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { memberSchools } from '../db/queries/bureau.ts';
import {
  contractedSchools,
  type ObligationKind,
  obligationById,
  obligationsOf,
  progressOf,
  recordCompletion,
} from '../db/queries/obligations.ts';
import type { ObligationScope } from '../db/schema.ts';
import { isoDateIn } from './calendar.ts';
import { parseDateInput } from './deadlines.ts';
import { attachCompletionPhotos, type Received, refusalNote } from './evidence.ts';
import { KIND_LABEL, KIND_WORDS, wholeWord } from './obligation-kinds.ts';
import { parseRecordText } from './record-text.ts';
import { rowOfButton } from './row-of-button.ts';
import { semestersOf, tenantSettings } from './settings.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';

export { KIND_LABEL, KIND_WORDS, wholeWord } from './obligation-kinds.ts';

const USAGE = '记录 会议|检查|督查|演练 <说明>，可加“日期：2026-11-20”“学校：XX小学”“范围：全校”';

export interface RecordInput {
  kind: ObligationKind;
  note: string;
  /** A date as typed (2026-11-20, 11月20日); today when absent. */
  date?: string;
  school?: string;
  /** Whose record it is; when absent, taken from the holder's obligations of the kind. */
  scope?: ObligationScope;
}

/**
 * Whose a record is (DOMAIN §3; 002 §四(四)): the school's when asked for or when the holder's only
 * obligations of the kind are school-wide; the holder's own otherwise. A holder with both is asked.
 */
async function scopeOf(ctx: Context, kind: ObligationKind, asked: ObligationScope | undefined) {
  const mine = (await obligationsOf(ctx.db, ctx.actor.id))
    .map((row) => row.obligation)
    .filter((obligation) => obligation.kind === kind);
  const whole = wholeWord(ctx.tenant.kind);
  const wide = mine.filter((obligation) => obligation.scope === 'school');
  const own = mine.filter((obligation) => obligation.scope === 'own');
  if (asked === 'school' && wide.length === 0) {
    throw new Refusal(
      `你的岗位没有${whole}范围的“${KIND_LABEL[kind]}”职责，请去掉“范围：${whole}”后再记录。`,
    );
  }
  if (asked) return asked;
  if (wide.length > 0 && own.length > 0) {
    const titles = (list: typeof mine) => list.map((obligation) => obligation.title).join('、');
    throw new Refusal(
      `你的“${KIND_LABEL[kind]}”职责分本处室和${whole}两类：${titles(own)}（本处室）；${titles(wide)}（${whole}）。` +
        `请写明范围，例如：记录 ${KIND_LABEL[kind]} 范围：${whole} <说明>，或 记录 ${KIND_LABEL[kind]} 范围：本处室 <说明>`,
    );
  }
  return wide.length > 0 ? 'school' : 'own';
}

/**
 * The school a 督查 visit is at: one of the member's 分包学校, typed by its name or code (or named by the
 * note when exactly one is). A school linked to the bureau gives the visit its tenant, so it counts for the
 * member's obligation and shows in the school's record; any other name is refused, listing the member's
 * schools. A person with no 分包学校 records as before (the school as typed, if any).
 */
async function visitedSchool(
  ctx: Context,
  typed: string | undefined,
  noteText: string,
): Promise<{ school: string | undefined; schoolTenantId: number | null }> {
  const linked = ctx.tenant.kind === 'bureau' ? await memberSchools(ctx.db, ctx.tenant.id, ctx.actor.id) : [];
  const namesOf = (one: (typeof linked)[number]) => [one.name, one.code, ...one.named];
  // Names of the member's obligations not linked to a school yet (its file not loaded): kept as text.
  const loose = (await contractedSchools(ctx.db, ctx.actor.id)).filter(
    (name) => !linked.some((one) => namesOf(one).includes(name)),
  );
  const shown = [...linked.map((one) => one.name), ...loose];
  if (shown.length === 0) return { school: typed, schoolTenantId: null };
  const byName = (name: string) => linked.find((one) => namesOf(one).includes(name));
  if (!typed) {
    const named = shown.filter((name) => noteText.includes(name));
    if (named.length === 1) typed = named[0];
  }
  if (!typed) {
    throw new Refusal(
      `请写明督查的学校（你的分包学校：${shown.join('、')}），例如：记录 督查 学校：${shown[0]} 检查食堂`,
    );
  }
  const found = byName(typed);
  if (found) return { school: found.name, schoolTenantId: found.schoolId };
  if (loose.includes(typed)) return { school: typed, schoolTenantId: null };
  throw new Refusal(`“${typed}”不在你的分包学校中（${shown.join('、')}），未记录。请从中选择一所学校。`);
}

/** Records a completion for the actor and answers with this period's progress; refuses bad input. */
export async function recordFor(ctx: Context, input: RecordInput, received?: Received): Promise<Card> {
  const photos = received?.attachments.map((attachment) => attachment.key) ?? [];
  const images = received?.attachments.filter((attachment) => attachment.kind === 'image').length ?? 0;
  const files = (received?.attachments ?? [])
    .filter((attachment) => attachment.kind === 'file')
    .map((attachment) => attachment.name ?? '1 个');
  const { db, tenant, actor, now } = ctx;
  const { kind } = input;
  const today = isoDateIn(now, tenant.timezone);
  let date = today;
  if (input.date?.trim()) {
    const typed = input.date.trim();
    const parsed = parseDateInput(typed, tenant.timezone, now);
    if (!parsed) throw new Refusal('日期请写成 2026-11-20 或 11月20日。');
    date = isoDateIn(parsed, tenant.timezone);
    // "11月20日" without a year means the last such day, not the next one.
    if (date > today && !/^\d{4}/.test(typed)) date = `${Number(date.slice(0, 4)) - 1}${date.slice(4)}`;
    if (date > today) throw new Refusal('不能记录将来的日期。');
  }
  const noteText = input.note.replace(/\s+/g, ' ').trim();
  if (!noteText) throw new Refusal(`请写明说明，例如：${USAGE}`);
  capped(noteText, TEXT_LIMITS.measures, '说明');
  let school = input.school?.trim() || undefined;
  let schoolTenantId: number | null = null;
  if (kind === 'supervision') {
    const visit = await visitedSchool(ctx, school, noteText);
    school = visit.school;
    schoolTenantId = visit.schoolTenantId;
  }
  const scope = await scopeOf(ctx, kind, input.scope);
  const completion = await recordCompletion(db, {
    tenantId: tenant.id,
    personId: actor.id,
    kind,
    date,
    note: noteText,
    school: school ?? null,
    schoolTenantId,
    scope,
    evidence: photos.length > 0 ? { photos, channel: ctx.event.channel } : null,
    createdAt: now,
  });
  const kept = received ? await attachCompletionPhotos(ctx, received, completion.id) : undefined;
  await appendAudit(db, {
    tenantId: tenant.id,
    subject: `completion:${completion.id}`,
    actorId: actor.id,
    action: 'record',
    note: noteText,
    data: { kind, date, school, scope, ...(schoolTenantId ? { schoolTenantId } : {}) },
    at: now,
  });
  const progress = (
    await progressOf(db, actor.id, date, semestersOf(tenantSettings(tenant.settings)))
  ).filter((entry) => entry.obligation.kind === kind && entry.obligation.scope === scope);
  const whole = wholeWord(tenant.kind);
  return card(`已记录${KIND_LABEL[kind]}`, 'green', [
    fields([
      ['日期', date],
      ['学校', school],
      ['范围', scope === 'school' ? whole : undefined],
      ['说明', noteText],
      ['照片', images > 0 ? `${images} 张` : undefined],
      ['文件', files.length > 0 ? files.join('、') : undefined],
    ]),
    ...(kept && kept.refusals.length > 0 ? [note(refusalNote(kept.refusals))] : []),
    progress.length > 0
      ? text(
          progress
            .map(
              (entry) =>
                `${entry.period.label} ${entry.obligation.title}：${entry.done}/${entry.needed}${entry.met ? ' ✓' : entry.exempt ? '（本期不考核）' : ''}`,
            )
            .join('\n'),
        )
      : note(
          scope === 'school'
            ? `记录已保存（${whole}）。`
            : `你的岗位没有“${KIND_LABEL[kind]}”类的常规职责，记录已保存。`,
        ),
  ]);
}

/** `记录 会议 <说明> [日期：…] [学校：…] [范围：全校]` */
export async function recordDuty(ctx: MessageContext): Promise<void> {
  const [word, ...rest] = ctx.args.trim().split(/\s+/);
  const kind =
    word && Object.hasOwn(KIND_WORDS, word) ? KIND_WORDS[word as keyof typeof KIND_WORDS] : undefined;
  if (!kind) throw new Refusal(`请写明记录的类型，例如：${USAGE}`);
  const parsed = parseRecordText(rest.join(' '), { schoolWord: kind === 'supervision' });
  const { event } = ctx;
  const received = {
    channel: event.channel,
    messageId: event.messageId,
    at: event.at,
    attachments: event.attachments,
  };
  ctx.reply({ kind: 'card', card: await recordFor(ctx, { kind, ...parsed }, received) });
}

/** The 记录完成 button (with its form) on an obligation reminder. */
export async function recordButton(ctx: ActionContext): Promise<ActionResult> {
  const obligation = await rowOfButton(ctx, obligationById, '找不到这项职责。');
  const form = ctx.event.form ?? {};
  if (!form.note?.trim()) {
    throw new Refusal(`请写明完成情况。按钮不便时可发送：记录 ${KIND_LABEL[obligation.kind]} <说明>`);
  }
  const result = await recordFor(ctx, {
    kind: obligation.kind,
    note: form.note,
    date: form.date,
    school: form.school,
    scope: obligation.scope,
  });
  ctx.reply({ kind: 'card', card: result });
  return { toast: { kind: 'success', text: `已记录：${obligation.title}` } };
}
