// Delivers one unit of a run through its channel's sender: a row alone, or rows sent in one go.
import {
  type BatchResult,
  type ChannelSender,
  DeliveryError,
  type OutboxRow,
} from '../../bot/core/delivery.ts';
import { holdBack, limitKeysOf, noteLimits, putBack, reserve } from './limits.ts';
import { settle } from './settle.ts';
import type { DispatchContext, DispatchStats, Outcome, Run } from './types.ts';

/** The batch key of a row whose sender batches, else undefined (the row goes alone). */
export function batchKeyOf(ctx: DispatchContext, row: OutboxRow): string | undefined {
  const sender = ctx.senders.get(row.channel);
  if (!sender?.batchKey || !sender.deliverBatch) return undefined;
  try {
    return sender.batchKey(row);
  } catch {
    return undefined;
  }
}

/** Delivers one unit: a row alone, or rows the sender sends in one go. */
export async function deliver(ctx: DispatchContext, rows: OutboxRow[], run: Run): Promise<void> {
  const { stats } = run;
  const [first] = rows;
  if (!first) return;
  const sender = ctx.senders.get(first.channel);
  const now = ctx.clock().getTime();
  const ready: OutboxRow[] = [];
  for (const row of rows) {
    const waitsFor = ctx.waits.earlierWaitOf(row, run.claimedAt);
    // Too late in the lease to start a call that might outlive it: back in the queue, due at once,
    // to be claimed again with a lease of its own (another instance could claim it once it runs out).
    if (now >= run.startBy) putBack(run, row, now);
    else if (waitsFor !== undefined)
      holdBack(ctx, run, row, sender ? limitKeysOf(sender, row) : [], waitsFor);
    else ready.push(row);
  }
  if (ready.length === 0) return;
  if (ready.length === 1 || !sender?.deliverBatch) {
    for (const row of ready) {
      if (!sender) {
        await settle(
          ctx,
          [row],
          { kind: 'error', error: new DeliveryError(`渠道 ${row.channel} 未开通`, false) },
          stats,
        );
        continue;
      }
      const { go, answered } = reserve(ctx, sender, [row], run);
      if (go.length === 0) continue;
      let outcome: Outcome;
      try {
        outcome = { kind: 'sent', result: await sender.deliver(row) };
      } catch (error) {
        noteLimits(ctx, error);
        outcome = { kind: 'error', error };
      } finally {
        answered();
      }
      await settle(ctx, [row], outcome, stats);
    }
    return;
  }
  // One call per chunk, each within the limits as they are when it starts.
  const size = Math.max(1, sender.maxBatch ?? Number.POSITIVE_INFINITY);
  for (let start = 0; start < ready.length; start += size) {
    const chunk = ready.slice(start, start + size);
    const at = ctx.clock().getTime();
    if (at >= run.startBy) {
      for (const row of chunk) putBack(run, row, at);
      continue;
    }
    const { go, answered } = reserve(ctx, sender, chunk, run);
    if (go.length > 0) await deliverCall(ctx, sender, go, stats, answered);
  }
}

/** One `deliverBatch` call; every row is marked from its own result. */
async function deliverCall(
  ctx: DispatchContext,
  sender: ChannelSender,
  rows: OutboxRow[],
  stats: DispatchStats,
  answered: () => void,
) {
  let results: BatchResult;
  try {
    results = await sender.deliverBatch!(rows);
  } catch (error) {
    noteLimits(ctx, error);
    await settle(ctx, rows, { kind: 'error', error }, stats);
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
    const key = result instanceof Error ? result : `sent:${JSON.stringify(result.platformMessageId ?? null)}`;
    let group = groups.get(key);
    if (!group) {
      if (result instanceof Error) noteLimits(ctx, result);
      group = { outcome, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  }
  for (const group of groups.values()) await settle(ctx, group.rows, group.outcome, stats);
}
