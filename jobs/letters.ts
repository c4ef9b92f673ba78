// The responsibility letter rounds of the current year (002 §四(二), 004):
//  - successors: a holder who took a post after the round was started (org import ends one holder and
//    starts another) gets a letter of their own for that post; "年度内如负责人发生变化，由继任者继续履行"
//    (004 附则). Issuing is idempotent by the unique (round, post, person) index.
//  - reminders: a holder who has not signed is reminded 3 days and again 7 days after their letter was
//    issued. Each step goes out once by the `reminders` natural key (letter, year, person, step), however
//    often and on however many instances the job runs; a run that finds both steps due sends one message.

import { enqueue } from '../bot/core/enqueue.ts';
import { nextTurn } from '../bot/core/next-turn.ts';
import { letterCard, letterTitle } from '../cards/letter.ts';
import { type Card, note } from '../cards/model.ts';
import type { Tx } from '../db/client.ts';
import {
  allRounds,
  issueMissingLetters,
  type Letter,
  type LetterRound,
  type LetterView,
  letterSubject,
  letterView,
  unsignedCurrentLetters,
} from '../db/queries/letters.ts';
import type { Tenant } from '../db/queries/org.ts';
import { claimedSteps, claimReminder } from '../db/queries/reminders.ts';
import { yearIn } from '../handlers/time.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { inDigest, remindOnce } from './reminders.ts';

const DAY_MS = 24 * 3600 * 1000;

/** The reminder steps, by days since the letter was issued (oldest first). */
export const LETTER_REMINDERS = [
  { step: 'remind-3d', days: 3 },
  { step: 'remind-7d', days: 7 },
] as const;

const withMessage = (value: Card, message: string, reminder: boolean): Card => ({
  ...value,
  title: reminder ? `【提醒】${value.title}` : value.title,
  blocks: [note(message), ...value.blocks],
});

async function send(
  context: JobContext,
  tx: Tx,
  tenant: Tenant,
  letter: Letter,
  message: string | ((view: LetterView) => string),
  reminder: boolean,
) {
  const view = await letterView(tx, tenant, letter.id);
  if (!view) return;
  if (typeof message === 'function') message = message(view);
  await enqueue(
    tx,
    {
      to: { kind: 'person', personId: letter.personId },
      body: { kind: 'card', card: withMessage(letterCard(view, tenant.timezone), message, reminder) },
      subject: letterSubject(letter.id),
      view: 'holder',
    },
    { tenantId: tenant.id, channels: context.channels },
  );
}

/** Issues the successors' letters of one round and sends the reminders due; returns what it sent. */
async function runRound(context: JobContext, tx: Tx, tenant: Tenant, round: LetterRound) {
  const { now } = context;
  let issuedCount = 0;
  let reminded = 0;
  const issued = await issueMissingLetters(tx, {
    tenantId: tenant.id,
    roundId: round.id,
    year: round.year,
    now,
    actorId: null,
    note: '岗位变动，向继任者补发（004 附则）',
  });
  for (const letter of issued) {
    await send(
      context,
      tx,
      tenant,
      letter,
      (view) =>
        view.predecessors.length > 0
          ? `您接任了${view.postTitle}，请签订本岗位的${letterTitle(round.year)}：年度内岗位负责人发生变化的，由继任者继续履行（责任书附则）。`
          : `请阅读并签订${letterTitle(round.year)}（${view.postTitle}）。`,
      false,
    );
    issuedCount++;
  }

  const candidates = (await unsignedCurrentLetters(tx, round.id)).filter(
    (letter) => now.getTime() - letter.issuedAt.getTime() >= LETTER_REMINDERS[0].days * DAY_MS,
  );
  if (candidates.length === 0) return { issued: issuedCount, reminded };
  // Skip what was sent before without writing: the job may run every minute.
  const done = await claimedSteps(
    tx,
    tenant.id,
    String(round.year),
    candidates.map((letter) => letterSubject(letter.id)),
  );
  for (const letter of candidates) {
    const days = (now.getTime() - letter.issuedAt.getTime()) / DAY_MS;
    const due = LETTER_REMINDERS.filter(
      (step) => days >= step.days && !done.has(`${letterSubject(letter.id)}|${step.step}`),
    );
    const latest = due.at(-1);
    const key = { tenantId: tenant.id, subject: letterSubject(letter.id), period: String(round.year) };
    // Only the newest due step is sent; an older one (the service was down) is claimed silently.
    for (const step of due.slice(0, -1)) {
      await claimReminder(tx, { ...key, personId: letter.personId, step: step.step }, now);
    }
    if (!latest) continue;
    const view = await letterView(tx, tenant, letter.id);
    if (!view) continue;
    const message =
      latest.days >= 7
        ? `您的${letterTitle(round.year)}已下发 ${latest.days} 天仍未签订，请尽快阅读并确认签订。`
        : `您的${letterTitle(round.year)}已下发 ${latest.days} 天，尚未签订，请阅读后确认签订。`;
    const held = await remindOnce(
      tx,
      { ...key, personId: letter.personId, step: latest.step },
      {
        body: { kind: 'card', card: withMessage(letterCard(view, tenant.timezone), message, true) },
        subject: letterSubject(letter.id),
        view: 'holder',
      },
      { channels: context.channels, now },
    );
    if (held) reminded++;
  }
  return { issued: issuedCount, reminded };
}

/** One run over every tenant's round of its current year. */
async function runLetterRoundsOnce(context: JobContext): Promise<{ issued: number; reminded: number }> {
  const { db, now } = context;
  const rounds = await allRounds(db);
  let issued = 0;
  let reminded = 0;
  for (const { round, tenant } of rounds) {
    await nextTurn();
    if (round.year !== yearIn(now, tenant.timezone)) continue;
    const result = await db.transaction((tx) => runRound(context, tx, tenant, round));
    issued += result.issued;
    reminded += result.reminded;
  }
  if (issued + reminded > 0) context.log.info('responsibility letters', { issued, reminded });
  return { issued, reminded };
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runLetterRounds = inDigest(runLetterRoundsOnce);
