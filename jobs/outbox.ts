// The outbox dispatcher: claims due rows (SKIP LOCKED, so instances never send the same row at once),
// delivers them through the channel senders within the platforms' send limits, retries with backoff, and
// gives up after a bound (the row is kept as failed, with its reason, for the console). The same message
// to many recipients goes out in one call where the sender can batch (WeCom touser lists).
//
// Limits (jobs/rate-limit.ts): just before a call the dispatcher takes the sender's limit keys for its
// rows. A row whose key is exhausted is not sent: it goes back to pending, due when its turn comes on the
// key, without counting an attempt (attempts count real tries; the bound is about the platform refusing,
// not about waiting our turn). A batch sends the rows whose keys allow it and puts the others back. Rows
// after a waiting row (put back, or retried after a failure) to the same recipient wait for it, so
// messages to one chat or person stay in order. A platform's own "too many" (429 and its kin) is retried
// no sooner than the wait it names, and blocks the key it concerns meanwhile, so the run stops knocking.
//
// Throughput: a claim takes up to 1000 rows (one full WeCom touser call; 50 made WeCom batches of 50) and
// at most `concurrency` (16) calls are under way at once. A run sends only what the limits allow now
// and puts the rest back at its end, so it stays well inside the 60 s lease; as a guard, a call is only
// started in the first half of its rows' lease, else the rows are put back due at once. `drain()` goes on
// while rows are due and waits for rows held back a short while (up to `holdWaitMs`), so a broadcast to
// 300 Feishu users goes out at the platform's rate in one drain; longer waits (Feishu's minute, WeCom's
// per-member minute) end the drain, and once started the dispatcher sets a timer for when they come due.
// Waiting is a timer, never a blocked process, and a kick (new rows) or stop cuts it short.
import { and, asc, eq, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import {
  type BatchResult,
  type ChannelSender,
  DeliveryError,
  type DeliveryResult,
  type OutboxRow,
} from '../bot/core/delivery.ts';
import type { Logger } from '../bot/core/log.ts';
import { createPump } from '../bot/core/pump.ts';
import type { Channel } from '../bot/core/types.ts';
import type { Db } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';

export interface DispatcherOptions {
  db: Db;
  senders: ChannelSender[];
  log: Logger;
  /** The time of rows and of the limits: real time in production; the platforms count real calls. */
  clock?: () => Date;
  /** Rows claimed at once (default 1000: a full WeCom touser call). */
  batchSize?: number;
  /** Platform calls under way at once (default 16). */
  concurrency?: number;
  maxAttempts?: number;
  /** How long a claimed row stays reserved; after that a crashed sender's rows are claimed again. */
  leaseMs?: number;
  /** The send limits; by default the platforms' (DEFAULT_LIMITS), kept by this instance alone. */
  limiter?: RateLimiter;
  /** `drain()` waits for rows held back by the limits that come due within this (default 5 s). */
  holdWaitMs?: number;
}

export interface DispatchStats {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  /** Put back without a try: a limit was exhausted, or an earlier row to the recipient waits. */
  held: number;
}

export interface Dispatcher {
  /** Claims and delivers one batch of due rows. */
  runOnce(): Promise<DispatchStats>;
  /** Runs batches until nothing is due, waiting for rows the limits hold back for a short while. */
  drain(): Promise<DispatchStats>;
  /** Asks for a run soon; many kicks coalesce into one run. */
  kick(): void;
  start(pollMs?: number): void;
  stop(): Promise<void>;
  /** Resolves when no run is under way. */
  idle(): Promise<void>;
}

type Outcome =
  | { kind: 'sent'; result: DeliveryResult }
  | { kind: 'error'; error: unknown }
  | { kind: 'held'; until: number };

/** One run: its counts, the rows it puts back (by due time), the last time to start a call. */
interface Run {
  stats: DispatchStats;
  holds: Map<number, OutboxRow[]>;
  /** Rows put back so far on each limit key: the next one put back on it comes due after them. */
  ahead: Map<string, number>;
  /** When the rows were claimed, and the last time to start a call that must end within their lease. */
  claimedAt: number;
  startBy: number;
}

const idsOf = (rows: OutboxRow[]) => rows.map((row) => row.id);
const recipientOf = (row: OutboxRow) => `${row.channel}:${row.targetKind}:${row.targetId}`;
const emptyStats = (): DispatchStats => ({ claimed: 0, sent: 0, retried: 0, failed: 0, held: 0 });

/** How long `drain` looks whether the clock moves before it waits for rows held back. */
const PROBE_MS = 50;
/** Rows coming due within this of the first are claimed in one run, not one run each. */
const GATHER_MS = 50;

/**
 * Rows claimed by a process that is gone (it crashed between claiming and marking them) come due at once
 * instead of when their lease runs out. Only for a database no other instance can be sending from: the
 * embedded PGlite of the Node entry, at start-up. On a shared server a claim may be a live instance's, so
 * there the lease decides. A row it sent before the crash goes again with the same idempotency key.
 */
export async function releaseClaims(db: Db, now: Date): Promise<number> {
  const released = await db
    .update(outbox)
    .set({ lockedUntil: new Date(now.getTime() - 1) })
    .where(and(eq(outbox.status, 'sending'), gte(outbox.lockedUntil, now)))
    .returning({ id: outbox.id });
  return released.length;
}

export function backoffMs(attempts: number): number {
  return Math.min(2 ** Math.max(attempts - 1, 0) * 2000, 10 * 60_000);
}

/** Runs at most `size` tasks at once, in the order they ask. */
function createPool(size: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active < size) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes to the next task as it is, so a newcomer cannot take it in between.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { db, log } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 1000;
  const maxAttempts = options.maxAttempts ?? 8;
  const leaseMs = options.leaseMs ?? 60_000;
  const limiter = options.limiter ?? createRateLimiter();
  const holdWaitMs = options.holdWaitMs ?? 5000;
  const pool = createPool(options.concurrency ?? 16);
  const senders = new Map<Channel, ChannelSender>(options.senders.map((sender) => [sender.channel, sender]));
  /**
   * Rows waiting (put back, or retried after a failure), by recipient: row id → when it comes due. A row
   * to the recipient with a higher id waits for them, so messages to one chat or person stay in order.
   * In-process, like the limits.
   */
  const recipientWaits = new Map<string, Map<number, number>>();
  /** When rows put back without a try come due (those not claimed again since): what drain waits for. */
  let holdTimes: number[] = [];
  /** Once started: a run when the soonest held row comes due, rather than at the next poll after it. */
  let heldTimer: NodeJS.Timeout | undefined;
  const wakers = new Set<() => void>();
  const pump = createPump(drain, {
    onError: (error) => log.error('outbox dispatch failed', { error: String(error) }),
    // New rows may be due before the rows a drain waits for: its wait is cut short.
    onKick: () => {
      for (const wake of [...wakers]) wake();
    },
    onRest: () => wakeWhenHeldRowsAreDue(),
    onStop: () => {
      clearTimeout(heldTimer);
      heldTimer = undefined;
      for (const wake of [...wakers]) wake();
    },
  });
  const kick = pump.kick;

  async function claim(now: Date): Promise<OutboxRow[]> {
    const due = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        or(
          and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now)),
          and(eq(outbox.status, 'sending'), lt(outbox.lockedUntil, now)),
        ),
      )
      .orderBy(asc(outbox.id))
      .limit(batchSize)
      .for('update', { skipLocked: true });
    // The attempt is counted when the row is claimed, so that a row whose sending crashes the process is
    // still given up after the bound; a row put back without a try gets it back (see `settle`).
    const rows = await db
      .update(outbox)
      .set({
        status: 'sending',
        lockedUntil: new Date(now.getTime() + leaseMs),
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(inArray(outbox.id, due))
      .returning();
    return rows.sort((a, b) => a.id - b.id);
  }

  function waitRecipients(rows: OutboxRow[], until: number) {
    for (const row of rows) {
      const recipient = recipientOf(row);
      const waiting = recipientWaits.get(recipient) ?? new Map<number, number>();
      waiting.set(row.id, until);
      recipientWaits.set(recipient, waiting);
    }
  }

  /**
   * When the last earlier row to the row's recipient that waits comes due, if one does. Measured at the
   * claim: a row due by then was claimed with this one and goes before it in the run; a row due later
   * was not claimed, and this one must wait for it even if its time comes while the run goes on.
   */
  function earlierWaitOf(row: OutboxRow, run: Run): number | undefined {
    let until: number | undefined;
    for (const [id, due] of recipientWaits.get(recipientOf(row)) ?? []) {
      if (id < row.id && due > run.claimedAt) until = Math.max(until ?? due, due);
    }
    return until;
  }

  /**
   * Marks rows that had one outcome: sent; put back without a try (held); or, after a failed try, pending
   * again with backoff or failed for good. The only place rows are marked; a single row and every row
   * of a batch go through it.
   */
  async function settle(rows: OutboxRow[], outcome: Outcome, stats: DispatchStats) {
    const channel = rows[0]?.channel;
    if (outcome.kind === 'sent') {
      await db
        .update(outbox)
        .set({
          status: 'sent',
          sentAt: clock(),
          platformMessageId: outcome.result.platformMessageId ?? null,
          lastError: null,
        })
        .where(inArray(outbox.id, idsOf(rows)));
      stats.sent += rows.length;
      return;
    }
    if (outcome.kind === 'held') {
      // Not tried: the attempt counted by the claim is given back, the last error stays.
      await db
        .update(outbox)
        .set({
          status: 'pending',
          nextAttemptAt: new Date(outcome.until),
          lockedUntil: null,
          attempts: sql`greatest(${outbox.attempts} - 1, 0)`,
        })
        .where(inArray(outbox.id, idsOf(rows)));
      stats.held += rows.length;
      return;
    }
    const { error } = outcome;
    const retryable = error instanceof DeliveryError ? error.retryable : true;
    const message = error instanceof Error ? error.message : String(error);
    // Rows of one batch may have been tried a different number of times: each gets its own verdict and wait.
    const groups = new Map<string, { giveUp: boolean; wait: number; rows: OutboxRow[] }>();
    for (const row of rows) {
      const giveUp = !retryable || row.attempts >= maxAttempts;
      // At least the wait the platform named (a 429's reset), and never less than the backoff, so a
      // platform that keeps refusing still gets the whole bound's time before the row is given up.
      const named = error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0;
      const wait = Math.max(named, backoffMs(row.attempts));
      const key = `${giveUp}:${wait}`;
      const group = groups.get(key) ?? { giveUp, wait, rows: [] };
      group.rows.push(row);
      groups.set(key, group);
    }
    for (const { giveUp, wait, rows: group } of groups.values()) {
      const nextAttemptAt = new Date(clock().getTime() + wait);
      if (!giveUp) waitRecipients(group, nextAttemptAt.getTime());
      await db
        .update(outbox)
        .set({
          status: giveUp ? 'failed' : 'pending',
          nextAttemptAt,
          lockedUntil: null,
          lastError: message.slice(0, 500),
        })
        .where(inArray(outbox.id, idsOf(group)));
      const ids = idsOf(group);
      const which = ids.length === 1 ? { id: ids[0] } : { ids };
      if (giveUp) {
        stats.failed += group.length;
        log.error('outbox message failed', {
          ...which,
          channel,
          attempts: Math.max(...group.map((row) => row.attempts)),
          error: message,
        });
      } else {
        stats.retried += group.length;
        log.warn('outbox message will be retried', { ...which, channel, error: message });
      }
    }
  }

  function putBack(run: Run, row: OutboxRow, until: number) {
    const list = run.holds.get(until) ?? [];
    list.push(row);
    run.holds.set(until, list);
  }

  /**
   * Puts a row back without a try (marked at the end of the run), due when its turn comes on its limit
   * keys, after the rows this run already put back on them, and not before `atLeast`. Later rows to its
   * recipient wait with it.
   */
  function holdBack(run: Run, row: OutboxRow, keys: string[], atLeast: number) {
    const now = clock().getTime();
    const until = Math.max(
      atLeast,
      limiter.freeAt(keys, now, (key) => run.ahead.get(key) ?? 0),
    );
    for (const key of keys) run.ahead.set(key, (run.ahead.get(key) ?? 0) + 1);
    putBack(run, row, until);
    waitRecipients([row], until);
    holdTimes.push(until);
  }

  /** A platform said a limit is exhausted: nothing else counting against it goes out meanwhile. */
  function noteLimits(error: unknown) {
    if (!(error instanceof DeliveryError) || !error.limitKeys?.length) return;
    limiter.block(error.limitKeys, clock().getTime() + (error.retryAfterMs ?? 1000));
  }

  function limitKeysOf(sender: ChannelSender, row: OutboxRow): string[] {
    try {
      return sender.limitKeys?.(row) ?? [];
    } catch {
      // The sender cannot even name the recipient: the call will fail on its own, free of any limit.
      return [];
    }
  }

  /**
   * Takes the limits of one call carrying `rows`: a key named by several rows counts once, a row's own
   * keys count for it. Answers the rows that may go (the others are held until their keys allow them)
   * and `answered`, to call when the platform has answered.
   */
  function reserve(
    sender: ChannelSender,
    rows: OutboxRow[],
    run: Run,
  ): { go: OutboxRow[]; answered: () => void } {
    const now = clock().getTime();
    const keys = rows.map((row) => [...new Set(limitKeysOf(sender, row))]);
    const named = new Map<string, number>();
    for (const list of keys) for (const key of list) named.set(key, (named.get(key) ?? 0) + 1);
    const shared = [...named].filter(([, count]) => count > 1).map(([key]) => key);
    const call = limiter.check(shared, now);
    const own = keys.map((list) => list.filter((key) => named.get(key) === 1));
    if (!call.ok) {
      // The rows come back together, as one call again.
      for (const [index, row] of rows.entries()) holdBack(run, row, own[index]!, call.retryAt);
      return { go: [], answered: () => {} };
    }
    const go: OutboxRow[] = [];
    const taken = [...shared];
    for (const [index, row] of rows.entries()) {
      const answer = limiter.check(own[index]!, now);
      if (!answer.ok) {
        holdBack(run, row, own[index]!, answer.retryAt);
        continue;
      }
      go.push(row);
      taken.push(...own[index]!);
    }
    // Checked just now, with nothing in between: the reservation cannot fail.
    if (go.length > 0) limiter.reserve(taken, now);
    return { go, answered: () => limiter.answered(taken, now, clock().getTime()) };
  }

  /** Delivers one unit: a row alone, or rows the sender sends in one go. */
  async function deliver(rows: OutboxRow[], run: Run) {
    const { stats } = run;
    const [first] = rows;
    if (!first) return;
    const sender = senders.get(first.channel);
    const now = clock().getTime();
    const ready: OutboxRow[] = [];
    for (const row of rows) {
      const waitsFor = earlierWaitOf(row, run);
      // Too late in the lease to start a call that might outlive it: back in the queue, due at once,
      // to be claimed again with a lease of its own (another instance could claim it once it runs out).
      if (now >= run.startBy) putBack(run, row, now);
      else if (waitsFor !== undefined) holdBack(run, row, sender ? limitKeysOf(sender, row) : [], waitsFor);
      else ready.push(row);
    }
    if (ready.length === 0) return;
    if (ready.length === 1 || !sender?.deliverBatch) {
      for (const row of ready) {
        if (!sender) {
          await settle(
            [row],
            { kind: 'error', error: new DeliveryError(`渠道 ${row.channel} 未开通`, false) },
            stats,
          );
          continue;
        }
        const { go, answered } = reserve(sender, [row], run);
        if (go.length === 0) continue;
        let outcome: Outcome;
        try {
          outcome = { kind: 'sent', result: await sender.deliver(row) };
        } catch (error) {
          noteLimits(error);
          outcome = { kind: 'error', error };
        } finally {
          answered();
        }
        await settle([row], outcome, stats);
      }
      return;
    }
    // One call per chunk, each within the limits as they are when it starts.
    const size = Math.max(1, sender.maxBatch ?? Number.POSITIVE_INFINITY);
    for (let start = 0; start < ready.length; start += size) {
      const chunk = ready.slice(start, start + size);
      const at = clock().getTime();
      if (at >= run.startBy) {
        for (const row of chunk) putBack(run, row, at);
        continue;
      }
      const { go, answered } = reserve(sender, chunk, run);
      if (go.length > 0) await deliverCall(sender, go, stats, answered);
    }
  }

  /** One `deliverBatch` call; every row is marked from its own result. */
  async function deliverCall(
    sender: ChannelSender,
    rows: OutboxRow[],
    stats: DispatchStats,
    answered: () => void,
  ) {
    let results: BatchResult;
    try {
      results = await sender.deliverBatch!(rows);
    } catch (error) {
      noteLimits(error);
      await settle(rows, { kind: 'error', error }, stats);
      return;
    } finally {
      answered();
    }
    // Rows with the same outcome (one call's message id, or one error) are marked together.
    const missing = new DeliveryError(`渠道 ${sender.channel} 没有报告这条消息的发送结果`, true);
    const groups = new Map<unknown, { outcome: Outcome; rows: OutboxRow[] }>();
    for (const row of rows) {
      const result = results.get(row.id) ?? missing;
      const outcome: Outcome =
        result instanceof Error ? { kind: 'error', error: result } : { kind: 'sent', result };
      const key =
        result instanceof Error ? result : `sent:${JSON.stringify(result.platformMessageId ?? null)}`;
      let group = groups.get(key);
      if (!group) {
        if (result instanceof Error) noteLimits(result);
        group = { outcome, rows: [] };
        groups.set(key, group);
      }
      group.rows.push(row);
    }
    for (const group of groups.values()) await settle(group.rows, group.outcome, stats);
  }

  function batchKeyOf(row: OutboxRow): string | undefined {
    const sender = senders.get(row.channel);
    if (!sender?.batchKey || !sender.deliverBatch) return undefined;
    try {
      return sender.batchKey(row);
    } catch {
      return undefined;
    }
  }

  async function runOnce(): Promise<DispatchStats> {
    const stats = emptyStats();
    const claimedAt = clock().getTime();
    for (const [recipient, waiting] of recipientWaits) {
      for (const [id, until] of waiting) if (until <= claimedAt) waiting.delete(id);
      if (waiting.size === 0) recipientWaits.delete(recipient);
    }
    // Rows due by now are claimed now (or, past the batch size, by the runs that follow this one).
    holdTimes = holdTimes.filter((until) => until > claimedAt);
    const rows = await claim(new Date(claimedAt));
    stats.claimed = rows.length;
    const run: Run = {
      stats,
      holds: new Map(),
      ahead: new Map(),
      claimedAt,
      startBy: claimedAt + leaseMs / 2,
    };
    // Messages to one chat or person go in order; different recipients go side by side. The n-th row
    // claimed for a recipient is at level n; rows at one level with one batch key (the same message to
    // different recipients) form one unit, the others are units of one row. A unit starts when every
    // unit holding the previous row of its recipients is done, so a batch never overtakes an earlier
    // row to one of its recipients, and two messages broadcast one after the other go as two batches.
    const levelOf = new Map<string, number>();
    const units: { level: number; rows: OutboxRow[] }[] = [];
    const batches = new Map<string, { level: number; rows: OutboxRow[] }>();
    for (const row of rows) {
      const recipient = recipientOf(row);
      const level = levelOf.get(recipient) ?? 0;
      levelOf.set(recipient, level + 1);
      const key = batchKeyOf(row);
      if (key === undefined) {
        units.push({ level, rows: [row] });
        continue;
      }
      const batchId = `${level}\u0000${row.channel}\u0000${key}`;
      let unit = batches.get(batchId);
      if (!unit) {
        unit = { level, rows: [] };
        batches.set(batchId, unit);
        units.push(unit);
      }
      unit.rows.push(row);
    }
    // Units of a lower level are chained first, so the unit before each row of a recipient is known.
    units.sort((a, b) => a.level - b.level);
    const previous = new Map<string, Promise<void>>();
    const runs = units.map((unit) => {
      const after = new Set<Promise<void>>();
      for (const row of unit.rows) {
        const before = previous.get(recipientOf(row));
        if (before) after.add(before);
      }
      // A unit waits for its predecessors outside the pool, so waiting never takes a slot.
      const done = Promise.allSettled(after).then(() => pool(() => deliver(unit.rows, run)));
      for (const row of unit.rows) previous.set(recipientOf(row), done);
      return done;
    });
    const outcomes = await Promise.allSettled(runs);
    // The rows put back, one update per due time.
    for (const [until, held] of run.holds) await settle(held, { kind: 'held', until }, stats);
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
      // A full batch: more rows may be due right now.
      if (stats.claimed >= batchSize) continue;
      // Rows the limits hold back for a moment are waited for; rows coming due within a few ms of each
      // other are claimed together, not in one run each. Otherwise the drain goes on while rows are due
      // (rows put back are not due, so a run that claimed something is followed by one more).
      const soonest = holdTimes.length > 0 ? Math.min(...holdTimes) : undefined;
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
    const due = holdTimes.filter((until) => until > now);
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
