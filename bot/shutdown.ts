// Stopping the Node service on SIGTERM or SIGINT (systemd, a container runtime, `npm start`, Ctrl-C): new
// requests are answered 503 and new connections refused, requests under way are finished, then the caller's
// `stop` ends the rest (cron jobs, long connections, the inbox and the outbox batch under way, the
// database). All of it within the deadline, or the process exits with code 1 and says so. The handlers are
// installed explicitly, so the same happens when node is a container's PID 1 (which has no default ones).
import type { Server } from 'node:http';
import type { ServerType } from '@hono/node-server';
import type { Logger } from './core/log.ts';

/** Within systemd's and Docker's default 10 s between SIGTERM and SIGKILL, with a margin. */
export const SHUTDOWN_DEADLINE_MS = 9_000;
/** Requests under way get this long; the connections left then are closed so the rest can stop. */
const REQUESTS_DEADLINE_MS = 4_000;

/** The answer to a request that arrives while the service stops: the platforms retry a webhook later. */
export function stoppingResponse(): Response {
  return Response.json(
    { ok: false, error: '服务正在停止，请稍后重试 / the service is shutting down, retry later' },
    { status: 503, headers: { 'retry-after': '10', connection: 'close' } },
  );
}

export interface Shutdown {
  /** True once a signal came: the HTTP handler answers stoppingResponse(). */
  readonly stopping: boolean;
  /** Wraps the app's fetch: 503 while stopping. */
  fetch(
    handler: (request: Request) => Response | Promise<Response>,
  ): (request: Request) => Response | Promise<Response>;
  /** Installs the SIGTERM/SIGINT handlers for this server; `stop` ends everything else. */
  listen(server: ServerType, stop: () => Promise<void>): void;
}

export function createShutdown(options: {
  log: Logger;
  deadlineMs?: number;
  exit?: (code: number) => void;
}): Shutdown {
  const { log } = options;
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  async function closeServer(server: Server) {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.min(REQUESTS_DEADLINE_MS, deadlineMs / 2));
    });
    if ((await Promise.race([closed, late])) === 'late') {
      log.warn('shutdown: requests still under way were cut off');
      server.closeAllConnections();
      await closed;
    }
    clearTimeout(timer);
  }

  return {
    get stopping() {
      return stopping;
    },
    fetch: (handler) => (request) => (stopping ? stoppingResponse() : handler(request)),
    listen(server, stop) {
      const onSignal = (signal: NodeJS.Signals) => {
        // npm and a terminal may both pass the same Ctrl-C on: the first starts the shutdown, the rest wait.
        if (stopping) return;
        stopping = true;
        const started = Date.now();
        log.info('shutting down', { signal });
        const forced = setTimeout(() => {
          log.error('shutdown: not done within the deadline, exiting now', { deadlineMs });
          exit(1);
        }, deadlineMs);
        forced.unref();
        closeServer(server as Server)
          .then(stop)
          .then(
            () => {
              clearTimeout(forced);
              log.info('stopped', { ms: Date.now() - started });
              exit(0);
            },
            (error) => {
              clearTimeout(forced);
              log.error('shutdown failed', { error: String(error) });
              exit(1);
            },
          );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
  };
}
