// Admin accounts of the web console, one set per tenant (the tenant's safety office).
import type { Queryable } from '../../db/client.ts';
import {
  type AdminAccount,
  accountNamed,
  accountOfLogin,
  insertAccount,
  markLoggedIn,
  setAccountPassword,
} from '../../db/queries/accounts.ts';
import { type Tenant, tenantOfCode, tenantsByCode } from '../../db/queries/tenants.ts';
import { hashPassword, passwordProblem, unmatchableHash, verifyPassword } from './auth.ts';
import { endAccountSessions } from './sessions.ts';

export type { AdminAccount, Tenant };

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
  const tenant = await tenantOfCode(db, tenantCode);
  if (!tenant) {
    const known = await tenantsByCode(db);
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

  const existing = await accountNamed(db, tenant.id, username);
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
      const updated = await setAccountPassword(tx, tenant.id, existing.id, {
        passwordHash,
        ...(input.displayName?.trim() ? { displayName } : {}),
      });
      await endAccountSessions(tx, existing.id);
      return updated!;
    });
    return { account, tenant, created: false };
  }
  const account = await insertAccount(db, { tenantId: tenant.id, username, displayName, passwordHash });
  return { account, tenant, created: true };
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
  const row = await accountOfLogin(db, tenantCode.trim(), username.trim());
  const ok = await verifyPassword(password, row?.account.passwordHash ?? (await unmatchableHash()));
  if (!row || !ok) return undefined;
  await markLoggedIn(db, row.account.id, now);
  return row;
}
