// The yearly round of the 一岗双责 safety responsibility letter (责任书, 002 §四(二): 层层签订; 004).
// The office or the 第一责任人 starts a year's round; every current holder of every post gets a letter
// with the post's duties and a 确认签订 button (one letter, and one card, per post); the office follows
// progress per unit. A successor in a post gets a letter of their own from jobs/letters.ts (004 附则).
import {
  type Acting,
  type ActionContext,
  type Context,
  type MessageContext,
  trailActor,
} from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { Router } from '../bot/core/router.ts';
import type { ActionResult } from '../bot/core/types.ts';
import {
  letterCard,
  letterProgressCard,
  letterRenderer,
  letterTitle,
  progressRenderer,
} from '../cards/letter.ts';
import type { Queryable } from '../db/client.ts';
import { accountLabels } from '../db/queries/accounts.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import {
  insertRound,
  issueMissingLetters,
  type Letter,
  type LetterRound,
  letterById,
  letterStatus,
  letterSubject,
  lettersOf,
  letterView,
  roundById,
  roundByYear,
  roundSubject,
  signLetter,
} from '../db/queries/letters.ts';
import { officeStaff, type Person, personById } from '../db/queries/org.ts';
import { rowOfButton } from './row-of-button.ts';
import { formatDateTime, yearIn } from './time.ts';

const HOLDER_VIEW = 'holder';
const PROGRESS_VIEW = 'progress';

/** The office (领导小组办公室) and the 第一责任人: who runs the round (office first, no one twice). */
export async function roundRunners(db: Queryable, tenantId: number): Promise<Person[]> {
  const [office, first] = await Promise.all([
    officeStaff(db, tenantId),
    holdersAtLevel(db, tenantId, ['first']),
  ]);
  const all = [...office, ...first];
  return all.filter((person, index) => all.findIndex((other) => other.id === person.id) === index);
}

/** The office (its members, or its console account) and the 第一责任人 run the round (002 §四(二); DOMAIN §5). */
async function mayRunRound(ctx: Pick<Context, 'db' | 'tenant'> & Acting): Promise<boolean> {
  const { actor } = ctx;
  if (!actor) return true;
  return (await roundRunners(ctx.db, ctx.tenant.id)).some((person) => person.id === actor.id);
}

/** Only the current year and its neighbours: a typo such as 2062 is refused rather than started. */
function checkYear(ctx: Pick<Context, 'tenant' | 'now'>, year: number): void {
  const current = yearIn(ctx.now, ctx.tenant.timezone);
  if (!Number.isInteger(year) || Math.abs(year - current) > 1) {
    throw new Refusal(`年度 ${year} 不在可办理的范围内（${current - 1}–${current + 1} 年）。`);
  }
}

/**
 * `2026`, `2026年`, `2026年度` at the start of the arguments; the current year when there is none.
 * Only the current year and its neighbours: a typo such as 2062 is refused rather than started.
 */
function parseYear(ctx: Context, args: string): { year: number; rest: string; given: boolean } {
  const current = yearIn(ctx.now, ctx.tenant.timezone);
  const match = /^(\d{4})\s*(?:年度|年)?\s*(.*)$/s.exec(args.trim());
  if (!match) return { year: current, rest: args.trim(), given: false };
  const year = Number(match[1]);
  checkYear(ctx, year);
  return { year, rest: match[2]!.trim(), given: true };
}

/** Who started a round: the member's name, or the office's console account. */
export async function roundStarterName(db: Queryable, round: LetterRound): Promise<string | undefined> {
  if (round.startedById) return (await personById(db, round.tenantId, round.startedById))?.name;
  return (await accountLabels(db, [round.startedByAccountId])).get(round.startedByAccountId ?? 0);
}

/** What starting a round needs: the chat command's context, or the web console (a member, or the office). */
export type RoundContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'reply'> & Acting;

async function sendProgress(ctx: RoundContext, round: LetterRound) {
  const rows = await letterStatus(ctx.db, ctx.tenant.id, round.year);
  ctx.reply(
    {
      kind: 'card',
      card: letterProgressCard(round.year, rows, ctx.tenant.kind, round.startedAt, ctx.tenant.timezone),
    },
    { subject: roundSubject(round.id), view: PROGRESS_VIEW },
  );
}

