// npm run db:migrate: applies the committed migrations to the configured database and exits.
// (The service also migrates at start-up; this is for operators who prepare a database beforehand.)
import { runCli } from './options.ts';

runCli({ name: 'migration', usage: '用法：npm run db:migrate', parse: () => ({}) }, async (_args, cli) => {
  const database = await cli.database();
  process.stdout.write(`migrations applied (${database.kind})\n`);
  return 0;
});
