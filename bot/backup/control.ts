// The running service's control port, for the embedded database: PGlite's data folder belongs to one
// process (a second PGlite on the same folder would corrupt it; PGlite takes no lock), so while the service
// runs, `db:backup` asks the service for the snapshot instead of opening the folder, and `db:restore` and
// `db:move` learn that the folder is taken.
//
// The service listens on 127.0.0.1, on a port the system picks, and writes `<DATA_DIR>/control.json`
// (its pid, the port and a random token; readable by the folder's owner only). Whoever can read that file
// can read the database folder itself, so the token gives nothing the folder does not. A request is one
// JSON line `{"token":…,"op":"ping"|"backup"}`; the answer is one JSON line `{"ok":true,…}` or
// `{"ok":false,"error":…}`, followed for a backup by the backup file's bytes (bot/backup/file.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { readSnapshot } from '../../db/backup.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../core/log.ts';
import { backupWriter } from './file.ts';

export const CONTROL_FILE = 'control.json';

const controlFile = z.object({ pid: z.number().int(), port: z.number().int(), token: z.string() });
const request = z.object({ token: z.string(), op: z.enum(['ping', 'backup']) });

/** The version written into backups. */
export const appVersion = () =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

/** Reads the first line of a connection, at most `limit` bytes, and pauses it there: what follows stays. */
function firstLine(socket: Socket, limit: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = () => {
      socket.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(10);
      if (end !== -1) {
        done();
        socket.pause();
        resolve({ line: buffered.subarray(0, end).toString('utf8'), rest: buffered.subarray(end + 1) });
      } else if (buffered.length > limit) {
        done();
        reject(new Error('line too long'));
      }
    };
    const onEnd = () => {
      done();
      reject(new Error('closed before a whole line'));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    socket.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

const sameToken = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

export interface ControlPort {
  port: number;
  close(): Promise<void>;
}

/** Starts the control port of a service running on the PGlite folder `dataDir`. */
export async function startControlPort(options: {
  dataDir: string;
  db: Db;
  log: Logger;
}): Promise<ControlPort> {
  const { dataDir, db, log } = options;
  const token = randomBytes(32).toString('hex');
  const server = createServer((socket) => {
    socket.setTimeout(10_000, () => socket.destroy());
    serve(socket).catch((error: unknown) => {
      log.warn('control: request failed', { error: error instanceof Error ? error.message : String(error) });
      socket.destroy();
    });
  });
  const answer = (socket: Socket, body: Record<string, unknown>) => socket.write(`${JSON.stringify(body)}\n`);
  async function serve(socket: Socket) {
    const { line } = await firstLine(socket, 4096);
    let parsed: z.infer<typeof request>;
    try {
      parsed = request.parse(JSON.parse(line));
    } catch {
      answer(socket, { ok: false, error: 'bad request' });
      socket.end();
      return;
    }
    if (!sameToken(parsed.token, token)) {
      answer(socket, { ok: false, error: 'wrong token' });
      socket.end();
      return;
    }
    if (parsed.op === 'ping') {
      answer(socket, { ok: true, pid: process.pid });
      socket.end();
      return;
    }
    // A large database takes longer than the idle timeout to read; the snapshot holds PGlite meanwhile.
    socket.setTimeout(0);
    const started = Date.now();
    answer(socket, { ok: true, pid: process.pid });
    const writer = backupWriter(socket, { source: 'pglite', app: appVersion(), createdAt: new Date() });
    await readSnapshot(db, writer);
    const summary = await writer.done();
    log.info('backup: snapshot sent', {
      tables: summary.tables.length,
      rows: summary.rows,
      ms: Date.now() - started,
    });
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const path = join(dataDir, CONTROL_FILE);
  writeFileSync(path, `${JSON.stringify({ pid: process.pid, port, token })}\n`, { mode: 0o600 });
  return {
    port,
    async close() {
      const current = readControlFile(dataDir);
      if (current?.pid === process.pid && current.port === port) rmSync(path, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readControlFile(dataDir: string): z.infer<typeof controlFile> | undefined {
  try {
    return controlFile.parse(JSON.parse(readFileSync(join(dataDir, CONTROL_FILE), 'utf8')));
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Sends one request to the service's control port; the socket, after the answer's line. */
async function ask(control: z.infer<typeof controlFile>, op: 'ping' | 'backup') {
  const socket = connect({ host: '127.0.0.1', port: control.port });
  socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
  await once(socket, 'connect');
  socket.write(`${JSON.stringify({ token: control.token, op })}\n`);
  const { line, rest } = await firstLine(socket, 4096);
  const answer = JSON.parse(line) as { ok: boolean; pid?: number; error?: string };
  if (!answer.ok || answer.pid !== control.pid) throw new Error(answer.error ?? 'not this service');
  return { socket, rest };
}

/**
 * The service holding the PGlite folder, if one runs: `{ pid }` when it answers on its control port;
 * `{ pid, silent: true }` when the process named in control.json lives but does not answer (starting,
 * or stuck); undefined when none (no file, or one left by a process that has ended).
 */
export async function runningService(dataDir: string): Promise<{ pid: number; silent?: true } | undefined> {
  const control = readControlFile(dataDir);
  if (!control) return undefined;
  try {
    const { socket } = await ask(control, 'ping');
    socket.destroy();
    return { pid: control.pid };
  } catch {
    return alive(control.pid) && control.pid !== process.pid ? { pid: control.pid, silent: true } : undefined;
  }
}

/** Asks the running service for a backup and writes its bytes to `output`. */
export async function backupFromService(dataDir: string, output: Writable): Promise<void> {
  const control = readControlFile(dataDir);
  if (!control) throw new Error('no service');
  const { socket, rest } = await ask(control, 'backup');
  socket.setTimeout(0);
  if (rest.length > 0) output.write(rest);
  socket.pipe(output);
  await Promise.all([
    once(socket, 'end'),
    new Promise((resolve, reject) => output.on('finish', resolve).on('error', reject)),
  ]);
}
