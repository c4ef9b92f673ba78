// npm run doctor [-- --tenant <单位代码>] [--workers]
// Checks the installation: each configured channel (credentials, permissions, trusted IP, how events
// arrive), the database and its migrations, and per tenant the holiday calendar of the next 12 months,
// the people without an identity on the configured channels and the failed messages. Prints a table;
// exits 1 when a row is an error, else 0. The database is opened without migrating: the doctor reports.
import { tenantOfCode } from '../../db/queries/tenants.ts';
import { exitCodeOf, runDoctor } from '../doctor/index.ts';
import { formatTable } from '../doctor/table.ts';
import { CliError, defineCli, readOptions, runIfMain } from './options.ts';

const USAGE =
  '用法：npm run doctor [-- --tenant <单位代码>] [--workers]\n' +
  '  --workers  按 Cloudflare Workers 部署检查（没有固定出口 IP：企业微信自建应用会遇到 60020）';

interface Arguments {
  tenant?: string;
  workers: boolean;
}

function parseArguments(argv: string[]): Arguments | 'help' {
  const read = readOptions(argv, { options: ['tenant'], flags: ['workers'] });
  if (read === 'help') return read;
  return { tenant: read.values.tenant, workers: read.flags.has('workers') };
}

export const command = defineCli(
  { name: 'doctor', usage: USAGE, parse: parseArguments },
  async (args, cli) => {
    const config = cli.config();
    // A PGlite folder that is not there is reported, not created; the database is not migrated.
    const database = await cli
      .database({ migrate: false, missing: '数据目录不存在（先运行 npm start 或 npm run org:import）' })
      .catch((error: unknown) => ({ error }));
    let tenantIds: number[] | undefined;
    if (args.tenant && !('error' in database)) {
      const tenant = await tenantOfCode(database.db, args.tenant);
      if (!tenant) throw new CliError(`没有代码为“${args.tenant}”的单位`);
      tenantIds = [tenant.id];
    }
    const rows = await runDoctor({ config, database, now: new Date(), tenantIds, workers: args.workers });
    cli.stdout(`${formatTable(rows)}\n`);
    return exitCodeOf(rows);
  },
);

runIfMain(import.meta.url, command);
