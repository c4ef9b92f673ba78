// Inspection rounds (002 §四(四)): `开始检查 <清单>` starts a round of a checklist for the school (the
// office and leaders) or a unit (its head); the inspector walks the items on a card each (合格 / 不合格 /
// 不适用); a failing item is filed as a hazard through the report's own path (origin 检查, the item's
// text first, the area as its place), routed and told like any report; `检查签字` signs the round off,
// and it counts as an inspection done: a school-wide round for the school-scope obligations (the
// monthly 大检查), a unit's round for its head's own.
import type { ActionContext, Context, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { Router } from '../bot/core/router.ts';
import type { ActionResult, Channel } from '../bot/core/types.ts';
import { type RoundCardView, roundItemCard, roundSubject, roundSummaryCard } from '../cards/round.ts';
import { appendAudit } from '../db/queries/audit.ts';
import {
  activeChecklists,
  type Checklist,
  type ChecklistItem,
  checklistById,
  checklistItemById,
  itemsOf,
} from '../db/queries/checklists.ts';
import { appendHazardEvent, hazardById, nextSequence, updateHazardFrom } from '../db/queries/hazards.ts';
import { recordCompletion } from '../db/queries/obligations.ts';
import { unitHeads } from '../db/queries/org.ts';
import {
  holdersOfObligations,
  insertRound,
  latestBareFailureBy,
  openRoundOf,
  type Round,
  resultOf,
  roundById,
  roundSheet,
  saveResult,
  setResultNote,
  signRoundRow,
} from '../db/queries/rounds.ts';
import { headedUnits, unitName } from '../db/queries/units.ts';
import { isoDateIn } from './calendar.ts';
import { FOLLOW_UP_WINDOW_MS } from './evidence-rules.ts';
import { refreshHazard } from './hazards/follow-ups.ts';
import { fileReport, type ReportContext } from './hazards/report.ts';
import { parseRoundStart, ROUND_RESULTS, type RoundResult, roundCode } from './inspection-rules.ts';
import { wholeWord } from './obligation-kinds.ts';
import { rowOfButton } from './row-of-button.ts';
import { assigners } from './tasks.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';
import { formatDateTime, yearIn } from './time.ts';

const START_USAGE = '开始检查 <清单名> [区域：…]，例如：开始检查 每月安全保卫工作大检查';

/** Whether the actor is the office or a leader (第一/直接责任人): who may run a school-wide round. */
async function isOfficeOrLeader(ctx: ReportContext): Promise<boolean> {
  return (await assigners(ctx.db, ctx.tenant.id)).some((person) => person.id === ctx.actor.id);
}

/** The round as its cards show it. */
export async function roundCardView(
  ctx: Pick<Context, 'db' | 'tenant'>,
  round: Round,
): Promise<RoundCardView> {
  const list = (await checklistById(ctx.db, ctx.tenant.id, round.checklistId))!;
  const sheet = await roundSheet(ctx.db, round);
  return {
    id: round.id,
    code: round.code,
    listName: list.name,
    scopeName:
      round.scope === 'school'
        ? wholeWord(ctx.tenant.kind)
        : ((await unitName(ctx.db, ctx.tenant.id, round.unitId)) ?? '处室'),
    area: round.area,
    items: sheet.map((row) => ({
      id: row.item.id,
      text: row.item.text,
      source: row.item.source,
      area: row.item.area ?? list.area,
      result: row.result,
      hazardCode: row.hazardCode,
    })),
  };
}

/** The next card of a round: its first item not yet checked, or its summary. */
function nextCard(view: RoundCardView, signed?: { at: string }) {
  const next = view.items.find((item) => item.result === null);
  return next && !signed ? roundItemCard(view, next.id) : roundSummaryCard(view, signed);
}

/** The checklist a name (or code) in the command names, among the tenant's lists. */
async function checklistNamed(ctx: ReportContext, word: string): Promise<Checklist> {
  const lists = (await activeChecklists(ctx.db, ctx.tenant.id)).map((row) => row.checklist);
  const names = lists.map((list) => list.name).join('、');
  if (!word) throw new Refusal(`请写明清单名称。${START_USAGE}${names ? `\n可用清单：${names}` : ''}`);
  const exact = lists.find((list) => list.name === word || list.code === word);
  if (exact) return exact;
  const near = lists.filter((list) => list.name.includes(word));
  if (near.length === 1) return near[0]!;
  if (near.length > 1)
    throw new Refusal(`“${word}”对应多个清单：${near.map((list) => list.name).join('、')}，请写全名。`);
  throw new Refusal(
    names
      ? `没有名为“${word}”的检查清单。可用清单：${names}`
      : '本单位的组织文件中还没有检查清单（checklists）。',
  );
}

/** Whose the round is: the list's unit, the school (office, leaders), or the unit its head heads. */
async function scopeOf(
  ctx: ReportContext,
  list: Checklist,
): Promise<{ scope: 'school' | 'unit'; unitId: number | null }> {
  const leader = await isOfficeOrLeader(ctx);
  const headed = await headedUnits(ctx.db, ctx.actor.id);
  if (list.unitId !== null) {
    if (leader || headed.some((unit) => unit.id === list.unitId))
      return { scope: 'unit', unitId: list.unitId };
    const name = await unitName(ctx.db, ctx.tenant.id, list.unitId);
    throw new Refusal(`“${list.name}”是${name ?? '其他处室'}的清单，由其负责人或安全办公室、学校领导检查。`);
  }
  if (leader) return { scope: 'school', unitId: null };
  if (headed.length > 0) return { scope: 'unit', unitId: headed[0]!.id };
  throw new Refusal('检查由安全办公室、学校领导（全校）或处室负责人（本处室）开展。');
}

/** Opens a round of a list for the actor, whose it is decided by `scopeOf`; audited. */
async function openRound(
  ctx: ReportContext,
  list: Checklist,
  area: string | null,
  chat: { channel: Channel; chatId: string },
): Promise<Round> {
  const { scope, unitId } = await scopeOf(ctx, list);
  const year = yearIn(ctx.now, ctx.tenant.timezone);
  const sequence = await nextSequence(ctx.db, ctx.tenant.id, `round:${year}`);
  const round = await insertRound(ctx.db, {
    tenantId: ctx.tenant.id,
    code: roundCode(ctx.tenant.hazardPrefix, year, sequence),
    checklistId: list.id,
    scope,
    unitId,
    area,
    inspectorId: ctx.actor.id,
    channel: chat.channel,
    chatId: chat.chatId,
    startedAt: ctx.now,
  });
  await appendAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    subject: roundSubject(round.id),
    actorId: ctx.actor.id,
    action: 'round.start',
    toStatus: 'open',
    note: `${list.name}（${round.code}）`,
    data: { checklist: list.code, scope, unitId, area },
    at: ctx.now,
  });
  return round;
}

