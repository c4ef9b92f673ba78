// The web console's security: scrypt password hashes, signed cookies, CSRF tokens and the Origin check.
//
// The session cookie is signed with the key kept in app_secrets (created once, by whichever instance
// needs it first). It carries its own expiry (12 h) and a CSRF token; a logged-in admin's also carries
// the token of a server-side session (sessions.ts), which is what logout and a password change end.
// Failed logins are braked in login-brake.ts.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Queryable } from '../../db/client.ts';
import { sharedSecret } from '../../db/queries/app-secrets.ts';

// ---------------------------------------------------------------------------------------------------
// Passwords

export const MIN_PASSWORD_LENGTH = 10;
const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 32, saltLength: 16 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, N: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs about 128·N·r·p bytes; leave room above it.
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Why a password is too weak, or undefined when it will do. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `密码太短：至少需要 ${MIN_PASSWORD_LENGTH} 个字符`;
  if (password.trim() === '') return '密码不能全是空白';
  return undefined;
}

/** `scrypt$N$r$p$saltB64$hashB64` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const sane =
    Number.isInteger(N) &&
    N >= 2 &&
    N <= 1 << 20 &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 32 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 16;
  if (!sane) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  const actual = await scryptAsync(password, salt, expected.length, N, r, p);
  return timingSafeEqual(actual, expected);
}

/** A hash no password matches, verified against when the account does not exist (same timing). */
let dummyHash: Promise<string> | undefined;
export const unmatchableHash = () => {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  return dummyHash;
};

/** A short fingerprint of the stored hash, kept with each session: a new password ends old sessions. */
export const passwordFingerprint = (passwordHash: string) =>
  createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);

// ---------------------------------------------------------------------------------------------------
// The signing key

export const SIGNING_KEY_NAME = 'console.session_key';

/** The cookie-signing key, created once and shared by every instance through app_secrets. */
export async function loadSigningKey(db: Queryable): Promise<Buffer> {
  const value = await sharedSecret(db, SIGNING_KEY_NAME, randomBytes(32).toString('base64'));
  if (value === undefined) throw new Error('console signing key missing after insert');
  const key = Buffer.from(value, 'base64');
  if (key.length < 32) throw new Error('console signing key in app_secrets is too short');
  return key;
}

// ---------------------------------------------------------------------------------------------------
// Signed values

const sign = (key: Buffer, purpose: string, data: string) =>
  createHmac('sha256', key).update(`${purpose}\n${data}`).digest('base64url');

/** `base64url(json).base64url(hmac)`, the HMAC bound to a purpose so one cookie cannot pose as another. */
export function sealValue(key: Buffer, purpose: string, value: unknown): string {
  const data = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${data}.${sign(key, purpose, data)}`;
}

/** The value when the signature is right, else undefined (never throws). */
export function openValue(key: Buffer, purpose: string, sealed: string | undefined): unknown {
  if (!sealed || sealed.length > 4096) return undefined;
  const dot = sealed.indexOf('.');
  if (dot <= 0 || dot !== sealed.lastIndexOf('.')) return undefined;
  const data = sealed.slice(0, dot);
  const given = Buffer.from(sealed.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(key, purpose, data), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Sessions

export const SESSION_COOKIE = 'ysz_session';
export const FLASH_COOKIE = 'ysz_flash';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** What the session cookie holds. An anonymous session (no login) only carries a CSRF token. */
export interface Session {
  v: 2;
  /** The CSRF token of this session. */
  csrf: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** The token of the server-side session of a logged-in admin (sessions.ts). */
  login?: string;
  /** The school a bureau's admin is looking at (kit.ts checks it is the bureau's on every request). */
  viewing?: number;
}

function isSession(value: unknown): value is Session {
  if (!value || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  if (s.v !== 2 || typeof s.csrf !== 'string' || s.csrf.length < 16 || typeof s.exp !== 'number')
    return false;
  if (s.viewing !== undefined && !(Number.isSafeInteger(s.viewing) && (s.viewing as number) > 0))
    return false;
  return s.login === undefined || (typeof s.login === 'string' && s.login.length >= 32);
}

export function newSession(now: Date, login?: { token: string; expiresAt: Date }): Session {
  return {
    v: 2,
    csrf: randomBytes(24).toString('base64url'),
    exp: login ? login.expiresAt.getTime() : now.getTime() + SESSION_TTL_MS,
    ...(login ? { login: login.token } : {}),
  };
}

/** Is the request on https (directly, or behind a proxy that says so)? */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded) return forwarded === 'https';
  return new URL(c.req.url).protocol === 'https:';
}

const cookieOptions = (c: Context, maxAgeSeconds: number) => ({
  httpOnly: true,
  sameSite: 'Lax' as const,
  path: '/',
  secure: isHttps(c),
  maxAge: maxAgeSeconds,
});

/** The session of the request when its cookie is genuine and not expired. */
export function readSession(c: Context, key: Buffer, now: Date): Session | undefined {
  const value = openValue(key, 'session', getCookie(c, SESSION_COOKIE));
  if (!isSession(value) || value.exp <= now.getTime()) return undefined;
  return value;
}

export function writeSession(c: Context, key: Buffer, session: Session, now: Date): void {
  const seconds = Math.max(0, Math.floor((session.exp - now.getTime()) / 1000));
  setCookie(c, SESSION_COOKIE, sealValue(key, 'session', session), cookieOptions(c, seconds));
}

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Lax' });
}

/** The form's token equals the session's (constant time). */
export function csrfMatches(session: Session | undefined, token: unknown): boolean {
  if (!session || typeof token !== 'string' || token.length === 0) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A POST from another site is refused: when the browser names the origin it must be this host; when it
 * only says the request is cross-site (Sec-Fetch-Site), likewise. Requests without either (scripts,
 * old browsers) still need the CSRF token.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    if (origin === 'null') return false;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    const own = [
      c.req.header('x-forwarded-host')?.split(',')[0]?.trim(),
      c.req.header('host'),
      new URL(c.req.url).host,
    ];
    return own.some((candidate) => candidate !== undefined && candidate.toLowerCase() === host.toLowerCase());
  }
  return c.req.header('sec-fetch-site') !== 'cross-site';
}

// ---------------------------------------------------------------------------------------------------
// Flash messages: one toast carried across a redirect (PRG), signed so a link cannot fake one.

export interface Flash {
  kind: 'success' | 'info' | 'warning' | 'error';
  text: string;
}

export function setFlash(c: Context, key: Buffer, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, sealValue(key, 'flash', { ...flash, text: flash.text.slice(0, 500) }), {
    ...cookieOptions(c, 120),
  });
}

export function takeFlash(c: Context, key: Buffer): Flash | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Lax' });
  const value = openValue(key, 'flash', raw) as Partial<Flash> | undefined;
  if (!value || typeof value.text !== 'string') return undefined;
  const kind = ['success', 'info', 'warning', 'error'].includes(String(value.kind))
    ? (value.kind as Flash['kind'])
    : 'info';
  return { kind, text: value.text };
}
