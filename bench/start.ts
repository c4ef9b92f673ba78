// Benchmark 5 — the build against tsx (issue 21): time to ready after a restart (spawn → first 200 on
// /readyz: the database open, the migrations applied, the connections up) on a PGlite data folder a first
// start made, and the resident set 30 s after ready (the whole process: the HTTP thread and PGlite's
// thread), with Feishu and WeCom configured (values that pass the configuration's checks; Feishu in webhook
// mode, so nothing calls a platform at start-up). `node --import tsx bot/node.ts` (how `npm start` ran
// before the build) and `node dist/node.js` (how it runs now), alternated in one run, RESTARTS each: median
// and max. Also the CPU time each had used when ready (all threads), which says more than the wall time on
// a machine shared with other work, and the load average around each start. The built start runs with the
// glibc allocator settings the systemd unit and the Dockerfile give it (MALLOC_*, test/packaging.test.ts
// checks they agree), as a deployment runs it; tsx without them, as `npm start` ran before.
// Targets (issue 21): ready ≤ 2 s, idle RSS ≤ 250 MiB.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIfStale } from '../scripts/build.mjs';
import { loadAverage, memoryOf, round, sleep, startService, writeResult } from './lib/common.ts';

const RESTARTS = Number(process.env.BENCH_START_RESTARTS ?? 5);
const IDLE_AFTER_MS = 30_000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const CHANNELS = {
  FEISHU_APP_ID: 'cli_bench0000000000',
  FEISHU_APP_SECRET: 'bench-feishu-secret-0000000000000',
  FEISHU_ENCRYPT_KEY: 'bench-encrypt-key',
  FEISHU_VERIFICATION_TOKEN: 'bench-verification-token',
  FEISHU_DOMAIN: 'http://127.0.0.1:9',
  WECOM_CORP_ID: 'wwbench000000000000',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'bench-wecom-secret-00000000000000000000000',
  WECOM_TOKEN: 'benchtoken',
  WECOM_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  WECOM_API_BASE: 'http://127.0.0.1:9',
};

/** The unit's `Environment=MALLOC_…` settings (glibc's allocator), as systemd gives them to the service. */
function allocatorSettings(): Record<string, string> {
  const unit = readFileSync(new URL('../examples/systemd/yigang-shuangze.service', import.meta.url), 'utf8');
  return Object.fromEntries(
    [...unit.matchAll(/^Environment=(MALLOC_\w+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
  );
}

type Run = { readyMs: number; readyCpuMs: number; idleRssMiB: number; loadAverage: number };

export async function benchStart() {
  await buildIfStale();
  const dir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const env = { ...CHANNELS, DATA_DIR: join(dir, 'data') };
  const variants = { tsx: false, built: true } as const;
  const allocator = allocatorSettings();
  const runs: Record<keyof typeof variants, Run[]> = { tsx: [], built: [] };
  try {
    // The first start (initdb, migrations) makes the data folder every restart opens.
    await (await startService(env, 300_000, true, '/readyz')).stop();
    for (let i = 0; i < RESTARTS; i++) {
      for (const [name, built] of Object.entries(variants) as [keyof typeof variants, boolean][]) {
        const load = loadAverage();
        const service = await startService(built ? { ...env, ...allocator } : env, 300_000, built, '/readyz');
        await sleep(IDLE_AFTER_MS);
        runs[name].push({
          readyMs: Math.round(service.readyMs),
          readyCpuMs: service.readyCpuMs,
          idleRssMiB: memoryOf(service.child.pid!).rssMiB,
          loadAverage: round((load + loadAverage()) / 2),
        });
        await service.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, each]) => {
      const of = (key: keyof Run) => each.map((run) => run[key]);
      return [
        name,
        {
          readyMedianMs: median(of('readyMs')),
          readyMaxMs: Math.max(...of('readyMs')),
          readyCpuMedianMs: median(of('readyCpuMs')),
          idleRssMedianMiB: round(median(of('idleRssMiB'))),
          idleRssMaxMiB: round(Math.max(...of('idleRssMiB'))),
          runs: each,
        },
      ];
    }),
  );
  for (const [name, value] of Object.entries(summary)) {
    process.stdout.write(
      `  ${name}: ready ${value.readyMedianMs} ms (max ${value.readyMaxMs}), CPU to ready ${value.readyCpuMedianMs} ms, ` +
        `idle ${value.idleRssMedianMiB} MiB (max ${value.idleRssMaxMiB})\n`,
    );
  }
  return writeResult('start', {
    mode: 'PGlite restart, Feishu (webhook) and WeCom (app) configured; ready = first 200 on /readyz',
    builtAllocator: allocator,
    restarts: RESTARTS,
    idleAfterMs: IDLE_AFTER_MS,
    ...summary,
  });
}
