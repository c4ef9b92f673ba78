// npm run db:migrate: applies the committed migrations to the configured database and exits.
// (The service also migrates at start-up; this is for operators who prepare a database beforehand.)
import { defineCli, readOptions, runIfMain } from './options.ts';

export const command = defineCli(
  {
    name: 'migration',
    usage: '用法：npm run db:migrate',
    parse: (argv) => readOptions(argv, { options: [] }),
  },
  async (_args, cli) => {
    const database = await cli.database();
    cli.stdout(`migrations applied (${database.kind})\n`);
    return 0;
  },
);

runIfMain(import.meta.url, command);
