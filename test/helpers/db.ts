// One database per test file: in-memory PGlite by default, or a fresh database on the PostgreSQL
// server named by TEST_DATABASE_URL (CI runs the suite both ways). Tables are emptied between tests.
//
// Fast on both: PGlite databases are opened and migrated once per test worker and handed from file to
// file (test/helpers/pglite-pool.ts); on the server each file's database is a copy of one migrated
// template (test/helpers/global-setup.ts). `seedExample` gives a test the example school from a snapshot
// kept inside the database, instead of importing the organization file row by row.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { inject } from 'vitest';
import { type Database, openDatabase, type Queryable } from '../../db/client.ts';
import { type ImportSummary, importOrganization } from '../../db/org-import.ts';
import { identities, people } from '../../db/schema.ts';
import { parseOrgFile } from '../../handlers/org-file.ts';
import { leasePglite } from './pglite-pool.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database on the TEST_DATABASE_URL server, copied for each test database. */
    pgTemplate: string | undefined;
  }
}

export async function openTestDatabase(): Promise<Database> {
  if (!serverUrl) return leasePglite(resetDatabase);
  const template = inject('pgTemplate');
  const server = await createServerDatabase(serverUrl, template);
  const database = await openDatabase({
    databaseUrl: server.url,
    maxConnections: 10,
    migrate: template === undefined,
  });
  return {
    ...database,
    async close() {
      await database.close();
      await server.drop();
    },
  };
}

/** A fresh database on the PostgreSQL server at `serverUrl` (a copy of `template`): its URL, and how to drop it. */
export async function createServerDatabase(serverUrl: string, template?: string) {
  const { default: postgres } = await import('postgres');
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}${template ? ` template ${template}` : ''}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;

const publicTables = async (db: Queryable) =>
  rowsOf<{ tablename: string }>(
    await db.execute(sql`select tablename from pg_tables where schemaname = 'public' order by tablename`),
  ).map((row) => row.tablename);

async function truncateAll(db: Queryable) {
  const list = (await publicTables(db)).map((table) => `"${table}"`);
  if (list.length > 0) await db.execute(sql.raw(`truncate ${list.join(', ')} restart identity cascade`));
}

export async function resetDatabase(database: Database): Promise<void> {
  await truncateAll(database.db);
}

export const exampleFile = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

/**
 * Loads an example organization as of `loadedAt`: by default long before any test's clock, so duties
 * count in every period a test plays (obligations start when the organization is loaded, issue 15 §2).
 */
export async function loadExample(
  database: Database,
  name = 'school.yaml',
  loadedAt = new Date('2020-01-01T00:00:00Z'),
) {
  const file = exampleFile(name);
  return importOrganization(database.db, parseOrgFile(file, readFileSync(file, 'utf8')), loadedAt);
}

/** A person's platform id of one kind (Feishu `open_id`, WeCom `userid`, …), by the person's code. */
export async function identityOf(database: Database, code: string, kind: string): Promise<string> {
  const [row] = await database.db
    .select({ value: identities.value })
    .from(identities)
    .innerJoin(people, eq(people.id, identities.personId))
    .where(and(eq(people.code, code), eq(identities.kind, kind)));
  if (!row) throw new Error(`no ${kind} for ${code}`);
  return row.value;
}

/** Where a database keeps a snapshot: a schema of its own, named after the snapshot's key. */
const snapshotSchema = (key: string) => `test_seed_${key.replace(/\W/g, '_')}`.slice(0, 63);

interface SnapshotMeta {
  tables: string[];
  sequences: { name: string; value: string }[];
  result: unknown;
}

/** A snapshot's key and how it is made in an empty database; `build`'s result is kept with the rows. */
export interface Snapshot<T> {
  key: string;
  build: (database: Database) => Promise<T>;
}

/** The examples `names`, loaded in this order as `loadExample` loads them (as of 2020-01-01). */
export const examplesSnapshot = (names: string[]): Snapshot<ImportSummary[]> => ({
  key: names.map((name) => name.replace(/\.yaml$/, '')).join('__'),
  build: async (database) => {
    const summaries: ImportSummary[] = [];
    for (const name of names) summaries.push(await loadExample(database, name));
    return summaries;
  },
});

