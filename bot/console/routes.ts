// The web console (DESIGN.md §5: `/` and below): the chat simulator at `/`, `/login`, `/logout`, and
// `/console/...` (tasks, rosters and letters in operations.ts; ledger export, failed messages).
// Server-rendered HTML, plain forms, POST → redirect.
//
// Who sees what: with a session, the session's tenant; in demo mode without one, the example tenant;
// otherwise nothing but the login page. Every query below takes that tenant's id.

import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Db } from '../../db/client.ts';
import { isoDateIn } from '../../handlers/calendar.ts';
import { ExportPeriodError, exportLedger, parseExportPeriod } from '../../handlers/ledger-export.ts';
import { FORM_FIELD_PREFIX } from '../channels/console/render.ts';
import { type BodyLimits, limitBody } from '../core/body.ts';
import type { Core } from '../core/core.ts';
import type { Logger } from '../core/log.ts';
import type { ActionEvent, ActionResult, Channel, MessageEvent } from '../core/types.ts';
import { errorPage, ledgerPage, loginPage, outboxPage } from '../pages/console.ts';
import { type Frame, type Html, layout } from '../pages/layout.ts';
import { noMembersPage, SIMULATOR_SCRIPT, simulatorPage } from '../pages/simulator.ts';
import { type AdminAccount, checkLogin } from './accounts.ts';
import {
  clearSession,
  csrfMatches,
  type Flash,
  loadSigningKey,
  newSession,
  readSession,
  type Session,
  sameOrigin,
  setFlash,
  takeFlash,
  writeSession,
} from './auth.ts';
import { buildConversation, MAX_MESSAGE_LENGTH, userMessageId } from './conversation.ts';
import {
  brakeWait,
  clientAddress,
  isKnownDevice,
  recordSuccess,
  rememberDevice,
  sweepFailures,
  takeTry,
} from './login-brake.ts';
import { registerOperations } from './operations.ts';
import { registerOrgAndHazards } from './org.ts';
import {
  consoleChatId,
  conversationRows,
  demoTenant,
  failedCount,
  failedMessages,
  memberById,
  membersOf,
  type Tenant,
} from './queries.ts';
import { registerReports } from './reports.ts';
import { endSession, sessionAccount, startSession, sweepSessions } from './sessions.ts';

export interface ConsoleOptions {
  db: Db;
  core: Core;
  log: Logger;
  /** Demo mode: open without login for the example tenant, with a banner on every page. */
  demo: boolean;
  /** The example tenant's code (demo mode); otherwise the first tenant is shown. */
  demoTenantCode?: string;
  /** Why the service is not what one might expect (demo mode refused): a banner on every page. */
  notice?: string;
  clock?: () => Date;
  /** Channels that can deliver now: where the cards of the console's operations go to people. */
  channels: ReadonlySet<Channel>;
  /** Called after an operation committed outbox rows (wakes the dispatcher). */
  onOutbox?: () => void;
  /**
   * Waits (briefly) for the outbox rows an event wrote to be delivered, so that the page shown after a
   * message is the settled conversation. Optional; the page reads pending rows too.
   */
  settle?: () => Promise<void>;
  /** How slowly a form or upload may arrive (defaults: CONSOLE_BODY_DEADLINES). */
  bodyDeadlines?: Omit<BodyLimits, 'maxBytes'>;
  /** Reverse proxies in front that append to X-Forwarded-For (login-brake.ts); 0 trusts none of it. */
  trustedProxies?: number;
}

/**
 * A browser sends a form at once; an upload of a few megabytes over a school's slow line takes a while.
 * nginx's client_body_timeout is 60 s between reads; a connection silent for 15 s is stalled, not slow.
 */
export const CONSOLE_BODY_DEADLINES = { idleMs: 15_000, withinMs: 120_000 };

export interface Viewer {
  tenant: Tenant;
  session: Session;
  account?: AdminAccount;
}

const SETTLE_MS = 2000;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FORBIDDEN = '请求无效或已过期（安全校验未通过）。请刷新页面后重试。';
const LOGIN_FAILED = '登录失败：单位代码、用户名或密码不正确。';
const BODY_TOO_SLOW = '请求超时：提交的内容未能在规定时间内传完，请检查网络后重试。';
/** Ended sessions and forgotten login failures are deleted at most this often per instance. */
const SWEEP_EVERY_MS = 60 * 1000;