/**
 * A round entered in the console from a paper form (all items at once), in the inspector's name:
 * opened, every item recorded (failures filed as hazards, reported in the inspector's console chat),
 * signed off. Refused whole when an item is left out.
 */
export async function enterRound(
  ctx: ReportContext,
  input: {
    checklistId: number;
    area: string;
    results: Map<number, { result: RoundResult; note: string }>;
    chatId: string;
  },
): Promise<{ round: Round; text: string }> {
  const list = await checklistById(ctx.db, ctx.tenant.id, input.checklistId);
  if (!list || list.archived) throw new Refusal('找不到这个清单。');
  const area = input.area.trim();
  if (area) capped(area, TEXT_LIMITS.place, '区域');
  const items = await itemsOf(ctx.db, list.id);
  const missing = items.filter((item) => !input.results.has(item.id));
  if (missing.length > 0)
    throw new Refusal(`还有 ${missing.length} 项未填写结果（第一项：${missing[0]!.text}）。`);
  const chat = { channel: 'console' as const, chatId: input.chatId };
  const round = await openRound(ctx, list, area || list.area, chat);
  for (const item of items) {
    const entry = input.results.get(item.id)!;
    await recordItem(ctx, round, item, entry.result, entry.note, chat);
  }
  const { text } = await signRound(ctx, round);
  return { round, text };
}

/** `开始检查 <清单> [区域：…]`: starts a round (or goes on with the actor's open round of the list). */
export async function startRound(ctx: MessageContext): Promise<void> {
  const { list: word, area } = parseRoundStart(ctx.args);
  if (area) capped(area, TEXT_LIMITS.place, '区域');
  const list = await checklistNamed(ctx, word);
  const open = await openRoundOf(ctx.db, ctx.tenant.id, ctx.actor.id);
  if (open && open.checklistId === list.id) {
    const view = await roundCardView(ctx, open);
    ctx.reply({ kind: 'text', text: `继续检查 ${open.code}。` });
    ctx.reply({ kind: 'card', card: nextCard(view) }, { subject: roundSubject(open.id) });
    return;
  }
  const round = await openRound(ctx, list, area ?? list.area, {
    channel: ctx.event.channel,
    chatId: ctx.event.chat.id,
  });
  const view = await roundCardView(ctx, round);
  if (view.items.length === 0) throw new Refusal(`“${list.name}”没有检查项目。`);
  ctx.reply({
    kind: 'text',
    text: `已开始检查 ${round.code}：${list.name}（${view.scopeName}，共 ${view.items.length} 项）。逐项点选结果；全部完成后发送“检查签字”。`,
  });
  ctx.reply({ kind: 'card', card: nextCard(view) }, { subject: roundSubject(round.id) });
}

