// npm run db:migrate: applies the committed migrations to the configured database and exits.
// (The service also migrates at start-up; this is for operators who prepare a database beforehand.)
import { openDatabase } from '../../db/client.ts';
import { loadConfig } from '../env.ts';

const config = loadConfig();
openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  .then(async (database) => {
    process.stdout.write(`migrations applied (${database.kind})\n`);
    await database.close();
  })
  .catch((error) => {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
