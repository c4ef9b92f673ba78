// The login brake (OWASP ASVS 4.0 V2.2.1; OWASP "Blocking Brute Force Attacks"): failed logins are
// counted in the database, so every instance sees them and a restart forgets nothing, under three keys:
//
// - the (address, account) pair: 5 free tries, then a wait doubling from 1 min up to 15 min;
// - the address, across all the accounts it tries: 20 free, then the same waits (many user names from
//   one address are slowed as much as one);
// - the account, from every address: 20 free, then a wait doubling from 1 s but never above 1 min.
//
// The account's brake is the soft one on purpose, and a browser that has logged in to the account
// before skips it (a signed device cookie, as in OWASP's "Slow Down Online Guessing Attacks with Device
// Cookies"): whoever guesses at an account from many addresses can never lock its owner out. A
// successful login clears its address's counts; every count is forgotten a day after its last failure.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Queryable } from '../../db/client.ts';
import {
  type BrakeRule,
  blockedUntilOf,
  countFailure,
  deleteFailures,
  deleteFailuresBefore,
  uncountFailure,
} from '../../db/queries/login-failures.ts';
import { isHttps, openValue, sealValue } from './auth.ts';

const MINUTE = 60 * 1000;
export const BRAKE_RULES = {
  pair: { free: 5, firstWaitMs: MINUTE, maxWaitMs: 15 * MINUTE },
  address: { free: 20, firstWaitMs: MINUTE, maxWaitMs: 15 * MINUTE },
  account: { free: 20, firstWaitMs: 1000, maxWaitMs: MINUTE },
} satisfies Record<string, BrakeRule>;
const FORGET_AFTER_MS = 24 * 60 * MINUTE;

type Kind = keyof typeof BRAKE_RULES;

/** The attempt to log in: who from where (tenant code and user name as typed, compared case-blind). */
export interface LoginAttempt {
  address: string;
  tenantCode: string;
  username: string;
}

const accountOf = (attempt: LoginAttempt) => `${attempt.tenantCode}|${attempt.username}`.toLowerCase();

function keysOf(attempt: LoginAttempt): Record<Kind, string> {
  const account = accountOf(attempt);
  return {
    pair: `pair:${attempt.address}|${account}`,
    address: `address:${attempt.address}`,
    account: `account:${account}`,
  };
}

/** The keys that brake an attempt, in the order they are counted: a known device skips the account's. */
function brakesOf(attempt: LoginAttempt, knownDevice: boolean): [Kind, string][] {
  const keys = Object.entries(keysOf(attempt)) as [Kind, string][];
  return knownDevice ? keys.filter(([kind]) => kind !== 'account') : keys;
}

/** The wait after the n-th failure in a row under a rule (none before its free tries are used). */
function waitAfter(rule: BrakeRule, failures: number): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.firstWaitMs * 2 ** Math.min(failures - rule.free, 30), rule.maxWaitMs);
}

/**
 * Milliseconds before this attempt may be checked, 0 when it may be now. A known device (one that has
 * logged in to the account before) is not held by the account's brake, only by its address's.
 */
export async function brakeWait(
  db: Queryable,
  attempt: LoginAttempt,
  now: Date,
  knownDevice: boolean,
): Promise<number> {
  const blocks = await blockedUntilOf(
    db,
    brakesOf(attempt, knownDevice).map(([, key]) => key),
  );
  return Math.max(0, ...blocks.map((until) => (until?.getTime() ?? 0) - now.getTime()));
}

/**
 * Takes a try under each key before the password is checked, counted as a failure until the login
 * succeeds: so a burst of requests sent at once is held like the same requests one after another. Each
 * key's row is updated in one statement (its row lock orders concurrent tries on every instance): a try
 * while the key is blocked is refused and changes nothing there nor under the keys after it; otherwise
 * it adds one and, past the free tries, blocks the key for the next wait. Returns the wait when
 * refused, else 0.
 */
