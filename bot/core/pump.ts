// The one wake-and-drain loop of the service, shared by the inbox (webhook messages to process) and the
// outbox dispatcher (messages to send): a kick asks for a run of `drain` soon, many kicks coalesce into
// one run (a kick during a run makes one more run after it), `start` kicks now and every `pollMs` (rows
// of a crashed process, or of another instance), `stop` ends the polling and waits for the run under way.
import { withoutLogContext } from './log.ts';

export interface PumpOptions {
  /** A run that failed. Without `retryMs` the next kick or poll tries again. */
  onError?(error: unknown): void;
  /** After a failed run, another is started this much later (a kick meanwhile is then forgotten). */
  retryMs?: number;
  /** Every kick, before anything else (the dispatcher cuts a wait short: new rows may be due). */
  onKick?(): void;
  /** After a run that no kick asked to repeat. */
  onRest?(): void;
  /** At the start of `stop`, after the polling ended (clears the owner's own timers and waits). */
  onStop?(): void;
}

export interface Pump {
  /** Asks for a run soon; many kicks coalesce into one run. */
  kick(): void;
  /** Runs now and every `pollMs`. */
  start(pollMs: number): void;
  /** Stops polling and waits for the run under way; `stopping` is true from now until the next start. */
  stop(): Promise<void>;
  /** Resolves when no run is under way. */
  idle(): Promise<void>;
  /** Between `stop` and the next `start`: a drain should end as soon as it can. */
  readonly stopping: boolean;
  /** Started (polling) and not stopped. */
  readonly started: boolean;
}

export function createPump(drain: () => Promise<unknown>, options: PumpOptions = {}): Pump {
  let running: Promise<void> | undefined;
  let again = false;
  let stopping = false;
  let poll: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  function kick() {
    options.onKick?.();
    if (running) {
      again = true;
      return;
    }
    // A request's kick starts a run that goes on for other requests' rows: not under its request id.
    running = withoutLogContext(drain)
      .then(
        () => undefined,
        (error) => {
          options.onError?.(error);
          if (options.retryMs === undefined) return;
          again = false;
          clearTimeout(retry);
          if (!stopping) retry = setTimeout(kick, options.retryMs);
        },
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        } else options.onRest?.();
      });
  }

  async function idle() {
    while (running) await running;
  }

  return {
    kick,
    idle,
    start(pollMs) {
      stopping = false;
      poll ??= setInterval(kick, pollMs);
      kick();
    },
    async stop() {
      stopping = true;
      clearInterval(poll);
      poll = undefined;
      clearTimeout(retry);
      options.onStop?.();
      await idle();
    },
    get stopping() {
      return stopping;
    },
    get started() {
      return poll !== undefined;
    },
  };
}
