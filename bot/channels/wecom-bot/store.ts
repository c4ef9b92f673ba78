// What the bot remembers about cards it sent, on their outbox rows (no in-memory state: DESIGN.md §1).
import type { Db } from '../../../db/client.ts';
import { outbox } from '../../../db/schema.ts';
import { copyOf } from '../wecom/store.ts';

/** A copy's card was sent again as a new message: later refreshes and presses concern that one. */
export async function repointCopy(db: Db, taskId: string, tenantId: number | null, newTaskId: string) {
  await db
    .update(outbox)
    .set({ platformMessageId: newTaskId })
    .where(copyOf(taskId, tenantId, 'wecom_bot'));
}