/** Sends each newly issued letter's card to its holder. */
export async function deliverLetters(ctx: Pick<Context, 'db' | 'tenant' | 'send'>, issued: Letter[]) {
  for (const letter of issued) {
    const view = (await letterView(ctx.db, ctx.tenant, letter.id))!;
    ctx.send({
      to: { kind: 'person', personId: letter.personId },
      body: { kind: 'card', card: letterCard(view, ctx.tenant.timezone) },
      subject: letterSubject(letter.id),
      view: HOLDER_VIEW,
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Commands

/** `发起责任书 <年度>` */
export async function startRound(ctx: MessageContext): Promise<void> {
  if (!(await mayRunRound(ctx))) throw new Refusal(NOT_RUNNER_START);
  if (!ctx.args.trim())
    throw new Refusal(`请写明年度，例如：发起责任书 ${yearIn(ctx.now, ctx.tenant.timezone)}`);
  const { year, rest, given } = parseYear(ctx, ctx.args);
  if (!given || rest)
    throw new Refusal(`请写明年度，例如：发起责任书 ${yearIn(ctx.now, ctx.tenant.timezone)}`);
  await startLetterRound(ctx, year);
}

const NOT_RUNNER_START =
  '抱歉，责任书签订由安全办公室或第一责任人发起。如需签订您本人的责任书，请发送“我的责任书”。';

/**
 * Starts the round of a year as the actor: issues a letter to every current holder of every post and
 * sends each its card, and replies with a summary; a round already started is not started again (the
 * reply says so, with its progress). Refuses before writing anything when the actor may not run rounds
 * or the year is out of range. The chat command 发起责任书 and the web console both start rounds here.
 */
export async function startLetterRound(
  ctx: RoundContext,
  year: number,
): Promise<{ round: LetterRound; started: boolean; issued: number; people: number; text: string }> {
  if (!(await mayRunRound(ctx))) throw new Refusal(NOT_RUNNER_START);
  checkYear(ctx, year);
  const { db, tenant, now } = ctx;
  const { actorId, actorAccountId } = trailActor(ctx);
  const round = await insertRound(db, {
    tenantId: tenant.id,
    year,
    startedById: actorId,
    startedByAccountId: actorAccountId,
    startedAt: now,
  });
  if (!round) {
    const existing = (await roundByYear(db, tenant.id, year))!;
    const starter = await roundStarterName(db, existing);
    const text = `${letterTitle(year)}已于 ${formatDateTime(existing.startedAt, tenant.timezone)}${starter ? ` 由${starter}` : ''}发起，无需重复发起。当前签订进度如下：`;
    ctx.reply({ kind: 'text', text });
    await sendProgress(ctx, existing);
    return { round: existing, started: false, issued: 0, people: 0, text };
  }
  const issued = await issueMissingLetters(db, {
    tenantId: tenant.id,
    roundId: round.id,
    year,
    now,
    actorId,
    actorAccountId,
  });
  await deliverLetters(ctx, issued);
  const people = new Set(issued.map((letter) => letter.personId)).size;
  const text =
    issued.length > 0
      ? `已发起${letterTitle(year)}签订：向 ${people} 人下发 ${issued.length} 份责任书（每个岗位一份）。发送“责任书进度 ${year}”查看签订情况；未签订的人员将在下发 3 天、7 天后收到提醒。`
      : `已发起${letterTitle(year)}签订，但目前没有在岗人员。请先导入组织信息，系统会自动向在岗人员补发。`;
  ctx.reply({ kind: 'text', text });
  return { round, started: true, issued: issued.length, people, text };
}

/** `责任书进度 [年度]` */
export async function showProgress(ctx: MessageContext): Promise<void> {
  if (!(await mayRunRound(ctx))) {
    throw new Refusal(
      '抱歉，责任书签订进度仅供安全办公室和第一责任人查看。查看您本人的责任书请发送“我的责任书”。',
    );
  }
  const { year } = parseYear(ctx, ctx.args);
  const round = await roundByYear(ctx.db, ctx.tenant.id, year);
  if (!round) {
    ctx.reply({ kind: 'text', text: `${letterTitle(year)}尚未发起。发送“发起责任书 ${year}”发起签订。` });
    return;
  }
  await sendProgress(ctx, round);
}

/** `我的责任书 [年度]`: the sender's letters of the year, as cards (with 确认签订 while unsigned). */
export async function showMyLetters(ctx: MessageContext): Promise<void> {
  const { year } = parseYear(ctx, ctx.args);
  const round = await roundByYear(ctx.db, ctx.tenant.id, year);
  const mine = round ? await lettersOf(ctx.db, ctx.tenant.id, round.id, ctx.actor.id) : [];
  if (mine.length === 0) {
    ctx.reply({
      kind: 'text',
      text: round
        ? `您没有${letterTitle(year)}。如您刚接任岗位，系统会很快补发。`
        : `${letterTitle(year)}尚未发起。`,
    });
    return;
  }
  for (const { letter } of mine) {
    const view = (await letterView(ctx.db, ctx.tenant, letter.id))!;
    ctx.reply(
      { kind: 'card', card: letterCard(view, ctx.tenant.timezone) },
      { subject: letterSubject(letter.id), view: HOLDER_VIEW },
    );
  }
}

/** `签订责任书 [年度] [岗位]`: for channels without buttons; signs all the sender's unsigned letters. */
export async function signByCommand(ctx: MessageContext): Promise<void> {
  const { year, rest } = parseYear(ctx, ctx.args);
  const round = await roundByYear(ctx.db, ctx.tenant.id, year);
  if (!round) throw new Refusal(`${letterTitle(year)}尚未发起，暂无需签订。`);
  const mine = await lettersOf(ctx.db, ctx.tenant.id, round.id, ctx.actor.id);
  const held = mine.filter((entry) => entry.current);
  if (held.length === 0) {
    throw new Refusal(`没有需要您签订的${letterTitle(year)}。如您刚接任岗位，系统会很快补发。`);
  }
  const chosen = rest
    ? held.filter((entry) => entry.postTitle.includes(rest) || rest.includes(entry.postTitle))
    : held;
  if (chosen.length === 0) {
    throw new Refusal(
      `您的责任书中没有岗位“${rest}”。您的岗位：${held.map((entry) => entry.postTitle).join('、')}。`,
    );
  }
  const pending = chosen.filter((entry) => entry.letter.signedAt === null);
  if (pending.length === 0) {
    ctx.reply({
      kind: 'text',
      text: `您的${letterTitle(year)}已签订（${chosen.map((entry) => entry.postTitle).join('、')}），无需重复签订。`,
    });
    return;
  }
  const done: string[] = [];
  for (const entry of pending) {
    if (await signLetter(ctx.db, entry.letter, ctx.actor.id, ctx.now)) done.push(entry.postTitle);
    await refreshLetter(ctx, entry.letter.id);
  }
  await refreshProgress(ctx, round);
  ctx.reply({
    kind: 'text',
    text: `已确认签订${letterTitle(year)}：${done.join('、')}。谢谢！`,
  });
}

// ---------------------------------------------------------------------------------------------------
// The button

async function refreshLetter(ctx: Context, letterId: number) {
  const view = (await letterView(ctx.db, ctx.tenant, letterId))!;
  ctx.refresh(letterSubject(letterId), letterRenderer(view, ctx.tenant.timezone));
  return view;
}

async function refreshProgress(ctx: Context, round: LetterRound) {
  const rows = await letterStatus(ctx.db, ctx.tenant.id, round.year);
  ctx.refresh(
    roundSubject(round.id),
    progressRenderer(round.year, rows, ctx.tenant.kind, round.startedAt, ctx.tenant.timezone),
  );
}

/** 确认签订: only the holder the letter was issued to, while they hold the post; twice is harmless. */
export async function signButton(ctx: ActionContext): Promise<ActionResult> {
  const letter = await rowOfButton(ctx, letterById, '找不到这份责任书，可能已被撤销。');
  const view = (await letterView(ctx.db, ctx.tenant, letter.id))!;
  if (letter.personId !== ctx.actor.id) {
    throw new Refusal(`这是${view.personName}（${view.postTitle}）的责任书，只能由本人确认签订。`);
  }
  if (letter.signedAt) {
    return {
      toast: {
        kind: 'info',
        text: `已签订（${formatDateTime(letter.signedAt, ctx.tenant.timezone)}），无需重复签订。`,
      },
      card: letterCard(view, ctx.tenant.timezone),
    };
  }
  if (!view.current) throw new Refusal('您已不在该岗位，本岗位的责任书由继任者签订。');
  const signed = await signLetter(ctx.db, letter, ctx.actor.id, ctx.now);
  if (!signed) return { toast: { kind: 'info', text: '已签订，无需重复签订。' } };
  await refreshLetter(ctx, letter.id);
  const round = await roundById(ctx.db, ctx.tenant.id, letter.roundId);
  if (round) await refreshProgress(ctx, round);
  return { toast: { kind: 'success', text: `已确认签订${letterTitle(view.year)}（${view.postTitle}）。` } };
}

// ---------------------------------------------------------------------------------------------------

export function registerLetters(router: Router): Router {
  return router
    .command({
      names: ['发起责任书', '/letters-start'],
      usage: '发起责任书 <年度>',
      summary: '发起年度一岗双责安全责任书签订（安全办公室、第一责任人）',
      handler: startRound,
    })
    .command({
      names: ['责任书进度', '/letters'],
      usage: '责任书进度 [年度]',
      summary: '查看各处室责任书签订进度（安全办公室、第一责任人）',
      handler: showProgress,
    })
    .command({
      names: ['我的责任书', '/my-letters'],
      usage: '我的责任书 [年度]',
      summary: '查看本人的安全责任书',
      handler: showMyLetters,
    })
    .command({
      names: ['签订责任书', '/letters-sign'],
      usage: '签订责任书 [年度] [岗位]',
      summary: '确认签订本人的安全责任书',
      handler: signByCommand,
    })
    .action('letter.sign', signButton);
}
