// Benchmark 5 — backups and the move to PostgreSQL on the full district data (bench/district.ts: 200
// schools, 10,002 people, 100,000 hazards with 350,000 trail rows), as an operator runs them: the
// `db:backup` of the PGlite folder, its `db:restore` into a new folder, the `db:move` into an empty
// PostgreSQL 15 database (fsync on), and `db:backup` of the service while it runs (how long it holds PGlite).
// Wall time of each command (Node start included), rows, and the file's size.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../db/client.ts';
import { startPgServer } from '../test/helpers/pg-server.ts';
import { generateDistrict } from './district.ts';
import { round, runCli, startService, writeResult } from './lib/common.ts';

async function timed(script: string, args: string[], env: Record<string, string>) {
  const started = performance.now();
  const output = await runCli(script, args, env);
  const seconds = round((performance.now() - started) / 1000);
  process.stdout.write(`  ${script} ${seconds} s: ${output.split('\n')[0]}\n`);
  return { seconds, output };
}

export async function benchBackup() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-backup-'));
  const source = join(dir, 'data');
  const pg = await startPgServer({ durable: true });
  try {
    const database = await openDatabase({ dataDir: source });
    const data = await generateDistrict(database.db);
    await database.close();
    const file = join(dir, 'district.jsonl.gz');
    const backup = await timed('bot/cli/db-backup.ts', [file], { DATA_DIR: source });
    const rows = Number(/，(\d+) 行/.exec(backup.output)?.[1] ?? 0);
    const restore = await timed('bot/cli/db-restore.ts', [file], { DATA_DIR: join(dir, 'restored') });
    const move = await timed('bot/cli/db-move.ts', ['--to', pg.url], { DATA_DIR: source });
    const service = await startService({ DATA_DIR: source, HOST: '127.0.0.1' });
    let live: { seconds: number };
    try {
      live = await timed('bot/cli/db-backup.ts', [join(dir, 'live.jsonl.gz')], { DATA_DIR: source });
    } finally {
      await service.stop();
    }
    return writeResult('backup', {
      data,
      rows,
      fileMiB: round(statSync(file).size / 2 ** 20),
      backupSeconds: backup.seconds,
      restoreSeconds: restore.seconds,
      moveSeconds: move.seconds,
      backupWhileRunningSeconds: live.seconds,
    });
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