/**
 * Makes `snapshot` in `database` (emptied before and after): builds it, then copies every table with
 * rows, the sequences and the build's result into the snapshot's own schema.
 */
export async function makeSnapshot<T>(database: Database, snapshot: Snapshot<T>): Promise<void> {
  const { db } = database;
  const schema = snapshotSchema(snapshot.key);
  await truncateAll(db);
  const result = await snapshot.build(database);
  await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`drop schema if exists ${schema} cascade`));
    await tx.execute(sql.raw(`create schema ${schema}`));
    const tables: string[] = [];
    for (const table of await publicTables(tx)) {
      const [row] = rowsOf<{ found: boolean }>(
        await tx.execute(sql.raw(`select exists (select 1 from public."${table}") as found`)),
      );
      if (!row?.found) continue;
      await tx.execute(sql.raw(`create table ${schema}."${table}" as select * from public."${table}"`));
      tables.push(table);
    }
    const sequences = rowsOf<{ name: string; value: string }>(
      await tx.execute(
        sql`select sequencename as name, last_value::text as value from pg_sequences
            where schemaname = 'public' and last_value is not null`,
      ),
    );
    const meta: SnapshotMeta = { tables, sequences, result: result ?? null };
    await tx.execute(sql.raw(`create table ${schema}._meta (meta jsonb not null)`));
    await tx.execute(
      sql`insert into ${sql.raw(`${schema}._meta`)} (meta) values (${JSON.stringify(meta)}::jsonb)`,
    );
  });
  await truncateAll(db);
}

async function readSnapshot(db: Queryable, schema: string): Promise<SnapshotMeta | undefined> {
  const [exists] = rowsOf<{ found: boolean }>(
    await db.execute(sql`select to_regclass(${`${schema}._meta`}) is not null as found`),
  );
  if (!exists?.found) return undefined;
  const [row] = rowsOf<{ meta: SnapshotMeta | string }>(
    await db.execute(sql.raw(`select meta from ${schema}._meta`)),
  );
  return typeof row!.meta === 'string' ? JSON.parse(row!.meta) : row!.meta;
}

/**
 * Empties the database and gives it `snapshot`'s rows, ids and sequences, copied in one transaction from
 * the snapshot kept in the database (made the first time). Returns what `build` returned.
 */
export async function seedSnapshot<T>(database: Database, snapshot: Snapshot<T>): Promise<T> {
  const { db } = database;
  const schema = snapshotSchema(snapshot.key);
  let meta = await readSnapshot(db, schema);
  if (!meta) {
    await makeSnapshot(database, snapshot);
    meta = (await readSnapshot(db, schema))!;
  }
  const { tables, sequences, result } = meta;
  // One statement, run inside the database: a round trip per table and sequence cost more than the work.
  // `delete` rather than `truncate`: a truncate gives every table and index new files, the larger part of
  // a seed on PGlite. Every sequence of the schema restarts, as `truncate … restart identity` did, then
  // takes the snapshot's value.
  const body = [
    ...(await publicTables(db)).map((table) => `delete from public."${table}";`),
    `perform setval(format('public.%I', sequencename)::regclass, start_value, false)
       from pg_sequences where schemaname = 'public';`,
    ...tables.map((table) => `insert into public."${table}" select * from ${schema}."${table}";`),
    ...sequences.map(
      ({ name, value }) => `perform setval('public."${name}"'::regclass, ${BigInt(value)}, true);`,
    ),
  ].join('\n');
  await db.transaction(async (tx) => {
    // Rows go back as they were, without checking their references one by one (replica: no FK triggers).
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql.raw(`do $seed$ begin\n${body}\nend $seed$`));
  });
  return result as T;
}

/** Empties the database and loads the examples `names` (`resetDatabase`, then `loadExample` each). */
export const seedExamples = (database: Database, names: string[]) =>
  seedSnapshot(database, examplesSnapshot(names));

/** An example afresh (the school by default): `resetDatabase` then `loadExample`, from the snapshot. */
export async function seedExample(database: Database, name = 'school.yaml'): Promise<ImportSummary> {
  const [summary] = await seedExamples(database, [name]);
  return summary!;
}
