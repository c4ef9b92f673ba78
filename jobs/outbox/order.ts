// Messages to one chat or person go in the order they were written; different recipients go side by side.
import type { OutboxRow } from '../../bot/core/delivery.ts';

export const recipientOf = (row: OutboxRow) => `${row.channel}:${row.targetKind}:${row.targetId}`;

/**
 * Rows waiting (put back, or retried after a failure), by recipient: row id → when it comes due. A row
 * to the recipient with a higher id waits for them, so messages to one chat or person stay in order.
 * In-process, like the limits.
 */
export interface RecipientWaits {
  /** The rows wait until `until`. */
  wait(rows: OutboxRow[], until: number): void;
  /**
   * When the last earlier row to the row's recipient that waits comes due, if one does. Measured at the
   * claim: a row due by then was claimed with this one and goes before it in the run; a row due later
   * was not claimed, and this one must wait for it even if its time comes while the run goes on.
   */
  earlierWaitOf(row: OutboxRow, claimedAt: number): number | undefined;
  /** Forgets the waits over by `now`. */
  prune(now: number): void;
}

export function createRecipientWaits(): RecipientWaits {
  const recipientWaits = new Map<string, Map<number, number>>();
  return {
    wait(rows, until) {
      for (const row of rows) {
        const recipient = recipientOf(row);
        const waiting = recipientWaits.get(recipient) ?? new Map<number, number>();
        waiting.set(row.id, until);
        recipientWaits.set(recipient, waiting);
      }
    },
    earlierWaitOf(row, claimedAt) {
      let until: number | undefined;
      for (const [id, due] of recipientWaits.get(recipientOf(row)) ?? []) {
        if (id < row.id && due > claimedAt) until = Math.max(until ?? due, due);
      }
      return until;
    },
    prune(now) {
      for (const [recipient, waiting] of recipientWaits) {
        for (const [id, until] of waiting) if (until <= now) waiting.delete(id);
        if (waiting.size === 0) recipientWaits.delete(recipient);
      }
    },
  };
}

/** Rows delivered together: one row, or rows with one batch key to different recipients. */
export interface Unit {
  level: number;
  rows: OutboxRow[];
}

/**
 * The units of a run's rows, lowest level first. The n-th row claimed for a recipient is at level n;
 * rows at one level with one batch key (the same message to different recipients) form one unit, the
 * others are units of one row.
 */
export function planUnits(rows: OutboxRow[], batchKeyOf: (row: OutboxRow) => string | undefined): Unit[] {
  const levelOf = new Map<string, number>();
  const units: Unit[] = [];
  const batches = new Map<string, Unit>();
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
  return units;
}

/**
 * Runs every unit through `deliver`; a unit starts when every unit holding the previous row of its
 * recipients is done, so a batch never overtakes an earlier row to one of its recipients, and two
 * messages broadcast one after the other go as two batches. Answers each unit's settled outcome.
 */
export function runInOrder(
  units: Unit[],
  deliver: (unit: Unit) => Promise<void>,
): Promise<PromiseSettledResult<void>[]> {
  const previous = new Map<string, Promise<void>>();
  const runs = units.map((unit) => {
    const after = new Set<Promise<void>>();
    for (const row of unit.rows) {
      const before = previous.get(recipientOf(row));
      if (before) after.add(before);
    }
    const done = Promise.allSettled(after).then(() => deliver(unit));
    for (const row of unit.rows) previous.set(recipientOf(row), done);
    return done;
  });
  return Promise.allSettled(runs);
}
