// `npm start` and the command-line tools' npm scripts: runs the built JavaScript (scripts/build.mjs),
// building it first when dist/ is missing or older than the sources, so that `npm install && npm start`
// works on a fresh clone. The built file is imported into this process rather than started as a child:
// a SIGTERM sent to this process (by npm, systemd, a container runtime) reaches the service's own handler.
//   node scripts/start.mjs                      → dist/node.js
//   node scripts/start.mjs cli/org-import ARGS  → dist/cli/org-import.js with ARGS
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIfStale, DIST } from './build.mjs';

const target = process.argv[2]?.startsWith('cli/') ? process.argv[2] : undefined;
const file = join(DIST, `${target ?? 'node'}.js`);

try {
  await buildIfStale();
} catch (error) {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
if (!existsSync(file)) {
  process.stderr.write(`no such program: ${target}\n`);
  process.exit(2);
}
// Under `npm start`, npm 11 exits on SIGTERM without passing it on (measured: npm gone at once, this
// process left running, adopted by init). When the parent npm is gone, this process stops as on SIGTERM.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 250).unref();
}
// The program reads its own arguments from process.argv.slice(2), as when run as `node dist/….js ARGS`.
if (target) process.argv.splice(2, 1);
process.argv[1] = file;
await import(pathToFileURL(file).href);
