// Marks rows after their outcome: the only place the dispatcher marks rows.
import { ChannelNotReady, DeliveryError, type OutboxRow } from '../../bot/core/delivery.ts';
import { metrics } from '../../bot/core/metrics.ts';
import { markOutboxFailedTry, markOutboxHeld, markOutboxSent } from '../../db/queries/outbox.ts';
import { errorMessage, retryVerdicts } from './policy.ts';
import { type DispatchContext, type DispatchStats, idsOf, type Outcome } from './types.ts';

/**
 * Marks rows that had one outcome: sent; put back without a try (held); or, after a failed try, pending
 * again with backoff or failed for good. A single row and every row of a batch go through it.
 */
export async function settle(
  ctx: DispatchContext,
  rows: OutboxRow[],
  given: Outcome,
  stats: DispatchStats,
): Promise<void> {
  const { db, log, clock } = ctx;
  const channel = rows[0]?.channel;
  const outcome =
    given.kind === 'error' && given.error instanceof ChannelNotReady
      ? notTried(ctx, rows, given.error)
      : given;
  if (outcome.kind === 'sent') {
    await markOutboxSent(db, idsOf(rows), clock(), outcome.result.platformMessageId ?? null);
    stats.sent += rows.length;
    if (channel) metrics.outboxSent.inc({ channel }, rows.length);
    return;
  }
  if (outcome.kind === 'held') {
    // Not tried: the attempt counted by the claim is given back, the last error stays.
    await markOutboxHeld(db, idsOf(rows), new Date(outcome.until));
    stats.held += rows.length;
    return;
  }
  const { error } = outcome;
  const message = errorMessage(error);
  // One call, one count: a platform that named a limit refused for a rate limit (429, 99991400, 45009).
  if (channel) {
    const rateLimited = error instanceof DeliveryError && (error.limitKeys?.length ?? 0) > 0;
    (rateLimited ? metrics.platformRateLimited : metrics.platformErrors).inc({ channel });
  }
  for (const { giveUp, wait, rows: group } of retryVerdicts(rows, error, ctx.maxAttempts)) {
    const nextAttemptAt = new Date(clock().getTime() + wait);
    if (!giveUp) ctx.waits.wait(group, nextAttemptAt.getTime());
    await markOutboxFailedTry(db, idsOf(group), { giveUp, nextAttemptAt, lastError: message.slice(0, 500) });
    const ids = idsOf(group);
    const which = ids.length === 1 ? { id: ids[0] } : { ids };
    if (giveUp) {
      stats.failed += group.length;
      if (channel) metrics.outboxFailed.inc({ channel }, group.length);
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

/** A channel that was not ready tried nothing: the rows are held, and later rows to their recipients wait. */
function notTried(ctx: DispatchContext, rows: OutboxRow[], error: ChannelNotReady): Outcome {
  const until = ctx.clock().getTime() + (error.retryAfterMs ?? 1000);
  ctx.waits.wait(rows, until);
  ctx.holdTimes.push(until);
  return { kind: 'held', until };
}
