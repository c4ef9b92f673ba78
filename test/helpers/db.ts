// One database per test file: in-memory PGlite by default, or a fresh database on the PostgreSQL
// server named by TEST_DATABASE_URL (CI runs the suite both ways). Tables are emptied between tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { type Database, openDatabase } from '../../db/client.ts';
import { parseOrgFile } from '../../db/org-file.ts';
import { importOrganization } from '../../db/org-import.ts';
import { identities, people } from '../../db/schema.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

export async function openTestDatabase(): Promise<Database> {
  if (!serverUrl) return openDatabase({});
  const { default: postgres } = await import('postgres');
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 10 });
  return {
    ...database,
    async close() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
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

export async function loadExample(database: Database, name = 'school.yaml') {
  const file = exampleFile(name);
  return importOrganization(database.db, parseOrgFile(file, readFileSync(file, 'utf8')));
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
