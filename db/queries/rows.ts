// One row of a tenant's table by its id: what a button or a console form names (handlers/row-of-button.ts).
import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../client.ts';

type TenantTable = PgTable & { id: PgColumn; tenantId: PgColumn };

/** The reader of one row by id within a tenant, for a table with `id` and `tenant_id`. */
export function byIdInTenant<T extends TenantTable>(table: T) {
  return async (db: Queryable, tenantId: number, id: number): Promise<T['$inferSelect'] | undefined> => {
    const [row] = await db
      .select()
      .from(table as PgTable)
      .where(and(eq(table.tenantId, tenantId), eq(table.id, id)));
    return row as T['$inferSelect'] | undefined;
  };
}
