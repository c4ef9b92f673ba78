// The Node HTTP server of the service. The body deadlines of bot/core/body.ts start once a request's
// headers are in; before that only Node's own limits apply, and their defaults let a client hold a socket
// with headers that never end for 60 s (headersTimeout) and 300 s per request (requestTimeout), checked
// every 30 s (https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener). A platform and a
// browser send their headers at once, so ours are tight, as nginx's client_header_timeout is.
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';

export interface HttpTimeouts {
  /** Headers not complete this long after the request began: 408 and the socket closed. */
  headersMs: number;
  /** The whole request (headers and body) not in by then: 408. Above the console's 120 s for an upload. */
  requestMs: number;
  /** How often Node checks the two above. */
  checkEveryMs: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 130_000, checkEveryMs: 1_000 };

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  port: number;
  hostname: string;
  timeouts?: HttpTimeouts;
}

/** Starts listening; resolves with the server and the port it listens on once it does. */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<{ server: ServerType; port: number }> {
  const timeouts = options.timeouts ?? HTTP_TIMEOUTS;
  const server = serve({
    fetch: options.fetch,
    port: options.port,
    hostname: options.hostname,
    serverOptions: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
