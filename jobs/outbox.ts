// The outbox dispatcher: claims due rows (SKIP LOCKED, so instances never send the same row at once),
// delivers them through the channel senders, retries with backoff, and gives up after a bound.
import { and, asc, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import { type ChannelSender, DeliveryError, type OutboxRow } from '../bot/core/delivery.ts';
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

  async function deliver(row: OutboxRow, stats: DispatchStats) {
    const sender = senders.get(row.channel);
    try {
      if (!sender) throw new DeliveryError(`渠道 ${row.channel} 未开通`, false);
      const result = await sender.deliver(row);
      await db
        .update(outbox)
        .set({
          status: 'sent',
          sentAt: clock(),
          platformMessageId: result.platformMessageId ?? null,
          lastError: null,
        })
        .where(eq(outbox.id, row.id));
      stats.sent++;
    } catch (error) {
      const retryable = error instanceof DeliveryError ? error.retryable : true;
      const message = error instanceof Error ? error.message : String(error);
      const giveUp = !retryable || row.attempts >= maxAttempts;
      const wait =
        error instanceof DeliveryError && error.retryAfterMs ? error.retryAfterMs : backoffMs(row.attempts);
      await db
        .update(outbox)
        .set({
          status: giveUp ? 'failed' : 'pending',
          nextAttemptAt: new Date(clock().getTime() + wait),
          lockedUntil: null,
          lastError: message.slice(0, 500),
        })
        .where(eq(outbox.id, row.id));
      if (giveUp) {
        stats.failed++;
        log.error('outbox message failed', {
          id: row.id,
          channel: row.channel,
          attempts: row.attempts,
          error: message,
        });
      } else {
        stats.retried++;
        log.warn('outbox message will be retried', { id: row.id, channel: row.channel, error: message });
      }
    }
  }

  async function runOnce(): Promise<DispatchStats> {
    const stats: DispatchStats = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    const rows = await claim();
    stats.claimed = rows.length;
    // Messages to one chat or person go in order; different recipients go side by side.
    const queues = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = `${row.channel}:${row.targetKind}:${row.targetId}`;
      queues.set(key, [...(queues.get(key) ?? []), row]);
    }
    await Promise.all(
      [...queues.values()].map(async (queue) => {
        for (const row of queue) await deliver(row, stats);
      }),
    );
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
