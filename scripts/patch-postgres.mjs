// Patches postgres.js 3.4.9 (the PostgreSQL driver) after `npm install`/`npm ci` (the `postinstall`
// script): npm has no patched dependencies of its own, and the fix is not released upstream.
//
// The bug (porsager/postgres#1154, #1208; fixes proposed in #1168, #1209): when a connection dies in the
// middle of a transaction (PostgreSQL restarted, a failover, a backend terminated), the driver rolls the
// transaction back on that connection after it has dropped its socket. The ROLLBACK's write is deferred to
// a setImmediate that calls `socket.write` on null: an uncaught TypeError that no caller can catch, and
// the Node process exits. And because the teardown cancels the deferred write without forgetting it,
// every later write on that pool slot is held back for good: each query on it waits for the connect
// timeout and fails (the pool is wedged until the process restarts). test/faults-pg.test.ts shows both.
//
// The patch, in each of the package's three builds (ESM, CommonJS, Workers):
// - `nextWrite` with no socket rejects the queries whose bytes it was to write (CONNECTION_CLOSED)
//   instead of throwing from a timer; a query waiting for the connection to open again is not one of them;
// - the teardowns (`terminate`, `closed`) forget the cancelled write and its bytes, and `closed` the
//   query it has just rejected and its error, so the next socket starts clean.
// Idempotent. Another version of the package is left alone, with a notice: check whether it still needs
// this, and drop or adapt the script.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '3.4.9';
const MARK = '/* patched: scripts/patch-postgres.mjs */';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');

const edits = [
  {
    from: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    to: `  function nextWrite(fn) {
    if (socket === null) { ${MARK}
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      const err = Errors.connection('CONNECTION_CLOSED', options)
      query && (queryError(query, err), query = null)
      while (sent.length) queryError(sent.shift(), err)
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
  {
    // closed(), once the queries under way are rejected: a FATAL answer that came before the close (a
    // terminated backend's 57P01) is not left behind for the first query on the next socket.
    from: `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n`,
    to: `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = results = errorResponse = null, result = new Result() ${MARK}\n`,
  },
  {
    // terminate() and closed(): both cancel the deferred write the same way.
    from: '\n    clearImmediate(nextWriteTimer)\n',
    to: `\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null ${MARK}\n`,
    count: 2,
  },
];

function main() {
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) return; // not installed (yet): nothing to patch
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (version !== VERSION) {
    console.warn(`patch-postgres: postgres ${version} is not ${VERSION}; left unpatched (see the script).`);
    return;
  }
  for (const build of ['src', 'cjs/src', 'cf/src']) {
    const file = join(root, build, 'connection.js');
    const original = readFileSync(file, 'utf8');
    let text = original;
    for (const { from, to, count = 1 } of edits) {
      if (text.split(to).length - 1 === count) continue; // applied before
      const found = text.split(from).length - 1;
      if (found !== count) {
        throw new Error(
          `patch-postgres: ${file}: expected ${count} × ${JSON.stringify(from)}, found ${found}`,
        );
      }
      text = text.replaceAll(from, to);
    }
    if (text !== original) writeFileSync(file, text);
  }
}

main();
