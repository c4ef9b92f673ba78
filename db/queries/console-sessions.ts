// Console sessions (console_sessions), kept by the SHA-256 of their token; when one is live is decided by
// bot/console/sessions.ts.
import { eq, lt, lte, or } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { adminAccounts, consoleSessions, tenants } from '../schema.ts';

export type ConsoleSession = typeof consoleSessions.$inferSelect;

export async function insertSession(db: Queryable, session: ConsoleSession): Promise<void> {
  await db.insert(consoleSessions).values(session);
}

/** A session with its account and the account's tenant. */
export async function sessionOfHash(db: Queryable, tokenHash: string) {
  const [row] = await db
    .select({ session: consoleSessions, account: adminAccounts, tenant: tenants })
    .from(consoleSessions)
    .innerJoin(adminAccounts, eq(adminAccounts.id, consoleSessions.accountId))
    .innerJoin(tenants, eq(tenants.id, adminAccounts.tenantId))
    .where(eq(consoleSessions.tokenHash, tokenHash));
  return row;
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash));
}

export async function touchSession(db: Queryable, tokenHash: string, now: Date): Promise<void> {
  await db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.tokenHash, tokenHash));
}

/** Deletes every session of an account; answers how many there were. */
export async function deleteAccountSessions(db: Queryable, accountId: number): Promise<number> {
  const ended = await db
    .delete(consoleSessions)
    .where(eq(consoleSessions.accountId, accountId))
    .returning({ tokenHash: consoleSessions.tokenHash });
  return ended.length;
}

/** Deletes the sessions that expired by `expiredBy` or were last used before `idleBefore`. */
export async function deleteEndedSessions(db: Queryable, expiredBy: Date, idleBefore: Date): Promise<void> {
  await db
    .delete(consoleSessions)
    .where(or(lte(consoleSessions.expiresAt, expiredBy), lt(consoleSessions.lastSeenAt, idleBefore)));
}
