// Logged-in console sessions, kept in the database (console_sessions) so that every instance sees the
// same ones, a restart keeps them, and they can be ended server-side (OWASP ASVS 4.0 V3.3): logout, a
// password change and removing the account end them; each ends 12 h after login (absolute) or 30 min
// after it was last used (idle), whichever comes first. The cookie carries a random token; the table
// keeps only its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/client.ts';
import type { AdminAccount } from '../../db/queries/accounts.ts';
import {
  deleteAccountSessions,
  deleteEndedSessions,
  deleteSession,
  insertSession,
  sessionOfHash,
  touchSession,
} from '../../db/queries/console-sessions.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { passwordFingerprint, SESSION_TTL_MS } from './auth.ts';

/** ASVS 4.0 V3.3.2, level 2: 12 h absolute, 30 min idle. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** Last use is written at most once a minute per session, not on every page. */
const TOUCH_EVERY_MS = 60 * 1000;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('base64url');

/** Starts a session for an account that has just logged in; the token goes into the cookie only. */
export async function startSession(
  db: Queryable,
  account: AdminAccount,
  address: string,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await insertSession(db, {
    tokenHash: hashToken(token),
    accountId: account.id,
    passwordFingerprint: passwordFingerprint(account.passwordHash),
    address: address.slice(0, 100),
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

/**
 * The account of a session token when the session is live: not ended, not past either timeout, the
 * account still there with the password it logged in with. Marks the session as used.
 */
export async function sessionAccount(
  db: Queryable,
  token: string,
  now: Date,
): Promise<{ account: AdminAccount; tenant: Tenant } | undefined> {
  const tokenHash = hashToken(token);
  const row = await sessionOfHash(db, tokenHash);
  if (!row) return undefined;
  const { session } = row;
  const at = now.getTime();
  const live =
    session.expiresAt.getTime() > at &&
    session.lastSeenAt.getTime() + SESSION_IDLE_MS > at &&
    session.passwordFingerprint === passwordFingerprint(row.account.passwordHash);
  if (!live) {
    await deleteSession(db, tokenHash);
    return undefined;
  }
  if (at - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await touchSession(db, tokenHash, now);
  }
  return { account: row.account, tenant: row.tenant };
}

/** Logout: the session of this token ends on every instance. */
export async function endSession(db: Queryable, token: string): Promise<void> {
  await deleteSession(db, hashToken(token));
}

/** Every session of an account ends (its password was set anew). */
export async function endAccountSessions(db: Queryable, accountId: number): Promise<number> {
  return deleteAccountSessions(db, accountId);
}

/** Deletes the sessions that have ended by either timeout (a table of a few rows per admin). */
export async function sweepSessions(db: Queryable, now: Date): Promise<void> {
  await deleteEndedSessions(db, now, new Date(now.getTime() - SESSION_IDLE_MS));
}
