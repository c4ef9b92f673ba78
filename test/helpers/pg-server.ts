// A PostgreSQL server for tests that need a real one over TCP (the Workers runtime cannot use PGlite):
// the server named by TEST_DATABASE_URL, or a throw-away cluster started from the machine's PostgreSQL
// binaries on a free 127.0.0.1 port.
import { execFileSync, spawnSync } from 'node:child_process';
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
  stop(): Promise<void>;
}

export async function startPgServer(): Promise<PgServer> {
  const { default: postgres } = await import('postgres');
  const existing = process.env.TEST_DATABASE_URL;
  let serverUrl: string;
  let stopServer = async () => {};
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
    const port = await freePort();
    run('initdb', ['-D', `${dir}/data`, '--auth=trust', '-U', 'postgres']);
    run('pg_ctl', [
      '-D',
      `${dir}/data`,
      '-l',
      `${dir}/log`,
      '-o',
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`,
      '-w',
      'start',
    ]);
    serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    stopServer = async () => {
      run('pg_ctl', ['-D', `${dir}/data`, '-m', 'immediate', 'stop']);
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
    async stop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}
