// The release tarball as an operator on a box without Internet access would use it (.ci/run calls this):
// unpack it in an empty folder, `npm ci --omit=dev --offline` from the cache it carries (with the registry
// pointed at a closed port, so a package missing from the cache fails the install), check what the
// production install holds, `npm start` on PGlite on a free port, wait for /healthz, send SIGTERM to npm's
// process group, and expect the service gone within 10 s.
//   node scripts/check-release.mjs [yigang-shuangze-<version>.tgz]   (no argument: `npm run release` first)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const STOP_WITHIN_MS = 10_000;
const READY_WITHIN_MS = 90_000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const say = (line) => console.log(`check-release: ${line}`);

function fail(message) {
  console.error(`check-release: FAILED: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) fail(`${command} ${args.join(' ')}: ${result.error ?? `exit ${result.status}`}`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether something accepts a new connection on the port (fetch would reuse a kept-alive one). */
function listening(port) {
  return new Promise((resolveOpen) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

function groupAlive(leader) {
  try {
    process.kill(-leader, 0);
    return true;
  } catch {
    return false;
  }
}

function packagesIn(modules) {
  let count = 0;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    count += entry.startsWith('@') ? readdirSync(join(modules, entry)).length : 1;
  }
  return count;
}

let tarball = process.argv[2] && resolve(process.argv[2]);
if (!tarball) {
  run(process.execPath, [join(root, 'scripts', 'release.mjs')], { cwd: root });
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  tarball = join(root, `yigang-shuangze-${version}.tgz`);
}
if (!existsSync(tarball)) fail(`no tarball at ${tarball}`);

const work = mkdtempSync(join(tmpdir(), 'yigang-check-release-'));
let service;
try {
  run('tar', ['xzf', tarball, '-C', work]);
  const [folder] = readdirSync(work);
  const app = join(work, folder);

  // Offline for real: the registry is a closed port and the cache is the tarball's alone.
  const installing = Date.now();
  run(npm, ['ci', '--omit=dev', '--offline', '--cache', './npm-cache', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' },
    shell: process.platform === 'win32',
  });
  const modules = join(app, 'node_modules');
  say(`offline install: ${packagesIn(modules)} top-level packages in ${seconds(installing)}`);

  // Our own postinstall ran: the PostgreSQL driver carries the crash fix (scripts/patch-postgres.mjs).
  const driver = readFileSync(join(modules, 'postgres', 'src', 'connection.js'), 'utf8');
  if (!driver.includes('/* patched: scripts/patch-postgres.mjs */')) {
    fail('node_modules/postgres is not patched: the postinstall script did not run');
  }
  for (const devOnly of ['wechaty', 'wechaty-puppet-mock', 'tsx', 'esbuild', 'typescript', 'vitest']) {
    if (existsSync(join(modules, devOnly))) fail(`the production install holds ${devOnly}`);
  }

  const port = await freePort();
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(FEISHU|WECOM|WECHATY|EVIDENCE_S3|DATABASE_URL|DATA_DIR|PORT|HOST)/.test(name),
    ),
  );
  const starting = Date.now();
  // WECHATY_PUPPET asks for the optional channel that is not installed: the service starts all the same.
  service = spawn(npm, ['start'], {
    cwd: app,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(work, 'data'),
      WECHATY_PUPPET: 'wechaty-puppet-service',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Its own process group, so that the clean-up below can end npm and whatever it started.
    detached: true,
  });
  const exited = new Promise((resolveExit) =>
    service.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  const healthz = `http://127.0.0.1:${port}/healthz`;
  let health;
  while (!health) {
    if (service.exitCode !== null) fail(`npm start exited with ${service.exitCode} before /healthz answered`);
    if (Date.now() - starting > READY_WITHIN_MS)
      fail(`/healthz did not answer 200 within ${READY_WITHIN_MS} ms`);
    try {
      const response = await fetch(healthz);
      if (response.status === 200) health = await response.json();
    } catch {
      // not listening yet
    }
    if (!health) await new Promise((next) => setTimeout(next, 100));
  }
  say(`/healthz 200 ${seconds(starting)} after npm start (${JSON.stringify(health.db)})`);
  if (health.connections?.wechaty?.state !== 'not-installed') {
    fail(`/healthz does not say Wechaty is not installed: ${JSON.stringify(health.connections)}`);
  }

  const stopping = Date.now();
  // To npm's process group, as systemd (KillMode=control-group) and a terminal's Ctrl-C signal it: npm 11
  // ends on SIGTERM without passing it to the script's shell, which would leave the service running.
  process.kill(-service.pid, 'SIGTERM');
  const timer = new Promise((resolveTimer) => setTimeout(resolveTimer, STOP_WITHIN_MS, 'timeout'));
  const outcome = await Promise.race([exited, timer]);
  if (outcome === 'timeout') fail(`npm start still running ${STOP_WITHIN_MS} ms after SIGTERM`);
  // npm passes the signal on and may end before the service does: the service is gone when its port is
  // closed and no process of the group npm led is left.
  while (groupAlive(service.pid) || (await listening(port))) {
    if (Date.now() - stopping > STOP_WITHIN_MS)
      fail(`the service still listens ${STOP_WITHIN_MS} ms after SIGTERM`);
    await new Promise((next) => setTimeout(next, 100));
  }
  say(
    `SIGTERM: npm exited (${outcome.signal ?? `code ${outcome.code}`}), the service gone ${seconds(stopping)} after`,
  );
  say(`passed in ${seconds(started)}`);
} catch (error) {
  if (!process.exitCode) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  if (service) {
    try {
      process.kill(-service.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  rmSync(work, { recursive: true, force: true });
}