export async function takeTry(
  db: Queryable,
  attempt: LoginAttempt,
  now: Date,
  knownDevice: boolean,
): Promise<number> {
  const staleBefore = new Date(now.getTime() - FORGET_AFTER_MS);
  for (const [kind, key] of brakesOf(attempt, knownDevice)) {
    const rule = BRAKE_RULES[kind];
    const firstWait = waitAfter(rule, 1);
    const firstBlock = firstWait > 0 ? new Date(now.getTime() + firstWait) : null;
    const prior = await countFailure(db, key, rule, now, staleBefore, firstBlock);
    // Refused: the keys after this one are not counted.
    const wait = (prior?.getTime() ?? 0) - now.getTime();
    if (wait > 0) return wait;
  }
  return 0;
}

/**
 * A successful login clears its address's counts (the pair's and the address's) and gives back to the
 * account the try it took.
 */
export async function recordSuccess(
  db: Queryable,
  attempt: LoginAttempt,
  knownDevice: boolean,
): Promise<void> {
  const keys = keysOf(attempt);
  await deleteFailures(db, [keys.pair, keys.address]);
  if (!knownDevice) await uncountFailure(db, keys.account);
}

/** Deletes the counts nobody has added to for a day. */
export async function sweepFailures(db: Queryable, now: Date): Promise<void> {
  await deleteFailuresBefore(db, new Date(now.getTime() - FORGET_AFTER_MS));
}

// ---------------------------------------------------------------------------------------------------
// Device cookies: which accounts this browser has logged in to (signed; no server state).

const DEVICE_COOKIE = 'ysz_device';
const DEVICE_TTL_MS = 90 * 24 * 60 * MINUTE;
const DEVICE_ACCOUNTS = 5;

interface Device {
  accounts: string[];
  exp: number;
}

function readDevice(c: Context, key: Buffer, now: Date): Device | undefined {
  const value = openValue(key, 'device', getCookie(c, DEVICE_COOKIE)) as Partial<Device> | undefined;
  if (!value || typeof value.exp !== 'number' || value.exp <= now.getTime()) return undefined;
  if (!Array.isArray(value.accounts) || !value.accounts.every((entry) => typeof entry === 'string'))
    return undefined;
  return { accounts: value.accounts, exp: value.exp };
}

/** Has this browser logged in to the attempt's account before? */
export function isKnownDevice(c: Context, key: Buffer, attempt: LoginAttempt, now: Date): boolean {
  return readDevice(c, key, now)?.accounts.includes(accountOf(attempt)) ?? false;
}

/** Remembers in the browser that it logged in to the account (the last few accounts, for 90 days). */
export function rememberDevice(c: Context, key: Buffer, attempt: LoginAttempt, now: Date): void {
  const account = accountOf(attempt);
  const earlier = (readDevice(c, key, now)?.accounts ?? []).filter((entry) => entry !== account);
  const device: Device = {
    accounts: [account, ...earlier].slice(0, DEVICE_ACCOUNTS),
    exp: now.getTime() + DEVICE_TTL_MS,
  };
  setCookie(c, DEVICE_COOKIE, sealValue(key, 'device', device), {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/login',
    secure: isHttps(c),
    maxAge: DEVICE_TTL_MS / 1000,
  });
}

/**
 * The client's address: the socket's peer on Node (a client cannot choose it). Behind reverse proxies
 * every request comes from the proxy, so `trustedProxies` (0 unless the operator says otherwise) is how
 * many of them append to X-Forwarded-For; the address is the entry they saw, never one the client
 * wrote. On Workers there is no socket: Cloudflare's CF-Connecting-IP, which clients cannot set.
 */
export function clientAddress(c: Context, trustedProxies = 0): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = c.req.header('cf-connecting-ip');
  }
  if (trustedProxies > 0) {
    const forwarded = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    // Each trusted proxy appends the address it saw, so the N-th entry from the end is the client as the
    // outermost trusted proxy saw it; the entries before it are whatever the client sent.
    const seen = forwarded[forwarded.length - trustedProxies];
    if (seen) return seen.slice(0, 64);
  }
  return (peer ?? 'unknown').slice(0, 64);
}
