// `npm start` as a newcomer runs it: no credentials → demo mode with the example school, healthy.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { built } from './helpers/built.ts';
import { migratedDataDir } from './helpers/data-dir.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });

/**
 * A data folder already migrated (a copy, test/helpers/data-dir.ts): the first test starts on an empty
 * folder as a newcomer does; the others start where a service that ran before left its folder.
 */
async function migrated() {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'start-')), 'data');
  await migratedDataDir(dataDir);
  return dataDir;
}

let child: ChildProcess | undefined;
/** Every service started, killed after each test: a test that timed out may still start one after its hooks. */
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const each of started) each.kill('SIGKILL');
});
afterAll(() => {
  for (const each of started) each.kill('SIGKILL');
});

async function start(env: Record<string, string>) {
  const output: string[] = [];
  child = spawn('node', built('node'), {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  started.add(child);
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
  return { output, exited };
}

async function waitHealthy(port: number, deadline = Date.now() + 60_000) {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return (await response.json()) as Record<string, unknown>;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('service did not become healthy');
}

describe('the Node entry', () => {
  it('starts in demo mode with the example school, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = join(mkdtempSync(join(tmpdir(), 'start-')), 'data');
    const { output, exited } = await start({ PORT: String(port), DATA_DIR: dataDir });
    const health = await waitHealthy(port);
    expect(health).toMatchObject({ ok: true, db: 'pglite', demo: true, channels: ['console'] });
    const home = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(home).toContain('演示模式');
    expect(output.join('')).toContain('demo mode: example school loaded');
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);

  it('listens on loopback in demo mode, stays the demo on restart, and refuses it once an organization is imported', async () => {
    const port = await freePort();
    const dataDir = await migrated();
    const run = async (env: Record<string, string> = {}) => {
      const { output, exited } = await start({ PORT: String(port), DATA_DIR: dataDir, ...env });
      const health = await waitHealthy(port);
      const home = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
      const listening = output
        .join('')
        .split('\n')
        .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}))
        .find((line) => line.msg === 'listening');
      child?.kill('SIGTERM');
      expect(await exited).toBe(0);
      return { health, home, listening, log: output.join('') };
    };

    const first = await run();
    expect(first.health).toMatchObject({ demo: true });
    expect(first.listening).toMatchObject({ host: '127.0.0.1', mode: 'demo' });

    // A restart of the demo on its own database is still the demo; HOST widens it when asked.
    const again = await run({ HOST: '0.0.0.0' });
    expect(again.health).toMatchObject({ demo: true });
    expect(again.home.status).toBe(200);
    expect(again.listening).toMatchObject({ host: '0.0.0.0', mode: 'demo' });

    // An organization imported into it (npm run org:import) makes it a real database: no demo, login first.
    const imported = spawn('node', built('cli/org-import', 'examples/bureau.yaml'), {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    });
    expect(await new Promise((resolve) => imported.once('exit', resolve))).toBe(0);
    const refused = await run();
    expect(refused.health).toMatchObject({ demo: false, channels: ['console'] });
    expect(refused.home.status).toBe(302);
    expect(refused.home.headers.get('location')).toMatch(/^\/login/);
    expect(refused.log).toContain('demo mode refused');
    expect(refused.listening).toMatchObject({ host: '0.0.0.0', mode: 'production' });
  }, 180_000);

  it('starts the Wechaty channel when WECHATY_PUPPET is set', async () => {
    const port = await freePort();
    const dataDir = await migrated();
    const { output } = await start({
      PORT: String(port),
      DATA_DIR: dataDir,
      WECHATY_PUPPET: 'wechaty-puppet-mock',
    });
    const health = await waitHealthy(port);
    expect(health).toMatchObject({ ok: true, demo: false });
    expect(health.channels).toContain('wechaty');
    expect(output.join('')).toContain('starting Wechaty');
  }, 90_000);

  it('refuses to start with a bad setting and names it', async () => {
    const { output, exited } = await start({ PORT: 'abc' });
    expect(await exited).toBe(1);
    expect(output.join('')).toContain('PORT: must be a number');
  }, 60_000);
});

describe('the build of the Node entry', () => {
  /** The packages the service loads only when first used (see scripts/build.mjs, LOADED_APART). */
  const LOADED_WHEN_USED = [
    '@larksuiteoapi/node-sdk',
    'exceljs',
    'jszip',
    'docx',
    'wechaty',
    '@wecom/aibot-node-sdk',
  ];

  /** The packages dist/node.js and the chunks it imports statically load before anything runs. */
  function staticPackages(file: string, seen = new Set<string>()): Set<string> {
    const packages = new Set<string>();
    if (seen.has(file)) return packages;
    seen.add(file);
    const code = readFileSync(join('dist', file), 'utf8');
    for (const [, from] of code.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/gm)) {
      if (from!.startsWith('./')) for (const each of staticPackages(from!.slice(2), seen)) packages.add(each);
      else packages.add(from!);
    }
    return packages;
  }

  /** The bytes of dist/node.js and the chunks it imports statically. */
  function staticSize(file: string, seen = new Set<string>()): number {
    if (seen.has(file)) return 0;
    seen.add(file);
    const code = readFileSync(join('dist', file), 'utf8');
    let size = code.length;
    for (const [, from] of code.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?["'](\.\/[^"']+)["']/gm))
      size += staticSize(from!.slice(2), seen);
    return size;
  }

  it('starts without loading the Feishu SDK, exceljs, jszip, docx or Wechaty (each is imported when first used)', () => {
    const loaded = [...staticPackages('node.js')];
    expect(
      loaded.filter((name) => LOADED_WHEN_USED.some((lazy) => name === lazy || name.startsWith(`${lazy}/`))),
    ).toEqual([]);
    // PGlite's thread starts before any other chunk is imported (the configuration's zod, drizzle, the
    // service): PGlite starts while the rest loads. What node.js loads before it runs is small.
    const entry = readFileSync('dist/node.js', 'utf8');
    const threadStarts = entry.indexOf('startPgliteThread(dataDir)');
    expect(threadStarts).toBeGreaterThan(-1);
    expect(threadStarts).toBeLessThan(entry.indexOf('import("./chunk-'));
    expect([...staticPackages('node.js')].filter((name) => !name.startsWith('node:'))).toEqual([]);
    expect(staticSize('node.js')).toBeLessThan(20_000);
  });
});
