// Load shedding for the webhooks. A platform waits a few seconds for our answer (Feishu 3 s, WeCom 5 s)
// and delivers the event again when it gets none or a non-200 one. Under a burst larger than the
// database can take, queueing without bound would make every answer late — the platform would count
// them all as failures and send them all again. So at most `maxInFlight` webhook requests are worked on
// at once; a request waits for a place at most `maxWaitMs`, and a request that would wait longer (or
// finds the line full) is answered 503 with Retry-After at once: refused, not lost, since the platform
// retries it. A request still being worked on `answerWithinMs` after it arrived (a slow database, a
// 责任书 round for a whole district) is answered 503 too, inside the platform's deadline, while the work
// goes on: if it commits, the platform's retry finds the event done (deduplicated) and gets its 200; if
// not, the retry does the work. Its place is given back only when the work has ended. The handler learns
// that deadline (`c.get('answerBy')`): a Feishu card press, which is not delivered again, answers before
// it by itself (bot/channels/feishu/events.ts), never with this 503 after its work started. Messages are only
// written to the inbox before the answer (bot/core/inbox.ts), so it is button presses and a database that
// is slow or away that bring this gate into play.
//
// A place is taken before the body is read, so that the bodies in memory at once are bounded too; the body
// must then arrive within `bodyIdleMs` between reads and `bodyWithinMs` in all, or the sender gets 408
// and its place goes to the next: a sender that stalls, drips or disconnects holds a place for at most
// that long, never until a restart (issue 14). Once the body is in, the place is held until the work ends,
// whether or not the platform is still listening: what the gate protects is the database. A refused
// request whose route answers refusals itself (`busy`: a Feishu card press is refused politely, since a
// 503 would only show its presser Feishu's error) is read within the same limits, at most `maxBusyReads`
// at once; past that it gets the 503 unread.
import type { Context, MiddlewareHandler } from 'hono';
import { limitBody } from './body.ts';
import type { Logger } from './log.ts';
import { metrics } from './metrics.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** When the gate answers 503 if the handler has not answered (ms since the epoch). */
    answerBy: number;
  }
}

export interface LoadGateOptions {
  /**
   * Requests worked on at once (default 256). A message costs one row of a shared insert (the inbox), so
   * many at once make large inserts; a button press is a whole transaction, and waits for a connection.
   */
  maxInFlight?: number;
  /** Requests waiting for a place (default 512). */
  maxQueue?: number;
  /** The longest a request waits for a place before it is refused (default 1000 ms). */
  maxWaitMs?: number;
  /** Requests not answered this long after they arrived are answered 503 (default 2000 ms; Feishu waits 3 s). */
  answerWithinMs?: number;
  /** The largest body taken (default 1 MB); more is answered 413 as soon as it streams past the limit. */
  maxBodyBytes?: number;
  /** The longest silence between two pieces of a body (default 1000 ms; nginx's client_body_timeout). */
  bodyIdleMs?: number;
  /**
   * The longest a body may take in all, from its place in the gate (default 1500 ms): with the wait for a
   * place, inside Feishu's 3 s and WeCom's 5 s. Platforms send the body with the headers, in one go.
   */
  bodyWithinMs?: number;
  /**
   * The answer to a request refused for want of a place, instead of 503, when its route has one (a Feishu
   * card press, which is not delivered again: a polite refusal). Its body is read first, within the limits.
   */
  busy?: (c: Context) => Promise<Response | undefined>;
  /** Refused requests read for `busy` at once (default 16): more get the 503 without being read. */
  maxBusyReads?: number;
  log: Logger;
}

export interface LoadGateState {
  inFlight: number;
  limit: number;
  waiting: number;
  /** Every place taken: a callback arriving now waits, or is refused. */
  saturated: boolean;
}

export interface LoadGate {
  middleware: MiddlewareHandler;
  /** Requests refused since start (503 busy, 408 and 413 bodies), for logs and benchmarks. */
  readonly shed: number;
  /** The gate now, for /healthz. */
  state(): LoadGateState;
}

export function createLoadGate(options: LoadGateOptions): LoadGate {
  const maxInFlight = options.maxInFlight ?? 256;
  const maxQueue = options.maxQueue ?? 512;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  const answerWithinMs = options.answerWithinMs ?? 2000;
  const body = limitBody(
    {
      maxBytes: options.maxBodyBytes ?? 1024 * 1024,
      idleMs: options.bodyIdleMs ?? 1000,
      withinMs: options.bodyWithinMs ?? 1500,
    },
    (c, error) => {
      refused(c, error.message);
      return c.json({ error: error.message }, error.status);
    },
  );
  const maxBusyReads = options.maxBusyReads ?? 16;
  let busyReads = 0;
  let inFlight = 0;
  let shed = 0;
  let lastWarning = 0;
  const waiting: Array<(admitted: boolean) => void> = [];

  const admit = (): Promise<boolean> => {
    if (inFlight < maxInFlight && waiting.length === 0) {
      inFlight += 1;
      return Promise.resolve(true);
    }
    if (waiting.length >= maxQueue) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = (admitted: boolean) => {
        clearTimeout(timer);
        resolve(admitted);
      };
      const timer = setTimeout(() => {
        const index = waiting.indexOf(entry);
        if (index >= 0) waiting.splice(index, 1);
        resolve(false);
      }, maxWaitMs);
      waiting.push(entry);
    });
  };

  const release = () => {
    const next = waiting.shift();
    if (next) next(true);
    else inFlight -= 1;
  };

  /** Counts a refusal and logs it, at most once in 10 s: a flood must not flood the log as well. */
  const refused = (c: Context, reason: string) => {
    shed += 1;
    metrics.webhookShed.inc();
    const now = Date.now();
    if (now - lastWarning > 10_000) {
      lastWarning = now;
      options.log.warn('webhook refused; the platform retries later', {
        path: c.req.path,
        reason,
        shedSinceStart: shed,
      });
    }
  };

  const busy = (c: Context, reason: string) => {
    refused(c, reason);
    c.header('Retry-After', '1');
    return c.json({ error: 'busy, retry later' }, 503);
  };

  /** A request refused for want of a place: its route's own answer (`options.busy`), or 503. */
  const shedding = async (c: Context, reason: string) => {
    if (!options.busy || busyReads >= maxBusyReads) return busy(c, reason);
    busyReads += 1;
    try {
      let answer: Response | undefined;
      const bodyRefused = await body(c, async () => {
        answer = await options.busy?.(c);
      });
      if (bodyRefused) return bodyRefused;
      if (!answer) return busy(c, reason);
      refused(c, reason);
      return answer;
    } finally {
      busyReads -= 1;
    }
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const arrived = Date.now();
    if (!(await admit())) return shedding(c, 'no place within the wait');
    c.set('answerBy', arrived + answerWithinMs);
    const work = Promise.resolve(body(c, next)).finally(release);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.max(0, answerWithinMs - (Date.now() - arrived)));
    });
    const outcome = await Promise.race([work.then((answer) => ({ answer })), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      // The work goes on; what it answers no longer reaches the platform.
      work.catch((error) => options.log.error('late webhook work failed', { error: String(error) }));
      return busy(c, 'not answered in time');
    }
    // A body refused (413, 408) is the answer; otherwise the handler's is already in the context.
    return outcome.answer;
  };

  return {
    middleware,
    get shed() {
      return shed;
    },
    state: () => ({
      inFlight,
      limit: maxInFlight,
      waiting: waiting.length,
      saturated: inFlight >= maxInFlight,
    }),
  };
}
