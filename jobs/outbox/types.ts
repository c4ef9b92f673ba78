// What the outbox dispatcher's modules share: its options, its counts, one run's state and the state kept
// between runs (in-process, like the limits).
import type { ChannelSender, DeliveryResult, OutboxRow } from '../../bot/core/delivery.ts';
import type { Logger } from '../../bot/core/log.ts';
import type { Channel } from '../../bot/core/types.ts';
import type { Db } from '../../db/client.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { RecipientWaits } from './order.ts';
import type { Pool } from './pool.ts';

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

export type Outcome =
  | { kind: 'sent'; result: DeliveryResult }
  | { kind: 'error'; error: unknown }
  | { kind: 'held'; until: number };

/** One run: its counts, the rows it puts back (by due time), the last time to start a call. */
export interface Run {
  stats: DispatchStats;
  holds: Map<number, OutboxRow[]>;
  /** Rows put back so far on each limit key: the next one put back on it comes due after them. */
  ahead: Map<string, number>;
  /** When the rows were claimed, and the last time to start a call that must end within their lease. */
  claimedAt: number;
  startBy: number;
}

/** The dispatcher's settings and the state it keeps between runs, as its modules see them. */
export interface DispatchContext {
  db: Db;
  log: Logger;
  clock: () => Date;
  batchSize: number;
  maxAttempts: number;
  leaseMs: number;
  limiter: RateLimiter;
  holdWaitMs: number;
  pool: Pool;
  senders: Map<Channel, ChannelSender>;
  /** Rows waiting (put back, or retried after a failure), by recipient. */
  waits: RecipientWaits;
  /** When rows put back without a try come due (those not claimed again since): what drain waits for. */
  holdTimes: number[];
}

export const idsOf = (rows: OutboxRow[]) => rows.map((row) => row.id);
export const emptyStats = (): DispatchStats => ({ claimed: 0, sent: 0, retried: 0, failed: 0, held: 0 });
