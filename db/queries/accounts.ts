// The office's web-console accounts as actors: outside demo mode the console acts in the account's own
// name, and the trail shows it as such (issue 14).
import { and, eq, inArray } from 'drizzle-orm';
import { accountLabel } from '../../handlers/party-labels.ts';
import type { Queryable } from '../client.ts';
import { adminAccounts, tenants } from '../schema.ts';
import { byKeyInTenant, inserter } from './rows.ts';
import type { Tenant } from './tenants.ts';

/** A console account acting in its own name. */
export interface OfficeAccount {
  id: number;
  username: string;
  displayName: string;
}

/** The labels of accounts by id (ids may repeat or be null), in the vocabulary's words (`accountLabel`). */
export async function accountLabels(db: Queryable, ids: (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({
      id: adminAccounts.id,
      username: adminAccounts.username,
      displayName: adminAccounts.displayName,
    })
    .from(adminAccounts)
    .where(inArray(adminAccounts.id, wanted));
  return new Map(rows.map((row) => [row.id, accountLabel(row)]));
}

export type AdminAccount = typeof adminAccounts.$inferSelect;

/** A tenant's account by user name. */
export const accountNamed = byKeyInTenant<typeof adminAccounts, string>(
  adminAccounts,
  adminAccounts.username,
);

/** Sets an account's password (and its display name, when given). */
export async function setAccountPassword(
  db: Queryable,
  tenantId: number,
  accountId: number,
  fields: { passwordHash: string; displayName?: string },
): Promise<AdminAccount | undefined> {
  const [updated] = await db
    .update(adminAccounts)
    .set(fields)
    .where(and(eq(adminAccounts.tenantId, tenantId), eq(adminAccounts.id, accountId)))
    .returning();
  return updated;
}

export const insertAccount = inserter(adminAccounts);

/** The account of a tenant code and user name, with its tenant. */
export async function accountOfLogin(
  db: Queryable,
  tenantCode: string,
  username: string,
): Promise<{ account: AdminAccount; tenant: Tenant } | undefined> {
  const [row] = await db
    .select({ account: adminAccounts, tenant: tenants })
    .from(adminAccounts)
    .innerJoin(tenants, eq(tenants.id, adminAccounts.tenantId))
    .where(and(eq(tenants.code, tenantCode), eq(adminAccounts.username, username)));
  return row;
}

export async function markLoggedIn(db: Queryable, accountId: number, now: Date): Promise<void> {
  await db.update(adminAccounts).set({ lastLoginAt: now }).where(eq(adminAccounts.id, accountId));
}
