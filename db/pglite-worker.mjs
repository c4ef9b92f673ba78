// The embedded database on a thread of its own (see db/pglite-thread.ts, which starts it and speaks for it).
// Plain JavaScript: a worker thread loads its file with Node's own loader, without the TypeScript hooks
// of tsx or vitest. Messages in: { id, op: 'query' | 'begin' | 'end' | 'close', ... }; out: { id, result }
// or { id, error }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = parentPort;
if (!port) throw new Error('db/pglite-worker.mjs runs as a worker thread');

/** Results of type OIDs the caller keeps as text (drizzle keeps dates and intervals as PostgreSQL wrote them). */
const textParsers = (oids) => Object.fromEntries(oids.map((oid) => [oid, (value) => value]));

/** A DatabaseError's fields, which the other side puts back on an Error (code, detail, constraint…). */
function errorFields(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = { message: error.message, name: error.name };
  for (const [key, value] of Object.entries(error)) {
    if (key === 'query' || key === 'params') continue;
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    fields[key] = value;
  }
  return fields;
}

/** Open transactions by id: the PGlite transaction, how to end it (true commits), and its outcome. */
const transactions = new Map();
const ROLLBACK = Symbol('rollback');
let nextTransaction = 1;

/**
 * PostgreSQL's default 128 MB of shared buffers are WebAssembly memory PGlite touches at start: 120 MiB of
 * the idle service's resident set (measured: 291 MiB resident with the default, 171 MiB with 16 or 32 MB,
 * 225 MiB with 64 MB). 16 MB: the buffers are cleared at start, so every megabyte is resident — the
 * WebAssembly memory's resident part is 31 MiB with 16 MB against 49 MiB with 32 MB (smaps of the idle
 * service, 2026-12-07). 2,048 pages hold a school's hot rows and indexes; the rest of its data files are
 * read from the OS page cache, a copy away. A district belongs on PostgreSQL.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

// Listening from the start (the other side asks nothing before `ready`): the port keeps this thread's event
// loop alive while PGlite starts. A loop with nothing alive stops to wait for V8's background work (the
// optimizing compiles of the WebAssembly PGlite runs hot) before going on, which held `ready` and the first
// query back by 0.3–0.8 s (measured).
port.on('message', (message) => {
  run(message).then(
    (result) => port.postMessage({ id: message.id, result }),
    (error) => port.postMessage({ id: message.id, error: errorFields(error) }),
  );
});

let db;
try {
  db = new PGlite(workerData.dataDir, { startParams: START_PARAMS });
  await db.waitReady;
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, error: errorFields(error) });
  process.exit(1);
}

function begin() {
  const id = nextTransaction++;
  const open = {};
  const ended = new Promise((resolve) => {
    open.end = resolve;
  });
  return new Promise((resolveBegun, rejectBegun) => {
    // PGlite holds every other statement back until this callback settles; it commits when it resolves
    // and rolls back when it throws.
    open.done = db
      .transaction(async (tx) => {
        open.tx = tx;
        transactions.set(id, open);
        resolveBegun(id);
        if (!(await ended)) throw ROLLBACK;
      })
      .catch((error) => {
        if (error !== ROLLBACK) throw error;
      })
      .finally(() => transactions.delete(id));
    open.done.catch(rejectBegun);
  });
}

async function end(transaction, commit) {
  const open = transactions.get(transaction);
  if (!open) throw new Error(`no open transaction ${transaction}`);
  open.end(commit);
  await open.done;
}

async function run(message) {
  switch (message.op) {
    case 'query': {
      const target = message.transaction ? transactions.get(message.transaction)?.tx : db;
      if (!target) throw new Error(`no open transaction ${message.transaction}`);
      return target.query(message.sql, message.params, {
        rowMode: message.rowMode,
        parsers: textParsers(message.textTypes),
      });
    }
    case 'begin':
      return begin();
    case 'end':
      return end(message.transaction, message.commit);
    case 'close':
      await db.close();
      return null;
    default:
      throw new Error(`unknown operation ${message.op}`);
  }
}