/** Records one item of an open round; a failure is filed as a hazard, reported in the round's chat. */
async function recordItem(
  ctx: ReportContext,
  round: Round,
  item: ChecklistItem,
  result: RoundResult,
  rawNote: string | undefined,
  chat: { channel: Channel; chatId: string },
): Promise<void> {
  if (item.checklistId !== round.checklistId) throw new Refusal('这个项目不属于本次检查。');
  if (!ROUND_RESULTS.includes(result)) throw new Refusal('请选择合格、不合格或不适用。');
  const before = await resultOf(ctx.db, round.id, item.id);
  if (before?.hazardId) throw new Refusal('该项已登记为隐患，结果不再更改；请在隐患卡片上跟进。');
  const note = rawNote?.replace(/\s+/g, ' ').trim() || null;
  if (note) capped(note, TEXT_LIMITS.description, '问题描述');
  let hazardId: number | null = null;
  if (result === 'fail') {
    const list = (await checklistById(ctx.db, ctx.tenant.id, round.checklistId))!;
    const hazard = await fileReport(
      ctx,
      { ...chat, at: ctx.now, attachments: [] },
      note ? `${item.text}：${note}` : item.text,
      {
        origin: 'inspection',
        place: round.area ?? item.area ?? list.area ?? undefined,
        trail: `检查发现（${round.code} ${list.name}，${item.source}）`,
      },
    );
    hazardId = hazard.id;
  }
  await saveResult(ctx.db, {
    tenantId: ctx.tenant.id,
    roundId: round.id,
    itemId: item.id,
    result,
    note,
    hazardId,
    recordedById: ctx.actor.id,
    recordedAt: ctx.now,
  });
}

/** A result button: records the item, files a failing one as a hazard, and shows the next item. */
export async function recordResult(ctx: ActionContext): Promise<ActionResult> {
  const round = await rowOfButton(ctx, roundById, '找不到这次检查。', 'round');
  if (round.status !== 'open') throw new Refusal(`${round.code} 已签字，不能再修改。`);
  if (round.inspectorId !== ctx.actor.id) throw new Refusal(`${round.code} 由发起检查的人逐项填写。`);
  const item = await rowOfButton(ctx, checklistItemById, '找不到这个检查项目。', 'item');
  const result = ctx.event.args.result as RoundResult;
  await recordItem(ctx, round, item, result, ctx.event.form?.note, {
    channel: round.channel ?? ctx.event.channel,
    chatId: round.chatId ?? ctx.event.chat?.id ?? `person:${ctx.actor.id}`,
  });
  const view = await roundCardView(ctx, round);
  return {
    toast: { kind: result === 'fail' ? 'warning' : 'success', text: `已记录：${item.text.slice(0, 20)}` },
    card: nextCard(view),
  };
}

/** Signs a round off and records it as an inspection done for the obligations it meets. */
async function signRound(ctx: ReportContext, round: Round): Promise<{ text: string; view: RoundCardView }> {
  if (round.status !== 'open') throw new Refusal(`${round.code} 已签字。`);
  if (round.inspectorId !== ctx.actor.id) throw new Refusal(`${round.code} 由发起检查的人签字。`);
  const view = await roundCardView(ctx, round);
  const left = view.items.filter((item) => item.result === null).length;
  if (left > 0) throw new Refusal(`${round.code} 还有 ${left} 项未检查，全部填写后再签字。`);
  if (!(await signRoundRow(ctx.db, round, ctx.now, null))) throw new Refusal(`${round.code} 已签字。`);
  const date = isoDateIn(ctx.now, ctx.tenant.timezone);
  const failed = view.items.filter((item) => item.result === 'fail').length;
  const noteText = `${view.listName} ${round.code}（${view.scopeName}，检查 ${view.items.length} 项，发现问题 ${failed} 项；检查人 ${ctx.actor.name}）`;
  // A school-wide round meets the school-scope inspection obligations (the monthly 大检查); a unit's
  // round its head's own check.
  const counted =
    round.scope === 'school'
      ? await holdersOfObligations(ctx.db, ctx.tenant.id, 'inspection', 'school')
      : (await unitHeads(ctx.db, round.unitId!)).map((person) => ({
          personId: person.id,
          name: person.name,
        }));
  const seen = new Set<number>();
  for (const holder of counted) {
    if (seen.has(holder.personId)) continue;
    seen.add(holder.personId);
    await recordCompletion(ctx.db, {
      tenantId: ctx.tenant.id,
      personId: holder.personId,
      kind: 'inspection',
      date,
      note: noteText,
      scope: round.scope === 'school' ? 'school' : 'own',
      evidence: { round: round.id },
      createdAt: ctx.now,
    });
  }
  await appendAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    subject: roundSubject(round.id),
    actorId: ctx.actor.id,
    action: 'round.sign',
    fromStatus: 'open',
    toStatus: 'signed',
    note: noteText,
    data: { counted: [...seen] },
    at: ctx.now,
  });
  const names = [...new Set(counted.map((holder) => holder.name))];
  return {
    text: `${round.code} 已签字。${names.length > 0 ? `已计入检查记录：${names.join('、')}。` : ''}`,
    view,
  };
}

