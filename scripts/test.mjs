// `npm test`: the type check, the lint and the suite at once (as `npm-run-all --parallel` would run them).
// In a row they cost the suite's wall time plus tsc's and biome's (about 12 s on an idle 2-core machine);
// together the two checks use the cores while the suite starts and waits. The suite's output streams; the
// checks' output is shown when they end, in full when they fail. A failed check stops the suite: the run
// fails at once, with that check's output. Arguments go to vitest (`npm test -- test/x.test.ts`).
import { spawn } from 'node:child_process';

const windows = process.platform === 'win32';
const run = (command, args, options = {}) =>
  spawn(command, args, { shell: windows, detached: !windows, ...options });

/** A check run with its output kept: resolves to { name, code, output }. */
function check(name, command, args) {
  const child = run(command, args);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ name, code: code ?? 1, output })));
}

const suite = run('vitest', ['run', ...process.argv.slice(2)], { stdio: 'inherit' });
const suiteDone = new Promise((resolve) =>
  suite.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
);

const stopSuite = () => {
  if (suite.exitCode !== null) return;
  try {
    // The suite's workers and the services they started belong to its process group.
    if (windows) suite.kill();
    else process.kill(-suite.pid, 'SIGTERM');
  } catch {}
};
process.on('SIGINT', () => {
  stopSuite();
  process.exit(130);
});

const checks = [
  check('typecheck (tsc --noEmit)', 'tsc', ['--noEmit']),
  check('lint (biome check .)', 'biome', ['check', '.']),
];
for (const pending of checks) {
  pending.then(({ name, code, output }) => {
    if (code === 0) return;
    stopSuite();
    process.stderr.write(`\n${output}\nnpm test: ${name} failed (exit ${code}); the suite was stopped.\n`);
    process.exit(code);
  });
}

const results = await Promise.all(checks);
const suiteCode = await suiteDone;
for (const { name } of results) process.stdout.write(`npm test: ${name} passed\n`);
process.exit(suiteCode);
