// One database interface for both targets: embedded PGlite (the default) and a PostgreSQL server.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ExtractTablesWithRelations, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { PgliteThread } from './pglite-thread.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** What queries take: the database itself or a transaction inside it. */
export type Queryable = Db | Tx;

/** The rows of `db.execute`: an array on postgres.js, `{ rows }` on PGlite. */
export const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

export interface Database {
  db: Db;
  /**
   * Where the inbox writes (bot/core/inbox.ts): on PostgreSQL a connection of its own, so that a webhook's
   * insert never waits for a pool connection while processing, jobs and pages hold them all — on a locked
   * table, say; postgres.js then queues a query behind one already running on a busy connection. Absent:
   * `db` (PGlite has one connection anyway).
   */
  inboxDb?: Db;
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
  /**
   * On PostgreSQL, give the inbox a connection of its own (`Database.inboxDb`; default true). Workers open
   * a client per request, nothing else in it competing with the webhook's insert: they go without.
   */
  inboxConnection?: boolean;
  /** Apply the committed migrations (default). Workers cannot read them; there `npm run db:migrate` does. */
  migrate?: boolean;
  /**
   * PGlite's thread already started on `dataDir` (bot/node.ts starts it before the rest of the service
   * loads); used instead of starting one. Ignored with `databaseUrl`.
   */
  pgliteThread?: Promise<PgliteThread>;
};

/** Opens the database and applies the committed migrations. `dataDir` undefined means in-memory PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.maxConnections, options.inboxConnection ?? true)
    : await openPglite(options.dataDir, options.pgliteThread);
  try {
    // drizzle's migrator reads and hashes every migration file and runs several statements and a
    // transaction; a restart, where nothing is missing, needs one look at its table (bench/start.ts). The
    // migrator decides the same way (what is newer than the table's last row), and runs when it would act.
    if (
      options.migrate !== false &&
      (await migrationStatus(database.db, migrationJournal())).missing.length > 0
    )
      await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  const { db, kind, close } = database;
  return { db, inboxDb: 'inboxDb' in database ? database.inboxDb : undefined, kind, close };
}

async function openPglite(dataDir: string | undefined, started?: Promise<PgliteThread>) {
  const { asPglite, startPgliteThread } = await import('./pglite-thread.ts');
  // The thread first: PGlite's start (its WebAssembly, PostgreSQL's) runs while drizzle loads here.
  if (dataDir && !started) mkdirSync(dataDir, { recursive: true });
  const starting = started ?? startPgliteThread(dataDir);
  // A start that fails is thrown below, once drizzle is loaded; not an unhandled rejection meanwhile.
  starting.catch(() => {});
  const [{ drizzle }, { migrate }] = await Promise.all([
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = await starting;
  const db = drizzle({ client: asPglite(client), schema });
  return {
    db: db as unknown as Db,
    kind: 'pglite' as const,
    migrate: () => migrate(db, { migrationsFolder: migrationsFolder() }),
    close: () => client.close(),
  };
}

/**
 * Seconds before a connection that failed is opened again. postgres.js's default grows to 20 s after a
 * few failures (3^n / 100 s): while the server is down every webhook would wait that long before it could
 * answer 503 (Feishu gives 3 s, WeCom 5 s), and after it is back the queries queued on a waiting
 * connection would still wait, then fail. Capped at 1 s, a request learns within a second or two.
 */
const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, 1);

async function openPostgres(url: string, max = 10, inboxConnection = true) {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const connect = (connections: number) =>
    postgres(url, { max: connections, onnotice: () => {}, connect_timeout: 5, backoff: reconnectBackoff });
  const client = connect(max);
  const db = drizzle({ client, schema });
  // Opened at the inbox's first insert (postgres.js connects when asked): tools that never write it never do.
  const inboxClient = inboxConnection ? connect(1) : undefined;
  const inboxDb = inboxClient && (drizzle({ client: inboxClient, schema }) as unknown as Db);
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
    inboxDb,
    kind: 'postgres' as const,
    migrate: migrateLocked,
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), inboxClient?.end({ timeout: 5 })]);
    },
  };
}

/** SQLSTATE classes and codes of a server that is unavailable, or of a transaction that lost a race. */
const TRANSIENT_STATE = /^(08|57P0[1-3]$|53300$|40001$|40P01$)/;
/** postgres.js's codes for a connection it lost or could not open, and the socket errors beneath them. */
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when a database error says nothing about the work itself: the server could not be reached, went
 * away (a restart), or chose this transaction as a deadlock or serialization victim. Nothing was written,
 * and the same work may well succeed later. Looks through drizzle's wrapping (`cause`).
 */
export function isTransientDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || TRANSIENT_STATE.test(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

// Which of the committed migrations the database has applied: drizzle's own bookkeeping table
// (`drizzle.__drizzle_migrations`, one row per migration with the journal's `when` as created_at), read
// against the journal in db/migrations/meta. The migrator applies every migration newer than the last
// row, so those are the ones missing. Here rather than in queries/migrations.ts (which re-exports them):
// opening the database asks it first.
export interface MigrationStatus {
  /** The journal's migrations. */
  total: number;
  /** The rows of drizzle's table: migrations the database has applied. */
  applied: number;
  /** Tags of the migrations not applied yet (`0019_wecom_bot`). */
  missing: string[];
}

export interface JournalEntry {
  tag: string;
  when: number;
}

/** The committed migrations (db/migrations/meta/_journal.json); Workers cannot read it (no file system). */
export function migrationJournal(): JournalEntry[] {
  const file = new URL('./migrations/meta/_journal.json', import.meta.url);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { entries: JournalEntry[] };
  return parsed.entries;
}

export async function migrationStatus(db: Queryable, entries: JournalEntry[]): Promise<MigrationStatus> {
  const table = await db.execute<{ present: string | null }>(
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as present`,
  );
  if (!rowsOf<{ present: string | null }>(table)[0]?.present) {
    return { total: entries.length, applied: 0, missing: entries.map((entry) => entry.tag) };
  }
  const result = await db.execute<{ last: string | number | null; n: string | number }>(
    sql`select max(created_at) as last, count(*) as n from drizzle.__drizzle_migrations`,
  );
  const row = rowsOf<{ last: string | number | null; n: string | number }>(result)[0];
  const last = Number(row?.last ?? 0);
  const missing = entries.filter((entry) => entry.when > last).map((entry) => entry.tag);
  return { total: entries.length, applied: Number(row?.n ?? 0), missing };
}
