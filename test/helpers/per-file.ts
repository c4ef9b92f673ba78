// What most HTTP test files share: one database and one service harness for the file; before each test,
// nothing under way, the example school afresh and the fake platforms' records cleared.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Database } from '../../db/client.ts';
import { openTestDatabase, seedExample } from './db.ts';
import { type Harness, type HarnessOptions, startHarness } from './service.ts';

export interface PerFile {
  database: Database;
  harness: Harness;
}

/**
 * Registers the file's hooks; `bind` hands the database and harness to the file's own variables once they
 * are open. `options` may be worked out from the open database (a Wechaty world needs its people's ids).
 */
export function harnessPerFile(
  bind: (opened: PerFile) => void,
  options: HarnessOptions | ((database: Database) => Promise<HarnessOptions>) = {},
): void {
  let opened: PerFile | undefined;
  beforeAll(async () => {
    const database = await openTestDatabase();
    const harnessOptions = typeof options === 'function' ? await options(database) : options;
    // The files that time the gate give their own (feishu-press.test.ts, load-gate.test.ts); for the rest a
    // webhook answered 503 because a busy 2-core machine kept the inbox write past the gate's 2 s is not
    // what they test (seen at load 8–10 in inbox.test.ts and monitoring.test.ts).
    opened = {
      database,
      harness: await startHarness(database, {}, { loadGate: { answerWithinMs: 30_000 }, ...harnessOptions }),
    };
    bind(opened);
  });
  afterAll(async () => {
    await opened?.harness.close();
    await opened?.database.close();
  });
  beforeEach(async () => {
    const { database, harness } = opened!;
    await harness.service.inbox.idle();
    await harness.service.dispatcher.idle();
    await seedExample(database);
    harness.feishu.reset();
    harness.wecom?.reset();
  });
}
