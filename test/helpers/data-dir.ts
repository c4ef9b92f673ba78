// PGlite data folders for the tests that spawn the product (`npm start`, the command-line tools): a copy of
// one folder migrated once, instead of each process creating (initdb) and migrating its own — ~8 s of CPU
// each. The migrated folder is kept under the OS temp directory, keyed by what makes it (the migrations,
// PGlite's and drizzle's versions), so later runs find it; the product still runs its migrator on the
// copy, which finds nothing to do (the path a restarted service takes).
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

/**
 * The migrated, empty data folder (read only: copy it). Made by the first test process that asks; one
 * asking meanwhile waits for it (a lock folder), unless the lock is older than two minutes (its maker died).
 */
async function migratedFolder(): Promise<string> {
  const folder = join(tmpdir(), `yigang-test-pglite-${cacheKey()}`);
  const lock = `${folder}.lock`;
  for (;;) {
    if (existsSync(join(folder, 'PG_VERSION'))) return folder;
    try {
      mkdirSync(lock);
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
      continue;
    }
    try {
      if (existsSync(join(folder, 'PG_VERSION'))) return folder;
      const building = `${folder}.${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      const database = await openDatabase({ dataDir: building });
      await database.close();
      rmSync(folder, { recursive: true, force: true });
      renameSync(building, folder);
      return folder;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Makes `dataDir` (which must not exist) a migrated PGlite data folder with no rows. */
export async function migratedDataDir(dataDir: string): Promise<void> {
  cpSync(await migratedFolder(), dataDir, { recursive: true });
}
