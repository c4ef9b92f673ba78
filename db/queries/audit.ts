// The audit trail of tasks, obligations, shifts and letters (hazards have their own: hazard_events).
import type { Queryable } from '../client.ts';
import { auditEvents } from '../schema.ts';

export async function appendAudit(db: Queryable, row: typeof auditEvents.$inferInsert): Promise<void> {
  await db.insert(auditEvents).values(row);
}
