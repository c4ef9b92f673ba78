// The Node entry (`npm start`): the configuration, then the database and the rest of the service loaded
// side by side. The database is opened first: PGlite's start (about a second of WebAssembly, on a thread of
// its own, db/pglite-thread.ts) then overlaps the loading of the service's modules on this thread, which
// is what bounds the time to ready after a restart (bench/start.ts). The build (scripts/build.mjs) keeps
// the two dynamic imports as chunks of their own, so neither waits for the other's packages.
import { createLogger } from './core/log.ts';
import { ConfigError, loadConfig } from './env.ts';

async function main() {
  const config = loadConfig();
  const log = createLogger(undefined, { level: config.logLevel });
  const opening = import('../db/client.ts').then(({ openDatabase }) =>
    openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }),
  );
  const [{ runNodeService }, database] = await Promise.all([import('./node-service.ts'), opening]);
  await runNodeService({ config, log, database });
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
