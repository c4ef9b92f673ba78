// Sending a reminder step exactly once: the (subject, period, person, step) key is unique, so the step is
// written only by the run that claims the key, in the same transaction.
//
// One message per person per run (issue 15 §5): a claimed step does not go to the outbox at once; it waits
// in its own `reminders` row (`held`) until the job run ends, when each person's waiting steps go out
// together — the step's own message when it is alone, one digest card with a line each when there are
// several. Every job that sends through `remindOnce` and is wrapped in `inDigest` is bundled so, without
// knowing it. The claim stays per step: a step is still sent once per person, across restarts and
// instances; the hand-out takes each waiting row once (db/queries/reminders.ts), so two instances running
// a job at the same moment neither lose nor double a line (each hands out the steps it claimed). Steps
// left waiting by a run that crashed go out at the end of a run of any job 15 minutes or more later.
import { AsyncLocalStorage } from 'node:async_hooks';
import { enqueue } from '../bot/core/enqueue.ts';
import { nextTurn } from '../bot/core/next-turn.ts';
import type { Channel, Outbound } from '../bot/core/types.ts';
import { digestCard } from '../cards/digest.ts';
import type { Db, Tx } from '../db/client.ts';
import {
  claimReminder,
  peopleWithHeldReminders,
  type ReminderKey,
  takeHeldReminders,
} from '../db/queries/reminders.ts';

interface SendContext {
  channels: ReadonlySet<Channel>;
  now: Date;
}

/** The job run a step is claimed in (set by `inDigest`): its steps are handed out when it ends. */
const currentRun = new AsyncLocalStorage<string>();

/** A step still waiting this long after its claim belongs to a run that died: the next run hands it out. */
const ORPHAN_AFTER_MS = 15 * 60_000;

/**
 * Claims the key and keeps the message for the person's digest of this run; false when this step
 * already went to this person. `line` is how the step reads in a digest (else its card's leading note).
 * Outside a run wrapped in `inDigest` the message goes at once.
 */
export async function remindOnce(
  tx: Tx,
  key: ReminderKey,
  message: Omit<Outbound, 'to'> & { line?: string },
  context: SendContext,
): Promise<boolean> {
  const run = currentRun.getStore();
  const { body, subject, view, line } = message;
  if (!run) return sendOnce(tx, key, { body, subject, view }, context);
  return claimReminder(tx, key, context.now, {
    body,
    run,
    ...(subject ? { subject } : {}),
    ...(view ? { view } : {}),
    ...(line ? { line } : {}),
  });
}

/**
 * Calls `send` once for each person of a list, however often the list names them (a leader who is also
 * the office, say); returns how many of the sends were made (returned true).
 */
export async function eachPersonOnce<P extends { id: number }>(
  people: readonly P[],
  send: (person: P) => Promise<boolean>,
): Promise<number> {
  const seen = new Set<number>();
  let count = 0;
  for (const person of people) {
    if (seen.has(person.id)) continue;
    seen.add(person.id);
    if (await send(person)) count++;
  }
  return count;
}

/** Claims the key and enqueues the message on its own at once (a message that must not be merged). */
export async function sendOnce(
  tx: Tx,
  key: ReminderKey,
  message: Omit<Outbound, 'to'>,
  context: SendContext,
): Promise<boolean> {
  if (!(await claimReminder(tx, key, context.now))) return false;
  await enqueue(
    tx,
    { ...message, to: { kind: 'person', personId: key.personId } },
    { tenantId: key.tenantId, channels: context.channels },
  );
  return true;
}

/**
 * Hands out the steps of a run (and any a dead run left behind): one message per person. Returns how many
 * messages it enqueued.
 */
export async function flushDigests(context: SendContext & { db: Db }, run: string): Promise<number> {
  const which = { run, orphanedBefore: new Date(context.now.getTime() - ORPHAN_AFTER_MS) };
  let messages = 0;
  for (const { tenantId, personId } of await peopleWithHeldReminders(context.db, which)) {
    await nextTurn();
    messages += await context.db.transaction(async (tx) => {
      const lines = await takeHeldReminders(tx, tenantId, personId, which);
      if (lines.length === 0) return 0;
      const to = { kind: 'person' as const, personId };
      const message: Outbound =
        lines.length === 1
          ? { to, body: lines[0]!.held.body, subject: lines[0]!.held.subject, view: lines[0]!.held.view }
          : { to, body: { kind: 'card', card: digestCard(lines) } };
      await enqueue(tx, message, { tenantId, channels: context.channels });
      return 1;
    });
  }
  return messages;
}

/**
 * A job run whose reminder steps go out as one message per person when it ends (or fails). Runs of other
 * jobs at the same moment keep their own steps, so each run's steps for a person stay together.
 */
export function inDigest<C extends SendContext & { db: Db }, R>(
  run: (context: C) => Promise<R>,
): (context: C) => Promise<R> {
  return async (context) => {
    const id = crypto.randomUUID();
    try {
      return await currentRun.run(id, () => run(context));
    } finally {
      await flushDigests(context, id);
    }
  };
}
