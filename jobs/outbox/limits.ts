// The send limits around a call (jobs/rate-limit.ts): which rows may go now, and rows put back until
// their turn comes on their keys.
import { type ChannelSender, DeliveryError, type OutboxRow } from '../../bot/core/delivery.ts';
import type { DispatchContext, Run } from './types.ts';

/** Puts a row back without a try, due at `until`: marked at the end of the run. */
export function putBack(run: Run, row: OutboxRow, until: number) {
  const list = run.holds.get(until) ?? [];
  list.push(row);
  run.holds.set(until, list);
}

/**
 * Puts a row back without a try (marked at the end of the run), due when its turn comes on its limit
 * keys, after the rows this run already put back on them, and not before `atLeast`. Later rows to its
 * recipient wait with it.
 */
export function holdBack(ctx: DispatchContext, run: Run, row: OutboxRow, keys: string[], atLeast: number) {
  const now = ctx.clock().getTime();
  const until = Math.max(
    atLeast,
    ctx.limiter.freeAt(keys, now, (key) => run.ahead.get(key) ?? 0),
  );
  for (const key of keys) run.ahead.set(key, (run.ahead.get(key) ?? 0) + 1);
  putBack(run, row, until);
  ctx.waits.wait([row], until);
  ctx.holdTimes.push(until);
}

/** A platform said a limit is exhausted: nothing else counting against it goes out meanwhile. */
export function noteLimits(ctx: DispatchContext, error: unknown) {
  if (!(error instanceof DeliveryError) || !error.limitKeys?.length) return;
  ctx.limiter.block(error.limitKeys, ctx.clock().getTime() + (error.retryAfterMs ?? 1000));
}

export function limitKeysOf(sender: ChannelSender, row: OutboxRow): string[] {
  try {
    return sender.limitKeys?.(row) ?? [];
  } catch {
    // The sender cannot even name the recipient: the call will fail on its own, free of any limit.
    return [];
  }
}

/**
 * Takes the limits of one call carrying `rows`: a key named by several rows counts once (as often as the
 * row naming it most: one call of three messages to many members is three calls on the app's keys), a
 * row's own keys count for it, as often as the row names them. Answers the rows that may go (the others
 * are held until their keys allow them) and `answered`, to call when the platform has answered.
 */
export function reserve(
  ctx: DispatchContext,
  sender: ChannelSender,
  rows: OutboxRow[],
  run: Run,
): { go: OutboxRow[]; answered: () => void } {
  const { clock, limiter } = ctx;
  const now = clock().getTime();
  const keys = rows.map((row) => limitKeysOf(sender, row));
  /** Per key: how many rows name it, and the most times one row does. */
  const named = new Map<string, { rows: number; times: number }>();
  for (const list of keys) {
    for (const key of new Set(list)) {
      const times = list.filter((each) => each === key).length;
      const seen = named.get(key);
      named.set(key, { rows: (seen?.rows ?? 0) + 1, times: Math.max(seen?.times ?? 0, times) });
    }
  }
  const shared = [...named].flatMap(([key, { rows, times }]) => (rows > 1 ? Array(times).fill(key) : []));
  const call = limiter.check(shared, now);
  const own = keys.map((list) => list.filter((key) => named.get(key)?.rows === 1));
  if (!call.ok) {
    // The rows come back together, as one call again.
    for (const [index, row] of rows.entries()) holdBack(ctx, run, row, own[index]!, call.retryAt);
    return { go: [], answered: () => {} };
  }
  const go: OutboxRow[] = [];
  const taken = [...shared];
  for (const [index, row] of rows.entries()) {
    const answer = limiter.check(own[index]!, now);
    if (!answer.ok) {
      holdBack(ctx, run, row, own[index]!, answer.retryAt);
      continue;
    }
    go.push(row);
    taken.push(...own[index]!);
  }
  // Checked just now, with nothing in between: the reservation cannot fail.
  if (go.length > 0) limiter.reserve(taken, now);
  return { go, answered: () => limiter.answered(taken, now, clock().getTime()) };
}
