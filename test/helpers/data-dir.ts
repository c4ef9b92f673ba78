// PGlite data folders for the tests that spawn the product (`npm start`, the command-line tools): a copy of
// one folder migrated once, instead of each process creating (initdb) and migrating its own — ~8 s of CPU
// each. The migrated folder is kept under the OS temp directory, keyed by what makes it (the migrations,
// PGlite's and drizzle's versions), so later runs find it; the product still runs its migrator on the
// copy, which finds nothing to do (the path a restarted service takes). A folder holding the examples
// (`keptDataDir`: cli-backup.test.ts, faults-kill.test.ts) is kept the same way.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../db/client.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const migrations = join(root, 'db/migrations');

const versionOf = (name: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function cacheKey(): string {
  const hash = createHash('sha256');
  hash.update(`pglite ${versionOf('@electric-sql/pglite')} drizzle ${versionOf('drizzle-orm')}\n`);
  for (const file of filesUnder(migrations))
    hash.update(file.slice(migrations.length)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A kept folder not used for this long, and made from other sources than this checkout's, is removed. */
const UNUSED_MS = 60 * 60 * 1000;

/**
 * Removes the kept folders matching `pattern` but `current` (made from other migrations or sources) that
 * no test has used for an hour: each change to the sources makes new ones, and another checkout may be
 * using its own meanwhile.
 */
function removeUnused(pattern: RegExp, current: string) {
  for (const entry of readdirSync(tmpdir())) {
    const path = join(tmpdir(), entry);
    if (path === current || !pattern.test(entry)) continue;
    const used = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - used > UNUSED_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * A data folder kept under the OS temp directory (read only: copy it), named by `label`, the `version` of
 * its sources and what makes every kept folder (the migrations, PGlite's and drizzle's versions): made by
 * `build` the first time a test process asks; one asking meanwhile waits for it (a lock folder), unless
 * the lock is older than two minutes (its maker died). Each use marks it used (its mtime).
 */
async function keptFolder(
  label: string,
  version: string,
  build: (dataDir: string) => Promise<void>,
): Promise<string> {
  const folder = join(tmpdir(), `yigang-test-pglite-${cacheKey()}${label ? `-${label}-${version}` : ''}`);
  const lock = `${folder}.lock`;
  const used = () => {
    const now = new Date();
    utimesSync(folder, now, now);
    return folder;
  };
  for (;;) {
    if (existsSync(join(folder, 'PG_VERSION'))) return used();
    try {
      mkdirSync(lock);
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
      continue;
    }
    try {
      if (existsSync(join(folder, 'PG_VERSION'))) return used();
      const building = `${folder}.${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      await build(building);
      rmSync(folder, { recursive: true, force: true });
      renameSync(building, folder);
      const escaped = label.replace(/[^\w-]/g, (char) => `\\${char}`);
      removeUnused(
        new RegExp(`^yigang-test-pglite-[0-9a-f]{16}${label ? `-${escaped}-[0-9a-f]{12}` : ''}$`),
        folder,
      );
      return used();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The migrated, empty data folder (read only: copy it). */
const migratedFolder = () =>
  keptFolder('', '', async (dataDir) => {
    const database = await openDatabase({ dataDir });
    await database.close();
  });

/** Makes `dataDir` (which must not exist) a migrated PGlite data folder with no rows. */
export async function migratedDataDir(dataDir: string): Promise<void> {
  cpSync(await migratedFolder(), dataDir, { recursive: true });
}

/**
 * Makes `dataDir` (which must not exist) a copy of a kept folder that `fill` made once from a migrated
 * one: the folder is named `name` and the contents of `dependsOn` (files or folders, from the project's
 * root), so a change to any of them makes it anew. Loading the examples in each test's own process cost
 * an open of PGlite and the import, seconds of CPU each time.
 */
export async function keptDataDir(
  dataDir: string,
  name: string,
  dependsOn: string[],
  fill: (dataDir: string) => Promise<void>,
): Promise<void> {
  const hash = createHash('sha256');
  for (const path of dependsOn) {
    const full = join(root, path);
    const files = statSync(full).isDirectory() ? filesUnder(full) : [full];
    for (const file of files) hash.update(file.slice(root.length)).update(readFileSync(file));
  }
  const folder = await keptFolder(name, hash.digest('hex').slice(0, 12), async (building) => {
    cpSync(await migratedFolder(), building, { recursive: true });
    await fill(building);
  });
  cpSync(folder, dataDir, { recursive: true });
}
