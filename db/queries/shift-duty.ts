// The writes of a shift's duty: 确认到岗, the duty log, the handover and swaps (handlers/shifts.ts).
import { and, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { shiftAssignees, shiftLogs, shiftSwaps, shifts } from '../schema.ts';
import { byIdInTenant } from './rows.ts';
import type { ShiftSwap } from './shifts.ts';

/** Marks a person present on a shift; false when they had confirmed already. */
export async function confirmPresence(
  db: Queryable,
  shiftId: number,
  personId: number,
  at: Date,
): Promise<boolean> {
  const [updated] = await db
    .update(shiftAssignees)
    .set({ confirmedAt: at })
    .where(
      and(
        eq(shiftAssignees.shiftId, shiftId),
        eq(shiftAssignees.personId, personId),
        isNull(shiftAssignees.confirmedAt),
      ),
    )
    .returning();
  return updated !== undefined;
}

export async function addShiftLog(db: Queryable, row: typeof shiftLogs.$inferInsert): Promise<void> {
  await db.insert(shiftLogs).values(row);
}

/** Records a shift's handover; false when someone handed it over first. */
export async function recordHandover(
  db: Queryable,
  shiftId: number,
  handover: { note: string; byId: number; at: Date },
): Promise<boolean> {
  const [updated] = await db
    .update(shifts)
    .set({ handoverNote: handover.note, handoverById: handover.byId, handoverAt: handover.at })
    .where(and(eq(shifts.id, shiftId), isNull(shifts.handoverAt)))
    .returning({ id: shifts.id });
  return updated !== undefined;
}

export async function insertSwap(db: Queryable, row: typeof shiftSwaps.$inferInsert): Promise<ShiftSwap> {
  const [swap] = await db.insert(shiftSwaps).values(row).returning();
  return swap!;
}

/** A swap request by its row id, within a tenant (the 接受 / 拒绝 buttons). */
export const swapById = byIdInTenant(shiftSwaps);

/** Answers a pending swap request; undefined when it was answered first. */
export async function decideSwap(
  db: Queryable,
  swapId: number,
  status: 'accepted' | 'declined',
  at: Date,
): Promise<ShiftSwap | undefined> {
  const [decided] = await db
    .update(shiftSwaps)
    .set({ status, decidedAt: at })
    .where(and(eq(shiftSwaps.id, swapId), eq(shiftSwaps.status, 'pending')))
    .returning();
  return decided;
}

/** Puts one person on a shift in another's place. */
export async function takeOverShift(
  db: Queryable,
  shiftId: number,
  fromPersonId: number,
  toPersonId: number,
) {
  await db
    .delete(shiftAssignees)
    .where(and(eq(shiftAssignees.shiftId, shiftId), eq(shiftAssignees.personId, fromPersonId)));
  await db.insert(shiftAssignees).values({ shiftId, personId: toPersonId });
}
