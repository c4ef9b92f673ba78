// The contract between the outbox dispatcher and each channel's sender.
import type { OutboxRecord } from '../../db/queries/outbox.ts';
import type { Channel } from './types.ts';

export type OutboxRow = OutboxRecord;

export interface DeliveryResult {
  platformMessageId?: string;
}

/** What became of each row of a batch, by row id. */
export type BatchResult = Map<number, DeliveryResult | DeliveryError>;

export interface ChannelSender {
  channel: Channel;
  /** Delivers one row. Must use the row id as the platform's idempotency key where there is one. */
  deliver(row: OutboxRow): Promise<DeliveryResult>;
  /**
   * Optional batching. Rows with the same key are the same message to different recipients and may go
   * out in one call through `deliverBatch`; undefined means the row is always delivered alone. The
   * dispatcher only puts rows with one key, each to a different recipient, into one batch.
   */
  batchKey?(row: OutboxRow): string | undefined;
  /**
   * Delivers rows that share a batch key (any number: the sender splits them into calls as the platform
   * allows) and answers for every row, so that each is marked on its own: sent, retried or failed. An
   * idempotency key, where the platform has one, is derived from the rows of the call.
   */
  deliverBatch?(rows: OutboxRow[]): Promise<BatchResult>;
  /** The most rows `deliverBatch` sends in one platform call; the dispatcher hands it no more at once. */
  maxBatch?: number;
  /**
   * The send limits a call carrying this row counts against, as keys of jobs/rate-limit.ts (e.g.
   * `feishu:app`, `feishu:to:<chat>`). The dispatcher takes them before the call and holds the row back,
   * without calling the platform, while one is exhausted. In a batch, a key named by several rows of the
   * call counts once (a per-app key: one call) and a key of one row counts for that row (a per-member
   * key: WeCom counts each member of a touser list). A key named n times is n calls: a row sent as
   * several messages names its per-recipient key once per message.
   */
  limitKeys?(row: OutboxRow): string[];
}

/**
 * A failed delivery; `retryable` for 429, 5xx, timeouts and expired tokens. `retryAfterMs` is the wait the
 * platform named: the retry comes no sooner (nor sooner than the backoff). `limitKeys` are limit keys the
 * platform says are exhausted: the dispatcher sends nothing else counting against them until that wait
 * (or a second) has passed.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    readonly limitKeys?: readonly string[],
  ) {
    super(message);
  }
}

/**
 * The channel cannot send at all yet (a long connection not logged in, its contact list not loaded):
 * nothing was tried, so the row is put back, due again after `retryAfterMs`, without counting an attempt.
 * However long the wait, it is never given up for this.
 */
export class ChannelNotReady extends DeliveryError {
  override name = 'ChannelNotReady';
  constructor(message: string, retryAfterMs: number) {
    super(message, true, retryAfterMs);
  }
}
