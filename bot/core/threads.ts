// Worker threads where the runtime has them: Node has; Cloudflare Workers (navigator.userAgent) has not.
// The parse threads of uploads (handlers/upload-thread.ts) and the thumbnail thread (bot/core/thumbnails.ts)
// fall back on it: work done in place, or none.

/** node:worker_threads, or undefined where there are no threads. */
export async function workerThreads(): Promise<typeof import('node:worker_threads') | undefined> {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
  if (agent === 'Cloudflare-Workers') return undefined;
  try {
    return await import('node:worker_threads');
  } catch {
    return undefined;
  }
}
