// The build (`npm run build`): the Node service and the command-line tools as plain JavaScript in dist/,
// made by esbuild from the TypeScript sources, so that nothing compiles TypeScript at run time.
//   dist/node.js, dist/chunk-*.js  bot/node.ts (`npm start`) and the chunks it imports
//   dist/cli/<name>.js           bot/cli/<name>.ts (`npm run org:import` …)
//   dist/handlers/upload-worker.mjs, dist/bot/core/thumbnail-worker.mjs, dist/db/pglite-worker.mjs
//                                the worker threads' files
//   dist/db/migrations/, dist/examples/school.yaml, dist/package.json   what the code reads at run time
// The project's own code is bundled; packages stay in node_modules (`packages: 'external'`). Source maps
// (run with --enable-source-maps) name the .ts files in stack traces.
//
// A bundled module's `import.meta.url` would be its output file's, whatever folder its source is in: the
// plugin below makes it the URL the source file would have inside dist/ (dist/db/client.ts for
// db/client.ts), so `new URL('./migrations', import.meta.url)` finds dist/db/migrations as it finds
// db/migrations when run from the sources. The files so reached are copied to the same places.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(root, 'dist');

/** The command-line tools: bot/cli/<name>.ts → dist/cli/<name>.js. */
export const CLIS = [
  'org-import',
  'org-move',
  'org-resolve',
  'roster-import',
  'ledger-export',
  'calendar-import',
  'admin-add',
  'migrate',
  'doctor',
  'db-backup',
  'db-restore',
  'db-move',
];

/** What the build reads: dist/ is stale when any of it is newer than dist/build.json. */
const INPUTS = [
  'bot',
  'db',
  'handlers',
  'jobs',
  'cards',
  'examples/school.yaml',
  'package.json',
  'tsconfig.json',
];
const STAMP = 'build.json';

/**
 * The packages the service's build leaves in node_modules: those loaded when first used (the Feishu SDK,
 * exceljs…, each its own `import()`), those whose files are read where they are (PGlite's WebAssembly),
 * and the optional Wechaty. The others are bundled into dist/: the ESM loader's resolving and reading of
 * their hundreds of small files cost about 0.3 s of CPU a start (measured A/B, README "Benchmarks").
 */
const LOADED_APART = [
  '@electric-sql/pglite',
  '@larksuiteoapi/node-sdk',
  '@wecom/aibot-node-sdk',
  'docx',
  'exceljs',
  'jszip',
  'postgres',
  'wechaty',
  'wechaty-*',
];
/** Bundled CommonJS code may `require` Node's own modules, which an ES module has no `require` for. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Files copied as they are (paths under the project root and under dist/ alike). */
const COPIED = ['db/migrations', 'db/pglite-worker.mjs', 'examples/school.yaml'];

const toPosix = (path) => path.split(sep).join('/');

