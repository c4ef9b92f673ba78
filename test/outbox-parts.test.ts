// The pure parts of the outbox dispatcher (jobs/outbox/): per-recipient order, retry policy, the call pool.
// No database: rows are plain objects.
import { describe, expect, it } from 'vitest';
import { DeliveryError, type OutboxRow } from '../bot/core/delivery.ts';
import { createRecipientWaits, planUnits, runInOrder } from '../jobs/outbox/order.ts';
import { backoffMs, retryVerdicts } from '../jobs/outbox/policy.ts';
import { createPool } from '../jobs/outbox/pool.ts';

const row = (id: number, targetId: string, attempts = 1) =>
  ({ id, channel: 'wecom', targetKind: 'userid', targetId, attempts }) as OutboxRow;

describe('outbox order', () => {
  it('batches the same message to different recipients, one level per earlier row of a recipient', () => {
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'a'), row(4, 'c')];
    const units = planUnits(rows, (r) => (r.id === 4 ? undefined : 'm'));
    expect(units.map((unit) => [unit.level, unit.rows.map((r) => r.id)])).toEqual([
      [0, [1, 2]],
      [0, [4]],
      [1, [3]],
    ]);
  });

  it('starts a unit only after the unit holding the previous row of its recipient', async () => {
    const units = planUnits([row(1, 'a'), row(2, 'a')], () => undefined);
    const order: number[] = [];
    let releaseFirst = () => {};
    const first = new Promise<void>((resolve) => (releaseFirst = resolve));
    const done = runInOrder(units, async (unit) => {
      if (unit.rows[0]!.id === 1) await first;
      order.push(unit.rows[0]!.id);
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual([]);
    releaseFirst();
    await done;
    expect(order).toEqual([1, 2]);
  });

  it('makes a later row to a recipient wait for an earlier one that waits, until it is due', () => {
    const waits = createRecipientWaits();
    waits.wait([row(5, 'a')], 1000);
    expect(waits.earlierWaitOf(row(6, 'a'), 500)).toBe(1000);
    expect(waits.earlierWaitOf(row(4, 'a'), 500)).toBeUndefined();
    expect(waits.earlierWaitOf(row(6, 'b'), 500)).toBeUndefined();
    waits.prune(1000);
    expect(waits.earlierWaitOf(row(6, 'a'), 500)).toBeUndefined();
  });
});

describe('outbox retry policy', () => {
  it('doubles the backoff from 2 s up to 10 minutes', () => {
    expect([1, 2, 3, 20].map(backoffMs)).toEqual([2000, 4000, 8000, 600_000]);
  });

  it('gives up at the bound or on a final error, and waits at least what the platform named', () => {
    const rows = [row(1, 'a', 1), row(2, 'b', 8)];
    const verdicts = retryVerdicts(rows, new DeliveryError('429', true, 30_000), 8);
    expect(verdicts.map((v) => [v.giveUp, v.wait, v.rows.map((r) => r.id)])).toEqual([
      [false, 30_000, [1]],
      [true, 256_000, [2]],
    ]);
    expect(retryVerdicts(rows, new DeliveryError('bad', false), 8).every((v) => v.giveUp)).toBe(true);
  });
});

describe('outbox call pool', () => {
  it('runs at most its size of tasks at once', async () => {
    const pool = createPool(2);
    let active = 0;
    let most = 0;
    await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        pool(async () => {
          active++;
          most = Math.max(most, active);
          await new Promise((resolve) => setTimeout(resolve, 2));
          active--;
        }),
      ),
    );
    expect(most).toBe(2);
  });
});
