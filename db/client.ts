// One database interface for both targets: embedded PGlite (the default) and a PostgreSQL server.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** What queries take: the database itself or a transaction inside it. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Resolved when used: on Workers there is no file system (and no file URL) to resolve it against. */
const migrationsFolder = () => fileURLToPath(new URL('./migrations', import.meta.url));

const MIGRATION_LOCK = 720_001;

export type DatabaseOptions = {
  databaseUrl?: string;
  dataDir?: string;
  maxConnections?: number;
  /** Apply the committed migrations (default). Workers cannot read them; there `npm run db:migrate` does. */
  migrate?: boolean;
};

/** Opens the database and applies the committed migrations. `dataDir` undefined means in-memory PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.maxConnections)
    : await openPglite(options.dataDir);
  try {
    if (options.migrate !== false) await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return { db: database.db, kind: database.kind, close: database.close };
}

async function openPglite(dataDir: string | undefined) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  await client.waitReady;
  const db = drizzle({ client, schema });
  return {
    db: db as unknown as Db,
    kind: 'pglite' as const,
    migrate: () => migrate(db, { migrationsFolder: migrationsFolder() }),
    close: () => client.close(),
  };
}

async function openPostgres(url: string, max = 10) {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(url, { max, onnotice: () => {}, connect_timeout: 5 });
  const db = drizzle({ client, schema });
  // Two instances may start together: one applies the migrations while the other waits on the lock.
  // A one-connection client keeps the session-level advisory lock and the migration on one session.
  const migrateLocked = async () => {
    const session = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      await session`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migrate(drizzle({ client: session, schema }), { migrationsFolder: migrationsFolder() });
    } finally {
      await session.end({ timeout: 5 });
    }
  };
  return {
    db: db as unknown as Db,
    kind: 'postgres' as const,
    migrate: migrateLocked,
    close: () => client.end({ timeout: 5 }),
  };
}
