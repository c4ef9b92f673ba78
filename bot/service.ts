// Assembles the service from a configuration: database, core, channel senders, dispatcher and app.
// The Node entry and the tests both start it this way, so tests exercise exactly what runs.
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { Wechaty } from 'wechaty';
import { type Database, openDatabase } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { migrationJournal } from '../db/queries/migrations.ts';
import { feishuUserIdOnlyPeople } from '../db/queries/org.ts';
import { markTenantDemo, tenantsByCode } from '../db/queries/tenants.ts';
import { createRouter } from '../handlers/index.ts';
import { loadOrgFile } from '../handlers/org-file.ts';
import { createDownloads, type Downloads } from '../jobs/evidence.ts';
import { createDispatcher, type Dispatcher } from '../jobs/outbox.ts';
import type { RateLimiter } from '../jobs/rate-limit.ts';
import { createThumbnailCatchUp } from '../jobs/thumbnail-catch-up.ts';
import { type AppOptions, createApp } from './app.ts';
import type { ChannelHealth, ChannelRuntime, OpenChannel } from './channels/channel.ts';
import { channelDefinitions } from './channels/registry.ts';
import { type Core, createCore } from './core/core.ts';
import { createEvidenceStore, type EvidenceStore, type FileFetcher } from './core/evidence.ts';
import { createInbox, type Inbox } from './core/inbox.ts';
import type { Logger } from './core/log.ts';
import { createThumbnailer } from './core/thumbnails.ts';
import type { AnswerKind, Channel } from './core/types.ts';
import { runDoctor } from './doctor/index.ts';
import type { Config, DemoLevel } from './env.ts';
import { platformDirectories } from './org-resolve.ts';

export interface Service {
  app: Hono;
  core: Core;
  /** Webhook message events, answered once written and processed afterwards (bot/core/inbox.ts). */
  inbox: Inbox;
  dispatcher: Dispatcher;
  database: Database;
  /** Files kept as evidence (photos of hazards and records): the database, or the bucket (EVIDENCE_S3_*). */
  evidence: EvidenceStore;
  /** The downloads of received files from their platforms (jobs/evidence.ts). */
  downloads: Downloads;
  channels: ReadonlySet<Channel>;
  /** Demo mode is on: no credentials, and the database empty or demo-made (loadDemoOrganization). */
  demo: boolean;
  /**
   * Opens the channels' long connections (Wechaty, Feishu in websocket mode) and schedules the thumbnails
   * of photos kept without one (jobs/thumbnail-catch-up.ts); the Node entry calls it, Workers never do.
   */
  startConnections(): void;
  close(): Promise<void>;
}

/** An example file loaded in demo mode (resolved when used: Workers have no file URLs). */
const demoOrgFile = (name: string) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
/** The tenant of the example school (examples/school.yaml): what the console shows in demo mode. */
export const DEMO_TENANT_CODE = 'jishan-school';
/** DEMO_LEVEL=bureau: the example bureau over its three schools, the console opening as the bureau. */
export const DEMO_BUREAU_CODE = 'district-bureau';
const DEMO_FILES: Record<DemoLevel, string[]> = {
  school: ['school.yaml'],
  bureau: ['bureau.yaml', 'school.yaml', 'school-2.yaml', 'school-3.yaml'],
};

export interface ServiceOptions {
  config: Config;
  log: Logger;
  /** An already open database (tests share one PGlite per file); otherwise opened from the config. */
  database?: Database;
  clock?: () => Date;
  /** A ready Wechaty instance (tests pass one on wechaty-puppet-mock); otherwise built from the config. */
  wechaty?: Wechaty;
  /** Webhook load shedding; the defaults of bot/core/load-gate.ts unless given (tests make it tight). */
  loadGate?: AppOptions['loadGate'];
  /** How slowly a console form or upload may arrive; bot/console/kit.ts's defaults unless given. */
  consoleBodyDeadlines?: AppOptions['console']['bodyDeadlines'];
  /** The outbox's send limits; the platforms' own (jobs/rate-limit.ts) unless given (benchmarks scale them). */
  limiter?: RateLimiter;
  /** Running on Cloudflare Workers (bot/worker.ts): no fixed egress IP, which the 运行状态 page tells. */
  workers?: boolean;
}

