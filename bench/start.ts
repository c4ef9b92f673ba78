// Benchmark 5 — the build against tsx (issue 21): time to ready after a restart (spawn → first healthy
// /healthz, on a PGlite data folder a first start made) and the resident set 5 s after ready, with Feishu
// and WeCom configured (values that pass the configuration's checks; no platform is called at start-up).
// `node --import tsx bot/node.ts` (how `npm start` ran before the build) and `node dist/node.js` (how it
// runs now), alternated in one run, 3 restarts each, medians. Targets: ready ≤ 2 s, idle RSS ≤ 250 MiB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIfStale } from '../scripts/build.mjs';
import { memoryOf, round, sleep, startService, writeResult } from './lib/common.ts';

const REPEATS = 3;
const IDLE_AFTER_MS = 5_000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const CHANNELS = {
  FEISHU_APP_ID: 'cli_bench0000000000',
  FEISHU_APP_SECRET: 'bench-feishu-secret-0000000000000',
  FEISHU_ENCRYPT_KEY: 'bench-encrypt-key',
  FEISHU_VERIFICATION_TOKEN: 'bench-verification-token',
  WECOM_CORP_ID: 'wwbench000000000000',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'bench-wecom-secret-00000000000000000000000',
  WECOM_TOKEN: 'benchtoken',
  WECOM_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};

export async function benchStart() {
  await buildIfStale();
  const dir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const env = { ...CHANNELS, DATA_DIR: join(dir, 'data') };
  const variants = { tsx: false, built: true } as const;
  const runs: Record<keyof typeof variants, { readyMs: number; idleRssMiB: number }[]> = {
    tsx: [],
    built: [],
  };
  try {
    // The first start (initdb, migrations) makes the data folder every restart opens.
    await (await startService(env, 300_000, true)).stop();
    for (let i = 0; i < REPEATS; i++) {
      for (const [name, built] of Object.entries(variants) as [keyof typeof variants, boolean][]) {
        const service = await startService(env, 300_000, built);
        await sleep(IDLE_AFTER_MS);
        runs[name].push({
          readyMs: Math.round(service.readyMs),
          idleRssMiB: memoryOf(service.child.pid!).rssMiB,
        });
        await service.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, each]) => [
      name,
      {
        readyMedianMs: median(each.map((run) => run.readyMs)),
        idleRssMedianMiB: round(median(each.map((run) => run.idleRssMiB))),
        runs: each,
      },
    ]),
  );
  for (const [name, value] of Object.entries(summary)) {
    process.stdout.write(`  ${name}: ready ${value.readyMedianMs} ms, idle ${value.idleRssMedianMiB} MiB\n`);
  }
  return writeResult('start', {
    mode: 'PGlite restart, Feishu (webhook) and WeCom (app) configured',
    idleAfterMs: IDLE_AFTER_MS,
    ...summary,
  });
}
