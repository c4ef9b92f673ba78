// When a failed try is retried and when it is given up: pure rules, no rows touched.
import { DeliveryError, type OutboxRow } from '../../bot/core/delivery.ts';

export function backoffMs(attempts: number): number {
  return Math.min(2 ** Math.max(attempts - 1, 0) * 2000, 10 * 60_000);
}

export interface RetryVerdict {
  giveUp: boolean;
  /** How long from now the row is due again (when not given up). */
  wait: number;
  rows: OutboxRow[];
}

/**
 * The verdict on rows one error failed, grouped by verdict: rows of one batch may have been tried a
 * different number of times, so each gets its own verdict and wait.
 */
export function retryVerdicts(rows: OutboxRow[], error: unknown, maxAttempts: number): RetryVerdict[] {
  const retryable = error instanceof DeliveryError ? error.retryable : true;
  const groups = new Map<string, RetryVerdict>();
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
  return [...groups.values()];
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
