// What every console page shares: the typed bindings of the sub-app (`ConsoleEnv`), the middleware that
// puts the session, the checked form and the viewer on `c.var`, and the one way a page is answered
// (the layout, the CSP nonce and the security headers).
//
// Who sees what: with a session, the session's tenant; in demo mode without one, the example tenant;
// otherwise nothing but the login page. Every query of a page takes `c.var.viewer.tenant.id`.
//
// A page route reads as `app.get(path, kit.viewer, handler)`; a form post as
// `app.post(path, kit.limit, kit.post, handler)` (same origin, the session's CSRF token, then the viewer).

import type { Context, Env, MiddlewareHandler } from 'hono';
import { createFactory } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Db, Queryable } from '../../db/client.ts';
import { schoolOfBureau } from '../../db/queries/bureau.ts';
import { failedCount } from '../../db/queries/outbox.ts';
import { firstTenant, type Tenant, tenantOfCode } from '../../db/queries/tenants.ts';
import { type BodyLimits, limitBody } from '../core/body.ts';
import type { Core } from '../core/core.ts';
import { createEvidenceStore, type EvidenceStore } from '../core/evidence.ts';
import type { Logger } from '../core/log.ts';
import type { Channel } from '../core/types.ts';
import type { CheckRow } from '../doctor/index.ts';
import type { Directories } from '../org-resolve.ts';
import type { AdminAccount } from './accounts.ts';
import {
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
import { BACK_TO_BUREAU, errorPage, type Frame, type Html, layout } from './layout.ts';
import { sessionAccount } from './sessions.ts';

/** Demo mode shows one tenant: the example school when it is there, else the first one. */
async function demoTenant(db: Queryable, preferredCode?: string): Promise<Tenant | undefined> {
  return (preferredCode ? await tenantOfCode(db, preferredCode) : undefined) ?? firstTenant(db);
}

export interface ConsoleOptions {
  db: Db;
  core: Core;
  /** Files kept as evidence (photos on the hazards page, photo packs, ledger thumbnails); the database's when not given. */
  evidence?: EvidenceStore;
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
  /** The platforms' contact lookups, for people an uploaded organization file gives by mobile or e-mail. */
  directories?: Directories;
  /** The doctor's rows for a tenant (bot/doctor): the 运行状态 page. */
  status?: (tenantId: number) => Promise<CheckRow[]>;
}

/**
 * A browser sends a form at once; an upload of a few megabytes over a school's slow line takes a while.
 * nginx's client_body_timeout is 60 s between reads; a connection silent for 15 s is stalled, not slow.
 */
export const CONSOLE_BODY_DEADLINES = { idleMs: 15_000, withinMs: 120_000 };

/**
 * Who looks at a page: the tenant shown, the browser's session and, once logged in, the admin. A bureau's
 * admin who switched into one of its schools sees the school's pages: `tenant` is the school, `viewingAs`
 * says so and `actingTenant` is the bureau. Such a viewer reads; the school's own forms are refused
 * (`kit.post`), only the bureau's actions on the school are admitted (`kit.bureauPost`).
 */
export interface Viewer {
  tenant: Tenant;
  session: Session;
  account?: AdminAccount;
  viewingAs?: 'bureau';
  actingTenant?: Tenant;
}

/** The bindings of the console's sub-app: what the middleware below puts on `c.var`. */
export type ConsoleEnv = {
  Variables: {
    /** The key the session and flash cookies are signed with. */
    key: Buffer;
    /** The browser's session cookie, when it has a valid one. */
    session: Session | undefined;
    /** The admin the session is logged in as (and their tenant). */
    auth: { account: AdminAccount; tenant: Tenant } | undefined;
    /** The posted form, once `kit.checked` or `kit.post` read it. */
    form: Record<string, unknown>;
    /** The page's viewer, once `kit.viewer` or `kit.post` admitted the request. */
    viewer: Viewer;
    /** The CSP nonce of the page's inline script and style (bot/secure-headers.ts). */
    secureHeadersNonce?: string;
  };
};

export type ConsoleContext = Context<ConsoleEnv>;
export type ConsoleMiddleware = MiddlewareHandler<ConsoleEnv>;

/** The one factory of the console's apps (the sub-app and each page's routes share its bindings). */
export const consoleFactory = createFactory<ConsoleEnv>();
export const consoleApp = () => consoleFactory.createApp();

/** A page frame without the nonce (added when the page is answered). */
export type FrameOf = Partial<Omit<Frame, 'nonce'>>;

export interface ConsoleKit {
  db: Db;
  directories: Directories;
  core: Core;
  evidence: EvidenceStore;
  log: Logger;
  clock: () => Date;
  demo: boolean;
  /** Channels that can deliver now: where the cards to people go. */
  channels: ReadonlySet<Channel>;
  /** Called after a commit that wrote outbox rows (wakes the dispatcher). */
  onOutbox?: () => void;
  /** Waits (at most 2 s) for the outbox rows of an event to be delivered. */
  settle(): Promise<void>;
  trustedProxies?: number;
  /** The doctor's rows for a tenant (ConsoleOptions.status). */
  status?: (tenantId: number) => Promise<CheckRow[]>;
  /** The body limit of ordinary forms (64 KB). */
  limit: MiddlewareHandler;
  /** A body limit of `maxBytes`, answered 413 with `tooLarge` (uploads); the console's deadlines apply. */
  limitTo(maxBytes: number, tooLarge: string): MiddlewareHandler;
  /** Puts `key`, `session` and `auth` on `c.var`. */
  session: ConsoleMiddleware;
  /** A page: the viewer on `c.var.viewer`; or the login page, or no tenant yet. */
  viewer: ConsoleMiddleware;
  /** A form post to the session itself (login, logout): `c.var.form`, same origin and CSRF checked. */
  checked: ConsoleMiddleware;
  /** A form post of a page: as `checked`, then the viewer; refused (403) while a bureau views a school. */
  post: ConsoleMiddleware;
  /**
   * A bureau's action on the school it is viewing (issue 19: 挂牌督办, 整改通知书…): as `post`, but admitted
   * only while viewing (`viewer.viewingAs === 'bureau'`, the school in `viewer.tenant`, the bureau in
   * `viewer.actingTenant`); otherwise 404.
   */
  bureauPost: ConsoleMiddleware;
  /** The request's session, or a new anonymous one (a CSRF token for the forms of the page). */
  ensureSession(c: ConsoleContext): Session;
  /** Answers a page in the layout: the viewer's frame (when there is one), headers and CSP. */
  render(c: ConsoleContext, body: Html, frame?: FrameOf, status?: ContentfulStatusCode): Promise<Response>;
  /** Answers a page as `render` does, with the flash message the previous post left (read once). */
  renderWithFlash(c: ConsoleContext, body: Html, frame: FrameOf): Promise<Response>;
  /** The flash message of the previous post (read once). */
  takeFlash(c: ConsoleContext): Flash | undefined;
  setFlash(c: ConsoleContext, flash: Flash): void;
  /** The 404 page of a row that is not the viewer's tenant's (or not there). */
  notFound(
    c: ConsoleContext,
    title: string,
    message: string,
    options?: { link?: { href: string; label: string }; active?: Frame['active'] },
  ): Promise<Response>;
}

const SETTLE_MS = 2000;
const FORBIDDEN = '请求无效或已过期（安全校验未通过）。请刷新页面后重试。';
const READ_ONLY = '教育局查看学校时只能查看，不能修改学校的数据。';
const BODY_TOO_SLOW = '请求超时：提交的内容未能在规定时间内传完，请检查网络后重试。';

/** A form field as a string ('' when absent or a file). */
export const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The office's logged-in accounts see an accident's confidential fields (the injured's names, the handling). */
export const seesConfidential = (viewer: Viewer) => viewer.account !== undefined;

/** Who is at the keyboard, for the log: the admin, or an anonymous visitor in demo mode. */
export const actor = (viewer: Viewer) => viewer.account?.username ?? '(demo)';

/** RFC 6266/5987: an ASCII fallback and the real (Chinese) name. */
export function attachment(fallback: string, name: string): string {
  const encoded = encodeURIComponent(name).replace(
    /['()*!]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A file to download, never cached (nor sniffed: bot/secure-headers.ts). */
/** The media type of the XLSX files the console's pages download. */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function download<E extends Env>(
  c: Context<E>,
  type: string,
  fallback: string,
  name: string,
  body: Uint8Array | string,
) {
  c.header('Content-Type', type);
  c.header('Content-Disposition', attachment(fallback, name));
  c.header('Cache-Control', 'no-store');
  return c.body(typeof body === 'string' ? body : new Uint8Array(body));
}

export function createKit(options: ConsoleOptions): ConsoleKit {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  // Every body the console takes is read within a size and deadlines before its handler runs (bot/core/body.ts).
  const deadlines = { ...CONSOLE_BODY_DEADLINES, ...options.bodyDeadlines };
  const limitTo = (maxBytes: number, tooLarge: string) =>
    limitBody({ maxBytes, ...deadlines }, (c, error) =>
      c.text(error.status === 413 ? tooLarge : BODY_TOO_SLOW, error.status),
    );

  let keyPromise: Promise<Buffer> | undefined;
  const signingKey = () => {
    keyPromise ??= loadSigningKey(db).catch((error) => {
      keyPromise = undefined;
      throw error;
    });
    return keyPromise;
  };

  /**
   * The viewer of an admin (or the demo) whose own tenant is `own`: a bureau's session that names one of
   * its schools views that school; a school that is not the bureau's (any more) is ignored.
   */
  async function viewerOf(own: Tenant, session: Session, account?: AdminAccount): Promise<Viewer> {
    const base = { session, ...(account ? { account } : {}) };
    if (session.viewing !== undefined && own.kind === 'bureau') {
      const school = await schoolOfBureau(db, own.id, session.viewing);
      if (school) return { ...base, tenant: school, viewingAs: 'bureau', actingTenant: own };
    }
    return { ...base, tenant: own };
  }

  async function loadSession(c: ConsoleContext) {
    const key = await signingKey();
    const now = clock();
    const session = readSession(c, key, now);
    const auth = session?.login ? await sessionAccount(db, session.login, now) : undefined;
    c.set('key', key);
    c.set('session', session);
    c.set('auth', auth);
  }

  function ensureSession(c: ConsoleContext): Session {
    const session = c.var.session;
    if (session) return session;
    const fresh = newSession(clock());
    writeSession(c, c.var.key, fresh, clock());
    c.set('session', fresh);
    return fresh;
  }

  async function frameOf(viewer: Viewer | undefined, extra: FrameOf): Promise<Omit<Frame, 'nonce'>> {
    return {
      title: '控制台',
      demo: options.demo,
      ...(viewer
        ? {
            tenantName: viewer.tenant.name,
            user: viewer.account?.displayName,
            csrf: viewer.session.csrf,
            failed: await failedCount(db, viewer.tenant.id),
            ownKind: (viewer.actingTenant ?? viewer.tenant).kind,
            ...(viewer.viewingAs ? { viewing: viewer.tenant.name } : {}),
          }
        : {}),
      ...extra,
    };
  }

  async function render(
    c: ConsoleContext,
    body: Html,
    extra: FrameOf = {},
    status: ContentfulStatusCode = 200,
  ): Promise<Response> {
    const frame = await frameOf(c.get('viewer') as Viewer | undefined, extra);
    // The CSP and the other security headers are the console's middleware's (bot/secure-headers.ts).
    const nonce = c.var.secureHeadersNonce;
    if (!nonce) throw new Error('console page rendered outside the secure-headers middleware');
    c.header('Cache-Control', 'no-store');
    return c.html(layout({ ...frame, notice: options.notice, nonce }, body), status);
  }

  const forbidden = (c: ConsoleContext) =>
    render(c, errorPage('请求被拒绝', FORBIDDEN), { title: '请求被拒绝' }, 403);

  const session: ConsoleMiddleware = async (c, next) => {
    await loadSession(c);
    await next();
  };

  const viewer: ConsoleMiddleware = async (c, next) => {
    await loadSession(c);
    const { session, auth } = c.var;
    if (auth && session) {
      c.set('viewer', await viewerOf(auth.tenant, session, auth.account));
      return next();
    }
    if (!options.demo) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    const tenant = await demoTenant(db, options.demoTenantCode);
    if (!tenant) {
      return render(
        c,
        errorPage('还没有单位', '数据库中还没有任何单位，请先导入组织文件（npm run org:import）。'),
        { title: '还没有单位' },
        503,
      );
    }
    c.set('viewer', await viewerOf(tenant, ensureSession(c)));
    return next();
  };

  /** Reads the form and checks it came from a page of this site with this session's token. */
  async function check(c: ConsoleContext): Promise<Response | undefined> {
    c.set('form', (await c.req.parseBody()) as Record<string, unknown>);
    await loadSession(c);
    if (!sameOrigin(c) || !csrfMatches(c.var.session, c.var.form._csrf)) return forbidden(c);
    return undefined;
  }

  const checked: ConsoleMiddleware = async (c, next) => {
    const refused = await check(c);
    if (refused) return refused;
    return next();
  };

  /** The viewer of a checked form post, or the answer that refuses it. */
  async function postViewer(c: ConsoleContext): Promise<Viewer | Response> {
    const refused = await check(c);
    if (refused) return refused;
    const { session, auth } = c.var;
    if (auth && session) return viewerOf(auth.tenant, session, auth.account);
    if (!options.demo || !session) return c.redirect('/login', 303);
    const tenant = await demoTenant(db, options.demoTenantCode);
    if (!tenant) return c.redirect('/', 303);
    return viewerOf(tenant, session);
  }

  const post: ConsoleMiddleware = async (c, next) => {
    const viewer = await postViewer(c);
    if (viewer instanceof Response) return viewer;
    c.set('viewer', viewer);
    if (viewer.viewingAs)
      return render(c, errorPage('只读查看', READ_ONLY, BACK_TO_BUREAU), { title: '只读查看' }, 403);
    return next();
  };

  const bureauPost: ConsoleMiddleware = async (c, next) => {
    const viewer = await postViewer(c);
    if (viewer instanceof Response) return viewer;
    c.set('viewer', viewer);
    if (viewer.viewingAs !== 'bureau') {
      return render(c, errorPage('找不到', '请先从教育局进入所查看的学校。'), { title: '找不到' }, 404);
    }
    return next();
  };

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

  return {
    db,
    directories: options.directories ?? {},
    core: options.core,
    evidence: options.evidence ?? createEvidenceStore({ db }),
    log: options.log,
    clock,
    demo: options.demo,
    channels: options.channels,
    onOutbox: options.onOutbox,
    settle,
    trustedProxies: options.trustedProxies,
    status: options.status,
    limit: limitTo(64 * 1024, '请求内容过大'),
    limitTo,
    session,
    viewer,
    checked,
    post,
    bureauPost,
    ensureSession,
    render,
    renderWithFlash: (c, body, frame) => render(c, body, { ...frame, flash: takeFlash(c, c.var.key) }),
    takeFlash: (c) => takeFlash(c, c.var.key),
    setFlash: (c, flash) => setFlash(c, c.var.key, flash),
    notFound: (c, title, message, options = {}) =>
      render(
        c,
        errorPage(title, message, options.link),
        { title, ...(options.active ? { active: options.active } : {}) },
        404,
      ),
  };
}
