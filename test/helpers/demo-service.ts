// The service in demo mode for a describe block: no credentials, a fresh database with the example school
// loaded by the service itself, the console open without login — what `npm start` gives on a new box.
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../bot/core/log.ts';
import { parseConfig } from '../../bot/env.ts';
import { createService, type Service } from '../../bot/service.ts';
import type { Database } from '../../db/client.ts';
import { openTestDatabase, resetDatabase } from './db.ts';

/** Started before the block's tests at `now`, closed after them; read `database` and `service` in tests. */
export function useDemoService(now: Date) {
  const state = {} as { database: Database; service: Service };
  beforeAll(async () => {
    state.database = await openTestDatabase();
    await resetDatabase(state.database);
    state.service = await createService({
      config: parseConfig({}),
      log: silentLogger,
      database: state.database,
      clock: () => now,
    });
  });
  afterAll(async () => {
    await state.service.close();
    await state.database.close();
  });
  return state;
}
