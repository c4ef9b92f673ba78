// PGlite on a worker thread (db/pglite-worker.mjs), behind the two calls drizzle's PGlite driver makes:
// `query` and `transaction`. PGlite runs PostgreSQL in WebAssembly on the thread that calls it; on the HTTP
// thread every statement (and every event being processed) held the webhooks up. On a thread of its own
// the database works while the HTTP thread answers: bench/ingest.ts measures what that gives.
//
// The semantics stay PGlite's: one session, statements in the order they are asked, and a transaction
// holding every other statement back until it ends (the worker runs PGlite's own `transaction`).
import { Worker } from 'node:worker_threads';
import type { PGlite, QueryOptions, Results } from '@electric-sql/pglite';

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> };
type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** The part of PGlite that drizzle-orm/pglite uses. */
export interface PgliteThread {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  transaction<T>(callback: (tx: Pick<PgliteThread, 'query'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The worker's error fields back on an Error, so callers see PostgreSQL's SQLSTATE `code` as before. */
function rebuildError(fields: Record<string, unknown>): Error {
  const error = new Error(String(fields.message ?? 'database error'));
  Object.assign(error, fields);
  return error;
}

/**
 * drizzle asks for some types (dates, intervals) to be left as PostgreSQL's text; functions cannot cross
 * to the thread, so the types go by OID, and only parsers that leave the value as it is are accepted.
 */
function textTypes(options: QueryOptions | undefined): number[] {
  const parsers = options?.parsers ?? {};
  return Object.entries(parsers).map(([oid, parse]) => {
    if (parse('x', Number(oid)) !== 'x')
      throw new Error(`PGlite thread: only text parsers pass (type ${oid})`);
    return Number(oid);
  });
}

export async function startPgliteThread(dataDir: string | undefined): Promise<PgliteThread> {
  // execArgv: [] — the worker is plain JavaScript and needs none of the parent's loaders (tsx).
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { dataDir },
    execArgv: [],
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | undefined;
  let started: Pending | undefined;
  const ready = new Promise((resolve, reject) => {
    started = { resolve, reject };
  });

  const stop = (error: Error) => {
    stopped ??= error;
    started?.reject(stopped);
    for (const entry of pending.values()) entry.reject(stopped);
    pending.clear();
  };
  worker.on('message', (reply: Reply | { ready: boolean; error?: Record<string, unknown> }) => {
    if ('ready' in reply) {
      if (reply.ready) started?.resolve(undefined);
      else started?.reject(rebuildError(reply.error ?? {}));
      started = undefined;
      return;
    }
    const entry = pending.get(reply.id);
    if (!entry) return;
    pending.delete(reply.id);
    // An idle thread does not keep the process alive, as PGlite on the main thread does not.
    if (pending.size === 0) worker.unref();
    if (reply.error) entry.reject(rebuildError(reply.error));
    else entry.resolve(reply.result);
  });
  worker.on('error', (error) => stop(new Error(`PGlite thread failed: ${error.message}`)));
  worker.on('exit', (code) => stop(new Error(`PGlite thread stopped (exit ${code})`)));
  await ready;
  worker.unref();

  const call = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });

  const queryIn =
    (transaction: number | undefined) =>
    async <T>(sql: string, params: unknown[] = [], options?: QueryOptions) =>
      call<Results<T>>({
        op: 'query',
        transaction,
        sql,
        params,
        rowMode: options?.rowMode ?? 'object',
        textTypes: textTypes(options),
      });

  return {
    query: queryIn(undefined),
    async transaction(callback) {
      const transaction = await call<number>({ op: 'begin' });
      let result: Awaited<ReturnType<typeof callback>>;
      try {
        result = await callback({ query: queryIn(transaction) });
      } catch (error) {
        await call({ op: 'end', transaction, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: 'end', transaction, commit: true });
      return result;
    },
    async close() {
      if (!stopped) await call({ op: 'close' });
      stop(new Error('PGlite thread closed'));
      await worker.terminate();
    },
  };
}

/** For drizzle's PGlite driver, which is typed for PGlite itself but calls only `query` and `transaction`. */
export const asPglite = (thread: PgliteThread) => thread as unknown as PGlite;
