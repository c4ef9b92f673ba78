// The web console over HTTP, as the console tests drive it: the browser of browser.ts, the two example
// tenants with an office admin each, and logging in as one.
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { addAdminAccount } from '../../bot/console/accounts.ts';
import type { Database } from '../../db/client.ts';
import { people, tenants } from '../../db/schema.ts';
import { type Browser, csrfOf, unescapeHtml } from './browser.ts';
import { loadExample, type Snapshot, seedSnapshot } from './db.ts';
import type { Harness } from './service.ts';

export {
  Browser,
  cellByHeader,
  csrfOf,
  type Fetch,
  fetchFrom,
  fetchFromAddress,
  headerOf,
  rowOf,
  stripTags,
  unescapeHtml,
} from './browser.ts';

export const SCHOOL = 'jishan-school';
export const BUREAU = 'district-bureau';
export const PASSWORD = 'correct horse battery';
export const BUREAU_PASSWORD = 'another long password';

/** Every form of a simulator page posting to the action URL, with its hidden fields and the names of its other inputs. */
export function pressForms(html: string) {
  return [...html.matchAll(/<form method="post" action="\/console\/press"[^>]*>([\s\S]*?)<\/form>/g)].map(
    (match) => {
      const inner = match[1]!;
      const hidden = Object.fromEntries(
        [...inner.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
          m[1]!,
          unescapeHtml(m[2]!),
        ]),
      );
      const inputs = [...inner.matchAll(/<(?:input type="text"|textarea) id="[^"]*" name="([^"]+)"/g)].map(
        (m) => m[1]!,
      );
      const label = /<button type="submit"[^>]*>([^<]*)<\/button>/.exec(inner)?.[1];
      return { hidden, inputs, label };
    },
  );
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
  return seedSnapshot(database, CONSOLE_TENANTS);
}

/** The example school and bureau with their office admins; kept as a snapshot (hashing is slow). */
const CONSOLE_TENANTS: Snapshot<{ schoolId: number; bureauId: number }> = {
  key: 'console_tenants',
  build: async (database) => {
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
  },
};

/** The console's school and 陈静, its member who reports hazards in the photo tests. */
export async function schoolAndReporter(database: Database) {
  const [tenant] = await database.db.select().from(tenants).where(eq(tenants.code, SCHOOL));
  const [reporter] = await database.db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenant!.id), eq(people.code, 'chenjing')));
  return { tenant: tenant!, reporter: reporter! };
}
