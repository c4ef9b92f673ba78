// 记录 会议|检查|督查|演练…: a recurring duty done (a meeting held, an inspection made, a school visited).
// One record counts for every obligation of the person's posts of that kind in its period (DOMAIN §3).

import { and, eq } from 'drizzle-orm';
import type { ActionContext, Context, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { type Card, card, fields, note, text } from '../cards/model.ts';
import { rowId } from '../db/queries/ids.ts';
import {
  contractedSchools,
  type ObligationKind,
  progressOf,
  recordCompletion,
} from '../db/queries/obligations.ts';
import { auditEvents, obligations } from '../db/schema.ts';
import { isoDateIn } from './calendar.ts';
import { parseDateInput } from './deadlines.ts';
import { KIND_LABEL, KIND_WORDS } from './obligation-kinds.ts';
import { semestersOf, tenantSettings } from './settings.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';

export { KIND_LABEL, KIND_WORDS } from './obligation-kinds.ts';

const USAGE = '记录 会议|检查|督查|演练 <说明>，可加“日期 2026-11-20”“学校 XX小学”';

export interface RecordInput {
  kind: ObligationKind;
  note: string;
  /** A date as typed (2026-11-20, 11月20日); today when absent. */
  date?: string;
  school?: string;
}

/** Records a completion for the actor and answers with this period's progress; refuses bad input. */
export async function recordFor(ctx: Context, input: RecordInput, photos: string[]): Promise<Card> {
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
  const school = input.school?.trim() || undefined;
  if (kind === 'supervision') {
    const schools = await contractedSchools(db, actor.id);
    if (schools.length > 0 && !school) {
      throw new Refusal(
        `请写明督查的学校（你的分包学校：${schools.join('、')}），例如：记录 督查 学校 ${schools[0]} 检查食堂`,
      );
    }
    if (school && schools.length > 0 && !schools.includes(school)) {
      throw new Refusal(`“${school}”不在你的分包学校中（${schools.join('、')}）。`);
    }
  }
  const completion = await recordCompletion(db, {
    tenantId: tenant.id,
    personId: actor.id,
    kind,
    date,
    note: noteText,
    school: school ?? null,
    evidence: photos.length > 0 ? { photos, channel: ctx.event.channel } : null,
    createdAt: now,
  });
  await db.insert(auditEvents).values({
    tenantId: tenant.id,
    subject: `completion:${completion.id}`,
    actorId: actor.id,
    action: 'record',
    note: noteText,
    data: { kind, date, school },
    at: now,
  });
  const progress = (
    await progressOf(db, actor.id, date, semestersOf(tenantSettings(tenant.settings)))
  ).filter((entry) => entry.obligation.kind === kind);
  return card(`已记录${KIND_LABEL[kind]}`, 'green', [
    fields([
      ['日期', date],
      ['学校', school],
      ['说明', noteText],
      ['照片', photos.length > 0 ? `${photos.length} 张` : undefined],
    ]),
    progress.length > 0
      ? text(
          progress
            .map(
              (entry) =>
                `${entry.period.label} ${entry.obligation.title}：${entry.done}/${entry.needed}${entry.met ? ' ✓' : entry.exempt ? '（本期不考核）' : ''}`,
            )
            .join('\n'),
        )
      : note(`你的岗位没有“${KIND_LABEL[kind]}”类的常规职责，记录已保存。`),
  ]);
}

/** `记录 会议 <说明> [日期 …] [学校 …]` */
export async function recordDuty(ctx: MessageContext): Promise<void> {
  const [word, ...rest] = ctx.args.split(/\s+/);
  const kind =
    word && Object.hasOwn(KIND_WORDS, word) ? KIND_WORDS[word as keyof typeof KIND_WORDS] : undefined;
  if (!kind) throw new Refusal(`请写明记录的类型，例如：${USAGE}`);
  let body = rest.join(' ');
  const take = (pattern: RegExp) => {
    const match = pattern.exec(body);
    if (match) body = body.replace(match[0], ' ');
    return match?.[1];
  };
  const date = take(/(?:日期|时间)\s*[:：]?\s*(\S+)/);
  const school = take(/学校\s*[:：]?\s*(\S+)/);
  const photos = ctx.event.attachments.map((attachment) => attachment.key);
  ctx.reply({ kind: 'card', card: await recordFor(ctx, { kind, note: body, date, school }, photos) });
}

/** The 记录完成 button (with its form) on an obligation reminder. */
export async function recordButton(ctx: ActionContext): Promise<ActionResult> {
  const id = rowId(ctx.event.args.id);
  const [obligation] = id
    ? await ctx.db
        .select()
        .from(obligations)
        .where(and(eq(obligations.tenantId, ctx.tenant.id), eq(obligations.id, id)))
    : [];
  if (!obligation) throw new Refusal('找不到这项职责。');
  const form = ctx.event.form ?? {};
  if (!form.note?.trim()) {
    throw new Refusal(`请写明完成情况。按钮不便时可发送：记录 ${KIND_LABEL[obligation.kind]} <说明>`);
  }
  const result = await recordFor(
    ctx,
    { kind: obligation.kind, note: form.note, date: form.date, school: form.school },
    [],
  );
  ctx.reply({ kind: 'card', card: result });
  return { toast: { kind: 'success', text: `已记录：${obligation.title}` } };
}
