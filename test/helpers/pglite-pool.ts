// Migrated PGlite databases kept for the whole test worker. Opening PGlite (initdb in WebAssembly) and
// migrating it took seconds per test file; here a worker opens one the first time it needs it, and a
// file that closes its database hands it back, emptied, to the next file the worker runs (the db lane
// runs its files one after the other in one process, see vitest.config.ts).
//
// A file gets its own `Database` object, a lease: once closed it refuses every statement as a closed
// PGlite does ("PGlite thread closed"), so a file's late work never reaches the next file's rows. A
// database whose schema a test changed (a migration replayed, a table renamed and not back) or that was
// closed inside a transaction is not handed out again.
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Database, Db } from '../../db/client.ts';
import { asPglite, type PgliteThread, startPgliteThread } from '../../db/pglite-thread.ts';
import * as schema from '../../db/schema.ts';

interface Pooled {
  thread: PgliteThread;
  fingerprint: string;
}

/** Kept on globalThis, so that it outlives a reset of the worker's modules (`vi.resetModules`). */
const POOL = Symbol.for('yigang.test.pglitePool');
type PoolState = { idle: Pooled[] };
const shared = globalThis as Record<symbol, PoolState>;
shared[POOL] ??= { idle: [] };
const pool = shared[POOL];

const migrationsFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url));

/** The public schema's shape: tables, columns, indexes and constraints. */
async function fingerprint(db: Db): Promise<string> {
  const result = await db.execute<{ print: string }>(sql`
    select md5(coalesce(string_agg(part, '|' order by part), '')) as print from (
      select c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull
        || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') as part
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0
          and not a.attisdropped
      union all
      select indexname || ':' || indexdef from pg_indexes where schemaname = 'public'
      union all
      select conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
        from pg_constraint where connamespace = 'public'::regnamespace
    ) parts`);
  const rows = Array.isArray(result) ? result : (result as unknown as { rows: { print: string }[] }).rows;
  return rows[0]!.print;
}

async function create(): Promise<Pooled> {
  const thread = await startPgliteThread(undefined);
  try {
    const db = drizzle({ client: asPglite(thread), schema }) as unknown as Db;
    await migrate(db as never, { migrationsFolder });
    return { thread, fingerprint: await fingerprint(db) };
  } catch (error) {
    await thread.close();
    throw error;
  }
}

const closedError = () => new Error('PGlite thread closed');

/**
 * A migrated database with no rows, as `openDatabase({})` gives: the worker's idle one (emptied by
 * `empty`) or a new one.
 */
export async function leasePglite(empty: (database: Database) => Promise<void>): Promise<Database> {
  let pooled = pool.idle.pop();
  const reused = pooled !== undefined;
  pooled ??= await create();
  let released = false;
  let openTransactions = 0;
  const query: PgliteThread['query'] = (text, params, options) =>
    released ? Promise.reject(closedError()) : pooled.thread.query(text, params, options);
  const client: Pick<PgliteThread, 'query' | 'transaction'> = {
    query,
    async transaction(callback) {
      if (released) throw closedError();
      openTransactions++;
      try {
        return await pooled.thread.transaction((tx) =>
          callback({
            query: (text, params, options) =>
              released ? Promise.reject(closedError()) : tx.query(text, params, options),
          }),
        );
      } finally {
        openTransactions--;
      }
    },
  };
  const db = drizzle({ client: asPglite(client as PgliteThread), schema }) as unknown as Db;
  const database: Database = {
    db,
    kind: 'pglite',
    async close() {
      if (released) return;
      const keep = openTransactions === 0 && (await fingerprint(db).catch(() => '')) === pooled.fingerprint;
      released = true;
      if (keep) pool.idle.push(pooled);
      else if (openTransactions === 0) await pooled.thread.close();
      // Closed inside a transaction: the statements still queued end it; the thread is left to them.
      else void pooled.thread.close().catch(() => {});
    },
  };
  if (reused) await empty(database);
  return database;
}