/** `检查签字 [JC-…]`: signs the actor's open round (or the one named). */
export async function signByCommand(ctx: MessageContext): Promise<void> {
  const code = /JC-[A-Z0-9-]+/i.exec(ctx.args)?.[0]?.toUpperCase();
  const open = await openRoundOf(ctx.db, ctx.tenant.id, ctx.actor.id);
  const round = code ? (open?.code === code ? open : undefined) : open;
  if (!round) throw new Refusal(code ? `找不到你未签字的检查 ${code}。` : '你没有未签字的检查。');
  const { text, view } = await signRound(ctx, round);
  ctx.reply({ kind: 'text', text });
  ctx.reply(
    { kind: 'card', card: roundSummaryCard(view, { at: formatDateTime(ctx.now, ctx.tenant.timezone) }) },
    { subject: roundSubject(round.id) },
  );
}

/** The 签字完成 button of a round's summary. */
export async function signButton(ctx: ActionContext): Promise<ActionResult> {
  const round = await rowOfButton(ctx, roundById, '找不到这次检查。', 'round');
  const { text, view } = await signRound(ctx, round);
  ctx.reply({ kind: 'text', text });
  return {
    toast: { kind: 'success', text: `${round.code} 已签字` },
    card: roundSummaryCard(view, { at: formatDateTime(ctx.now, ctx.tenant.timezone) }),
  };
}

/**
 * `检查 <清单名>` — the short form — starts the round only when the rest names an active checklist exactly
 * (name or code): "检查 三楼灭火器过期" stays a text that reads like a hazard (handlers/help.ts). False when
 * it is not such a text.
 */
export async function startRoundByListName(ctx: MessageContext): Promise<boolean> {
  const rest = /^检查\s*(\S.*)$/.exec(ctx.args.trim())?.[1];
  if (!rest) return false;
  const { list: word } = parseRoundStart(rest);
  const lists = await activeChecklists(ctx.db, ctx.tenant.id);
  if (!lists.some(({ checklist }) => checklist.name === word || checklist.code === word)) return false;
  ctx.args = rest;
  await startRound(ctx);
  return true;
}

export function registerRounds(router: Router): Router {
  return router
    .command({
      names: ['开始检查', '/inspect'],
      usage: '开始检查 <清单名> [区域：…]',
      summary: '按检查清单逐项检查（全校：安全办公室、学校领导；本处室：处室负责人）',
      handler: startRound,
    })
    .command({
      names: ['检查签字', '/sign-round'],
      usage: '检查签字 [JC-…]',
      summary: '检查完成后签字，计入检查记录',
      handler: signByCommand,
    })
    .action('round.result', recordResult)
    .action('round.sign', signButton);
}

/**
 * A text of its own right after a 不合格 pressed without a note (a channel without form fields): it is
 * the item's 问题描述, and the hazard's description becomes "<item>：<text>". False when it follows none.
 */
export async function noteFollowUp(ctx: MessageContext): Promise<boolean> {
  const since = new Date(ctx.now.getTime() - FOLLOW_UP_WINDOW_MS);
  const bare = await latestBareFailureBy(ctx.db, ctx.tenant.id, ctx.actor.id, since);
  if (!bare?.result.hazardId) return false;
  const note = ctx.event.text.replace(/\s+/g, ' ').trim();
  if (!note) return false;
  capped(note, TEXT_LIMITS.description, '问题描述');
  const hazard = (await hazardById(ctx.db, ctx.tenant.id, bare.result.hazardId))!;
  await setResultNote(ctx.db, bare.result.id, note);
  const description = `${bare.itemText}：${note}`;
  capped(description, TEXT_LIMITS.description, '隐患情况');
  if (!(await updateHazardFrom(ctx.db, hazard, { description, updatedAt: ctx.now }))) return false;
  await appendHazardEvent(ctx.db, {
    tenantId: ctx.tenant.id,
    hazardId: hazard.id,
    actorId: ctx.actor.id,
    action: 'complete',
    note: `问题描述：${note}`,
    at: ctx.now,
  });
  await refreshHazard(ctx, hazard.id);
  ctx.reply({ kind: 'text', text: `已将问题描述记入 ${hazard.code}：${description}` });
  return true;
}
