// Fault injection (issue 8), part 1b: the Node entry (`npm start`) killed with SIGKILL in the middle of a
// fan-out and started again, on a PGlite data directory of its own — as its own process (slow lane). The
// rest of part 1 is test/faults.test.ts; part 2 (test/faults-pg.test.ts) stops PostgreSQL itself. And the
// orderly stop (issue 21, bot/shutdown.ts): SIGTERM to `npm start` mid fan-out, nothing lost, none twice; and
// the forced one, when a send under way outlasts the deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { enqueue } from '../bot/core/enqueue.ts';
import type { Channel } from '../bot/core/types.ts';
import { SHUTDOWN_DEADLINE_MS } from '../bot/shutdown.ts';
import { openDatabase } from '../db/client.ts';
import { outbox } from '../db/schema.ts';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { built } from './helpers/built.ts';
import { keptDataDir } from './helpers/data-dir.ts';
import { countBy, until } from './helpers/faults.ts';
import { APP } from './helpers/feishu-events.ts';

describe('the process stopped in the middle of a fan-out', () => {
  const freePort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

  let child: ChildProcess | undefined;
  let feishu: FakeFeishu | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await feishu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The Node entry (`npm start`), as its own process: SIGKILL hits the service itself, not a wrapper. */
  function start(env: Record<string, string>, how: 'node' | 'npm' = 'node') {
    const output: string[] = [];
    const proc =
      how === 'node'
        ? spawn('node', built('node'), { env: { PATH: process.env.PATH ?? '', ...env } })
        : spawn('npm', ['start', '--silent'], {
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
          });
    proc.stdout?.on('data', (chunk) => output.push(String(chunk)));
    proc.stderr?.on('data', (chunk) => output.push(String(chunk)));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    child = proc;
    return { proc, output, exited };
  }

  const COUNT = 200;

  /** 200 reminders queued on a migrated data folder, and a slow fake Feishu to send them to. */
  async function fanOut(sendMs = 150) {
    await feishu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'faults-kill-'));
    const dataDir = join(dir, 'data');
    // The reminders are queued before the service starts, through the product's own enqueue: one to
    // each of 200 group chats. Queued once into a kept folder (test/helpers/data-dir.ts), copied for each
    // test: the rows are due at once whenever they were written (the retry policy counts attempts).
    await keptDataDir(
      dataDir,
      `fanout-${COUNT}`,
      ['bot/core', 'db', 'test/faults-kill.test.ts'],
      async (building) => {
        const seeded = await openDatabase({ dataDir: building });
        try {
          await seeded.db.transaction(async (tx) => {
            for (let i = 0; i < COUNT; i++) {
              await enqueue(
                tx,
                {
                  to: { kind: 'chat', channel: 'feishu', chatId: `oc_fanout_${i}` },
                  body: { kind: 'text', text: `值班提醒 ${i}` },
                },
                { tenantId: null, channels: new Set<Channel>(['feishu']) },
              );
            }
          });
        } finally {
          await seeded.close();
        }
      },
    );

    // A slow platform with Feishu's limits: each send takes 150 ms, 50 calls a second at most.
    feishu = await startFakeFeishu({
      rateLimits: { appPerSecond: 50, appPerMinute: 1000, receiverPerSecond: 5 },
    });
    feishu.force({ match: 'messages', delayMs: sendMs, times: 1_000_000 });
    const env = {
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      FEISHU_APP_ID: FAKE_APP_ID,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_ENCRYPT_KEY: APP.encryptKey,
      FEISHU_DOMAIN: feishu.url,
    };
    const fake = feishu;
    const inFlight = () =>
      fake.calls.filter((call) => call.kind === 'message.create' && call.status === 0).length;

    return { env, fake, inFlight };
  }

  it('is started again and delivers every reminder, none twice (Feishu uuid)', async () => {
    const { env, fake, inFlight } = await fanOut();
    const first = start(env);
    // Killed once a good part has gone out, while sends are under way (answered or not, never marked).
    await until('the fan-out under way', () => fake.messages.length >= 60 && inFlight() > 0, 40_000).catch(
      (error) => {
        throw new Error(`${error.message}\n${first.output.join('')}`);
      },
    );
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    const deliveredBeforeKill = fake.messages.length;
    // The sends under way at the kill still reach the platform, which delivers them: nobody marks them.
    await until('the calls under way at the kill', () => inFlight() === 0);
    expect(fake.messages.length).toBeLessThan(COUNT);

    const second = start(env);
    await until(
      'every reminder',
      () => new Set(fake.messages.map((message) => message.uuid)).size >= COUNT,
      40_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${second.output.join('')}`);
    });
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const database = await openDatabase({ dataDir: env.DATA_DIR });
    try {
      const rows = await database.db.select().from(outbox).orderBy(asc(outbox.id));
      expect(rows).toHaveLength(COUNT);
      expect(rows.filter((row) => row.status !== 'sent')).toEqual([]);
      // Every reminder arrived exactly once: one message per outbox row, under the row's uuid, to its chat.
      const uuids = rows.map((row) => `outbox-${row.id}`);
      expect(fake.messages.map((message) => message.uuid).sort()).toEqual([...uuids].sort());
      for (const row of rows) {
        const got = fake.messages.filter((message) => message.chatId === row.targetId);
        expect(got, row.targetId).toHaveLength(1);
        expect(got[0]!.content).toEqual({ text: (row.body as { text: string }).text });
        expect(row.platformMessageId).toBe(got[0]!.messageId);
      }
      // Some were sent again after the restart (the kill came between send and mark): the platform
      // recognised their uuid and did not deliver them twice.
      const creates = fake.calls.filter((call) => call.kind === 'message.create' && call.status === 200);
      const again = [...countBy(creates, (call) => String((call.body as { uuid?: string }).uuid)).values()];
      expect(again.filter((count) => count > 1).length).toBeGreaterThan(0);
      expect(deliveredBeforeKill).toBeGreaterThanOrEqual(60);
    } finally {
      await database.close();
    }
  }, 90_000);

  it('stops on SIGTERM to `npm start` within 10 s, finishing the sends under way; restarted, sends the rest, none twice', async () => {
    const { env, fake, inFlight } = await fanOut();
    const first = start(env, 'npm');
    const stdioClosed = new Promise<void>((resolve) => first.proc.once('close', () => resolve()));
    await until('the fan-out under way', () => fake.messages.length >= 60 && inFlight() > 0, 60_000).catch(
      (error) => {
        throw new Error(`${error.message}\n${first.output.join('')}`);
      },
    );
    const signalled = Date.now();
    first.proc.kill('SIGTERM');
    // The service shares npm's output pipes: they close when the service's process has ended too.
    await stdioClosed;
    const stoppedMs = Date.now() - signalled;
    const log = first.output.join('');
    expect(log).toContain('"msg":"shutting down"');
    expect(log).toContain('"msg":"stopped"');
    expect(stoppedMs).toBeLessThan(10_000);
    // Nothing in flight was left unanswered: every call the platform got was answered before the exit.
    expect(inFlight()).toBe(0);
    const delivered = fake.messages.length;
    expect(delivered).toBeLessThan(COUNT);

    const stopped = await openDatabase({ dataDir: env.DATA_DIR! });
    try {
      const rows = await stopped.db.select().from(outbox);
      // Each sent exactly once or waiting to be sent: none left claimed, none failed.
      expect(rows.filter((row) => row.status !== 'sent' && row.status !== 'pending')).toEqual([]);
      expect(rows.filter((row) => row.status === 'sent')).toHaveLength(delivered);
    } finally {
      await stopped.close();
    }

    const second = start(env);
    await until('every reminder', () => fake.messages.length >= COUNT, 60_000).catch((error) => {
      throw new Error(`${error.message}\n${second.output.join('')}`);
    });
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // None was sent twice: an orderly stop marks every call it made.
    const creates = fake.calls.filter((call) => call.kind === 'message.create' && call.status === 200);
    const counts = [...countBy(creates, (call) => String((call.body as { uuid?: string }).uuid)).values()];
    expect(counts).toHaveLength(COUNT);
    expect(counts.filter((count) => count > 1)).toEqual([]);
  }, 150_000);

  it('exits 1 at the deadline, and says so, when a send under way never comes back; nothing is marked', async () => {
    // Feishu takes every send and never answers within the shutdown's deadline (9 s; the SDK's own time
    // limit is 10 s, jobs/outbox.ts waits for the batch under way).
    const { env, fake, inFlight } = await fanOut(60_000);
    const first = start(env);
    await until('a send under way', () => inFlight() > 0, 60_000).catch((error) => {
      throw new Error(`${error.message}\n${first.output.join('')}`);
    });
    const signalled = Date.now();
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(1);
    const stoppedMs = Date.now() - signalled;
    const log = first.output.join('');
    expect(log).toContain('"msg":"shutting down"');
    expect(log).toContain('"msg":"shutdown: not done within the deadline, exiting now"');
    expect(log).not.toContain('"msg":"stopped"');
    expect(stoppedMs).toBeGreaterThanOrEqual(SHUTDOWN_DEADLINE_MS - 500);
    expect(stoppedMs).toBeLessThan(SHUTDOWN_DEADLINE_MS + 3_000);
    expect(fake.messages).toHaveLength(0);

    const stopped = await openDatabase({ dataDir: env.DATA_DIR! });
    try {
      const rows = await stopped.db.select().from(outbox);
      // Nothing sent, nothing given up: the claimed rows are released by the next start (bot/node-service.ts).
      expect(rows).toHaveLength(COUNT);
      expect(rows.filter((row) => row.status === 'sent' || row.status === 'failed')).toEqual([]);
    } finally {
      await stopped.close();
    }
  }, 120_000);
});
