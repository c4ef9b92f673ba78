// `npm run db:backup`, `db:restore` and `db:move` (slow lane), on a scaled-down copy of the district
// benchmark's data (bench/district.ts: the organization imported, hazards and their trails generated) plus
// the example school: backed up and restored into a new PGlite folder, moved into an empty PostgreSQL
// database (TEST_DATABASE_URL's server, else one started from the machine's binaries), and backed up from
// there — each time every table and row compared. The tools run in this process (test/helpers/cli.ts),
// each opening the PGlite folder or the server it is configured with. Then the same while the service
// (`npm start`) runs on the folder: there the tools are their own processes, as an operator's beside the
// service — the backup comes from the service, restore and move refuse.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDistrict } from '../bench/district.ts';
import { startService } from '../bench/lib/common.ts';
import { CONTROL_FILE } from '../bot/backup/control.ts';
import { command as dbBackup } from '../bot/cli/db-backup.ts';
import { command as dbMove } from '../bot/cli/db-move.ts';
import { command as dbRestore } from '../bot/cli/db-restore.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { collect, tablesOf } from './helpers/backup.ts';
import { built } from './helpers/built.ts';
import { runTool } from './helpers/cli.ts';
import { keptDataDir, migratedDataDir } from './helpers/data-dir.ts';
import { loadExample } from './helpers/db.ts';
import { type PgServer, startPgServer } from './helpers/pg-server.ts';

/**
 * A fortieth of the district's schools and a hundredth of its hazards (about 5,000 rows): every table has
 * rows, and the suite's time stays small; `npm run bench -- backup` measures the whole district.
 */
const SIZE = { schools: 5, hazards: 1000 };

const TOOLS = { 'db-backup': dbBackup, 'db-restore': dbRestore, 'db-move': dbMove };

/** A tool in this process, configured by `env` alone. */
const cli = (tool: keyof typeof TOOLS, args: string[], env: Record<string, string>) =>
  runTool(TOOLS[tool], args, { env });

