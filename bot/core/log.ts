// Structured logs, one JSON object a line: `time`, `level`, `msg`, then the fields. Secrets never reach a
// log: fields with secret-like names are masked, whatever the caller passes. A line written while a
// request is handled carries its `requestId` (withLogContext, set by bot/app.ts): AsyncLocalStorage
// follows the request's awaits on Node and on Workers (nodejs_compat, wrangler.toml).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** LOG_LEVEL's values, least severe first: a level writes its own lines and the more severe ones. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SECRET = /secret|token|password|encrypt|aes|key|authorization|cookie/i;

function clean(fields: Record<string, unknown> | undefined) {
  if (!fields) return {};
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [
      name,
      SECRET.test(name) && name !== 'eventKey' ? '***' : value,
    ]),
  );
}

const context = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `work` with `fields` (a request id) on every line logged inside it, however deep. */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, work);
}

/**
 * Runs `work` outside any request's context: a loop a request only woke (the inbox, the dispatcher) goes
 * on for other requests' rows, so its lines must not carry the id of the one that happened to wake it.
 */
export function withoutLogContext<T>(work: () => T): T {
  return context.exit(work);
}

export interface LoggerOptions {
  /** The least severe level written (LOG_LEVEL; default info). */
  level?: LogLevel;
}

export function createLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  options: LoggerOptions = {},
): Logger {
  const least = LOG_LEVELS.indexOf(options.level ?? 'info');
  const emit = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) < least) return () => {};
    return (message: string, fields?: Record<string, unknown>) =>
      write(
        JSON.stringify({
          time: new Date().toISOString(),
          level,
          msg: message,
          ...context.getStore(),
          ...clean(fields),
        }),
      );
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Workers have no stdout: a line goes to the console, which Workers Logs and `wrangler tail` collect. */
export const consoleWrite = (line: string) => console.log(line);

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
