// Thumbnails are made on a thread of their own (bot/core/thumbnail-worker.ts running handlers/thumbnail.ts):
// decoding a phone's JPEG in pure JavaScript costs 0.4 s (2 MP) to 2.2 s (12 MP) of CPU (bench/thumbnails.ts),
// which on the HTTP thread would hold every webhook up. One photo at a time, on one thread kept between
// photos; a photo that takes longer than `timeoutMs` has its thread stopped and is refused. Cloudflare Workers
// have no threads (and a request's CPU time is limited): there none is made, and the ledger embeds the stored
// photo as before (handlers/ledger-export.ts).
import type { ThumbnailResult } from '../../handlers/thumbnail.ts';
import { workerThreads } from './threads.ts';

export interface Thumbnailer {
  /**
   * The thumbnail of a photo's bytes, or why none can be made of them; undefined when it could not be made
   * for a reason that is not the photo's (the thread failed).
   */
  make(bytes: Uint8Array, contentType: string): Promise<ThumbnailResult | undefined>;
  /** Whether its thread is up (it stops when idle, THUMBNAIL_IDLE_MS). */
  readonly running: boolean;
  /** Stops the thread (after the photo under way). */
  close(): Promise<void>;
}

export const THUMBNAIL_TIMEOUT_MS = 30_000;
/**
 * An idle thread is stopped this long after its last photo: decoding a 12 MP photo takes about 220 MB on
 * the thread (jpeg-js), which its heap would otherwise keep until a collection that an idle thread may
 * never run; photos come in bursts (a report, a rectification), a new thread starts in a few ms.
 */
export const THUMBNAIL_IDLE_MS = 30_000;

type NodeWorker = import('node:worker_threads').Worker;

/** The thread-backed thumbnailer, or undefined where the runtime has no threads. */
export async function createThumbnailer(
  options: { timeoutMs?: number; idleMs?: number } = {},
): Promise<Thumbnailer | undefined> {
  const node = await workerThreads();
  if (!node) return undefined;
  const timeoutMs = options.timeoutMs ?? THUMBNAIL_TIMEOUT_MS;
  const idleMs = options.idleMs ?? THUMBNAIL_IDLE_MS;
  /** Photos handed to `make` and not yet answered; the idle thread's stop. */
  let pending = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const stopWhenIdle = () => {
    if (pending > 0 || !worker) return;
    const thread = worker;
    idleTimer = setTimeout(() => {
      if (pending > 0 || worker !== thread) return;
      [worker, ready] = [undefined, undefined];
      void thread.terminate();
    }, idleMs);
    idleTimer.unref();
  };
  let worker: NodeWorker | undefined;
  let ready: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  let nextId = 1;

  const start = () => {
    // The thread needs none of the parent's loaders (tsx, vitest): it loads its own code.
    const thread = new node.Worker(new URL('./thumbnail-worker.mjs', import.meta.url), { execArgv: [] });
    thread.on('error', () => {});
    thread.on('exit', () => {
      if (worker === thread) [worker, ready] = [undefined, undefined];
    });
    worker = thread;
    ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        thread.off('message', onMessage);
        thread.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number) => reject(new Error(`thumbnail thread stopped (exit ${code})`));
      thread.on('message', onMessage);
      thread.on('exit', onExit);
    });
    return thread;
  };

  async function once(bytes: Uint8Array, contentType: string): Promise<ThumbnailResult | undefined> {
    if (closed) return undefined;
    const thread = worker ?? start();
    thread.ref();
    try {
      await ready;
    } catch {
      return undefined;
    }
    const id = nextId++;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: ThumbnailResult | undefined, stop = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        thread.off('message', onMessage);
        thread.off('exit', onExit);
        if (stop) {
          // The next photo starts a fresh thread.
          if (worker === thread) [worker, ready] = [undefined, undefined];
          void thread.terminate();
        }
        // An idle thread does not keep the process alive.
        else thread.unref();
        resolve(result);
      };
      const timer = setTimeout(
        () => finish({ ok: false, refused: `生成缩略图超过 ${timeoutMs / 1000} 秒，已停止` }, true),
        timeoutMs,
      );
      const onMessage = (message: { id?: number; result?: ThumbnailResult }) => {
        if (message.id === id) finish(message.result);
      };
      const onExit = () => finish(undefined);
      thread.on('message', onMessage);
      thread.on('exit', onExit);
      // A copy crosses: the caller's bytes stay its own.
      thread.postMessage({ id, bytes, contentType });
    });
  }

  return {
    make(bytes, contentType) {
      pending++;
      clearTimeout(idleTimer);
      const result = queue.then(() => once(bytes, contentType));
      queue = result.catch(() => undefined);
      void queue.then(() => {
        pending--;
        stopWhenIdle();
      });
      return result;
    },
    /** Whether a thread is up (tests). */
    get running() {
      return worker !== undefined;
    },
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      await queue;
      await worker?.terminate();
    },
  };
}
