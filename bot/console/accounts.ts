// Admin accounts of the web console, one set per tenant (the tenant's safety office).
import { and, asc, eq } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { adminAccounts, tenants } from '../../db/schema.ts';
import { hashPassword, passwordProblem, unmatchableHash, verifyPassword } from './auth.ts';
import { endAccountSessions } from './sessions.ts';

export type AdminAccount = typeof adminAccounts.$inferSelect;
export type Tenant = typeof tenants.$inferSelect;

/** A request the CLI refuses, with the message to show; nothing has been written. */
export class AdminAccountError extends Error {
  override name = 'AdminAccountError';
}

const USERNAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

export interface NewAdminAccount {
  tenantCode: string;
  username: string;
  displayName?: string;
  password: string;
  /** Set a new password for an existing account instead of refusing. */
  reset?: boolean;
}

/** Creates (or with `reset`, re-keys) an admin account; throws AdminAccountError before writing anything. */
export async function addAdminAccount(
  db: Queryable,
  input: NewAdminAccount,
): Promise<{ account: AdminAccount; tenant: Tenant; created: boolean }> {
  const tenantCode = input.tenantCode.trim();
  const username = input.username.trim();
  const [tenant] = await db.select().from(tenants).where(eq(tenants.code, tenantCode));
  if (!tenant) {
    const known = await db.select({ code: tenants.code }).from(tenants).orderBy(asc(tenants.code));
    throw new AdminAccountError(
      `没有代码为“${tenantCode}”的单位（已有：${known.map((row) => row.code).join('、') || '无，请先运行 npm run org:import'}）`,
    );
  }
  if (!USERNAME.test(username)) {
    throw new AdminAccountError(`用户名“${username}”无效：1–64 个字母、数字或 . _ @ -，不含空格`);
  }
  const problem = passwordProblem(input.password);
  if (problem) throw new AdminAccountError(problem);
  const displayName = input.displayName?.trim() || username;

  const [existing] = await db
    .select()
    .from(adminAccounts)
    .where(and(eq(adminAccounts.tenantId, tenant.id), eq(adminAccounts.username, username)));
  if (existing && !input.reset) {
    throw new AdminAccountError(`单位 ${tenant.code} 已有用户“${username}”；如需重设密码，请加 --reset`);
  }
  if (!existing && input.reset) {
    throw new AdminAccountError(`单位 ${tenant.code} 没有用户“${username}”，无法重设密码`);
  }
  const passwordHash = await hashPassword(input.password);
  if (existing) {
    // A new password ends every session of the account (OWASP ASVS 4.0 V3.3.3).
    const account = await db.transaction(async (tx) => {
      const [updated] = await tx
        .update(adminAccounts)
        .set({ passwordHash, ...(input.displayName?.trim() ? { displayName } : {}) })
        .where(eq(adminAccounts.id, existing.id))
        .returning();
      await endAccountSessions(tx, existing.id);
      return updated!;
    });
    return { account, tenant, created: false };
  }
  const [account] = await db
    .insert(adminAccounts)
    .values({ tenantId: tenant.id, username, displayName, passwordHash })
    .returning();
  return { account: account!, tenant, created: true };
}

/**
 * The account for a tenant code, user name and password, or undefined. The same work is done whether
 * the tenant, the user or the password is wrong, so the answer's timing tells nothing either.
 */
export async function checkLogin(
  db: Queryable,
  tenantCode: string,
  username: string,
  password: string,
  now: Date,
): Promise<{ account: AdminAccount; tenant: Tenant } | undefined> {
  const [row] = await db
    .select({ account: adminAccounts, tenant: tenants })
    .from(adminAccounts)
    .innerJoin(tenants, eq(tenants.id, adminAccounts.tenantId))
    .where(and(eq(tenants.code, tenantCode.trim()), eq(adminAccounts.username, username.trim())));
  const ok = await verifyPassword(password, row?.account.passwordHash ?? (await unmatchableHash()));
  if (!row || !ok) return undefined;
  await db.update(adminAccounts).set({ lastLoginAt: now }).where(eq(adminAccounts.id, row.account.id));
  return row;
}
