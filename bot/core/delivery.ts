// The contract between the outbox dispatcher and each channel's sender.
import type { outbox } from '../../db/schema.ts';
import type { Channel } from './types.ts';

export type OutboxRow = typeof outbox.$inferSelect;

export interface ChannelSender {
  channel: Channel;
  /** Delivers one row. Must use the row id as the platform's idempotency key where there is one. */
  deliver(row: OutboxRow): Promise<{ platformMessageId?: string }>;
}

/** A failed delivery; `retryable` for 429, 5xx, timeouts and expired tokens. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
