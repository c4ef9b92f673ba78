// One database per test file: in-memory PGlite by default, or a fresh database on the PostgreSQL
// server named by TEST_DATABASE_URL (CI runs the suite both ways). Tables are emptied between tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { type Database, openDatabase } from '../../db/client.ts';
import { importOrganization } from '../../db/org-import.ts';
import { identities, people } from '../../db/schema.ts';
import { parseOrgFile } from '../../handlers/org-file.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

export async function openTestDatabase(): Promise<Database> {
  if (!serverUrl) return openDatabase({});
  const server = await createServerDatabase(serverUrl);
  const database = await openDatabase({ databaseUrl: server.url, maxConnections: 10 });
  return {
    ...database,
    async close() {
      await database.close();
      await server.drop();
    },
  };
}

/** A fresh database on the PostgreSQL server at `serverUrl`: its URL, and how to drop it. */
async function createServerDatabase(serverUrl: string) {
  const { default: postgres } = await import('postgres');
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
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

/**
 * A database for the command-line tools, as an operator configures them: a fresh database on the server
 * named by TEST_DATABASE_URL (`DATABASE_URL`), else a PGlite folder (`DATA_DIR`). `open` gives the test
 * its own connection; on PGlite close it before a tool runs (one process at a time holds the folder).
 */
export async function cliDatabase(): Promise<{
  env: Record<string, string>;
  open: () => Promise<Database>;
  remove: () => Promise<void>;
}> {
  if (serverUrl) {
    const server = await createServerDatabase(serverUrl);
    return {
      env: { DATABASE_URL: server.url },
      open: () => openDatabase({ databaseUrl: server.url }),
      remove: server.drop,
    };
  }
  const root = mkdtempSync(join(tmpdir(), 'cli-db-'));
  const dataDir = join(root, 'data');
  return {
    env: { DATA_DIR: dataDir },
    open: () => openDatabase({ dataDir }),
    remove: async () => rmSync(root, { recursive: true, force: true }),
  };
}

export async function resetDatabase(database: Database): Promise<void> {
  const rows = await database.db.execute<{ tablename: string }>(
    sql`select tablename from pg_tables where schemaname = 'public'`,
  );
  const list = (Array.isArray(rows) ? rows : (rows as { rows: { tablename: string }[] }).rows).map(
    (row) => `"${row.tablename}"`,
  );
  if (list.length > 0)
    await database.db.execute(sql.raw(`truncate ${list.join(', ')} restart identity cascade`));
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
