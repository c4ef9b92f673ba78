// Benchmark 4 — start-up to ready and idle memory. `npm start` as an operator runs it (demo mode: the
// example school), timed from spawn to the first healthy /healthz; first start (migrations, example
// organization loaded) and restart on the same data, on PGlite (DATA_DIR on disk) and on PostgreSQL 15.
// Idle memory is the resident set 15 s after ready (the start-up job runs are done), after the first
// start and after a restart: PGlite's first start runs initdb in WebAssembly, whose memory the process
// keeps, so the restart is the steady state of a deployed service.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgServer } from '../test/helpers/pg-server.ts';
import { memoryOf, round, sleep, startService, writeResult } from './lib/common.ts';

const REPEATS = 3;
const IDLE_AFTER_MS = 15_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(env: Record<string, string>) {
  const first = await startService(env);
  await sleep(IDLE_AFTER_MS);
  const firstIdle = memoryOf(first.child.pid!);
  await first.stop();
  const restarts: number[] = [];
  let idle = firstIdle;
  for (let i = 0; i < REPEATS; i++) {
    const again = await startService(env);
    restarts.push(again.readyMs);
    if (i === 0) {
      await sleep(IDLE_AFTER_MS);
      idle = memoryOf(again.child.pid!);
    }
    await again.stop();
  }
  return {
    firstStartMs: Math.round(first.readyMs),
    restartMedianMs: Math.round(median(restarts)),
    restartsMs: restarts.map((ms) => Math.round(ms)),
    idleRssMiB: idle.rssMiB,
    idlePeakRssMiB: idle.peakRssMiB,
    firstStartIdleRssMiB: firstIdle.rssMiB,
  };
}

export async function benchStartup() {
  const results: Record<string, unknown> = {};
  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    process.stdout.write('startup: PGlite\n');
    results.pglite = await measure({ DATA_DIR: join(dir, 'data') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pg = await startPgServer({ durable: true });
  try {
    process.stdout.write('startup: PostgreSQL\n');
    results.postgres = await measure({ DATABASE_URL: pg.url });
  } finally {
    await pg.stop();
  }
  for (const [kind, value] of Object.entries(results)) {
    const r = value as { firstStartMs: number; restartMedianMs: number; idleRssMiB: number };
    process.stdout.write(
      `  ${kind}: first start ${r.firstStartMs} ms, restart ${r.restartMedianMs} ms, idle ${round(r.idleRssMiB)} MiB\n`,
    );
  }
  return writeResult('startup', {
    mode: 'demo (no platform credentials; the example school is loaded on the first start)',
    idleAfterMs: IDLE_AFTER_MS,
    ...results,
  });
}
