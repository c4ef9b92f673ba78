// openDatabase and the committed migrations (db/client.ts): on a restart, where the database has them all,
// it only looks at drizzle's table; a database a migration behind (an upgrade) still gets it at start.
// PGlite in a data folder, or a database of its own on the TEST_DATABASE_URL server.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseOptions, migrationJournal, migrationStatus, openDatabase } from '../db/client.ts';
import { createServerDatabase } from './helpers/db.ts';

const serverUrl = process.env.TEST_DATABASE_URL;
const committed = fileURLToPath(new URL('../db/migrations', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'migrate-at-open-'));
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Where a fresh, empty database is opened from. */
async function freshTarget(name: string): Promise<DatabaseOptions> {
  if (!serverUrl) return { dataDir: join(dir, name) };
  const server = await createServerDatabase(serverUrl);
  cleanups.push(server.drop);
  return { databaseUrl: server.url, maxConnections: 2 };
}

/** The committed migrations but the last, as a folder of their own (the release before this one). */
function migrationsButLast(): { folder: string; last: string } {
  const folder = join(dir, 'migrations-but-last');
  cpSync(committed, folder, { recursive: true });
  const file = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries: Array<{ tag: string }> };
  const last = journal.entries.pop()!.tag;
  writeFileSync(file, JSON.stringify(journal));
  return { folder, last };
}

describe('openDatabase applies the migrations the database lacks', () => {
  it('migrates a database one migration behind, then opens it again with nothing to do', async () => {
    const target = await freshTarget('behind');
    const { folder, last } = migrationsButLast();
    // The database as the previous release left it: every migration but the last.
    const previous = await openDatabase({ ...target, migrate: false });
    try {
      const { migrate } =
        previous.kind === 'pglite'
          ? await import('drizzle-orm/pglite/migrator')
          : await import('drizzle-orm/postgres-js/migrator');
      // biome-ignore lint/suspicious/noExplicitAny: either driver's drizzle instance, as client.ts gives it.
      await migrate(previous.db as any, { migrationsFolder: folder });
      expect((await migrationStatus(previous.db, migrationJournal())).missing).toEqual([last]);
    } finally {
      await previous.close();
    }

    const upgraded = await openDatabase(target);
    try {
      const status = await migrationStatus(upgraded.db, migrationJournal());
      expect(status.missing).toEqual([]);
      expect(status.applied).toBe(migrationJournal().length);
    } finally {
      await upgraded.close();
    }
    // A restart: nothing missing, nothing applied twice.
    const restarted = await openDatabase(target);
    try {
      expect(await migrationStatus(restarted.db, migrationJournal())).toEqual({
        total: migrationJournal().length,
        applied: migrationJournal().length,
        missing: [],
      });
    } finally {
      await restarted.close();
    }
  });
});
