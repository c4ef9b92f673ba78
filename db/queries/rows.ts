// One row of a tenant's table by its id: what a button or a console form names (handlers/row-of-button.ts).
import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../client.ts';

type TenantTable = PgTable & { id: PgColumn; tenantId: PgColumn };

/** The reader of one row by a key unique within a tenant (its id, a code…), for a table with `tenant_id`. */
export function byKeyInTenant<T extends PgTable & { tenantId: PgColumn }, V>(table: T, key: PgColumn) {
  return async (db: Queryable, tenantId: number, value: V): Promise<T['$inferSelect'] | undefined> => {
    const [row] = await db
      .select()
      .from(table as PgTable)
      .where(and(eq(table.tenantId, tenantId), eq(key, value)));
    return row as T['$inferSelect'] | undefined;
  };
}

/** The reader of one row by id within a tenant, for a table with `id` and `tenant_id`. */
export const byIdInTenant = <T extends TenantTable>(table: T) => byKeyInTenant<T, number>(table, table.id);

/** The writer of a new row of a table, answering the row as stored. */
export function inserter<T extends PgTable>(table: T) {
  return async (db: Queryable, row: T['$inferInsert']): Promise<T['$inferSelect']> => {
    const [inserted] = await db
      .insert(table as PgTable)
      .values(row as never)
      .returning();
    return inserted as T['$inferSelect'];
  };
}

/**
 * The writer of a step's changes to a row of a table with a `status`, if the row is still in the state the
 * step was decided on: undefined when another step got there first.
 */
export function updaterFromStatus<T extends PgTable & { id: PgColumn; status: PgColumn }>(table: T) {
  return async (
    db: Queryable,
    row: { id: number; status: T['$inferSelect']['status'] },
    changes: Partial<T['$inferInsert']>,
  ): Promise<T['$inferSelect'] | undefined> => {
    const [fresh] = await db
      .update(table as PgTable)
      .set(changes as never)
      .where(and(eq(table.id, row.id), eq(table.status, row.status)))
      .returning();
    return fresh as T['$inferSelect'] | undefined;
  };
}