/** A built tool as its own process (`node dist/cli/…`), beside the running service. */
const spawned = (tool: keyof typeof TOOLS, args: string[], env: Record<string, string>) =>
  promisify(execFile)('node', built(`cli/${tool}`, ...args), {
    env: { PATH: process.env.PATH ?? '', ...env },
  }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

async function tablesIn(options: { dataDir?: string; databaseUrl?: string }) {
  const database: Database = await openDatabase({ ...options, migrate: false });
  try {
    return tablesOf(await collect(database.db));
  } finally {
    await database.close();
  }
}

describe('db:backup, db:restore and db:move', () => {
  let root: string;
  let source: string;
  let expected: Awaited<ReturnType<typeof tablesIn>>;
  let rows: number;
  let server: PgServer | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cli-backup-'));
    source = join(root, 'source');
    // Generated once and kept (test/helpers/data-dir.ts): the same rows every time, a copy for each run.
    await keptDataDir(
      source,
      `district-${SIZE.schools}-${SIZE.hazards}`,
      ['bench/district.ts', 'bench/lib', 'examples/school.yaml', 'db', 'handlers', 'test/helpers/db.ts'],
      async (building) => {
        const database = await openDatabase({ dataDir: building });
        try {
          await generateDistrict(database.db, SIZE);
          await loadExample(database);
        } finally {
          await database.close();
        }
      },
    );
    expected = await tablesIn({ dataDir: source });
    rows = expected.reduce((sum, table) => sum + table.rows.length, 0);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses wrong invocations with exit code 2 and the usage', async () => {
    const env = { DATA_DIR: source };
    const [noFile, noDir, noTarget, notPostgres, restoreNothing] = await Promise.all([
      cli('db-backup', [], env),
      cli('db-backup', [join(root, 'missing', 'b.gz')], env),
      cli('db-move', [], env),
      cli('db-move', ['--to', 'mysql://root@127.0.0.1/x'], env),
      cli('db-restore', [], env),
    ]);
    expect(noFile).toMatchObject({ code: 2, stderr: expect.stringContaining('用法：npm run db:backup') });
    expect(noDir).toMatchObject({ code: 2, stderr: expect.stringMatching(/^目录“.*missing”不存在/) });
    expect(noTarget).toMatchObject({ code: 2, stderr: expect.stringMatching(/^缺少 --to/) });
    expect(notPostgres).toMatchObject({ code: 2, stderr: expect.stringMatching(/^--to 应为 postgres:\/\//) });
    expect(restoreNothing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('用法：npm run db:restore'),
    });
  }, 120_000);

  it('backs up the folder and restores it into a new one: every table and row; a second restore needs --force', async () => {
    const file = join(root, 'district.jsonl.gz');
    const backup = await cli('db-backup', [file], { DATA_DIR: source });
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(
      new RegExp(`^已备份到 .*：${expected.length} 张表，${rows} 行，.*已读回校验`),
    );
    expect(statSync(file).size).toBeGreaterThan(10_000);

    const target = join(root, 'restored');
    const restore = await cli('db-restore', [file], { DATA_DIR: target });
    expect(restore).toMatchObject({ code: 0, stderr: '' });
    expect(restore.stdout).toMatch(
      new RegExp(`恢复到PGlite 数据目录 .*：${expected.length} 张表，${rows} 行`),
    );
    expect(await tablesIn({ dataDir: target })).toEqual(expected);

    const again = await cli('db-restore', [file], { DATA_DIR: target });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^目标数据库不是空的：.*hazards \d+ 行.*请加 --force。未做任何改动。/);
    const forced = await cli('db-restore', [file, '--force'], { DATA_DIR: target });
    expect(forced).toMatchObject({ code: 0, stderr: '' });
    expect(await tablesIn({ dataDir: target })).toEqual(expected);

    const missing = await cli('db-restore', [join(root, 'nope.gz')], { DATA_DIR: join(root, 'never') });
    expect(missing).toMatchObject({
      code: 1,
      stderr: `${join(root, 'nope.gz')}：文件不存在。未做任何改动。\n`,
    });
    expect(existsSync(join(root, 'never'))).toBe(false);
  }, 300_000);

  it('moves the folder into an empty PostgreSQL database: every table and row; backs that up too', async () => {
    server = await startPgServer();
    const move = await cli('db-move', ['--to', server.url], { DATA_DIR: source });
    expect(move).toMatchObject({ code: 0, stderr: '' });
    expect(move.stdout).toMatch(/^已复制到 postgres:\/\/.*（[\d.]+ 秒）：\n/);
    const hazards = expected.find((table) => table.name === 'hazards')!.rows.length;
    expect(move.stdout).toMatch(new RegExp(`\\n  hazards +${hazards}\\n`));
    expect(move.stdout).toContain(`共 ${expected.length} 张表，${rows} 行。`);
    expect(move.stdout).toContain(`下一步：在服务的环境中设置 DATABASE_URL=${server.url}`);
    expect(await tablesIn({ databaseUrl: server.url })).toEqual(expected);

    const again = await cli('db-move', ['--to', server.url], { DATA_DIR: source });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^目标数据库不是空的：.*目标数据库未做任何改动。/);

    // The server's own backup, restored into PGlite: the same rows again.
    const file = join(root, 'from-postgres.jsonl.gz');
    const backup = await cli('db-backup', [file], { DATABASE_URL: server.url });
    expect(backup.stdout).toMatch(/来自PostgreSQL（DATABASE_URL）/);
    // Into a migrated, empty folder (the first restore above created its own): no second initdb.
    const target = join(root, 'from-postgres');
    await migratedDataDir(target);
    expect(await cli('db-restore', [file], { DATA_DIR: target })).toMatchObject({ code: 0, stderr: '' });
    expect(await tablesIn({ dataDir: target })).toEqual(expected);
  }, 300_000);

  it('backs up while the service runs, from the service; restore and move refuse meanwhile', async () => {
    const service = await startService({ DATA_DIR: source, HOST: '127.0.0.1' }, 120_000, true);
    const file = join(root, 'live.jsonl.gz');
    try {
      expect(existsSync(join(source, CONTROL_FILE))).toBe(true);
      const backup = await spawned('db-backup', [file], { DATA_DIR: source });
      expect(backup).toMatchObject({ code: 0, stderr: '' });
      expect(backup.stdout).toContain(`来自运行中的服务（进程 ${service.child.pid}）`);
      const refused = `服务正在运行（进程 ${service.child.pid}），数据目录 ${source} 由它使用`;
      const [restore, move] = await Promise.all([
        spawned('db-restore', [file, '--force'], { DATA_DIR: source }),
        spawned('db-move', ['--to', 'postgres://postgres@127.0.0.1:1/none'], { DATA_DIR: source }),
      ]);
      expect(restore).toMatchObject({ code: 1, stderr: expect.stringContaining(refused) });
      expect(move).toMatchObject({ code: 1, stderr: expect.stringContaining(refused) });
    } finally {
      await service.stop();
    }
    expect(existsSync(join(source, CONTROL_FILE))).toBe(false);
    const target = join(root, 'live');
    await migratedDataDir(target);
    expect(await cli('db-restore', [file], { DATA_DIR: target })).toMatchObject({ code: 0, stderr: '' });
    // The service's start-up jobs may have written rows of their own since; the organization and the
    // hazards are as they were.
    const restored = await tablesIn({ dataDir: target });
    for (const name of ['people', 'units', 'posts', 'hazards', 'hazard_events'])
      expect(restored.find((table) => table.name === name)).toEqual(
        expected.find((table) => table.name === name),
      );
  }, 300_000);
});
