// The service over real HTTP with the example school and bureau and their office admins, for the console
// tests: one database and service per file, both organizations restored before each test, a fresh browser
// (no session) and a console driver (the chat core as the simulator drives it) at `now`.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Database } from '../../db/client.ts';
import { people, tenants } from '../../db/schema.ts';
import { type ConsoleDriver, consoleDriver } from './console-driver.ts';
import { Browser, fetchFrom, resetConsoleTenants, SCHOOL } from './console-http.ts';
import { openTestDatabase } from './db.ts';
import { type Harness, startHarness } from './service.ts';

export interface ConsoleHarness {
  database: Database;
  harness: Harness;
  browser: Browser;
  /** Acts in the school unless a test sets its `tenantId`. */
  bot: ConsoleDriver;
  schoolId: number;
  bureauId: number;
  /** Another browser without a session (a second person, the bureau). */
  newBrowser(): Browser;
  /** A person's id by code, in the school unless another organization's code is given. */
  personId(code: string, tenantCode?: string): Promise<number>;
}

export function useConsoleHarness(now: Date): ConsoleHarness {
  const state = {
    async personId(code: string, tenantCode = SCHOOL) {
      const [row] = await state.database.db
        .select({ id: people.id })
        .from(people)
        .innerJoin(tenants, eq(tenants.id, people.tenantId))
        .where(and(eq(people.code, code), eq(tenants.code, tenantCode)));
      return row!.id;
    },
  } as ConsoleHarness;
  const fetcher = fetchFrom(() => state.harness.url);
  state.newBrowser = () => new Browser(fetcher);
  beforeAll(async () => {
    state.database = await openTestDatabase();
    state.harness = await startHarness(state.database, {}, { clock: () => now });
    state.bot = consoleDriver(state.database, now);
  });
  afterAll(async () => {
    await state.harness.close();
    await state.database.close();
  });
  beforeEach(async () => {
    const { schoolId, bureauId } = await resetConsoleTenants(state.harness, state.database);
    Object.assign(state, { schoolId, bureauId, browser: state.newBrowser() });
    state.bot.tenantId = schoolId;
  });
  return state;
}
