// The whole database as rows, out and back in: what `db:backup`, `db:restore` and `db:move` share. A
// snapshot is read in one transaction (REPEATABLE READ, read only: on a server it does not hold the
// writers back; on PGlite, one session, it holds every other statement until it ends), table by table in
// the order of their foreign keys, each row as PostgreSQL's own `to_jsonb` text. It is written back in one
// transaction with `jsonb_populate_recordset`, which gives every value its column's type again — the same
// on PGlite and on PostgreSQL of any version since 12. The file format around it is bot/backup/file.ts.
import { sql } from 'drizzle-orm';
import { type Queryable, rowsOf } from './client.ts';
import { migrationJournal, migrationStatus } from './queries/migrations.ts';

/** A column's sequence (serial/identity) and where it stood: the next value it gives. */
export interface SequenceState {
  table: string;
  column: string;
  next: number;
}

/** What a snapshot says before its rows: the migrations applied and where the sequences stand. */
export interface SnapshotInfo {
  /** Tags of the applied migrations, oldest first (`0020_evidence`). */
  migrations: string[];
  /** `select version()` of the source. */
  server: string;
  sequences: SequenceState[];
}

export interface TableInfo {
  name: string;
  columns: string[];
  rows: number;
}

/** Where a snapshot goes: a file being written, or a database being restored. */
export interface SnapshotSink {
  begin(info: SnapshotInfo): Promise<void>;
  table(table: TableInfo): Promise<void>;
  /** The next rows of the current table, each `to_jsonb` text; `line` is the first one's line in a file. */
  rows(rows: string[], line?: number): Promise<void>;
  end(): Promise<void>;
}

/** Why a snapshot does not fit the database it is restored into: `table` when one table is the reason. */
export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(
    readonly reason:
      | { kind: 'not_empty'; tables: { name: string; rows: number }[] }
      | { kind: 'newer'; extra: string[] }
      | { kind: 'older'; missing: string[] }
      | { kind: 'diverged'; at: number; backup: string; here: string }
      | { kind: 'unknown_table'; table: string }
      | { kind: 'columns'; table: string; backup: string[]; here: string[] }
      | { kind: 'order'; table: string; parent: string }
      | { kind: 'count'; table: string; expected: number; found: number }
      | { kind: 'missing_tables'; tables: string[] }
      | { kind: 'rows'; table: string; line?: number; message: string },
  ) {
    super(reason.kind);
  }
}

