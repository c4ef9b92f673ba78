// The dispatcher's runs: claim due rows, deliver them in order within the limits, mark them; `drain()`
// goes on while rows are due and waits a short while for rows held back; a timer wakes it for the rest.
import type { ChannelSender } from '../../bot/core/delivery.ts';
import { createPump } from '../../bot/core/pump.ts';
import type { Channel } from '../../bot/core/types.ts';
import { claimDueOutbox } from '../../db/queries/outbox.ts';
import { createRateLimiter } from '../rate-limit.ts';
import { batchKeyOf, deliver } from './deliver.ts';
import { createRecipientWaits, planUnits, runInOrder } from './order.ts';
import { createPool } from './pool.ts';
import { settle } from './settle.ts';
import {
  type DispatchContext,
  type Dispatcher,
  type DispatcherOptions,
  type DispatchStats,
  emptyStats,
  type Run,
} from './types.ts';

/** How long `drain` looks whether the clock moves before it waits for rows held back. */
const PROBE_MS = 50;
/** Rows coming due within this of the first are claimed in one run, not one run each. */
const GATHER_MS = 50;

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const ctx: DispatchContext = {
    db: options.db,
    log: options.log,
    clock: options.clock ?? (() => new Date()),
    batchSize: options.batchSize ?? 1000,
    maxAttempts: options.maxAttempts ?? 8,
    leaseMs: options.leaseMs ?? 60_000,
    limiter: options.limiter ?? createRateLimiter(),
    holdWaitMs: options.holdWaitMs ?? 5000,
    pool: createPool(options.concurrency ?? 16),
    senders: new Map<Channel, ChannelSender>(options.senders.map((sender) => [sender.channel, sender])),
    waits: createRecipientWaits(),
    holdTimes: [],
  };
  const { clock, batchSize, leaseMs, holdWaitMs, log } = ctx;
  /** Once started: a run when the soonest held row comes due, rather than at the next poll after it. */
  let heldTimer: NodeJS.Timeout | undefined;
  const wakers = new Set<() => void>();
  /** The run under way: on stop, its calls not yet started put their rows back, due at once. */
  let current: Run | undefined;
  const pump = createPump(drain, {
    onError: (error) => log.error('outbox dispatch failed', { error: String(error) }),
    // New rows may be due before the rows a drain waits for: its wait is cut short.
    onKick: () => {
      for (const wake of [...wakers]) wake();
    },
    onRest: () => wakeWhenHeldRowsAreDue(),
    onStop: () => {
      // A shutdown waits for the calls under way, not for the rest of the batch (sent after a restart).
      if (current) current.startBy = Number.NEGATIVE_INFINITY;
      clearTimeout(heldTimer);
      heldTimer = undefined;
      for (const wake of [...wakers]) wake();
    },
  });
  const kick = pump.kick;

  async function runOnce(): Promise<DispatchStats> {
    const stats = emptyStats();
    const claimedAt = clock().getTime();
    ctx.waits.prune(claimedAt);
    // Rows due by now are claimed now (or, past the batch size, by the runs that follow this one).
    ctx.holdTimes = ctx.holdTimes.filter((until) => until > claimedAt);
    // The attempt is counted when the row is claimed, so that a row whose sending crashes the process is
    // still given up after the bound; a row put back without a try gets it back (see `settle`).
    const rows = await claimDueOutbox(ctx.db, new Date(claimedAt), batchSize, leaseMs);
    stats.claimed = rows.length;
    const run: Run = {
      stats,
      holds: new Map(),
      ahead: new Map(),
      claimedAt,
      startBy: pump.stopping ? Number.NEGATIVE_INFINITY : claimedAt + leaseMs / 2,
    };
    current = run;
    // Messages to one chat or person go in order; different recipients go side by side (jobs/outbox/order.ts).
    const units = planUnits(rows, (row) => batchKeyOf(ctx, row));
    // A unit waits for its predecessors outside the pool, so waiting never takes a slot.
    const outcomes = await runInOrder(units, (unit) => ctx.pool(() => deliver(ctx, unit.rows, run))).finally(
      () => {
        if (current === run) current = undefined;
      },
    );
    // The rows put back, one update per due time.
    for (const [until, held] of run.holds) await settle(ctx, held, { kind: 'held', until }, stats);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return stats;
  }

  /** Sleeps `ms`, or less if woken by a kick (new rows) or stop. */
  function pause(ms: number) {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timeout);
        wakers.delete(wake);
        resolve();
      };
      const timeout = setTimeout(wake, ms);
      wakers.add(wake);
    });
  }

  /**
   * Sleeps until the clock reads `until` (a few ms more: a timer may fire a little early, and the rows
   * must be due by then). False when the clock does not move, as a test's fixed clock: no use waiting.
   */
  async function sleepUntil(until: number): Promise<boolean> {
    const start = clock().getTime();
    await pause(Math.min(Math.max(until - start, 0), PROBE_MS) + 5);
    const now = clock().getTime();
    if (now === start) return false;
    if (until > now && !pump.stopping) await pause(until - now + 5);
    return true;
  }

  async function drain(): Promise<DispatchStats> {
    const total = emptyStats();
    let canWait = true;
    for (;;) {
      const stats = await runOnce();
      total.claimed += stats.claimed;
      total.sent += stats.sent;
      total.retried += stats.retried;
      total.failed += stats.failed;
      total.held += stats.held;
      // Stopping: the batch under way is done (its calls ended, the rest put back); no other is claimed.
      if (pump.stopping) return total;
      // A full batch: more rows may be due right now.
      if (stats.claimed >= batchSize) continue;
      // Rows the limits hold back for a moment are waited for; rows coming due within a few ms of each
      // other are claimed together, not in one run each. Otherwise the drain goes on while rows are due
      // (rows put back are not due, so a run that claimed something is followed by one more).
      const soonest = ctx.holdTimes.length > 0 ? Math.min(...ctx.holdTimes) : undefined;
      const now = clock().getTime();
      if (!canWait || pump.stopping || soonest === undefined || soonest - now > holdWaitMs) {
        if (stats.claimed > 0) continue;
        return total;
      }
      // A clock that does not move (a test's) never reaches them: claim what is due and stop.
      if (!(await sleepUntil(Math.max(soonest, now + GATHER_MS)))) canWait = false;
    }
  }

  /**
   * A drain leaves rows the limits hold back for longer than `holdWaitMs` (Feishu's minute window, WeCom's
   * per-member minute) to later; once started, the dispatcher runs again the moment the first of them comes
   * due. Waiting for the poll instead would lose up to a poll interval at every window (measured in the
   * fan-out benchmark, bench/fanout.ts).
   */
  function wakeWhenHeldRowsAreDue() {
    clearTimeout(heldTimer);
    heldTimer = undefined;
    if (!pump.started || pump.stopping) return;
    const now = clock().getTime();
    const due = ctx.holdTimes.filter((until) => until > now);
    if (due.length === 0) return;
    heldTimer = setTimeout(kick, Math.min(...due) - now + 5);
  }

  return {
    runOnce,
    // Waits for a run under way first, so that what it claimed is delivered when this resolves.
    drain: async () => {
      await pump.idle();
      return drain();
    },
    kick,
    start: (pollMs = 2000) => pump.start(pollMs),
    stop: pump.stop,
    idle: pump.idle,
  };
}