export async function createService(options: ServiceOptions): Promise<Service> {
  const { config, log } = options;
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const demo = config.demo ? await loadDemoOrganization(database, log, config.demoLevel) : { on: false };

  // Thumbnails of kept photos on a thread of their own; none on Workers (no threads, bot/core/thumbnails.ts).
  const thumbnails = options.workers ? undefined : await createThumbnailer();
  const evidence = createEvidenceStore({ db: database.db, s3: config.evidenceS3, thumbnails, log });
  // Photos kept without a thumbnail (before thumbnails existed, or cut short by a restart): made a minute
  // after the start, then daily.
  const thumbnailCatchUp = thumbnails
    ? createThumbnailCatchUp({ db: database.db, store: evidence, log, clock: options.clock })
    : undefined;
  // The channels that are on, in the registry's order (bot/channels/registry.ts).
  const open = new Map<Channel, OpenChannel>();
  const answers: Partial<Record<Channel, AnswerKind>> = {};
  const health = new Map<Channel, () => ChannelHealth>();
  for (const definition of channelDefinitions) {
    const channel = await definition.open({
      config,
      database,
      evidence,
      log,
      clock: options.clock,
      given: { wechaty: options.wechaty },
    });
    if (!channel) continue;
    if ('unavailable' in channel) {
      health.set(definition.name, () => channel.unavailable);
      continue;
    }
    if (channel.health) health.set(definition.name, channel.health);
    open.set(definition.name, channel);
    answers[definition.name] = definition.answer;
  }
  const senders = [...open.values()].map((channel) => channel.sender);
  // A start-up warning: its query runs while the rest is assembled; close() waits for it.
  const warned = config.feishu
    ? warnFeishuUserIdOnly(database, log).catch((error) =>
        log.error('feishu: the user_id-only check failed', { error: String(error) }),
      )
    : undefined;
  const channels: ReadonlySet<Channel> = new Set(open.keys());

  const dispatcher = createDispatcher({
    db: database.db,
    senders,
    log,
    clock: options.clock,
    limiter: options.limiter,
  });
  const fetchers = new Map<Channel, FileFetcher>();
  for (const [name, channel] of open) if (channel.fetcher) fetchers.set(name, channel.fetcher);
  const downloads = createDownloads({
    db: database.db,
    store: evidence,
    fetchers,
    channels,
    log,
    clock: options.clock,
    onOutbox: () => dispatcher.kick(),
  });
  const core = createCore({
    db: database.db,
    router: createRouter(),
    channels,
    answers,
    log,
    clock: options.clock,
    // A handler that wrote rows may have written photos to download: both wake.
    onOutbox: () => {
      dispatcher.kick();
      downloads.pump.kick();
    },
  });
  // On PostgreSQL two chats' events are processed side by side; PGlite runs one at a time.
  const inbox = createInbox({
    // Its own connection on PostgreSQL (db/client.ts): a webhook's insert waits for no query of the pool.
    db: database.inboxDb ?? database.db,
    core,
    log,
    concurrency: database.kind === 'postgres' ? 2 : 1,
    // A webhook answered by the gate's deadline (2 s) cannot wait on a lock much longer than this.
    lockTimeoutMs: database.kind === 'postgres' ? INBOX_LOCK_TIMEOUT_MS : undefined,
  });
  const runtime: ChannelRuntime = { core, inbox, log, clock: options.clock, evidence };
  const connections = () => Object.fromEntries([...health].map(([name, state]) => [name, state()]));
  for (const channel of open.values()) channel.connect?.(runtime);
  const webhooks: AppOptions['webhooks'] = {};
  for (const [name, channel] of open) {
    if (channel.handleWebhook) webhooks[name] = channel.handleWebhook(runtime);
  }
  const app = createApp({
    database,
    log,
    channels,
    demo: demo.on,
    connections,
    loadGate: options.loadGate,
    // Workers cannot read the journal (no file system): there `npm run db:migrate` runs beforehand.
    journal: options.workers ? undefined : migrationJournal(),
    metricsToken: config.metricsToken,
    clock: options.clock,
    console: {
      core,
      evidence,
      clock: options.clock,
      demoTenantCode: demo.on
        ? config.demoLevel === 'bureau'
          ? DEMO_BUREAU_CODE
          : DEMO_TENANT_CODE
        : undefined,
      notice: demo.refused ? DEMO_REFUSED_NOTICE : undefined,
      // The page after a message shows the conversation once its console rows are delivered.
      settle: () => dispatcher.idle(),
      // The console's operations (派任务, 发起责任书) send cards to people on their own channels.
      channels,
      onOutbox: () => dispatcher.kick(),
      bodyDeadlines: options.consoleBodyDeadlines,
      directories: platformDirectories(config),
      trustedProxies: config.trustProxy,
      // The 运行状态 page: the doctor's checks, reading this instance's connections instead of opening new ones.
      status: (tenantId) =>
        runDoctor({
          config,
          database,
          now: options.clock?.() ?? new Date(),
          tenantIds: [tenantId],
          connections,
          workers: options.workers,
        }),
    },
    webhooks,
  });
  return {
    app,
    core,
    inbox,
    dispatcher,
    database,
    evidence,
    downloads,
    channels,
    demo: demo.on,
    startConnections() {
      // Each channel logs its own failure: one that cannot connect leaves the others up.
      for (const channel of open.values()) void channel.start?.();
      thumbnailCatchUp?.start();
    },
    async close() {
      await warned;
      for (const channel of open.values()) await channel.close?.();
      // A press answered 处理中 finishes its work (and writes its outcome) before the database goes.
      await core.pressesSettled();
      await inbox.stop();
      await downloads.pump.stop();
      await thumbnailCatchUp?.stop();
      await evidence.settled();
      await thumbnails?.close();
      await dispatcher.stop();
      if (!options.database) await database.close();
    },
  };
}

