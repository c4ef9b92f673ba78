// Snapshots of whole databases for the backup tests: every table's rows as PostgreSQL's to_jsonb text, in
// key order, read the way db:backup reads them (db/backup.ts), to compare two databases table by table.
import { createWriteStream } from 'node:fs';
import { appVersion } from '../../bot/backup/control.ts';
import { backupWriter } from '../../bot/backup/file.ts';
import { readSnapshot, type SnapshotInfo, type TableInfo } from '../../db/backup.ts';
import type { Database } from '../../db/client.ts';

export interface Collected {
  info: SnapshotInfo;
  tables: (TableInfo & { texts: string[] })[];
}

export async function collect(db: Database['db']): Promise<Collected> {
  let info: SnapshotInfo | undefined;
  const tables: Collected['tables'] = [];
  await readSnapshot(db, {
    begin: async (snapshot) => {
      info = snapshot;
    },
    table: async (table) => {
      tables.push({ ...table, texts: [] });
    },
    rows: async (rows) => {
      tables.at(-1)!.texts.push(...rows);
    },
    end: async () => {},
  });
  return { info: info!, tables };
}

/** Every table's name, columns and rows, for `expect(…).toEqual(…)` between two databases. */
export const tablesOf = (collected: Collected) =>
  collected.tables.map((table) => ({ name: table.name, columns: table.columns, rows: table.texts }));

/** A backup file of `database` at `path`, as db:backup writes it. */
export async function writeBackup(database: Database, path: string) {
  const writer = backupWriter(createWriteStream(path), {
    source: database.kind,
    app: appVersion(),
    createdAt: new Date('2026-12-06T02:00:00Z'),
  });
  await readSnapshot(database.db, writer);
  return writer.done();
}
