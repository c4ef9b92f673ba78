// The web console over HTTP, as the console tests drive it: a minimal browser (a cookie jar,
// url-encoded and multipart forms, no redirects followed, so each step is checked), the CSRF token of a
// page, the two example tenants with an office admin each, and logging in as one.
import { expect } from 'vitest';
import { addAdminAccount } from '../../bot/console/accounts.ts';
import type { Database } from '../../db/client.ts';
import { loadExample, resetDatabase } from './db.ts';
import type { Harness } from './service.ts';

export const SCHOOL = 'jishan-school';
export const BUREAU = 'district-bureau';
export const PASSWORD = 'correct horse battery';
export const BUREAU_PASSWORD = 'another long password';

export type Fetch = (path: string, init?: RequestInit) => Response | Promise<Response>;

/** Fetches paths over real HTTP from a base URL known only later (a harness started in beforeAll). */
export const fetchFrom =
  (base: () => string): Fetch =>
  (path, init) =>
    fetch(`${base()}${path}`, init);

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly fetcher: Fetch) {}

  private store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const response = await this.fetcher(path, {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.store(response);
    return response;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await this.fetcher(path, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(response);
    return response;
  }

  /** A multipart form with one file, as a browser sends `<input type="file">`. */
  async upload(path: string, fields: Record<string, string>, file: { name: string; bytes: Uint8Array }) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    body.append('file', new File([file.bytes], file.name, { type: 'application/octet-stream' }));
    const response = await this.fetcher(path, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader() },
      body,
    });
    this.store(response);
    return response;
  }

  async page(path: string) {
    const response = await this.get(path);
    return { response, html: await response.text() };
  }
}

export const unescapeHtml = (value: string) =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The CSRF token of a page's forms. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return unescapeHtml(match[1]!);
}

/** Fills in the login form (the page must answer 200) and returns the answer to posting it. */
export async function submitLogin(as: Browser, tenant = SCHOOL, password = PASSWORD) {
  const form = await as.page('/login');
  expect(form.response.status).toBe(200);
  return as.post('/login', { _csrf: csrfOf(form.html), tenant, username: 'office', password });
}

/** Logs in as a tenant's office admin, which must succeed (303). */
export async function login(as: Browser, tenant = SCHOOL, password = PASSWORD) {
  const response = await submitLogin(as, tenant, password);
  expect(response.status).toBe(303);
}

/**
 * An empty database with the example school and bureau, each with an office admin (周尹尹 and 局安全办),
 * once the harness has finished what it was doing.
 */
export async function resetConsoleTenants(harness: Harness, database: Database) {
  await harness.service.dispatcher.idle();
  await resetDatabase(database);
  const schoolId = (await loadExample(database, 'school.yaml')).tenantId;
  const bureauId = (await loadExample(database, 'bureau.yaml')).tenantId;
  await addAdminAccount(database.db, {
    tenantCode: SCHOOL,
    username: 'office',
    displayName: '周尹尹',
    password: PASSWORD,
  });
  await addAdminAccount(database.db, {
    tenantCode: BUREAU,
    username: 'office',
    displayName: '局安全办',
    password: BUREAU_PASSWORD,
  });
  return { schoolId, bureauId };
}
