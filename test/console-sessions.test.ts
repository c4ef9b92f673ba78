// Console sessions kept server-side and the login brake, over real HTTP against the real service and a
// real database (OWASP ASVS 4.0 V3.3 session termination, V2.2.1 anti-automation). Clients at different
// addresses connect from different loopback addresses (127.0.0.x); time moves by the injected clock.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAdminAccount } from '../bot/console/accounts.ts';
import { SESSION_COOKIE, sealValue } from '../bot/console/auth.ts';
import type { Database } from '../db/client.ts';
import { adminAccounts, consoleSessions, loginFailures } from '../db/schema.ts';
import {
  Browser,
  csrfOf,
  fetchFrom,
  fetchFromAddress,
  login,
  PASSWORD,
  resetConsoleTenants,
  SCHOOL,
  submitLogin,
} from './helpers/console-http.ts';
import { openTestDatabase } from './helpers/db.ts';
import { type Harness, startHarness } from './helpers/service.ts';

const MINUTE = 60 * 1000;
let now = new Date('2026-10-12T08:00:00+08:00');
const clock = () => now;
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

let database: Database;
let harness: Harness;

beforeAll(async () => {
  database = await openTestDatabase();
  harness = await startHarness(database, {}, { clock });
});
afterAll(async () => {
  await harness.close();
  await database.close();
});
beforeEach(async () => {
  now = new Date('2026-10-12T08:00:00+08:00');
  await resetConsoleTenants(harness, database);
});

/** A browser on 127.0.0.<host> talking to a harness (the first one unless named). */
const browserAt = (host: number, on: () => Harness = () => harness) =>
  new Browser(fetchFromAddress(() => on().url, `127.0.0.${host}`));

/** A browser holding a copy of another's session cookie (what a thief copied). */
function copyOf(original: Browser, on: () => Harness = () => harness) {
  const copy = new Browser(fetchFrom(() => on().url));
  copy.cookies.set(SESSION_COOKIE, original.cookies.get(SESSION_COOKIE)!);
  return copy;
}

/** A protected page: 200 with the session, a redirect to the login page without. */
async function statusOfLedger(as: Browser) {
  const response = await as.get('/console/ledger');
  await response.text();
  return response.status;
}

async function logout(as: Browser) {
  const home = await as.page('/console/dashboard');
  const response = await as.post('/logout', { _csrf: csrfOf(home.html) });
  expect(response.status).toBe(303);
}

