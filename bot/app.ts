// The one Hono app: every webhook and page (DESIGN.md §1, §5).
import { type Context, Hono } from 'hono';
import type { Database } from '../db/client.ts';
import { pendingInboundCount } from '../db/queries/inbound-events.ts';
import type { JournalEntry } from '../db/queries/migrations.ts';
import type { ChannelHealth, WebhookHandlers } from './channels/channel.ts';
import { channelDefinitions } from './channels/registry.ts';
import { type ConsoleOptions, createConsole } from './console/app.ts';
import { createLoadGate, type LoadGateOptions } from './core/load-gate.ts';
import type { Logger } from './core/log.ts';
import type { Channel } from './core/types.ts';
import { mountMonitoring, readiness, requestLogging, webhookTiming } from './monitoring.ts';
import { baseSecureHeaders } from './secure-headers.ts';

export interface AppOptions {
  database: Database;
  log: Logger;
  channels: ReadonlySet<Channel>;
  demo: boolean;
  /** The state of the channels' long connections, and why a channel asked for is off (`/healthz`). */
  connections?: () => Record<string, ChannelHealth>;
  /** The webhook handlers of the channels that are on, by method (ChannelDefinition.webhook). */
  webhooks: Partial<Record<Channel, WebhookHandlers>>;
  /** The web console: the chat simulator at `/`, `/login`, `/logout` and `/console/...`. */
  console: Omit<ConsoleOptions, 'db' | 'log' | 'demo'>;
  /** Load shedding of the webhooks (bot/core/load-gate.ts); the defaults suit one instance. */
  loadGate?: Omit<LoadGateOptions, 'log'>;
  /** The committed migrations `/readyz` checks; undefined where they cannot be read (Workers). */
  journal?: JournalEntry[];
  /** METRICS_TOKEN: `/metrics` is served, to requests bearing it, only when set (bot/monitoring.ts). */
  metricsToken?: string;
  clock?: () => Date;
}

export function createApp(options: AppOptions): Hono {
  const { database, log } = options;
  const app = new Hono();
  // Every request: its id on every log line written meanwhile, and the headers every answer carries.
  app.use('*', ...requestLogging(log), baseSecureHeaders);

  // One gate for both platforms' callbacks: they share the database, which is what runs out.
  // A request it refuses is answered by its channel's `busy`, if it has one (a Feishu press), else 503.
  const gate = createLoadGate({
    ...options.loadGate,
    log,
    busy: async (c) => {
      const owner = channelDefinitions.find(({ webhook }) => webhook?.path === c.req.path);
      return owner ? options.webhooks[owner.name]?.busy?.(c) : undefined;
    },
  });

  const monitoring = {
    database,
    log,
    gate,
    connections: options.connections,
    journal: options.journal,
    metricsToken: options.metricsToken,
    clock: options.clock,
  };
  mountMonitoring(app, monitoring);

  // `/livez` and `/readyz` together, in the shape it has always had (DESIGN.md §5): the long connections
  // are shown under `connections` but, as before, do not fail it.
  app.get('/healthz', async (c) => {
    const state = gate.state();
    const connections = options.connections?.() ?? {};
    const body = {
      db: database.kind,
      demo: options.demo,
      channels: [...options.channels],
      ...(Object.keys(connections).length > 0 ? { connections } : {}),
      gate: state,
    };
    const ready = await readiness(monitoring, { connections: false });
    if (ready.database === 'down') return c.json({ ok: false, ...body, notReady: ready.notReady }, 503);
    // Webhook messages answered but not processed yet (bot/core/inbox.ts): how far behind the bot is.
    const inbox = await pendingInboundCount(database.db).then(
      (pending) => ({ pending }),
      () => undefined,
    );
    if (!ready.ready || !inbox)
      return c.json({ ok: false, ...body, ...(inbox ? { inbox } : {}), notReady: ready.notReady }, 503);
    return c.json({ ok: true, ...body, inbox });
  });

  app.use('/webhooks/*', webhookTiming);
  app.post('/webhooks/*', gate.middleware);

  // Every channel's route, from the registry: a channel that is off answers 404 saying what turns it on.
  for (const { name, webhook } of channelDefinitions) {
    if (!webhook) continue;
    const off = (c: Context) => c.json({ error: webhook.off }, 404);
    for (const method of webhook.methods) {
      app.on(method, webhook.path, options.webhooks[name]?.[method] ?? off);
    }
  }

  app.route('/', createConsole({ ...options.console, db: database.db, log, demo: options.demo }));

  app.onError((error, c) => {
    log.error('unhandled request error', { path: c.req.path, error: String(error) });
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}
