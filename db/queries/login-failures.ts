// Failed console logins counted by key (login_failures); the keys and the rules are the login brake's
// (bot/console/login-brake.ts).
import { eq, inArray, lt, sql } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { loginFailures } from '../schema.ts';

/** How a key's failures block it: after `free` failures, a wait doubling from `firstWaitMs` up to `maxWaitMs`. */
export interface BrakeRule {
  free: number;
  firstWaitMs: number;
  maxWaitMs: number;
}

/** Until when each of these keys is blocked (keys never counted, or never blocked, give none). */
export async function blockedUntilOf(db: Queryable, keys: string[]): Promise<(Date | null)[]> {
  const rows = await db
    .select({ blockedUntil: loginFailures.blockedUntil })
    .from(loginFailures)
    .where(inArray(loginFailures.key, keys));
  return rows.map((row) => row.blockedUntil);
}

/**
 * Counts a failure under `key` in one statement (its row lock orders concurrent tries on every instance):
 * while the key is blocked nothing changes; otherwise one is added (counting from 1 again after a count
 * older than `staleBefore`) and, past the rule's free tries, the key is blocked for the next wait.
 * `firstBlock` is when a key's first failure blocks it till, if it does. Answers until when the key was
 * blocked before this statement.
 */
export async function countFailure(
  db: Queryable,
  key: string,
  rule: BrakeRule,
  now: Date,
  staleBefore: Date,
  firstBlock: Date | null,
): Promise<Date | null> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const stale = sql`${staleBefore.toISOString()}::timestamptz`;
  const held = sql`(${loginFailures.blockedUntil} is not null and ${loginFailures.blockedUntil} > ${at})`;
  const next = sql`(case when ${loginFailures.lastFailureAt} < ${stale} then 1 else ${loginFailures.failures} + 1 end)`;
  // The rule's wait in SQL; its numbers are the brake's constants.
  const free = sql.raw(String(rule.free));
  const blockAfter = sql`case when ${next} < ${free} then null else ${at} + least(${sql.raw(String(rule.firstWaitMs))}::float8 * power(2, least(${next} - ${free}, 30)), ${sql.raw(String(rule.maxWaitMs))}) * interval '1 millisecond' end`;
  const [row] = await db
    .insert(loginFailures)
    .values({ key, failures: 1, lastFailureAt: now, blockedUntil: firstBlock })
    .onConflictDoUpdate({
      target: loginFailures.key,
      // Every expression reads the row as it was before this statement.
      set: {
        priorBlockedUntil: sql`${loginFailures.blockedUntil}`,
        failures: sql`case when ${held} then ${loginFailures.failures} else ${next} end`,
        lastFailureAt: sql`case when ${held} then ${loginFailures.lastFailureAt} else ${at} end`,
        blockedUntil: sql`case when ${held} then ${loginFailures.blockedUntil} else ${blockAfter} end`,
      },
    })
    .returning({ prior: loginFailures.priorBlockedUntil });
  return row?.prior ?? null;
}

export async function deleteFailures(db: Queryable, keys: string[]): Promise<void> {
  await db.delete(loginFailures).where(inArray(loginFailures.key, keys));
}

/** Takes back the failure last counted under `key`, and the block it brought. */
export async function uncountFailure(db: Queryable, key: string): Promise<void> {
  await db
    .update(loginFailures)
    .set({
      failures: sql`greatest(${loginFailures.failures} - 1, 0)`,
      blockedUntil: sql`${loginFailures.priorBlockedUntil}`,
    })
    .where(eq(loginFailures.key, key));
}

/** Deletes the counts whose last failure was before `before`. */
export async function deleteFailuresBefore(db: Queryable, before: Date): Promise<void> {
  await db.delete(loginFailures).where(lt(loginFailures.lastFailureAt, before));
}
