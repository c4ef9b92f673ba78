// `npm run release`: the offline release tarball, yigang-shuangze-<version>.tgz in the project folder.
// It holds the built service, what it reads at run time, and an npm cache with every production
// dependency, so that a box without Internet access installs it with
//   tar xzf yigang-shuangze-<version>.tgz && cd yigang-shuangze-<version>
//   npm ci --omit=dev --offline --cache ./npm-cache && npm start
// (README, "Deployment"). `--no-build` packs the dist/ already there; scripts/check-release.sh installs
// and starts the result the same way.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const name = `yigang-shuangze-${version}`;
const tarball = join(root, `${name}.tgz`);

/**
 * What the service and its install read, besides node_modules (dist/ holds the migrations and the demo
 * school too: scripts/build.mjs), and what the operator reads. Copied with their times, so that the build's
 * staleness check (scripts/build.mjs) sees dist/ as newer than package.json and examples/.
 */
const CONTENTS = ['dist', 'examples', 'scripts', 'package.json', 'README.md', '.env.example'];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error ?? `exit ${result.status}`})`);
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Copies into `cache` the tarballs of the lockfile's production packages that this machine's npm cache holds. */
function seedCache(lock, cache) {
  const home = spawnSync(npm, ['config', 'get', 'cache'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  }).stdout?.trim();
  if (!home) return;
  const content = (base) => join(base, '_cacache', 'content-v2');
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || !entry.integrity) continue;
    const [algorithm, digest] = entry.integrity.split(' ')[0].split(/-(.*)/s);
    const hex = Buffer.from(digest, 'base64').toString('hex');
    const blob = join(algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    if (!existsSync(join(content(home), blob))) continue;
    mkdirSync(dirname(join(content(cache), blob)), { recursive: true });
    cpSync(join(content(home), blob), join(content(cache), blob));
  }
}

const build = !process.argv.includes('--no-build');
if (build) run(npm, ['run', 'build'], { cwd: root, shell: process.platform === 'win32' });
if (!existsSync(join(root, 'dist', 'node.js'))) {
  throw new Error('dist/node.js is missing: run `npm run build` first (or drop --no-build)');
}

const work = mkdtempSync(join(tmpdir(), 'yigang-release-'));
try {
  const stage = join(work, name);
  mkdirSync(stage);
  for (const entry of CONTENTS) {
    cpSync(join(root, entry), join(stage, entry), { recursive: true, preserveTimestamps: true });
  }

  // The lockfile shipped names each package's tarball URL: with a URL and an integrity npm takes the
  // tarball from the cache by its digest, without asking the registry for the package's metadata (which an
  // offline box cannot). The project's lockfile has integrities but no URLs.
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link || entry.resolved || !entry.version || !entry.integrity) continue;
    const packageName = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const file = `${packageName.split('/').pop()}-${entry.version}.tgz`;
    entry.resolved = `https://registry.npmjs.org/${packageName}/-/${file}`;
  }
  writeFileSync(join(stage, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);

  // The cache: the production packages' tarballs, taken from this machine's npm cache where it has them
  // (by digest, as npm keeps them), then completed and checked by a production install that reads it —
  // one that downloads only what was missing. It installs beside the stage: its node_modules is not shipped.
  const cache = join(stage, 'npm-cache');
  seedCache(lock, cache);
  const scratch = join(work, 'install');
  mkdirSync(scratch);
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(stage, file), join(scratch, file));
  run(
    npm,
    ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--cache', cache],
    { cwd: scratch, shell: process.platform === 'win32' },
  );
  rmSync(join(stage, 'npm-cache', '_logs'), { recursive: true, force: true });

  rmSync(tarball, { force: true });
  run('tar', ['czf', tarball, '-C', work, name]);
  const mib = (statSync(tarball).size / 2 ** 20).toFixed(1);
  console.log(`${tarball} (${mib} MiB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
