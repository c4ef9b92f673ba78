// What every benchmark shares: the machine it ran on, where results go, and the service started the way
// an operator starts it (`node --import tsx bot/node.ts`, i.e. `npm start`) in a child process, so the
// load generator and the service do not share an event loop.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    postgres: postgresVersion(),
  };
}

function postgresVersion(): string | undefined {
  try {
    return execFileSync('/usr/lib/postgresql/15/bin/postgres', ['--version']).toString().trim();
  } catch {
    return undefined;
  }
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}${name}.json`;
  const body = { benchmark: name, ranAt: new Date().toISOString(), machine: machine(), ...result };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** CPU time a process has used so far, all its threads, in ms, from /proc (Linux; 100 ticks a second). */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The machine's load average over the last minute (Linux). */
export const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** Resident and peak resident memory of a process, in MiB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: round(kib('VmRSS') / 1024), peakRssMiB: round(kib('VmHWM') / 1024) };
}

export interface RunningService {
  url: string;
  child: ChildProcess;
  output: string[];
  /** Milliseconds from spawn to the first 200 of `readyPath` (/healthz unless given). */
  readyMs: number;
  /** CPU time the process had used by then (all its threads), in ms. */
  readyCpuMs: number;
  stop(): Promise<void>;
}

/**
 * A script run with tsx, in the repository root; with `built`, its build in dist/ as `npm start` runs it
 * (bot/node.ts → dist/node.js; run `npm run build` first).
 */
export function spawnTs(
  script: string,
  args: string[],
  env: Record<string, string>,
  built = false,
): ChildProcess {
  const program = built
    ? ['--enable-source-maps', script.replace(/^bot\//, 'dist/').replace(/\.ts$/, '.js')]
    : ['--import', 'tsx', script];
  return spawn(process.execPath, [...program, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function startService(
  env: Record<string, string>,
  timeoutMs = 120_000,
  built = false,
  readyPath = '/healthz',
): Promise<RunningService> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnTs('bot/node.ts', [], { ...env, PORT: String(port) }, built);
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited at start-up:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}${readyPath}`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service not ready after ${timeoutMs} ms:\n${output.join('')}`);
    }
    await sleep(20);
  }
  const readyMs = performance.now() - started;
  const readyCpuMs = cpuMsOf(child.pid!);
  return {
    url,
    child,
    output,
    readyMs,
    readyCpuMs,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** Runs a CLI of the product to its end; rejects with its output when it fails. */
export async function runCli(script: string, args: string[], env: Record<string, string>) {
  const child = spawnTs(script, args, env);
  const output: string[] = [];
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code}:\n${output.join('')}`);
  return output.join('');
}
