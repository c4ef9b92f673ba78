// The Cloudflare Workers entry: the same app, on PostgreSQL (DATABASE_URL or Hyperdrive).
// Workers may not share a socket between requests, so each request opens its own small client; the
// inbox (webhook messages) and late card presses, then the outbox, are drained after the answer with waitUntil, and again by
// every cron run, which picks up what an evicted invocation left pending. Migrations run beforehand: `npm run db:migrate`.
import { openDatabase } from '../db/client.ts';
import { JOBS } from '../jobs/index.ts';
import { consoleWrite, createLogger } from './core/log.ts';
import { metrics } from './core/metrics.ts';
import { parseConfig } from './env.ts';
import { createService } from './service.ts';

interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string };
  [name: string]: unknown;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

function settings(env: WorkerEnv): Record<string, string | undefined> {
  const text = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return { ...text, DATABASE_URL: env.HYPERDRIVE?.connectionString ?? text.DATABASE_URL };
}

/** Said once per isolate: the Workers runtime has no fixed egress IP to add as WeCom's 企业可信IP. */
let warnedWecomIp = false;

async function open(env: WorkerEnv) {
  const config = parseConfig(settings(env));
  // The same JSON lines as the Node service, through the console (Workers Logs, `wrangler tail`).
  const log = createLogger(consoleWrite, { level: config.logLevel });
  if (config.wecom && !warnedWecomIp) {
    warnedWecomIp = true;
    log.warn(
      'WeCom app on Cloudflare Workers: Workers have no fixed egress IP, so WeCom refuses its API calls ' +
        '(60020, not a 企业可信IP). Send WeCom from the Node service (npm start) or use the WeCom bot; ' +
        'see `npm run doctor -- --workers`.',
    );
  }
  if (!config.databaseUrl) throw new Error('DATABASE_URL (or a HYPERDRIVE binding) is required on Workers');
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    maxConnections: 1,
    migrate: false,
    inboxConnection: false,
  });
  const service = await createService({
    config: { ...config, demo: false },
    log,
    database,
    workers: true,
  });
  return { service, database, log };
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const { service, database } = await open(env);
    const response = await service.app.fetch(request);
    // A card press answered 处理中 goes on after the answer; its outcome is then in the outbox.
    ctx.waitUntil(
      Promise.all([
        service.inbox
          .drain()
          // Photos of the messages just processed are downloaded now, within the request's waitUntil.
          .then(() => service.downloads.runOnce()),
        service.core.pressesSettled(),
      ])
        .then(() => service.dispatcher.drain())
        .finally(() => service.close())
        .finally(() => database.close()),
    );
    return response;
  },

  async scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { service, database, log } = await open(env);
    const context = { db: database.db, channels: service.channels, log, now: new Date() };
    // Each job on its own: one that fails is logged, and the others and the drains still run.
    const run = (job: (typeof JOBS)[number]) =>
      job.run(context).then(
        () => metrics.jobLastSuccess.set({ job: job.name }, Date.now() / 1000),
        (error) => log.error('job failed', { job: job.name, error: String(error) }),
      );
    ctx.waitUntil(
      Promise.all([service.inbox.drain(), ...JOBS.map(run)])
        // Retries of downloads that came due since the last trigger.
        .then(() => service.downloads.runOnce())
        .then(() => service.dispatcher.drain())
        .finally(() => service.close())
        .finally(() => database.close()),
    );
  },
};
