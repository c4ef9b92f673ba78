// PGlite on its own thread (db/pglite-thread.ts): what drizzle and the product rely on must hold across
// the thread — PostgreSQL's error fields, transactions that commit or roll back and hold other statements
// back meanwhile, drizzle's text parsers, and an idle thread that does not keep a process alive.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientDatabaseError } from '../db/client.ts';
import { type PgliteThread, startPgliteThread } from '../db/pglite-thread.ts';
import { migratedDataDir } from './helpers/data-dir.ts';

// Copies of the migrated folder (test/helpers/data-dir.ts): an in-memory database would run initdb first,
// about 6 s of CPU each (the db lane's pool opens in-memory ones, test/helpers/pglite-pool.ts).
let root: string;
let client: PgliteThread;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pglite-thread-'));
  await migratedDataDir(join(root, 'data'));
  client = await startPgliteThread(join(root, 'data'));
  await client.query('create table items (id int primary key, name text not null)');
});
afterAll(async () => {
  await client.close();
  rmSync(root, { recursive: true, force: true });
});

const count = async () =>
  (await client.query<{ n: number }>('select count(*)::int as n from items')).rows[0]!.n;

describe('PGlite thread', () => {
  it("brings PostgreSQL's error fields back (SQLSTATE, constraint), not a bare message", async () => {
    await client.query('insert into items values (1, $1)', ['灭火器']);
    const error = await client.query('insert into items values (1, $1)', ['重复']).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 'items_pkey' });
    expect(error.message).toMatch(/duplicate key/);
    expect(isTransientDatabaseError(error)).toBe(false);
    await client.query('delete from items');
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const value = await client.transaction(async (tx) => {
      await tx.query('insert into items values (2, $1)', ['committed']);
      return 'done';
    });
    expect(value).toBe('done');
    await expect(
      client.transaction(async (tx) => {
        await tx.query('insert into items values (3, $1)', ['rolled back']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = (await client.query<{ id: number }>('select id from items order by id')).rows;
    expect(rows.map((row) => row.id)).toEqual([2]);
    await client.query('delete from items');
  });

  it('holds a statement from outside back until the open transaction ends', async () => {
    let outside: Promise<number> | undefined;
    await client.transaction(async (tx) => {
      await tx.query('insert into items values (4, $1)', ['inside']);
      outside = count();
      // The statement from outside has been asked; it must not run (and see no row) before the commit.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await tx.query('insert into items values (5, $1)', ['inside too']);
    });
    expect(await outside).toBe(2);
    await client.query('delete from items');
  });

  it("keeps the types drizzle asks for as PostgreSQL's text, and refuses parsers that change values", async () => {
    const sql = `select '2026-11-24 08:00:00+00'::timestamptz as at, '{"a":1}'::jsonb as doc`;
    const asText = await client.query<{ at: unknown; doc: unknown }>(sql, [], {
      parsers: { 1184: (value: string) => value },
    });
    expect(asText.rows[0]).toEqual({ at: '2026-11-24 08:00:00+00', doc: { a: 1 } });
    const parsed = await client.query<{ at: unknown }>(sql);
    expect(parsed.rows[0]!.at).toBeInstanceOf(Date);
    await expect(
      client.query(sql, [], { parsers: { 1184: (value: string) => value.length } }),
    ).rejects.toThrow(/only text parsers/);
  });

  it('does not keep a process alive once idle, as PGlite on the main thread did not', async () => {
    const dataDir = join(root, 'spawned');
    await migratedDataDir(dataDir);
    const script = `
      import { startPgliteThread } from ${JSON.stringify(fileURLToPath(new URL('../db/pglite-thread.ts', import.meta.url)))};
      const client = await startPgliteThread(${JSON.stringify(dataDir)});
      const { rows } = await client.query('select 41 + 1 as answer');
      console.log(rows[0].answer);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout.trim()).toBe('42');
    expect(run.status).toBe(0);
  });
});
