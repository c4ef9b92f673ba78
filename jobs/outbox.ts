// The outbox dispatcher: claims due rows (SKIP LOCKED, so instances never send the same row at once),
// delivers them through the channel senders, retries with backoff, and gives up after a bound. The same
// message to many recipients goes out in one call where the sender can batch (WeCom touser lists).
import { and, asc, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import {
  type BatchResult,
  type ChannelSender,
  DeliveryError,
  type DeliveryResult,
  type OutboxRow,
} from '../bot/core/delivery.ts';
import type { Logger } from '../bot/core/log.ts';
import type { Channel } from '../bot/core/types.ts';
import type { Db } from '../db/client.ts';
import { outbox } from '../db/schema.ts';

export interface DispatcherOptions {
  db: Db;
  senders: ChannelSender[];
  log: Logger;
  clock?: () => Date;
  batchSize?: number;
  maxAttempts?: number;
  /** How long a claimed row stays reserved; after that a crashed sender's rows are claimed again. */
  leaseMs?: number;
}

export interface DispatchStats {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

export interface Dispatcher {
  /** Claims and delivers one batch of due rows. */
  runOnce(): Promise<DispatchStats>;
  /** Runs batches until nothing is due. */
  drain(): Promise<DispatchStats>;
  /** Asks for a run soon; many kicks coalesce into one run. */
  kick(): void;
  start(pollMs?: number): void;
  stop(): Promise<void>;
  /** Resolves when no run is under way. */
  idle(): Promise<void>;
}

type Outcome = { ok: true; result: DeliveryResult } | { ok: false; error: unknown };

const idsOf = (rows: OutboxRow[]) => rows.map((row) => row.id);
const recipientOf = (row: OutboxRow) => `${row.channel}:${row.targetKind}:${row.targetId}`;

export function backoffMs(attempts: number): number {
  return Math.min(2 ** Math.max(attempts - 1, 0) * 2000, 10 * 60_000);
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { db, log } = options;
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 50;
  const maxAttempts = options.maxAttempts ?? 8;
  const leaseMs = options.leaseMs ?? 60_000;
  const senders = new Map<Channel, ChannelSender>(options.senders.map((sender) => [sender.channel, sender]));
  let running: Promise<unknown> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function claim(): Promise<OutboxRow[]> {
    const now = clock();
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

  /**
   * Marks rows that had one outcome: sent, or pending again with backoff, or failed for good. The only
   * place rows are marked; a single row and every row of a batch go through it.
   */
  async function settle(rows: OutboxRow[], outcome: Outcome, stats: DispatchStats) {
    const channel = rows[0]?.channel;
    if (outcome.ok) {
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
    const { error } = outcome;
    const retryable = error instanceof DeliveryError ? error.retryable : true;
    const message = error instanceof Error ? error.message : String(error);
    // Rows of one batch may have been tried a different number of times: each gets its own verdict and wait.
    const groups = new Map<string, { giveUp: boolean; wait: number; rows: OutboxRow[] }>();
    for (const row of rows) {
      const giveUp = !retryable || row.attempts >= maxAttempts;
      const wait =
        error instanceof DeliveryError && error.retryAfterMs ? error.retryAfterMs : backoffMs(row.attempts);
      const key = `${giveUp}:${wait}`;
      const group = groups.get(key) ?? { giveUp, wait, rows: [] };
      group.rows.push(row);
      groups.set(key, group);
    }
    for (const { giveUp, wait, rows: group } of groups.values()) {
      await db
        .update(outbox)
        .set({
          status: giveUp ? 'failed' : 'pending',
          nextAttemptAt: new Date(clock().getTime() + wait),
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

  /** Delivers one unit: a row alone, or rows the sender sends in one go. */
  async function deliver(rows: OutboxRow[], stats: DispatchStats) {
    const [first] = rows;
    if (!first) return;
    const sender = senders.get(first.channel);
    if (rows.length === 1 || !sender?.deliverBatch) {
      for (const row of rows) {
        let outcome: Outcome;
        try {
          if (!sender) throw new DeliveryError(`渠道 ${row.channel} 未开通`, false);
          outcome = { ok: true, result: await sender.deliver(row) };
        } catch (error) {
          outcome = { ok: false, error };
        }
        await settle([row], outcome, stats);
      }
      return;
    }
    let results: BatchResult;
    try {
      results = await sender.deliverBatch(rows);
    } catch (error) {
      await settle(rows, { ok: false, error }, stats);
      return;
    }
    // Rows with the same outcome (one call's message id, or one error) are marked together.
    const missing = new DeliveryError(`渠道 ${first.channel} 没有报告这条消息的发送结果`, true);
    const groups = new Map<unknown, { outcome: Outcome; rows: OutboxRow[] }>();
    for (const row of rows) {
      const result = results.get(row.id) ?? missing;
      const outcome: Outcome = result instanceof Error ? { ok: false, error: result } : { ok: true, result };
      const key =
        result instanceof Error ? result : `sent:${JSON.stringify(result.platformMessageId ?? null)}`;
      const group = groups.get(key) ?? { outcome, rows: [] };
      group.rows.push(row);
      groups.set(key, group);
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
    const stats: DispatchStats = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    const rows = await claim();
    stats.claimed = rows.length;
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
      const run = Promise.all(after).then(() => deliver(unit.rows, stats));
      for (const row of unit.rows) previous.set(recipientOf(row), run);
      return run;
    });
    await Promise.all(runs);
    return stats;
  }

  async function idle() {
    while (running) await running;
  }

  async function drain(): Promise<DispatchStats> {
    const total: DispatchStats = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    for (;;) {
      const stats = await runOnce();
      total.claimed += stats.claimed;
      total.sent += stats.sent;
      total.retried += stats.retried;
      total.failed += stats.failed;
      if (stats.claimed === 0) return total;
    }
  }

  function kick() {
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .then(() => undefined)
      .catch((error) => log.error('outbox dispatch failed', { error: String(error) }))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  return {
    runOnce,
    // Waits for a run under way first, so that what it claimed is delivered when this resolves.
    drain: async () => {
      await idle();
      return drain();
    },
    kick,
    start(pollMs = 2000) {
      timer ??= setInterval(kick, pollMs);
      kick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      while (running) await running;
    },
    idle,
  };
}
