// The probes and the metrics of one instance (README, "Monitoring"):
// - `/livez`: the process answers. Never touches the database, so a liveness probe on it does not restart
//   a healthy process during a database outage.
// - `/readyz`: ready to take traffic: the database answers, every committed migration is applied, the
//   long connections asked for are up, the webhook gate has room. 503 with what is not ready.
// - `/healthz` (bot/app.ts): both, in its own JSON shape.
// - `/metrics`: the Prometheus text format, only when METRICS_TOKEN is set, only with that bearer token.
// And the middleware every request goes through: its request id on every log line written while it is
// handled (echoed in X-Request-Id), one access line, the webhook latency histogram.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import type { Database } from '../db/client.ts';
import { inboxBacklog } from '../db/queries/inbound-events.ts';
import { type JournalEntry, migrationStatus } from '../db/queries/migrations.ts';
import { outboxBacklog } from '../db/queries/outbox.ts';
import type { ChannelHealth } from './channels/channel.ts';
import { channelDefinitions } from './channels/registry.ts';
import type { LoadGate } from './core/load-gate.ts';
import { type Logger, withLogContext } from './core/log.ts';
import { EXPOSITION_CONTENT_TYPE, exposition, type Family, METRICS_PREFIX, metrics } from './core/metrics.ts';

export interface MonitoringOptions {
  database: Database;
  log: Logger;
  gate: LoadGate;
  connections?: () => Record<string, ChannelHealth>;
  /** The committed migrations; undefined where they cannot be read (Workers: `npm run db:migrate`). */
  journal?: JournalEntry[];
  /** METRICS_TOKEN: `/metrics` is served only when set, to requests bearing it. */
  metricsToken?: string;
  clock?: () => Date;
}

/** What `/readyz` found: `notReady` names each check that failed, in words for the operator. */
export interface Readiness {
  ready: boolean;
  notReady: string[];
  database: 'up' | 'down';
  migrations?: { total: number; applied: number; missing: string[] };
}

/** The probes' own paths: their access lines are at debug level (a probe every few seconds). */
const PROBES = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

/** The request id (X-Request-Id, kept if sane: word characters, `-` and `=`, at most 128) and the access line. */
export function requestLogging(log: Logger): MiddlewareHandler[] {
  return [
    requestId({ limitLength: 128 }),
    (c, next) =>
      withLogContext({ requestId: c.var.requestId }, async () => {
        const started = performance.now();
        await next();
        // The path only: a query string may carry what a log must not (WeCom's echostr, a token).
        const line = {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
        };
        if (PROBES.has(c.req.path)) log.debug('request', line);
        else log.info('request', line);
      }),
  ];
}

/** The route label of a webhook request: its channel's route, or `other` (a path no channel has). */
const webhookRoute = (path: string) =>
  channelDefinitions.find(({ webhook }) => webhook?.path === path)?.webhook?.path ?? 'other';

/** Times every webhook request, refused ones included (the latency a platform sees). */
export const webhookTiming: MiddlewareHandler = async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    metrics.webhookDuration.observe(
      { route: webhookRoute(c.req.path) },
      (performance.now() - started) / 1000,
    );
  }
};

/**
 * `connections: false` leaves the long connections out (`/healthz`, which has always shown them without
 * failing on them: a Wechaty waiting for its QR login must not make the whole service unhealthy).
 */
