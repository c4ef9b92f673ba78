// The Node entry (`npm start`): PGlite's thread first, then the configuration, then the database and the
// rest of the service loaded side by side. PGlite's start (about a second of WebAssembly, on a thread of
// its own, db/pglite-thread.ts) bounds the time to ready after a restart (bench/start.ts), so it begins
// before anything else is loaded: this file imports only the thread's small module, and the configuration
// (zod), drizzle and the service's modules load on this thread meanwhile. The build (scripts/build.mjs)
// keeps the dynamic imports as chunks of their own, so none waits for another's packages.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type PgliteThread, startPgliteThread } from '../db/pglite-thread.ts';

/**
 * PGlite's thread started on the data folder before the configuration is read, when it can only be the
 * one the configuration names: no DATABASE_URL, and DATA_DIR (or its default, bot/env.ts) holds a
 * database already. A first start (initdb) waits for the configuration: a configuration error must not
 * leave a half-made data folder. main() checks the guess against the configuration and closes a thread it
 * does not use.
 */
function startEarly(env: NodeJS.ProcessEnv): { dataDir: string; thread: Promise<PgliteThread> } | undefined {
  if (env.DATABASE_URL?.trim()) return undefined;
  const dataDir = env.DATA_DIR?.trim() || './data';
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return undefined;
  const thread = startPgliteThread(dataDir);
  // Its failure is the database's: openDatabase rethrows it; unused, it is closed below.
  thread.catch(() => {});
  return { dataDir, thread };
}

const early = startEarly(process.env);

/** Closes an early thread the configuration did not take, or that start-up failed around. */
async function closeEarly(used: boolean) {
  if (!early || used) return;
  await early.thread.then((thread) => thread.close()).catch(() => {});
}

async function main() {
  const { createLogger } = await import('./core/log.ts');
  const { loadConfig } = await import('./env.ts');
  const config = loadConfig();
  const log = createLogger(undefined, { level: config.logLevel });
  const pgliteThread =
    early && !config.databaseUrl && config.dataDir === early.dataDir ? early.thread : undefined;
  await closeEarly(pgliteThread !== undefined);
  const opening = import('../db/client.ts').then(({ openDatabase }) =>
    openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgliteThread }),
  );
  const [{ runNodeService }, database] = await Promise.all([import('./node-service.ts'), opening]);
  await runNodeService({ config, log, database });
}

main().catch(async (error) => {
  const { ConfigError } = await import('./env.ts');
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  // PostgreSQL shut down rather than cut off (a configuration error after the early start), within bounds.
  await Promise.race([closeEarly(false), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  process.exit(1);
});