describe('sessions kept server-side', () => {
  it('ends the session at logout: a cookie copied before is refused after, and only a hash is stored', async () => {
    const browser = browserAt(2);
    await login(browser);
    const token = browser.cookies.get(SESSION_COOKIE)!;
    const copy = copyOf(browser);
    expect(await statusOfLedger(copy)).toBe(200);
    const rows = await database.db.select().from(consoleSessions);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.address).toBe('127.0.0.2');
    // Neither the cookie nor the token inside it is in the table.
    const inside = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).login;
    expect(JSON.stringify(rows)).not.toContain(inside);

    await logout(browser);
    expect(await statusOfLedger(copy)).toBe(302);
    expect(await statusOfLedger(browser)).toBe(302);
    expect(await database.db.select().from(consoleSessions)).toHaveLength(0);
  });

  it('gives a new session at every login and ends the one the browser had', async () => {
    const browser = browserAt(2);
    await login(browser);
    const first = copyOf(browser);
    // Logging in again from the same browser (its pages carry the form token).
    const home = await browser.page('/console/dashboard');
    const again = await browser.post('/login', {
      _csrf: csrfOf(home.html),
      tenant: SCHOOL,
      username: 'office',
      password: PASSWORD,
    });
    expect(again.status).toBe(303);
    expect(browser.cookies.get(SESSION_COOKIE)).not.toBe(first.cookies.get(SESSION_COOKIE));
    expect(await statusOfLedger(first)).toBe(302);
    expect(await statusOfLedger(browser)).toBe(200);
    expect(await database.db.select().from(consoleSessions)).toHaveLength(1);
  });

  it('ends every session of an account when its password is reset (admin:add --reset) or changed', async () => {
    const laptop = browserAt(2);
    const office = browserAt(3);
    await login(laptop);
    await login(office);
    await addAdminAccount(database.db, {
      tenantCode: SCHOOL,
      username: 'office',
      password: 'a brand new password',
      reset: true,
    });
    expect(await database.db.select().from(consoleSessions)).toHaveLength(0);
    expect(await statusOfLedger(laptop)).toBe(302);
    expect(await statusOfLedger(office)).toBe(302);
    // The new password logs in; the old one does not.
    expect((await submitLogin(office, SCHOOL, PASSWORD)).status).toBe(401);
    expect((await submitLogin(office, SCHOOL, 'a brand new password')).status).toBe(303);

    // A password changed by any other path (here straight in the table) ends the session too.
    const [before] = await database.db
      .select()
      .from(adminAccounts)
      .where(eq(adminAccounts.displayName, '周尹尹'));
    await database.db
      .update(adminAccounts)
      .set({ passwordHash: `${before!.passwordHash.slice(0, -4)}AAA=` })
      .where(eq(adminAccounts.id, before!.id));
    expect(await statusOfLedger(office)).toBe(302);
  });

  it('ends the sessions of a removed account', async () => {
    const browser = browserAt(2);
    await login(browser);
    const copy = copyOf(browser);
    const [account] = await database.db
      .select()
      .from(adminAccounts)
      .where(eq(adminAccounts.displayName, '周尹尹'));
    await database.db.delete(adminAccounts).where(eq(adminAccounts.id, account!.id));
    expect(await statusOfLedger(copy)).toBe(302);
    expect(await statusOfLedger(browser)).toBe(302);
    expect(await database.db.select().from(consoleSessions)).toHaveLength(0);
  });

  it('ends a session idle for 30 minutes, and any session 12 hours after login', async () => {
    const idle = browserAt(2);
    await login(idle);
    advance(29 * MINUTE);
    expect(await statusOfLedger(idle)).toBe(200);
    advance(29 * MINUTE);
    expect(await statusOfLedger(idle)).toBe(200); // used 29 minutes ago: still on
    advance(31 * MINUTE);
    expect(await statusOfLedger(idle)).toBe(302);

    const busy = browserAt(3);
    await login(busy);
    const forgotten = browserAt(4);
    await login(forgotten);
    for (let step = 0; step < 35; step += 1) {
      advance(20 * MINUTE);
      expect(await statusOfLedger(busy), `after ${(step + 1) * 20} min`).toBe(200);
    }
    advance(20 * MINUTE); // 12 h after login
    expect(await statusOfLedger(busy)).toBe(302);
    // The ended sessions not visited since (the forgotten one; the busy one, whose cookie has expired
    // as well) are deleted at the next login.
    expect(await database.db.select().from(consoleSessions)).toHaveLength(2);
    await login(browserAt(5));
    expect(await database.db.select().from(consoleSessions)).toHaveLength(1);
  });

  it('shares sessions between two instances on one database, and keeps them across a restart', async () => {
    // Two instances started on the database as it is now (the shared harness keeps the signing key it
    // read before the tables were emptied).
    const first = await startHarness(database, {}, { clock });
    let second = await startHarness(database, {}, { clock });
    try {
      const browser = browserAt(2, () => first);
      await login(browser);
      const onSecond = copyOf(browser, () => second);
      expect(await statusOfLedger(onSecond)).toBe(200);
      // Logging out on the second instance ends the session on the first.
      await logout(onSecond);
      expect(await statusOfLedger(browser)).toBe(302);

      await login(browser);
      await second.close();
      second = await startHarness(database, {}, { clock });
      expect(await statusOfLedger(copyOf(browser, () => second))).toBe(200);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('the login brake', () => {
  /** A login attempt from a browser, as its login form would post it. */
  async function attempt(as: Browser, username: string, password: string) {
    const form = await as.page('/login');
    const response = await as.post('/login', {
      _csrf: csrfOf(form.html),
      tenant: SCHOOL,
      username,
      password,
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      html: await response.text(),
    };
  }

  it('slows a guessing address with doubling waits, and never the owner at another address', async () => {
    const guesser = browserAt(2);
    for (let index = 0; index < 5; index += 1) {
      expect((await attempt(guesser, 'office', `guess ${index}`)).status).toBe(401);
    }
    const blocked = await attempt(guesser, 'office', 'guess 5');
    expect(blocked.status).toBe(429);
    expect(blocked.retryAfter).toBe('60');
    expect(blocked.html).toContain('登录失败次数过多，请 1 分钟后再试。');
    // Even the right password waits at the guessing address.
    expect((await attempt(guesser, 'office', PASSWORD)).status).toBe(429);

    // The owner, at the office's own address, logs in at once.
    const owner = browserAt(3);
    expect((await submitLogin(owner)).status).toBe(303);
    expect(await statusOfLedger(owner)).toBe(200);

    // After the wait one more try; another failure doubles the wait.
    advance(61 * 1000);
    expect((await attempt(guesser, 'office', 'guess 6')).status).toBe(401);
    const longer = await attempt(guesser, 'office', 'guess 7');
    expect(longer.status).toBe(429);
    expect(longer.retryAfter).toBe('120');
    advance(61 * 1000);
    expect((await attempt(guesser, 'office', 'guess 7')).status).toBe(429);
    advance(60 * 1000);
    expect((await attempt(guesser, 'office', 'guess 7')).status).toBe(401);
    expect((await attempt(guesser, 'office', 'guess 8')).retryAfter).toBe('240');
  });

  it('holds a burst of guesses sent at once like the same guesses one after another', async () => {
    const guesser = browserAt(2);
    const form = await guesser.page('/login');
    const token = csrfOf(form.html);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        guesser.post('/login', {
          _csrf: token,
          tenant: SCHOOL,
          username: 'office',
          password: `burst ${index}`,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(25);
    // The owner elsewhere is not held, and the account's count is not raised by the refused ones.
    expect((await submitLogin(browserAt(3))).status).toBe(303);
    const [account] = await database.db
      .select()
      .from(loginFailures)
      .where(eq(loginFailures.key, `account:${SCHOOL}|office`));
    expect(account!.failures).toBe(5);
  });

  it('is kept in the database: a restarted service still slows the address', async () => {
    const guesser = browserAt(2);
    for (let index = 0; index < 5; index += 1) await attempt(guesser, 'office', `guess ${index}`);
    expect((await attempt(guesser, 'office', 'guess 5')).status).toBe(429);
    const restarted = await startHarness(database, {}, { clock });
    try {
      const again = browserAt(2, () => restarted);
      expect((await attempt(again, 'office', 'guess 5')).status).toBe(429);
      expect((await submitLogin(browserAt(3, () => restarted))).status).toBe(303);
    } finally {
      await restarted.close();
    }
  });

  it('slows one address trying many user names, and a successful login clears its count', async () => {
    const guesser = browserAt(2);
    for (let index = 0; index < 19; index += 1) {
      expect((await attempt(guesser, `user${index}`, 'password 1')).status, `user${index}`).toBe(401);
    }
    // The office logs in from the same address (a shared school network): its count starts again.
    expect((await attempt(guesser, 'office', PASSWORD)).status).toBe(303);
    const later = browserAt(2);
    for (let index = 19; index < 39; index += 1) {
      expect((await attempt(later, `user${index}`, 'password 1')).status, `user${index}`).toBe(401);
    }
    const blocked = await attempt(later, 'someone-else', 'password 1');
    expect(blocked.status).toBe(429);
    expect(blocked.retryAfter).toBe('60');
    // Another address is not slowed.
    expect((await attempt(browserAt(3), 'user0', 'password 1')).status).toBe(401);
  });

  it('slows guessing at one account from many addresses by at most a minute; the browser of its owner is never held', async () => {
    // The owner has logged in from this browser before (and logged out).
    const owner = browserAt(3);
    await login(owner);
    await logout(owner);

    let host = 10;
    for (let index = 0; index < 20; index += 1) {
      expect((await attempt(browserAt(host++), 'office', `guess ${index}`)).status).toBe(401);
    }
    const first = await attempt(browserAt(host++), 'office', 'guess 20');
    expect(first.status).toBe(429);
    expect(first.retryAfter).toBe('1');
    // The waits double and stop at one minute, however long the guessing goes on.
    let waits: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const answer = await attempt(browserAt(host), 'office', 'guess');
      advance(Number(answer.retryAfter) * 1000);
      expect((await attempt(browserAt(host++), 'office', `guess ${21 + index}`)).status).toBe(401);
      waits = [...waits, (await attempt(browserAt(host), 'office', 'guess')).retryAfter!];
    }
    expect(waits).toEqual(['2', '4', '8', '16', '32', '60', '60', '60', '60', '60']);
    // The owner's browser logs in at once; a browser new to the account, at an address of its own,
    // waits that minute, then logs in.
    expect((await submitLogin(owner)).status).toBe(303);
    const stranger = browserAt(4);
    expect((await submitLogin(stranger)).status).toBe(429);
    advance(60 * 1000);
    expect((await submitLogin(stranger)).status).toBe(303);
    // A device cookie not signed by the service is no pass.
    const forged = browserAt(5);
    forged.cookies.set(
      'ysz_device',
      sealValue(Buffer.alloc(32, 7), 'device', {
        accounts: [`${SCHOOL}|office`],
        exp: now.getTime() + MINUTE,
      }),
    );
    expect((await attempt(forged, 'office', 'guess 31')).status).toBe(401);
    expect((await submitLogin(forged)).status).toBe(429);
  });

  it('does not believe X-Forwarded-For unless TRUST_PROXY says a proxy writes it', async () => {
    const guesser = browserAt(2);
    for (let index = 0; index < 6; index += 1) {
      const form = await guesser.page('/login');
      const answer = await guesser.post(
        '/login',
        { _csrf: csrfOf(form.html), tenant: SCHOOL, username: 'office', password: `guess ${index}` },
        { 'x-forwarded-for': `198.51.100.${index}` },
      );
      expect(answer.status).toBe(index < 5 ? 401 : 429);
    }
    const proxied = await startHarness(database, { TRUST_PROXY: '1' }, { clock });
    try {
      // Behind one proxy (all from 127.0.0.5), each client is told apart by the address the proxy saw.
      const proxy = browserAt(5, () => proxied);
      for (let index = 0; index < 6; index += 1) {
        const form = await proxy.page('/login');
        const answer = await proxy.post(
          '/login',
          { _csrf: csrfOf(form.html), tenant: SCHOOL, username: 'office', password: `guess ${index}` },
          { 'x-forwarded-for': `10.9.9.9, 203.0.113.7` },
        );
        expect(answer.status).toBe(index < 5 ? 401 : 429);
      }
      const owner = browserAt(5, () => proxied);
      const form = await owner.page('/login');
      const answer = await owner.post(
        '/login',
        { _csrf: csrfOf(form.html), tenant: SCHOOL, username: 'office', password: PASSWORD },
        { 'x-forwarded-for': '203.0.113.8' },
      );
      expect(answer.status).toBe(303);
      const keys = (await database.db.select().from(loginFailures)).map((row) => row.key);
      expect(keys).toContain('address:203.0.113.7');
      expect(keys).not.toContain('address:10.9.9.9');
    } finally {
      await proxied.close();
    }
  });
});
