// `npm test`: the type check, the lint and the suite at once (as `npm-run-all --parallel` would run them).
//
// The suite runs as two vitest processes side by side: the `slow` lane (spawned services, a browser,
// workerd, PostgreSQL servers stopped and started: its files mostly wait for them) and the `db` and `pure`
// lanes (bound by CPU). In one process the lanes took turns, the slow lane holding both workers while they
// waited; side by side the waits overlap the db lane's work. tsc and biome use the cores while the suite
// starts. The db and pure lanes' output streams; the slow lane's and the checks' is shown when each ends
// (a check's in full only when it fails). A failed check stops the suite at once.
//
// `npm test -- <vitest arguments>` runs `vitest run <arguments>` alone as one process, with the checks;
// `node scripts/test.mjs --suite-only` runs the two suite processes without the checks (`.ci/run`'s
// PostgreSQL and Node 22 passes).
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const windows = process.platform === 'win32';
const args = process.argv.slice(2);
const suiteOnly = args[0] === '--suite-only';
const vitestArgs = suiteOnly ? args.slice(1) : args;

// The project's tools by name, as under `npm run` (also when run as `node scripts/test.mjs`).
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };

const children = [];
const start = (command, commandArgs, options = {}) => {
  // Its own process group (not on Windows): stopping the suite stops its workers and what they started.
  const child = spawn(command, commandArgs, {
    cwd: root,
    shell: windows,
    detached: !windows,
    env,
    ...options,
  });
  children.push(child);
  // A tool that cannot be started (not installed): its run fails with the reason, as a failed run would.
  child.once('error', (error) => {
    process.stderr.write(`npm test: ${command}: ${error.message}\n`);
    child.emit('close', 127);
  });
  return child;
};
const stopAll = () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      if (windows) child.kill();
      else process.kill(-child.pid, 'SIGTERM');
    } catch {}
  }
};
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

/** A process whose output is kept, not streamed: resolves to { name, code, output }. */
function quiet(name, command, commandArgs) {
  const child = start(command, commandArgs, {
    env: { ...env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((resolve) => child.once('close', (code) => resolve({ name, code: code ?? 1, output })));
}

/** A process whose output streams: resolves to { name, code }. */
function loud(name, command, commandArgs) {
  const child = start(command, commandArgs, { stdio: 'inherit' });
  return new Promise((resolve) => child.once('close', (code) => resolve({ name, code: code ?? 1 })));
}

const suite =
  vitestArgs.length > 0
    ? [loud('vitest', 'vitest', ['run', ...vitestArgs])]
    : [
        loud('the db and pure lanes', 'vitest', ['run', '--project', 'db', '--project', 'pure']),
        quiet('the slow lane', 'vitest', ['run', '--project', 'slow']).then((result) => {
          process.stdout.write(`\n── the slow lane (vitest run --project slow) ──\n${result.output}\n`);
          return result;
        }),
      ];

const checks = suiteOnly
  ? []
  : [
      quiet('typecheck (tsc --noEmit)', 'tsc', ['--noEmit']),
      quiet('lint (biome check .)', 'biome', ['check', '.']),
    ].map((pending) =>
      pending.then((result) => {
        if (result.code !== 0) {
          stopAll();
          process.stderr.write(
            `\n${result.output}\nnpm test: ${result.name} failed (exit ${result.code}); the suite was stopped.\n`,
          );
          process.exit(result.code);
        }
        return result;
      }),
    );

const results = await Promise.all([...checks, ...suite]);
const failed = results.filter((result) => result.code !== 0);
for (const result of results) {
  process.stdout.write(
    `npm test: ${result.name} ${result.code === 0 ? 'passed' : `failed (exit ${result.code})`}\n`,
  );
}
process.exit(failed.length > 0 ? failed[0].code : 0);
