// Which of the committed migrations the database has applied: drizzle's own bookkeeping table
// (`drizzle.__drizzle_migrations`, one row per migration with the journal's `when` as created_at), read
// against the journal in db/migrations/meta. The migrator applies every migration newer than the last
// row, so those are the ones missing.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { type Queryable, rowsOf } from '../client.ts';

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
  const file = new URL('../migrations/meta/_journal.json', import.meta.url);
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