interface TableShape {
  name: string;
  columns: string[];
  key: string[];
  /** Tables this one points at (not itself). */
  parents: string[];
  /** Its columns that point at its own rows (a hazard's `duplicate_of_id`). */
  selfRefs: string[];
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The public tables, their columns, primary keys and foreign keys, parents before children. */
async function tableShapes(db: Queryable): Promise<TableShape[]> {
  const tables = rowsOf<{ name: string; columns: string[]; key: string[] | null }>(
    await db.execute(sql`
      select c.relname as name,
        (select json_agg(a.attname order by a.attnum) from pg_attribute a
          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns,
        (select json_agg(a.attname order by k.ord) from pg_index i
          cross join unnest(i.indkey) with ordinality as k(attnum, ord)
          join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
          where i.indrelid = c.oid and i.indisprimary) as key
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
      order by c.relname`),
  );
  const links = rowsOf<{ child: string; parent: string; columns: string[] }>(
    await db.execute(sql`
      select f.relname as child, p.relname as parent,
        (select json_agg(a.attname) from unnest(k.conkey) as u(attnum)
          join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum) as columns
      from pg_constraint k
      join pg_class f on f.oid = k.conrelid join pg_class p on p.oid = k.confrelid
      join pg_namespace n on n.oid = f.relnamespace
      where k.contype = 'f' and n.nspname = 'public'`),
  );
  const shapes = new Map<string, TableShape>(
    tables.map((table) => [
      table.name,
      { name: table.name, columns: table.columns, key: table.key ?? [], parents: [], selfRefs: [] },
    ]),
  );
  for (const link of links) {
    const shape = shapes.get(link.child);
    if (!shape) continue;
    if (link.parent === link.child) shape.selfRefs.push(...link.columns);
    else if (!shape.parents.includes(link.parent)) shape.parents.push(link.parent);
  }
  // Parents first; among tables free to go, by name, so two snapshots of one schema list tables alike.
  const ordered: TableShape[] = [];
  const placed = new Set<string>();
  while (ordered.length < shapes.size) {
    const next = [...shapes.values()].find(
      (shape) => !placed.has(shape.name) && shape.parents.every((parent) => placed.has(parent)),
    );
    if (!next) throw new Error('foreign keys form a cycle between tables: a snapshot cannot order them');
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** The migrations the database has applied, by tag. */
async function appliedMigrations(db: Queryable): Promise<string[]> {
  const journal = migrationJournal();
  const status = await migrationStatus(db, journal);
  const missing = new Set(status.missing);
  return journal.filter((entry) => !missing.has(entry.tag)).map((entry) => entry.tag);
}

async function sequenceStates(db: Queryable): Promise<(SequenceState & { sequence: string })[]> {
  const owned = rowsOf<{ table: string; column: string; sequence: string }>(
    await db.execute(sql`
      select c.relname as table, a.attname as column,
        pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) as sequence
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) is not null
      order by c.relname, a.attname`),
  );
  const states: (SequenceState & { sequence: string })[] = [];
  for (const entry of owned) {
    const [state] = rowsOf<{ last: string; called: boolean }>(
      await db.execute(
        sql.raw(`select last_value::text as last, is_called as called from ${entry.sequence}`),
      ),
    );
    const last = Number(state?.last ?? 1);
    states.push({ ...entry, next: state?.called ? last + 1 : last });
  }
  return states;
}

/** Rows fetched at a time; fewer when rows are large (photos kept in the database), to stay near 8 MB. */
const FETCH_ROWS = 2000;
const FETCH_BYTES = 8 * 1024 * 1024;

/**
 * Reads the whole database into `sink` from one snapshot: the migrations and sequences, then every table
 * with its row count and its rows in key order.
 */
export async function readSnapshot(db: Queryable, sink: SnapshotSink): Promise<void> {
  await db.transaction(
    async (tx) => {
      // Timestamps written alike whatever the server's zone: two snapshots of the same rows are the same text.
      await tx.execute(sql`set local timezone = 'UTC'`);
      const shapes = await tableShapes(tx);
      const [version] = rowsOf<{ version: string }>(await tx.execute(sql`select version() as version`));
      const sequences = (await sequenceStates(tx)).map(({ sequence: _, ...state }) => state);
      await sink.begin({
        migrations: await appliedMigrations(tx),
        server: version?.version ?? '',
        sequences,
      });
      for (const shape of shapes) {
        const [counted] = rowsOf<{ n: string | number }>(
          await tx.execute(sql.raw(`select count(*) as n from ${ident(shape.name)}`)),
        );
        await sink.table({ name: shape.name, columns: shape.columns, rows: Number(counted?.n ?? 0) });
        const order =
          shape.key.length > 0 ? shape.key.map((column) => `r.${ident(column)}`).join(', ') : 'r::text';
        await tx.execute(
          sql.raw(
            `declare backup_rows no scroll cursor for select to_jsonb(r)::text as j from ${ident(shape.name)} r order by ${order}`,
          ),
        );
        let size = FETCH_ROWS;
        for (;;) {
          const batch = rowsOf<{ j: string }>(await tx.execute(sql.raw(`fetch ${size} from backup_rows`)));
          if (batch.length === 0) break;
          const texts = batch.map((row) => row.j);
          await sink.rows(texts);
          const bytes = texts.reduce((sum, text) => sum + text.length, 0);
          size = Math.max(
            1,
            Math.min(FETCH_ROWS, Math.floor((texts.length * FETCH_BYTES) / Math.max(bytes, 1))),
          );
        }
        await tx.execute(sql.raw('close backup_rows'));
      }
      await sink.end();
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Tables of the database holding rows, with their counts. */
async function tablesWithRows(db: Queryable, shapes: TableShape[]) {
  const found: { name: string; rows: number }[] = [];
  for (const shape of shapes) {
    const [row] = rowsOf<{ n: string | number }>(
      await db.execute(sql.raw(`select count(*) as n from ${ident(shape.name)}`)),
    );
    const rows = Number(row?.n ?? 0);
    if (rows > 0) found.push({ name: shape.name, rows });
  }
  return found;
}

/** Does the database hold any row in any of its tables? */
export async function databaseRows(db: Queryable): Promise<{ name: string; rows: number }[]> {
  return tablesWithRows(db, await tableShapes(db));
}

export interface RestoreOptions {
  /** Empty the tables first when they hold rows (otherwise a database with rows is refused). */
  force?: boolean;
}

export interface RestoreSummary {
  tables: TableInfo[];
  rows: number;
}

/**
 * Writes a snapshot into the database in one transaction: all of it or nothing. `feed` pushes the snapshot
 * into the sink it is given (a file being read, or another database's `readSnapshot`). The database must
 * be migrated to exactly the snapshot's migrations and hold no rows (unless `force`); the sequences end
 * where they stood in the source, or past the restored keys.
 */
export async function restoreSnapshot(
  db: Queryable,
  feed: (sink: SnapshotSink) => Promise<unknown>,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  return db.transaction(async (tx) => {
    const shapes = new Map((await tableShapes(tx)).map((shape) => [shape.name, shape]));
    const here = await appliedMigrations(tx);
    const restored: TableInfo[] = [];
    let info: SnapshotInfo | undefined;
    let current: { shape: TableShape; info: TableInfo; loaded: number; later: string[] } | undefined;

    const finishTable = async () => {
      if (!current) return;
      const { shape, info: table, later } = current;
      for (let at = 0; at < later.length; at += 1000) {
        const batch = `[${later.slice(at, at + 1000).join(',')}]`;
        const set = shape.selfRefs.map((column) => `${ident(column)} = v.${ident(column)}`).join(', ');
        const match = shape.key.map((column) => `t.${ident(column)} = v.${ident(column)}`).join(' and ');
        await tx.execute(
          sql`${sql.raw(`update ${ident(shape.name)} t set ${set} from jsonb_populate_recordset(null::${ident(shape.name)}, `)}${batch}::jsonb${sql.raw(`) v where ${match}`)}`,
        );
      }
      const [row] = rowsOf<{ n: string | number }>(
        await tx.execute(sql.raw(`select count(*) as n from ${ident(shape.name)}`)),
      );
      const found = Number(row?.n ?? 0);
      if (found !== table.rows)
        throw new RestoreError({ kind: 'count', table: table.name, expected: table.rows, found });
      restored.push(table);
      current = undefined;
    };

    const sink: SnapshotSink = {
      async begin(snapshot) {
        info = snapshot;
        checkMigrations(snapshot.migrations, here);
        const holding = await tablesWithRows(tx, [...shapes.values()]);
        if (holding.length > 0) {
          if (!options.force) throw new RestoreError({ kind: 'not_empty', tables: holding });
          await tx.execute(
            sql.raw(`truncate ${[...shapes.keys()].map(ident).join(', ')} restart identity cascade`),
          );
        }
      },
      async table(table) {
        await finishTable();
        const shape = shapes.get(table.name);
        if (!shape) throw new RestoreError({ kind: 'unknown_table', table: table.name });
        if (shape.columns.join(',') !== table.columns.join(','))
          throw new RestoreError({
            kind: 'columns',
            table: table.name,
            backup: table.columns,
            here: shape.columns,
          });
        const done = new Set(restored.map((entry) => entry.name));
        const parent = shape.parents.find((name) => !done.has(name));
        if (parent !== undefined) throw new RestoreError({ kind: 'order', table: table.name, parent });
        current = { shape, info: table, loaded: 0, later: [] };
      },
      async rows(texts, line) {
        if (!current) throw new Error('rows before their table');
        const { shape } = current;
        const plain = shape.columns.filter((column) => !shape.selfRefs.includes(column));
        if (shape.selfRefs.length > 0) {
          for (const text of texts) {
            const row = JSON.parse(text) as Record<string, unknown>;
            if (shape.selfRefs.some((column) => row[column] !== null && row[column] !== undefined))
              current.later.push(text);
          }
        }
        const list = plain.map(ident).join(', ');
        try {
          await tx.execute(
            sql`${sql.raw(`insert into ${ident(shape.name)} (${list}) overriding system value select ${list} from jsonb_populate_recordset(null::${ident(shape.name)}, `)}${`[${texts.join(',')}]`}::jsonb)`,
          );
        } catch (error) {
          throw new RestoreError({
            kind: 'rows',
            table: shape.name,
            line,
            message: databaseMessage(error),
          });
        }
        current.loaded += texts.length;
      },
      async end() {
        await finishTable();
        const seen = new Set(restored.map((table) => table.name));
        const missing = [...shapes.keys()].filter((name) => !seen.has(name));
        if (missing.length > 0) throw new RestoreError({ kind: 'missing_tables', tables: missing });
        const before = new Map(
          (info?.sequences ?? []).map((state) => [`${state.table}.${state.column}`, state.next]),
        );
        for (const state of await sequenceStates(tx)) {
          const [row] = rowsOf<{ top: string | null }>(
            await tx.execute(
              sql.raw(`select max(${ident(state.column)})::text as top from ${ident(state.table)}`),
            ),
          );
          const next = Math.max(before.get(`${state.table}.${state.column}`) ?? 1, Number(row?.top ?? 0) + 1);
          await tx.execute(sql`select setval(${state.sequence}, ${next}, false)`);
        }
      },
    };
    await feed(sink);
    if (!info) throw new Error('the snapshot ended before it began');
    if (current || restored.length === 0) throw new Error('the snapshot did not end');
    return { tables: restored, rows: restored.reduce((sum, table) => sum + table.rows, 0) };
  });
}

/** The snapshot's migrations must be this database's, one for one. */
function checkMigrations(backup: string[], here: string[]) {
  const length = Math.min(backup.length, here.length);
  for (let at = 0; at < length; at++) {
    if (backup[at] !== here[at])
      throw new RestoreError({ kind: 'diverged', at, backup: backup[at]!, here: here[at]! });
  }
  if (backup.length > here.length)
    throw new RestoreError({ kind: 'newer', extra: backup.slice(here.length) });
  if (backup.length < here.length)
    throw new RestoreError({ kind: 'older', missing: here.slice(backup.length) });
}

/** PostgreSQL's message, with its detail (which key, which row) when it gives one. */
function databaseMessage(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const fields = current as { code?: unknown; message?: unknown; detail?: unknown; cause?: unknown };
    if (typeof fields.code === 'string' && typeof fields.message === 'string')
      return typeof fields.detail === 'string' && fields.detail
        ? `${fields.message}（${fields.detail}）`
        : fields.message;
    current = fields.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