const waitText = (ms: number) =>
  ms < 60_000 ? `${Math.ceil(ms / 1000)} 秒` : `${Math.ceil(ms / 60_000)} 分钟`;

/** Only a path of this site, never another origin (`//host`, `/\host`) nor the login pages themselves. */
function safeNext(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.startsWith('/\\')
  )
    return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\\]/.test(value) || value.startsWith('/login') || value.startsWith('/logout'))
    return '/';
  return value.slice(0, 500);
}

/** RFC 6266/5987: an ASCII fallback and the real (Chinese) name. */
function attachment(fallback: string, name: string): string {
  const encoded = encodeURIComponent(name).replace(
    /['()*!]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** Who is at the keyboard, for the log: the admin, or an anonymous visitor in demo mode. */
const actor = (viewer: Viewer) => viewer.account?.username ?? '(demo)';

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function consoleRoutes(options: ConsoleOptions): Hono {
  const { db, core, log } = options;
  const clock = options.clock ?? (() => new Date());
  let sweptAt = 0;
  let warnedProxy = false;
  const app = new Hono();
  // Every body the console takes is read within a size and deadlines before its handler runs (bot/core/body.ts).
  const deadlines = { ...CONSOLE_BODY_DEADLINES, ...options.bodyDeadlines };
  const limitTo = (maxBytes: number, tooLarge: string) =>
    limitBody({ maxBytes, ...deadlines }, (c, error) =>
      c.text(error.status === 413 ? tooLarge : BODY_TOO_SLOW, error.status),
    );
  const limit = limitTo(64 * 1024, '请求内容过大');

  let keyPromise: Promise<Buffer> | undefined;
  const signingKey = () => {
    keyPromise ??= loadSigningKey(db).catch((error) => {
      keyPromise = undefined;
      throw error;
    });
    return keyPromise;
  };

  async function sessionOf(c: Context) {
    const key = await signingKey();
    const now = clock();
    const session = readSession(c, key, now);
    const auth = session?.login ? await sessionAccount(db, session.login, now) : undefined;
    return { key, session, auth };
  }

  /** The request's session, or a new anonymous one (a CSRF token for the forms of the page). */
  function ensureSession(c: Context, key: Buffer, session: Session | undefined): Session {
    if (session) return session;
    const fresh = newSession(clock());
    writeSession(c, key, fresh, clock());
    return fresh;
  }

  async function frameOf(viewer: Viewer | undefined, extra: Partial<Frame>): Promise<Omit<Frame, 'nonce'>> {
    return {
      title: '控制台',
      demo: options.demo,
      ...(viewer
        ? {
            tenantName: viewer.tenant.name,
            user: viewer.account?.displayName,
            csrf: viewer.session.csrf,
            failed: await failedCount(db, viewer.tenant.id),
          }
        : {}),
      ...extra,
    };
  }

  function page(c: Context, status: ContentfulStatusCode, frame: Omit<Frame, 'nonce'>, body: Html) {
    const nonce = randomBytes(16).toString('base64');
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src 'self' data:; ` +
        `form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    return c.html(layout({ ...frame, notice: options.notice, nonce }, body), status);
  }

  const forbidden = (c: Context) =>
    page(c, 403, { title: '请求被拒绝', demo: options.demo }, errorPage('请求被拒绝', FORBIDDEN));

  /** A page's viewer; or the response to send instead (the login page, or no tenant yet). */
  async function viewerFor(c: Context): Promise<{ viewer: Viewer; key: Buffer } | Response> {
    const { key, session, auth } = await sessionOf(c);
    if (auth && session) return { key, viewer: { tenant: auth.tenant, account: auth.account, session } };
    if (!options.demo) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    const tenant = await demoTenant(db, options.demoTenantCode);
    if (!tenant) {
      return page(
        c,
        503,
        { title: '还没有单位', demo: options.demo },
        errorPage('还没有单位', '数据库中还没有任何单位，请先导入组织文件（npm run org:import）。'),
      );
    }
    return { key, viewer: { tenant, session: ensureSession(c, key, session) } };
  }

  /** A form post: same origin, the session's CSRF token, then the viewer as for a page. */
  async function postFor(
    c: Context,
  ): Promise<{ viewer: Viewer; key: Buffer; form: Record<string, unknown> } | Response> {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const { key, session, auth } = await sessionOf(c);
    if (!sameOrigin(c) || !csrfMatches(session, form._csrf)) return forbidden(c);
    if (auth && session)
      return { key, form, viewer: { tenant: auth.tenant, account: auth.account, session } };
    if (!options.demo || !session) return c.redirect('/login', 303);
    const tenant = await demoTenant(db, options.demoTenantCode);
    if (!tenant) return c.redirect('/', 303);
    return { key, form, viewer: { tenant, session } };
  }

  async function settle() {
    if (!options.settle) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      options.settle().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  // -------------------------------------------------------------------------------------------------
  // Login and logout

  app.get('/login', async (c) => {
    const { key, session, auth } = await sessionOf(c);
    if (auth) return c.redirect(safeNext(c.req.query('next')), 302);
    const current = ensureSession(c, key, session);
    return page(
      c,
      200,
      { title: '管理员登录', demo: options.demo, active: 'login' },
      loginPage({ csrf: current.csrf, next: c.req.query('next'), demo: options.demo }),
    );
  });

  app.post('/login', limit, async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const { key, session } = await sessionOf(c);
    if (!sameOrigin(c) || !csrfMatches(session, form._csrf)) return forbidden(c);
    const tenantCode = text(form.tenant).trim().slice(0, 100);
    const username = text(form.username).trim().slice(0, 100);
    const password = text(form.password).slice(0, 1000);
    const again = (status: ContentfulStatusCode, error: string) =>
      page(
        c,
        status,
        { title: '管理员登录', demo: options.demo, active: 'login' },
        loginPage({
          csrf: session!.csrf,
          next: text(form.next) || undefined,
          tenantCode,
          username,
          error,
          demo: options.demo,
        }),
      );
    const now = clock();
    if (now.getTime() - sweptAt >= SWEEP_EVERY_MS) {
      sweptAt = now.getTime();
      await sweepSessions(db, now);
      await sweepFailures(db, now);
    }
    const attempt = { address: clientAddress(c, options.trustedProxies), tenantCode, username };
    if (!options.trustedProxies && c.req.header('x-forwarded-for') !== undefined && !warnedProxy) {
      // Behind a proxy not declared, every client is the proxy's address and shares one login brake.
      warnedProxy = true;
      log.warn(
        'console login: X-Forwarded-For ignored; behind reverse proxies set TRUST_PROXY to their number',
        {
          address: attempt.address,
        },
      );
    }
    const knownDevice = isKnownDevice(c, key, attempt, now);
    // A blocked client is answered from one read; a try is then taken in the database before the
    // password is checked, so requests sent at once are held as if sent one by one.
    const wait =
      (await brakeWait(db, attempt, now, knownDevice)) || (await takeTry(db, attempt, now, knownDevice));
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return again(429, `登录失败次数过多，请 ${waitText(wait)}后再试。`);
    }
    const found =
      tenantCode && username && password
        ? await checkLogin(db, tenantCode, username, password, now)
        : undefined;
    if (!found) {
      log.warn('console login failed', { tenant: tenantCode, user: username, address: attempt.address });
      return again(401, LOGIN_FAILED);
    }
    await recordSuccess(db, attempt, knownDevice);
    rememberDevice(c, key, attempt, now);
    // A new session (and CSRF token) at login: nothing chosen before it carries over (ASVS V3.2.1).
    if (session?.login) await endSession(db, session.login);
    const fresh = newSession(now, await startSession(db, found.account, attempt.address, now));
    writeSession(c, key, fresh, now);
    log.info('console login', {
      tenant: found.tenant.code,
      user: found.account.username,
      address: attempt.address,
    });
    return c.redirect(safeNext(form.next), 303);
  });

  app.post('/logout', limit, async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const { session } = await sessionOf(c);
    if (!sameOrigin(c) || !csrfMatches(session, form._csrf)) return forbidden(c);
    if (session?.login) await endSession(db, session.login);
    clearSession(c);
    return c.redirect(options.demo ? '/' : '/login', 303);
  });

  // -------------------------------------------------------------------------------------------------
  // The chat simulator: acting as any member is a demo feature. Outside demo mode the console acts as
  // the logged-in office account only (issue 14), so `/` is the dashboard and the simulator's posts 404.

  const simulatorOff = (c: Context) => c.json({ error: 'not found' }, 404);

  app.get('/', async (c) => {
    const resolved = await viewerFor(c);
    if (resolved instanceof Response) return resolved;
    if (!options.demo) return c.redirect('/console/dashboard', 302);
    const { viewer, key } = resolved;
    const flash = takeFlash(c, key);
    const members = await membersOf(db, viewer.tenant.id);
    if (members.length === 0) {
      return page(
        c,
        200,
        await frameOf(viewer, { title: '对话模拟', active: 'chat', flash }),
        noMembersPage(viewer.tenant.name),
      );
    }
    const asked = c.req.query('person');
    const selected =
      asked === undefined ? members[0]! : members.find((member) => String(member.id) === asked);
    if (!selected) {
      return page(
        c,
        404,
        await frameOf(viewer, { title: '找不到此成员', active: 'chat' }),
        errorPage('找不到此成员', '本单位没有这个成员。'),
      );
    }
    const items = buildConversation(await conversationRows(db, viewer.tenant.id, selected.id));
    return page(
      c,
      200,
      await frameOf(viewer, { title: '对话模拟', active: 'chat', flash, script: SIMULATOR_SCRIPT }),
      simulatorPage({
        members,
        selected,
        items,
        csrf: viewer.session.csrf,
        timeZone: viewer.tenant.timezone,
      }),
    );
  });

  /** The member a simulator post acts as: one of the viewer's tenant, or a 404 page. */
  async function actingMember(c: Context, viewer: Viewer, value: unknown) {
    const person = await memberById(db, viewer.tenant.id, Number(text(value)));
    if (person) return person;
    return page(
      c,
      404,
      await frameOf(viewer, { title: '找不到此成员', active: 'chat' }),
      errorPage('找不到此成员', '本单位没有这个成员。'),
    );
  }

  app.post('/console/say', limit, async (c) => {
    if (!options.demo) return simulatorOff(c);
    const posted = await postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const person = await actingMember(c, viewer, form.person);
    if (person instanceof Response) return person;
    const back = `/?person=${person.id}`;
    const said = (text(form.quick) || text(form.text)).trim();
    if (!said) {
      setFlash(c, key, { kind: 'warning', text: '请输入消息。' });
      return c.redirect(back, 303);
    }
    if (said.length > MAX_MESSAGE_LENGTH) {
      setFlash(c, key, { kind: 'error', text: `消息太长（最多 ${MAX_MESSAGE_LENGTH} 字）。` });
      return c.redirect(back, 303);
    }
    const uuid = randomUUID();
    const event: MessageEvent = {
      type: 'message',
      channel: 'console',
      eventKey: uuid,
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(viewer.tenant.id),
      messageId: userMessageId(uuid, said),
      text: said,
      mentionedBot: false,
      mentions: [],
      attachments: [],
    };
    // The audit trail names the member; the log says who acted as them.
    log.info('console message', { tenant: viewer.tenant.code, admin: actor(viewer), person: person.id });
    const result = await core.handle(event);
    await settle();
    if (result.kind === 'ignored') setFlash(c, key, { kind: 'info', text: `消息未处理：${result.reason}` });
    return c.redirect(back, 303);
  });

  app.post('/console/press', limit, async (c) => {
    if (!options.demo) return simulatorOff(c);
    const posted = await postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const person = await actingMember(c, viewer, form.person);
    if (person instanceof Response) return person;
    const back = `/?person=${person.id}`;
    const action = text(form.action);
    const args = parseArgs(text(form.args));
    if (!/^[\w.:-]{1,100}$/.test(action) || !args) {
      setFlash(c, key, { kind: 'error', text: '按钮数据无效，请刷新页面后重试。' });
      return c.redirect(back, 303);
    }
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(form)) {
      if (name.startsWith(FORM_FIELD_PREFIX) && typeof value === 'string') {
        values[name.slice(FORM_FIELD_PREFIX.length)] = value.slice(0, 5000);
      }
    }
    const event: ActionEvent = {
      type: 'action',
      channel: 'console',
      eventKey: randomUUID(),
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(viewer.tenant.id),
      action,
      args,
      ...(Object.keys(values).length > 0 ? { form: values } : {}),
      // No messageId: every copy of a changed card, this one included, is then refreshed in the outbox,
      // which is where the console reads its conversation.
    };
    log.info('console action', {
      tenant: viewer.tenant.code,
      admin: actor(viewer),
      person: person.id,
      action,
    });
    const result = await core.handle(event);
    await settle();
    const answer: ActionResult | undefined = result.kind === 'done' ? result.action : undefined;
    const flash: Flash = answer
      ? { kind: answer.toast.kind, text: answer.toast.text }
      : { kind: 'info', text: result.kind === 'ignored' ? `未处理：${result.reason}` : '已处理。' };
    setFlash(c, key, flash);
    return c.redirect(back, 303);
  });

  // -------------------------------------------------------------------------------------------------
  // Ledger export and failed messages

  app.get('/console', (c) => c.redirect('/', 302));

  app.get('/console/ledger', async (c) => {
    const resolved = await viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const today = isoDateIn(clock(), viewer.tenant.timezone);
    return page(
      c,
      200,
      await frameOf(viewer, { title: '隐患台账导出', active: 'ledger', flash: takeFlash(c, key) }),
      ledgerPage({
        tenantName: viewer.tenant.name,
        from: `${today.slice(0, 4)}-01-01`,
        to: today,
        format: 'xlsx',
      }),
    );
  });

  app.get('/console/ledger/export', async (c) => {
    const resolved = await viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { tenant } = resolved.viewer;
    const from = (c.req.query('from') ?? '').trim();
    const to = (c.req.query('to') ?? '').trim();
    const format = c.req.query('format') ?? 'xlsx';
    const refuse = async (error: string) =>
      page(
        c,
        400,
        await frameOf(resolved.viewer, { title: '隐患台账导出', active: 'ledger' }),
        ledgerPage({
          tenantName: tenant.name,
          from,
          to,
          format: format === 'csv' ? 'csv' : 'xlsx',
          error,
        }),
      );
    if (format !== 'xlsx' && format !== 'csv') return refuse(`格式只能是 xlsx 或 csv，而不是“${format}”。`);
    let period: ReturnType<typeof parseExportPeriod>;
    try {
      period = parseExportPeriod(from, to, tenant.timezone);
    } catch (error) {
      if (error instanceof ExportPeriodError) return refuse(error.message);
      throw error;
    }
    const base = `隐患台账_${tenant.name}_${from}_${to}`;
    const fallback = `ledger_${tenant.code}_${from}_${to}`;
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE);
    c.header('Content-Disposition', attachment(`${fallback}.${format}`, `${base}.${format}`));
    // Written while the pages are read (three years of a district are 100,000 rows): memory stays flat.
    // A failure half-way aborts the download, so the office never keeps a truncated file for complete.
    const output = new PassThrough();
    const written = exportLedger(db, tenant, period, format, output, clock());
    written.catch((error) => {
      log.error('ledger export failed', { tenantId: tenant.id, error: String(error) });
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return c.body(Readable.toWeb(output) as ReadableStream<Uint8Array>);
  });

  const kit = {
    db,
    log,
    clock,
    channels: options.channels,
    onOutbox: options.onOutbox,
    limit,
    limitTo,
    viewerFor,
    postFor,
    frameOf,
    page,
  };
  registerOperations(app, kit);
  registerReports(app, kit);
  registerOrgAndHazards(app, kit);

  app.get('/console/outbox', async (c) => {
    const resolved = await viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer } = resolved;
    const rows = await failedMessages(db, viewer.tenant.id);
    return page(
      c,
      200,
      await frameOf(viewer, { title: '发送失败的消息', active: 'outbox' }),
      outboxPage({ rows, timeZone: viewer.tenant.timezone }),
    );
  });

  return app;
}

/** A button's arguments: a flat object of strings, as the card model has them. */
function parseArgs(raw: string): Record<string, string> | undefined {
  if (raw.length > 4000) return undefined;
  try {
    const value: unknown = raw === '' ? {} : JSON.parse(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    if (entries.length > 30 || entries.some(([, v]) => typeof v !== 'string')) return undefined;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return undefined;
  }
}