/** How long the inbox's insert waits for a lock on PostgreSQL before its batch is answered 503. */
const INBOX_LOCK_TIMEOUT_MS = 1000;

/** What `/` and every console page say when demo mode was asked for but refused. */
export const DEMO_REFUSED_NOTICE =
  '未进入演示模式：本次启动未读取到任何平台凭据（可能是凭据未能载入或变量名有误），而数据库中已有导入的单位数据。' +
  '为保护本单位数据，控制台须登录后使用，各聊天渠道均未开启。请检查平台凭据配置后重新启动服务。';

/**
 * Demo mode (no credentials) opens only an empty database, where it loads the example school and marks it
 * demo-made, or one holding nothing but demo-made tenants (a restart of the demo). A database holding an
 * imported organization never opens without a login: credentials that failed to load must not turn a
 * school's data into an open demo (issue 14, DESIGN.md §5).
 */
async function loadDemoOrganization(
  database: Database,
  log: Logger,
  level: DemoLevel,
): Promise<{ on: boolean; refused?: boolean }> {
  const existing = await tenantsByCode(database.db);
  const imported = existing.filter((tenant) => !tenant.demo);
  if (imported.length > 0) {
    log.warn(
      'demo mode refused: no platform credentials are set, but the database holds an imported ' +
        'organization; the console requires a login and the chat channels are off. Check the platform ' +
        'credentials (a secret that failed to load, a misspelt variable) and restart.',
      { tenants: imported.map((tenant) => tenant.code).join(',') },
    );
    return { on: false, refused: true };
  }
  if (existing.length > 0) {
    log.info('demo mode', { tenant: existing.map((tenant) => tenant.code).join(',') });
    return { on: true };
  }
  for (const name of DEMO_FILES[level]) {
    const org = loadOrgFile(demoOrgFile(name));
    const summary = await importOrganization(database.db, org);
    // Marked after the import: a crash in between leaves an "imported" school, which fails safe (login).
    await markTenantDemo(database.db, summary.tenantId);
    log.info(`demo mode: example ${org.tenant.kind} loaded`, {
      tenant: summary.tenantCode,
      people: summary.people,
    });
  }
  return { on: true };
}

/**
 * People the organization names on Feishu by `user_id` only are recognized only while the app has the
 * scope 获取用户 user ID (contact:user.employee_id:readonly): without it events carry no `user_id`
 * (im.message.receive_v1, sender_id) and they would pass for outside reporters. Said at start-up.
 */
async function warnFeishuUserIdOnly(database: Database, log: Logger) {
  const people = await feishuUserIdOnlyPeople(database.db);
  if (people.length === 0) return;
  log.warn(
    'feishu: people known by user_id only are recognized only if the app has the scope ' +
      'contact:user.employee_id:readonly (获取用户 user ID); give them a mobile in the organization file ' +
      'so that org:import finds their open_id',
    { people: people.length, first: people.slice(0, 5).map((person) => person.code) },
  );
}
