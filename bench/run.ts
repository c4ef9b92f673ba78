// `npm run bench [-- ingest fanout district startup start backup bureau thumbnails]`: runs the benchmarks (all by default) and writes
// bench/results/<name>.json. Not part of `npm test`: numbers depend on the machine, not on correctness.
import { benchBackup } from './backup.ts';
import { benchBureau } from './bureau.ts';
import { benchDistrict } from './district.ts';
import { benchFanout } from './fanout.ts';
import { benchIngest } from './ingest.ts';
import { benchStart } from './start.ts';
import { benchStartup } from './startup.ts';
import { benchThumbnails } from './thumbnails.ts';

const BENCHMARKS: Record<string, () => Promise<string>> = {
  startup: benchStartup,
  start: benchStart,
  ingest: benchIngest,
  fanout: benchFanout,
  district: benchDistrict,
  backup: benchBackup,
  bureau: benchBureau,
  thumbnails: benchThumbnails,
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark: ${unknown.join(', ')} (choose from ${Object.keys(BENCHMARKS).join(', ')})\n`,
  );
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : Object.keys(BENCHMARKS)) {
  const started = performance.now();
  const file = await BENCHMARKS[name]!();
  process.stdout.write(`${name}: ${Math.round((performance.now() - started) / 1000)} s → ${file}\n`);
}
process.exit(0);
