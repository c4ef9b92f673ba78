// `/login` and `/logout`: an office admin's session (accounts.ts, sessions.ts), braked against guessing
// (login-brake.ts). The forms carry the session's CSRF token like every other post.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { checkLogin } from '../accounts.ts';
import { clearSession, newSession, writeSession } from '../auth.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import { type ConsoleContext, type ConsoleKit, consoleApp } from '../kit.ts';
import {
  brakeWait,
  clientAddress,
  isKnownDevice,
  recordSuccess,
  rememberDevice,
  sweepFailures,
  takeTry,
} from '../login-brake.ts';
import { endSession, startSession, sweepSessions } from '../sessions.ts';
import { type LoginState, loginPage } from './page.ts';

const LOGIN_FAILED = '登录失败：单位代码、用户名或密码不正确。';
/** Ended sessions and forgotten login failures are deleted at most this often per instance. */
const SWEEP_EVERY_MS = 60 * 1000;

const waitText = (ms: number) =>
  ms < 60_000 ? `${Math.ceil(ms / 1000)} 秒` : `${Math.ceil(ms / 60_000)} 分钟`;

/** Only a path of this site, never another origin (`//host`, `/\host`) nor the login pages themselves. */
export function safeNext(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.startsWith('/\\')
  )
    return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\\]/.test(value) || value.startsWith('/login') || value.startsWith('/logout'))
    return '/';
  return value.slice(0, 500);
}

export function loginRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  let sweptAt = 0;
  let warnedProxy = false;
  const app = consoleApp();

  const form = (c: ConsoleContext, state: Omit<LoginState, 'demo'>, status: ContentfulStatusCode = 200) =>
    kit.render(c, loginPage({ ...state, demo: kit.demo }), { title: '管理员登录', active: 'login' }, status);

  app.get('/login', kit.session, async (c) => {
    if (c.var.auth) return c.redirect(safeNext(c.req.query('next')), 302);
    return form(c, { csrf: kit.ensureSession(c).csrf, next: c.req.query('next') });
  });

  const loginForm = validForm({
    tenant: trimmedField(100),
    username: trimmedField(100),
    password: textField.transform((password) => password.slice(0, 1000)),
    next: textField,
  });

  app.post('/login', kit.limit, kit.checked, loginForm, async (c) => {
    const { key, session } = c.var;
    const posted = c.req.valid('form');
    const { tenant: tenantCode, username, password } = posted;
    const again = (status: ContentfulStatusCode, error: string) =>
      form(c, { csrf: session!.csrf, next: posted.next || undefined, tenantCode, username, error }, status);
    const now = clock();
    if (now.getTime() - sweptAt >= SWEEP_EVERY_MS) {
      sweptAt = now.getTime();
      await sweepSessions(db, now);
      await sweepFailures(db, now);
    }
    const attempt = { address: clientAddress(c, kit.trustedProxies), tenantCode, username };
    if (!kit.trustedProxies && c.req.header('x-forwarded-for') !== undefined && !warnedProxy) {
      // Behind a proxy not declared, every client is the proxy's address and shares one login brake.
      warnedProxy = true;
      log.warn(
        'console login: X-Forwarded-For ignored; behind reverse proxies set TRUST_PROXY to their number',
        {
          address: attempt.address,
        },
      );
    }
    const knownDevice = isKnownDevice(c, key, attempt, now);
    // A blocked client is answered from one read; a try is then taken in the database before the
    // password is checked, so requests sent at once are held as if sent one by one.
    const wait =
      (await brakeWait(db, attempt, now, knownDevice)) || (await takeTry(db, attempt, now, knownDevice));
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return again(429, `登录失败次数过多，请 ${waitText(wait)}后再试。`);
    }
    const found =
      tenantCode && username && password
        ? await checkLogin(db, tenantCode, username, password, now)
        : undefined;
    if (!found) {
      log.warn('console login failed', { tenant: tenantCode, user: username, address: attempt.address });
      return again(401, LOGIN_FAILED);
    }
    await recordSuccess(db, attempt, knownDevice);
    rememberDevice(c, key, attempt, now);
    // A new session (and CSRF token) at login: nothing chosen before it carries over (ASVS V3.2.1).
    if (session?.login) await endSession(db, session.login);
    const fresh = newSession(now, await startSession(db, found.account, attempt.address, now));
    writeSession(c, key, fresh, now);
    log.info('console login', {
      tenant: found.tenant.code,
      user: found.account.username,
      address: attempt.address,
    });
    return c.redirect(safeNext(posted.next), 303);
  });

  app.post('/logout', kit.limit, kit.checked, async (c) => {
    const { session } = c.var;
    if (session?.login) await endSession(db, session.login);
    clearSession(c);
    return c.redirect(kit.demo ? '/' : '/login', 303);
  });

  return app;
}
