// Leases of connections only one instance may hold (db/schema.ts `connection_leases`). Times are the
// database's own (now()), so instances with skewed clocks agree on who holds a lease and until when.
import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { connectionLeases } from '../schema.ts';

/**
 * Takes the lease, or renews it when `holder` has it already; true when `holder` holds it afterwards. A
 * lease held by someone else is taken only once it has expired.
 */
export async function takeLease(db: Queryable, name: string, holder: string, ttlMs: number) {
  const expiresAt = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
  const rows = await db
    .insert(connectionLeases)
    .values({ name, holder, expiresAt })
    .onConflictDoUpdate({
      target: connectionLeases.name,
      set: { holder, expiresAt },
      setWhere: sql`${connectionLeases.holder} = ${holder} or ${connectionLeases.expiresAt} < now()`,
    })
    .returning({ holder: connectionLeases.holder });
  return rows.length > 0;
}

/** Gives the lease up, if `holder` still has it, so that a standby takes over at once. */
export async function releaseLease(db: Queryable, name: string, holder: string) {
  await db
    .delete(connectionLeases)
    .where(and(eq(connectionLeases.name, name), eq(connectionLeases.holder, holder)));
}

/** Who holds a lease now (not expired), and until when by the database's clock; undefined when free. */
export async function leaseHolder(db: Queryable, name: string) {
  const [row] = await db
    .select({ holder: connectionLeases.holder, expiresAt: connectionLeases.expiresAt })
    .from(connectionLeases)
    .where(and(eq(connectionLeases.name, name), sql`${connectionLeases.expiresAt} >= now()`));
  return row;
}
