// The tenants (schools, districts) themselves: the rows every other query is scoped by.
import { asc, eq } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { tenants } from '../schema.ts';
import type { Tenant } from './org.ts';

export type { Tenant };

/** Every tenant, by code. */
export async function tenantsByCode(db: Queryable): Promise<Tenant[]> {
  return db.select().from(tenants).orderBy(asc(tenants.code));
}

export async function tenantOfCode(db: Queryable, code: string): Promise<Tenant | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.code, code));
  return row;
}

/** The tenant created first. */
export async function firstTenant(db: Queryable): Promise<Tenant | undefined> {
  const [first] = await db.select().from(tenants).orderBy(asc(tenants.id)).limit(1);
  return first;
}

/** Marks a tenant as made by demo mode (a restart of the demo may open it without a login). */
export async function markTenantDemo(db: Queryable, tenantId: number): Promise<void> {
  await db.update(tenants).set({ demo: true }).where(eq(tenants.id, tenantId));
}

/** The tenants directly under a tenant (a bureau's schools), by name. */
export async function childTenants(db: Queryable, parentId: number): Promise<Tenant[]> {
  return db.select().from(tenants).where(eq(tenants.parentId, parentId)).orderBy(asc(tenants.name));
}

/** The tenants demo mode made (the simulator may act in any of them), by name. */
export async function demoTenants(db: Queryable): Promise<Tenant[]> {
  return db.select().from(tenants).where(eq(tenants.demo, true)).orderBy(asc(tenants.name));
}
