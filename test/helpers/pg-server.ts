// A PostgreSQL server for tests that need a real one over TCP (the Workers runtime cannot use PGlite):
// the server named by TEST_DATABASE_URL, or a throw-away cluster started from the machine's PostgreSQL
// binaries on a free 127.0.0.1 port. A test that stops the server (`pause`/`resume`) asks for its own
// cluster (`own: true`): a shared server is never stopped.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export interface PgServer {
  /** A fresh, empty database on the server. */
  url: string;
  /** Stops the server (fast shutdown: sessions are cut), keeping its data. Only on an own cluster. */
  pause(): Promise<void>;
  /** Starts a paused server again, on the same port with the same data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface PgServerOptions {
  /** Start a throw-away cluster even when TEST_DATABASE_URL names a server (needed for pause/resume). */
  own?: boolean;
  /** Keep fsync on, as in production (benchmarks); tests turn it off for speed. Implies `own`. */
  durable?: boolean;
}

export async function startPgServer(options: PgServerOptions = {}): Promise<PgServer> {
  const { default: postgres } = await import('postgres');
  const existing = options.own || options.durable ? undefined : process.env.TEST_DATABASE_URL;
  let serverUrl: string;
  let stopServer = async () => {};
  const notOwn = async (): Promise<void> => {
    throw new Error('pause/resume need a cluster of the test’s own: startPgServer({ own: true })');
  };
  let pause = notOwn;
  let resume = notOwn;
  if (existing) {
    serverUrl = existing;
  } else {
    if (!existsSync(`${BIN}/initdb`)) throw new Error(`PostgreSQL server binaries not found in ${BIN}`);
    const dir = mkdtempSync(join(tmpdir(), 'pg-'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot)
      chownSync(
        dir,
        Number(execFileSync('id', ['-u', 'postgres']).toString()),
        Number(execFileSync('id', ['-g', 'postgres']).toString()),
      );
    const run = (command: string, args: string[]) => {
      const result = asRoot
        ? spawnSync('runuser', ['-u', 'postgres', '--', `${BIN}/${command}`, ...args], { encoding: 'utf8' })
        : spawnSync(`${BIN}/${command}`, args, { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
    };
    // pause/resume run while the test's own servers (in this process) go on answering requests.
    const runAsync = (command: string, args: string[]) =>
      new Promise<void>((resolve, reject) => {
        const [file, argv] = asRoot
          ? ['runuser', ['-u', 'postgres', '--', `${BIN}/${command}`, ...args]]
          : [`${BIN}/${command}`, args];
        execFile(file, argv, { encoding: 'utf8' }, (error, stdout, stderr) =>
          error ? reject(new Error(`${command} failed: ${stderr || stdout || error.message}`)) : resolve(),
        );
      });
    const port = await freePort();
    run('initdb', ['-D', `${dir}/data`, '--auth=trust', '-U', 'postgres']);
    const startArgs = [
      '-D',
      `${dir}/data`,
      '-l',
      `${dir}/log`,
      '-o',
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir}${options.durable ? '' : ' -c fsync=off'}`,
      '-w',
      'start',
    ];
    run('pg_ctl', startArgs);
    let running = true;
    serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    pause = async () => {
      if (!running) return;
      running = false;
      await runAsync('pg_ctl', ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
    };
    resume = async () => {
      if (running) return;
      await runAsync('pg_ctl', startArgs);
      running = true;
    };
    stopServer = async () => {
      if (running) run('pg_ctl', ['-D', `${dir}/data`, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const name = `w_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    pause,
    resume,
    async stop() {
      await resume().catch(() => {});
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}