export async function readiness(
  options: MonitoringOptions,
  check: { connections: boolean } = { connections: true },
): Promise<Readiness> {
  const notReady: string[] = [];
  let database: Readiness['database'] = 'up';
  let migrations: Readiness['migrations'];
  try {
    // One round trip that also proves the database answers; without a journal, a plain query.
    const status = await migrationStatus(options.database.db, options.journal ?? []);
    if (options.journal) {
      migrations = status;
      if (status.missing.length > 0)
        notReady.push(`migrations not applied: ${status.missing.join(', ')} (npm run db:migrate)`);
    }
  } catch (error) {
    database = 'down';
    notReady.push('database unreachable');
    options.log.error('readiness: database unreachable', { error: String(error) });
  }
  const connections = check.connections ? (options.connections?.() ?? {}) : {};
  for (const [name, health] of Object.entries(connections)) {
    if (!health.ok) notReady.push(`connection ${name}: ${health.state}`);
  }
  if (options.gate.state().saturated) notReady.push('webhook gate saturated');
  return { ready: notReady.length === 0, notReady, database, ...(migrations ? { migrations } : {}) };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so that neither the token's characters nor its length can be timed. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(.+)$/i.exec(header ?? '')?.[1]?.trim();
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** The families read when scraped: the database's backlogs, the gate, the long connections, the process. */
async function scrapeFamilies(options: MonitoringOptions): Promise<Family[]> {
  const now = (options.clock?.() ?? new Date()).getTime();
  const backlogs = await Promise.all([
    inboxBacklog(options.database.db),
    outboxBacklog(options.database.db),
  ]).catch((error) => {
    options.log.error('metrics: database unreachable', { error: String(error) });
    return undefined;
  });
  const [inbox, outbox] = backlogs ?? [];
  const gauge = (name: string, help: string, samples: Family['samples']): Family => ({
    name: `${METRICS_PREFIX}_${name}`,
    help,
    type: 'gauge',
    samples,
  });
  const perChannel = new Map<string, { pending: number; failed: number }>();
  for (const row of outbox ?? []) {
    const entry = perChannel.get(row.channel) ?? { pending: 0, failed: 0 };
    if (row.status === 'failed') entry.failed += row.count;
    else entry.pending += row.count;
    perChannel.set(row.channel, entry);
  }
  const gate = options.gate.state();
  const families = [
    gauge('database_up', 'The database answered this scrape (1), or not (0: its gauges are left out).', [
      { value: inbox ? 1 : 0 },
    ]),
  ];
  if (inbox) {
    families.push(
      gauge('inbox_pending', 'Webhook messages answered but not processed yet (all instances).', [
        { value: inbox.pending },
      ]),
      gauge(
        'inbox_oldest_pending_age_seconds',
        'How long the oldest pending inbox message has waited (0: none).',
        [{ value: inbox.oldest ? Math.max(0, (now - inbox.oldest.getTime()) / 1000) : 0 }],
      ),
    );
  }
  if (outbox) {
    families.push(
      gauge(
        'outbox_pending',
        'Outbox messages waiting to be sent or being sent, by channel (all instances).',
        [...perChannel].map(([channel, entry]) => ({ labels: { channel }, value: entry.pending })),
      ),
      gauge(
        'outbox_failed',
        'Outbox messages given up (the console lists them under 发送失败), by channel (all instances).',
        [...perChannel].map(([channel, entry]) => ({ labels: { channel }, value: entry.failed })),
      ),
    );
  }
  families.push(
    gauge('webhook_in_flight', 'Webhook requests the load gate is working on now.', [
      { value: gate.inFlight },
    ]),
    gauge('webhook_waiting', 'Webhook requests waiting for a place in the load gate.', [
      { value: gate.waiting },
    ]),
    gauge(
      'connection_up',
      'Long connections asked for: 1 when this instance has it as it should (connected, or standby), else 0.',
      Object.entries(options.connections?.() ?? {}).map(([channel, health]) => ({
        labels: { channel },
        value: health.ok ? 1 : 0,
      })),
    ),
  );
  if (typeof process !== 'undefined' && typeof process.memoryUsage === 'function') {
    families.push(
      gauge('process_resident_memory_bytes', 'Resident memory of this process.', [
        { value: process.memoryUsage().rss },
      ]),
      gauge('process_uptime_seconds', 'Seconds since this process started.', [{ value: process.uptime() }]),
    );
  }
  return families;
}

/** Mounts `/livez`, `/readyz` and `/metrics` (bot/app.ts mounts `/healthz` beside them). */
export function mountMonitoring(app: Hono, options: MonitoringOptions): void {
  app.get('/livez', (c) => c.json({ ok: true }));

  app.get('/readyz', async (c) => {
    const state = await readiness(options);
    return c.json({ ok: state.ready, ...state }, state.ready ? 200 : 503);
  });

  app.get('/metrics', async (c: Context) => {
    const token = options.metricsToken;
    if (!token) return c.json({ error: 'not found' }, 404);
    if (!bearerMatches(c.req.header('Authorization'), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json({ error: 'unauthorized' }, 401);
    }
    const families = [
      ...(await scrapeFamilies(options)),
      metrics.platformRateLimited.family(),
      metrics.platformErrors.family(),
      metrics.outboxSent.family(),
      metrics.outboxFailed.family(),
      metrics.webhookShed.family(),
      metrics.webhookDuration.family(),
      metrics.jobLastSuccess.family(),
    ];
    c.header('Content-Type', EXPOSITION_CONTENT_TYPE);
    c.header('Cache-Control', 'no-store');
    return c.body(exposition(families));
  });
}
