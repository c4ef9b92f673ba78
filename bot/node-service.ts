// The Node service on an open database (bot/node.ts opens it): the service, the HTTP server, the
// dispatcher, the cron jobs, the long connections, and the shutdown on SIGTERM/SIGINT.
import type { Database } from '../db/client.ts';
import { startJobs } from '../jobs/node-runner.ts';
import { releaseClaims } from '../jobs/outbox.ts';
import { startControlPort } from './backup/control.ts';
import type { Logger } from './core/log.ts';
import { type Config, listenHost } from './env.ts';
import { startHttpServer } from './http-server.ts';
import { createService, type Service } from './service.ts';
import { createShutdown } from './shutdown.ts';

export async function runNodeService({
  config,
  log,
  database,
}: {
  config: Config;
  log: Logger;
  database: Database;
}) {
  const service = await createService({ config, log, database });
  // `npm run db:backup` asks the service holding the PGlite folder for its snapshot (bot/backup/control.ts).
  const control =
    service.database.kind === 'pglite' && !config.databaseUrl
      ? await startControlPort({ dataDir: config.dataDir, db: service.database.db, log })
      : undefined;
  // Long connections (Wechaty): one that cannot connect must not take the webhooks down with it. Opened
  // before listening: /readyz waits for them.
  service.startConnections();
  const hostname = listenHost(config, service.demo);
  const shutdown = createShutdown({ log });
  const { server, port } = await startHttpServer({
    fetch: shutdown.fetch(service.app.fetch),
    port: config.port,
    hostname,
  });
  log.info('listening', {
    host: hostname,
    port,
    db: service.database.kind,
    channels: [...service.channels].join(','),
    mode: service.demo ? 'demo' : 'production',
  });
  if (service.demo) {
    log.info(`演示模式：未配置平台凭据，已载入示例学校。打开 http://127.0.0.1:${port}/ 查看。`);
  }
  // The background work starts once the server listens: none of it is what /readyz promises (README,
  // "Monitoring"), and its first rounds (cold queries on the one PGlite session) held a restart's first
  // answer back (bench/start.ts). A signal meanwhile waits for it to have started, then stops it.
  const background = startBackground(service, log);
  // New requests are refused and those under way finished first (bot/shutdown.ts); then the cron jobs, the
  // long connections, the inbox, the outbox batch under way and the database.
  shutdown.listen(server, async () => {
    const jobs = await background.catch(() => undefined);
    await control?.close();
    await jobs?.stop();
    await service.close();
    await database.close();
  });
  await background;
}

/** The dispatcher, the inbox, the downloads and the cron jobs; what stops the jobs. */
async function startBackground(service: Service, log: Logger) {
  if (service.database.kind === 'pglite') {
    // The embedded database is this process's alone: messages it left claimed when it last stopped (a
    // crash) are due now, not a minute later when their lease runs out.
    const released = await releaseClaims(service.database.db, new Date());
    if (released > 0) log.warn('outbox: messages claimed before a crash are due again', { count: released });
  }
  service.dispatcher.start();
  service.inbox.start();
  // Retries of downloads come due on their own: polled as often as the shortest backoff.
  service.downloads.pump.start(30_000);
  return startJobs(
    { db: service.database.db, channels: service.channels, log },
    { log, onSent: () => service.dispatcher.kick() },
  );
}
