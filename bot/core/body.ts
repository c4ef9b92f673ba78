// Reading a request body within limits: a size, a deadline between two pieces of it, and one for the
// whole body — nginx's client_max_body_size and client_body_timeout, plus an overall deadline nginx
// leaves to the application. The limit is enforced while the body streams in (a chunked body has no
// length to check beforehand), so an oversized body costs at most the limit in memory, and a body that
// stalls or drips ends at the deadline instead of holding whatever the request holds (a place in the
// webhooks' load gate) until the sender gives up. Only web-standard objects: the Workers entry runs it too.
import type { Context, MiddlewareHandler } from 'hono';

export interface BodyLimits {
  /** The largest body taken, in bytes. */
  maxBytes: number;
  /** The longest silence between two pieces of the body (nginx client_body_timeout). */
  idleMs: number;
  /** The longest the whole body may take, from the start of the read. */
  withinMs: number;
}

export class BodyError extends Error {
  override name = 'BodyError';
  constructor(
    /** 413 over the size limit; 408 not received in time, or the sender went away. */
    readonly status: 408 | 413,
    message: string,
  ) {
    super(message);
  }
}

const tooLarge = (limits: BodyLimits) => new BodyError(413, `body larger than ${limits.maxBytes} bytes`);

/** The whole body of `request`, or a BodyError saying which limit it broke. */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limits.maxBytes) throw tooLarge(limits);

  const reader = request.body.getReader();
  const started = Date.now();
  const pieces: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: ((error: BodyError) => void) | undefined;
  const onAbort = () => wake?.(new BodyError(408, 'the sender closed the connection'));
  request.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const left = limits.withinMs - (Date.now() - started);
      const wait = Math.min(limits.idleMs, left);
      const read = reader.read();
      // An abandoned read settles when the connection goes; nothing waits for it then.
      read.catch(() => undefined);
      const stopped = new Promise<never>((_, reject) => {
        wake = reject;
        if (request.signal?.aborted) onAbort();
        timer = setTimeout(
          () =>
            reject(
              new BodyError(
                408,
                wait === left
                  ? `body not received within ${limits.withinMs} ms`
                  : `no body data for ${limits.idleMs} ms`,
              ),
            ),
          Math.max(0, wait),
        );
      });
      const { done, value } = await Promise.race([read, stopped]);
      clearTimeout(timer);
      if (done) break;
      size += value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits);
      pieces.push(value);
    }
  } catch (error) {
    clearTimeout(timer);
    if (error instanceof BodyError) throw error;
    // The stream broke: the connection was reset mid-body.
    throw new BodyError(408, 'the body was cut off');
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const piece of pieces) {
    body.set(piece, offset);
    offset += piece.byteLength;
  }
  return body;
}

/**
 * Middleware that reads the body within `limits` before the handler runs (the handler then reads it from
 * memory), or answers with `refuse`. The rest of the body is not read: on Node, @hono/node-server
 * discards what follows the answer for 500 ms at most and then closes the connection (nginx's lingering
 * close, which lets the sender read the answer before the connection goes).
 */
export function limitBody(
  limits: BodyLimits,
  refuse: (c: Context, error: BodyError) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.raw.body) return next();
    let body: Uint8Array;
    try {
      body = await readBody(c.req.raw, limits);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      return refuse(c, error);
    }
    c.req.raw = new Request(c.req.raw, { body });
    await next();
  };
}