function newestMtime(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why dist/ must be built first, or undefined when it is there and newer than every source. */
export function staleReason(outdir = DIST) {
  const stamp = statSync(join(outdir, STAMP), { throwIfNoEntry: false });
  if (!stamp) return 'dist/ has not been built';
  const newest = Math.max(...INPUTS.map((input) => newestMtime(join(root, input))));
  if (newest > stamp.mtimeMs) return 'the sources changed since dist/ was built';
  return undefined;
}

/**
 * Makes `import.meta.url` in each project module the URL of its source's place inside the output folder,
 * but in the `ownUrl` entries: there it stays the output file's, the program being run (a command-line
 * tool compares it with `process.argv[1]`, bot/cli/options.ts `runIfMain`; they read no files beside them).
 */
function sourcePlacedUrls(outdir, entryDir, ownUrl = []) {
  const own = new Set(ownUrl.map((path) => join(root, path)));
  return {
    name: 'source-placed-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const contents = readFileSync(args.path, 'utf8');
        if (!contents.includes('import.meta.url') || own.has(args.path)) return { contents, loader: 'ts' };
        const placed = toPosix(relative(join(outdir, entryDir), join(outdir, relative(root, args.path))));
        const url = `new URL(${JSON.stringify(placed.startsWith('.') ? placed : `./${placed}`)}, import.meta.url).href`;
        return { contents: contents.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/** A manifest for dist/: ES modules, and the package versions the code names (Wechaty's install line). */
function distManifest() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const kept = { name: manifest.name, version: manifest.version, private: true, type: 'module' };
  for (const key of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    if (manifest[key]) kept[key] = manifest[key];
  }
  return `${JSON.stringify(kept, null, 2)}\n`;
}

/**
 * Builds into `outdir` (dist/ unless given): into a fresh folder beside it, then put in its place, so a
 * process starting meanwhile finds the old build or the new one, never half of one.
 */
export async function build({ outdir = DIST, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(
      'esbuild is not installed (a development dependency): run `npm install` and then `npm run build`, ' +
        'or install a release that includes dist/',
    );
  }
  const started = Date.now();
  const building = `${outdir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Import attributes (`with { type: 'json' }`) are kept from Node 20.10 on.
    target: 'node20.10',
    packages: 'external',
    sourcemap: 'linked',
    // Source paths in the maps relative to the map, e.g. ../bot/node.ts.
    sourcesContent: false,
    logLevel: 'warning',
    outdir: building,
    outbase: root,
  };
  const groups = [
    // bot/node.ts's dynamic imports as chunks of their own beside dist/node.js (the same folder, so the
    // URLs above stay right): the database opens while the service's packages load.
    {
      dir: '',
      entryPoints: [{ in: 'bot/node.ts', out: 'node' }],
      splitting: true,
      chunkNames: 'chunk-[hash]',
      packages: undefined,
      external: LOADED_APART,
      banner: { js: REQUIRE_SHIM },
    },
    {
      dir: 'cli',
      entryPoints: CLIS.map((name) => ({ in: `bot/cli/${name}.ts`, out: `cli/${name}` })),
      ownUrl: CLIS.map((name) => `bot/cli/${name}.ts`),
    },
    {
      dir: 'handlers',
      entryPoints: [{ in: 'handlers/upload-worker.ts', out: 'handlers/upload-worker' }],
      outExtension: { '.js': '.mjs' },
    },
    {
      dir: 'bot/core',
      entryPoints: [{ in: 'bot/core/thumbnail-worker.ts', out: 'bot/core/thumbnail-worker' }],
      outExtension: { '.js': '.mjs' },
    },
  ];
  for (const { dir, ownUrl, ...options } of groups) {
    await esbuild.build({ ...common, ...options, plugins: [sourcePlacedUrls(building, dir, ownUrl)] });
  }
  for (const path of COPIED) cpSync(join(root, path), join(building, path), { recursive: true });
  writeFileSync(join(building, 'package.json'), distManifest());
  writeFileSync(
    join(building, STAMP),
    `${JSON.stringify({ builtAt: new Date().toISOString(), esbuild: esbuild.version }, null, 2)}\n`,
  );
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(dirname(outdir), { recursive: true });
  renameSync(building, outdir);
  log(`built ${toPosix(relative(root, outdir)) || '.'}/ in ${Date.now() - started} ms`);
  return outdir;
}

/** Builds when dist/ is missing or older than the sources; says why on stderr. */
export async function buildIfStale(outdir = DIST) {
  const reason = staleReason(outdir);
  if (!reason) return;
  if (!existsSync(join(root, 'node_modules', 'esbuild')) && existsSync(join(outdir, STAMP))) {
    // A production install (no development dependencies) runs the build it came with.
    process.stderr.write(
      `warning: ${reason}, and esbuild is not installed to rebuild it; running it as it is\n`,
    );
    return;
  }
  process.stderr.write(`building: ${reason}\n`);
  await build({ outdir, log: (line) => process.stderr.write(`${line}\n`) });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  build().catch((error) => {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
