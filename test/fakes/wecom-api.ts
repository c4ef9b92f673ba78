// Fake of the WeCom server API (qyapi.weixin.qq.com) on 127.0.0.1, speaking the real JSON wire format.
// Docs: 获取access_token (gettoken), 发送应用消息 (message/send, path/90236),
// 更新模版卡片消息 (message/update_template_card, path/94888), 获取指定的应用详情 (agent/get, path/90227),
// 获取临时素材 (media/get, path/90254), 全局错误码 (path/90313).
// It refuses what WeCom refuses (or would cut or not show), each rule beside its source, with the clock
// it is given: content sizes, template_card fields, response_codes (issued only for cards that can be
// updated, used once, within 72 hours) and task_ids (unique per app).
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type WecomApiEndpoint =
  | 'gettoken'
  | 'send'
  | 'update_template_card'
  | 'user_getuserid'
  | 'user_get_userid_by_email'
  | 'agent_get'
  | 'media_get';

/** A member of the fake corp's directory (the test sets it). */
export interface FakeWecomMember {
  userid: string;
  mobile?: string;
  /** The corp mailbox (email_type 1). */
  bizMail?: string;
  /** A personal mailbox (email_type 2). */
  email?: string;
  /** In the app's 可见范围 (default true). */
  inRange?: boolean;
}

export interface ForcedResponse {
  /** Consumed only by a call to this endpoint; by the next call to any endpoint when omitted. */
  endpoint?: WecomApiEndpoint;
  /** HTTP status, 200 by default. */
  status?: number;
  /** Shorthand for body `{errcode, errmsg}`, e.g. 45009 (rate limit) or 42001 (token expired). */
  errcode?: number;
  /** JSON body; a status >= 400 without a body answers a plain-text error page. */
  body?: unknown;
  /**
   * Hold the connection this long before answering (a slow or hanging platform; the client may give up
   * meanwhile). With no status, errcode or body the call is then handled normally.
   */
  delayMs?: number;
}

export interface FakeWecomApiOptions {
  corpId?: string;
  corpSecret?: string;
  /** When set, send/update calls must carry this agentid (else errcode 40056). */
  agentId?: number;
  /** When set, other user ids are reported in `invaliduser`. */
  knownUsers?: string[];
  /** Per-member limit per rolling minute (the real one is 30); excess is silently dropped. Off if unset. */
  perMemberLimitPerMinute?: number;
  tokenTtlSeconds?: number;
  /** Clock in milliseconds, for token expiry, duplicate checks and rate limits. */
  now?: () => number;
  /** The corp's members, for the contact lookups. */
  directory?: FakeWecomMember[];
  /** The caller's IP is not a 企业可信IP: every call but gettoken answers 60020 (see `untrusted`). */
  untrusted?: boolean;
}

export interface WecomSendBody {
  touser?: string;
  toparty?: string;
  totag?: string;
  msgtype?: string;
  agentid?: number;
  enable_duplicate_check?: number;
  duplicate_check_interval?: number;
  [key: string]: unknown;
}

export interface WecomApiCall {
  endpoint: WecomApiEndpoint | 'unknown';
  method: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  response: unknown;
}

interface TokenState {
  expiresAt: number;
  expired: boolean;
}

const ERRMSG: Record<number, string> = {
  [-1]: 'system busy',
  0: 'ok',
  40001: 'invalid credential',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40056: 'invalid agentid',
  40058: 'invalid parameter',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  42001: 'access_token expired',
  43002: 'require POST method',
  44004: 'empty content',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  46004: 'user no exist',
  48002: 'api forbidden',
  60011: 'no privilege to access/modify contact/party/agent',
  47001: 'data format error',
  60020: 'not allow to access from your ip',
  81013: 'user & party & tag all invalid',
};

const MSG_TYPES = new Set([
  'text',
  'image',
  'voice',
  'video',
  'file',
  'textcard',
  'news',
  'mpnews',
  'markdown',
  'miniprogram_notice',
  'template_card',
]);
// Only these card types return a response_code (发送应用消息, 返回参数 response_code).
const CALLBACK_CARD_TYPES = new Set(['button_interaction', 'vote_interaction', 'multiple_interaction']);
const MAX_USERS = 1000;
const DEFAULT_DUPLICATE_INTERVAL_S = 1800;
const MAX_DUPLICATE_INTERVAL_S = 4 * 3600;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** A temporary media file lives 3 days (上传临时素材 / 获取临时素材, path/90253, path/90254). */
const MEDIA_TTL_MS = 3 * 24 * 3600 * 1000;

// Content limits of message/send (path/90236). text.content: "最长不超过2048个字节，超过将截断", so the
// end of a message would be lost silently; markdown.content: "最长不超过2048个字节，必须是utf8编码" (the
// group robot's webhook takes 4096 and refuses more with 40058 "markdown.content exceed max length").
// template_card fields: the lengths the reference gives for each field (longer text does not show). The
// fake refuses all of these (text with 45002 消息内容大小超过限制, the others with 40058 不合法的参数,
// 全局错误码 path/90313), stricter than WeCom, so that a test sees any message that would not arrive whole.
const TEXT_MAX_BYTES = 2048;
const MARKDOWN_MAX_BYTES = 2048;
// task_id: "同一个应用任务id不能重复，只能由数字、字母和“_-@”组成，最长128字节，填了action_menu字段的话本字段必填";
// action_menu.action_list: "列表长度取值范围为 [1, 3]", key "最长支持1024字节，不可重复"; button_list.key
// likewise at most 1024 bytes (path/90236, 模板卡片消息).
const TASK_ID = /^[A-Za-z0-9_@-]{1,128}$/;
const KEY_MAX_BYTES = 1024;
const MENU_MAX = 3;
// response_code: "一个code只能调用一次该接口，且只能在72小时内调用" (path/94888). WeCom's page names no
// errcode of its own for a used or expired code; the fake answers 40058 (不合法的参数) with a hint.
const RESPONSE_CODE_TTL_MS = 72 * 3600 * 1000;
const CARD_FIELD_MAX_CHARS: [path: string, max: number][] = [
  ['main_title.title', 36],
  ['main_title.desc', 44],
  ['sub_title_text', 160],
  ['quote_area.quote_text', 160],
];
const CARD_LIST_MAX: [list: string, field: string, maxItems: number, maxChars: number][] = [
  ['horizontal_content_list', 'keyname', 6, 5],
  ['horizontal_content_list', 'value', 6, 30],
  ['button_list', 'text', 6, 10],
];

const charsOf = (value: unknown) => (typeof value === 'string' ? Array.from(value).length : 0);
const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

/** The content-size refusal a message/send body earns, if any. */
function contentRefusal(
  msgtype: string,
  payload: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const bytes = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : '');
  if (msgtype === 'text' && bytes(payload.content) > TEXT_MAX_BYTES) {
    return err(45002, `text.content exceed max length ${TEXT_MAX_BYTES}`);
  }
  if (msgtype === 'markdown' && bytes(payload.content) > MARKDOWN_MAX_BYTES) {
    return err(40058, `markdown.content exceed max length ${MARKDOWN_MAX_BYTES}`);
  }
  if (msgtype !== 'template_card') return undefined;
  const keyTooLong = (key: unknown) => typeof key !== 'string' || key === '' || bytes(key) > KEY_MAX_BYTES;
  const menu = payload.action_menu as { action_list?: unknown } | undefined;
  if (menu !== undefined) {
    const list = menu?.action_list;
    if (!Array.isArray(list) || list.length < 1 || list.length > MENU_MAX) {
      return err(40058, `template_card.action_menu.action_list size must be in [1, ${MENU_MAX}]`);
    }
    const keys = list.map((item) => (item as Record<string, unknown>).key);
    if (keys.some(keyTooLong) || new Set(keys).size !== keys.length) {
      return err(40058, 'template_card.action_menu.action_list.key invalid or repeated');
    }
    if (typeof payload.task_id !== 'string') return err(40058, 'task_id is required with action_menu');
  }
  if (
    payload.task_id !== undefined &&
    !(typeof payload.task_id === 'string' && TASK_ID.test(payload.task_id))
  ) {
    return err(40058, 'template_card.task_id invalid');
  }
  if (
    Array.isArray(payload.button_list) &&
    payload.button_list.some((button) => {
      const item = button as Record<string, unknown>;
      return (item.type ?? 0) === 0 && keyTooLong(item.key);
    })
  ) {
    return err(40058, `template_card.button_list.key exceed max length ${KEY_MAX_BYTES}`);
  }
  for (const [path, max] of CARD_FIELD_MAX_CHARS) {
    if (charsOf(at(payload, path)) > max) return err(40058, `template_card.${path} exceed max length ${max}`);
  }
  for (const [list, field, maxItems, maxChars] of CARD_LIST_MAX) {
    const items = payload[list];
    if (!Array.isArray(items)) continue;
    if (items.length > maxItems) return err(40058, `template_card.${list} exceed max size ${maxItems}`);
    if (items.some((item) => charsOf((item as Record<string, unknown>)[field]) > maxChars)) {
      return err(40058, `template_card.${list}.${field} exceed max length ${maxChars}`);
    }
  }
  return undefined;
}

/** Cards WeCom can update later, and for which it returns a response_code (path/90236, path/94888). */
function updatableCard(card: { card_type?: unknown; action_menu?: unknown }): boolean {
  if (typeof card.card_type !== 'string') return false;
  if (CALLBACK_CARD_TYPES.has(card.card_type)) return true;
  return (
    (card.card_type === 'text_notice' || card.card_type === 'news_notice') && card.action_menu !== undefined
  );
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function err(errcode: number, detail?: string): Record<string, unknown> {
  const base = ERRMSG[errcode] ?? 'error';
  return { errcode, errmsg: detail ? `${base}, hint: ${detail}` : base };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function splitIds(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split('|') : [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class FakeWecomApi {
  readonly corpId: string;
  readonly corpSecret: string;
  /** Send bodies answered errcode 0 and not suppressed by the duplicate check. */
  sent: WecomSendBody[] = [];
  /** Send bodies answered errcode 0 but not delivered because of enable_duplicate_check. */
  deduplicated: WecomSendBody[] = [];
  /** Per-member deliveries dropped by the per-member rate limit. */
  dropped: { userId: string; msgid: string; body: WecomSendBody }[] = [];
  /** update_template_card bodies answered errcode 0. */
  updates: Record<string, unknown>[] = [];
  /** Calls refused, with their errcode (any endpoint): the rules a test's traffic ran into. */
  refusals: { endpoint: WecomApiEndpoint; errcode: number; errmsg: string }[] = [];
  /** Every call, forced or not, with its answer. */
  log: WecomApiCall[] = [];
  tokenRequests = 0;
  /** The corp's members; mutable. */
  directory: FakeWecomMember[];
  /**
   * 企业可信IP (全局错误码 60020, https://developer.work.weixin.qq.com/document/path/90313): an app with
   * trusted IPs set refuses every API call from another IP; gettoken still answers. The errmsg names the
   * IP WeCom saw: "not allow to access from your ip, hint: [<id>], from ip: <ip>, more info at
   * https://open.work.weixin.qq.com/devtool/query?e=60020".
   */
  untrusted: boolean;

  readonly #opts: FakeWecomApiOptions;
  readonly #now: () => number;
  #server: Server | undefined;
  #url: string | undefined;
  #forced: ForcedResponse[] = [];
  #tokens = new Map<string, TokenState>();
  #currentToken: string | undefined;
  #lastDelivered = new Map<string, number>();
  #deliveries = new Map<string, number[]>();
  #seq = 0;
  #aborter = new AbortController();
  /** Every response_code handed out, by code: the card's task_id, when, and whether it was used. */
  #codes = new Map<string, { taskId: string | undefined; issuedAt: number; used: boolean }>();
  /** task_ids of the cards sent, and whether each card can be updated (and so clicked for a code). */
  #cards = new Map<string, { updatable: boolean }>();
  #media = new Map<string, { bytes: Uint8Array; contentType: string; uploadedAt: number }>();

  constructor(opts: FakeWecomApiOptions = {}) {
    this.#opts = opts;
    this.corpId = opts.corpId ?? 'wwfakecorp0001';
    this.corpSecret = opts.corpSecret ?? 'fake-corp-secret';
    this.#now = opts.now ?? Date.now;
    this.directory = opts.directory ?? [];
    this.untrusted = opts.untrusted ?? false;
  }

  get url(): string {
    if (!this.#url) throw new Error('FakeWecomApi is not started');
    return this.#url;
  }

  /** The token gettoken would hand out now, if one is live. */
  get accessToken(): string | undefined {
    const token = this.#currentToken;
    return token && this.#tokenStatus(token) === 0 ? token : undefined;
  }

  async start(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : 500;
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : 'error');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
    return { url: this.#url, close: () => this.close() };
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#aborter.abort();
    this.#aborter = new AbortController();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues responses answered, in order, instead of the normal behaviour. */
  forceNext(...responses: ForcedResponse[]): void {
    this.#forced.push(...responses);
  }

  /** The next `count` calls (to `endpoint`, or to any endpoint) answer HTTP 500. */
  failNext(count: number, endpoint?: WecomApiEndpoint): void {
    for (let i = 0; i < count; i++) this.#forced.push({ status: 500, ...(endpoint ? { endpoint } : {}) });
  }

  /**
   * The response_code a click on card `taskId` brings (接收事件 template_card_event, and
   * template_card_menu_event for action_menu): only a card that can be updated is clickable so.
   */
  clickCode(taskId: string): string {
    if (!this.#cards.get(taskId)?.updatable)
      throw new Error(`card ${taskId} was not sent or cannot call back`);
    return this.#issueCode(taskId);
  }

  #issueCode(taskId: string | undefined): string {
    const code = this.#nextId('fake_response_code_');
    this.#codes.set(code, { taskId, issuedAt: this.#now(), used: false });
    return code;
  }

  /** Issued tokens answer 42001 from now on; the next gettoken issues a new one. */
  expireToken(): void {
    for (const state of this.#tokens.values()) state.expired = true;
  }

  /** Issued tokens become unknown (40014), as after a secret reset. */
  invalidateTokens(): void {
    this.#tokens.clear();
    this.#currentToken = undefined;
  }

  /**
   * A file received by the app (a user's image): its MediaId, valid for media/get for 3 days from now on
   * the fake's clock.
   */
  addMedia(bytes: Uint8Array, contentType = 'image/jpeg', mediaId = this.#nextId('fake_media_')): string {
    this.#media.set(mediaId, { bytes, contentType, uploadedAt: this.#now() });
    return mediaId;
  }

  reset(): void {
    this.untrusted = this.#opts.untrusted ?? false;
    this.#media.clear();
    this.sent = [];
    this.deduplicated = [];
    this.dropped = [];
    this.updates = [];
    this.refusals = [];
    this.#codes.clear();
    this.#cards.clear();
    this.log = [];
    this.tokenRequests = 0;
    this.#forced = [];
    this.#tokens.clear();
    this.#currentToken = undefined;
    this.#lastDelivered.clear();
    this.#deliveries.clear();
  }

  #nextId(prefix: string): string {
    this.#seq += 1;
    return `${prefix}${this.#seq.toString(36)}${randomBytes(6).toString('base64url')}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    const endpoint: WecomApiCall['endpoint'] =
      url.pathname === '/cgi-bin/gettoken'
        ? 'gettoken'
        : url.pathname === '/cgi-bin/message/send'
          ? 'send'
          : url.pathname === '/cgi-bin/message/update_template_card'
            ? 'update_template_card'
            : url.pathname === '/cgi-bin/user/getuserid'
              ? 'user_getuserid'
              : url.pathname === '/cgi-bin/user/get_userid_by_email'
                ? 'user_get_userid_by_email'
                : url.pathname === '/cgi-bin/agent/get'
                  ? 'agent_get'
                  : url.pathname === '/cgi-bin/media/get'
                    ? 'media_get'
                    : 'unknown';
    const rawBody = method === 'POST' ? await readBody(req) : '';
    let body: unknown = rawBody;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      // Left as text; endpoints answer 47001.
    }
    if (endpoint === 'gettoken') this.tokenRequests += 1;

    const reply = (status: number, response: unknown) => {
      this.log.push({ endpoint, method, query, body, status, response });
      const errcode = (response as { errcode?: unknown } | undefined)?.errcode;
      if (endpoint !== 'unknown' && typeof errcode === 'number' && errcode !== 0) {
        const errmsg = String((response as { errmsg?: unknown }).errmsg ?? '');
        this.refusals.push({ endpoint, errcode, errmsg });
      }
      if (typeof response === 'string') {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(response);
      } else {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(response));
      }
    };

    const forcedIndex = this.#forced.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (forcedIndex >= 0 && endpoint !== 'unknown') {
      const [forced] = this.#forced.splice(forcedIndex, 1);
      if (forced?.delayMs) {
        const signal = this.#aborter.signal;
        setMaxListeners(0, signal);
        await sleep(forced.delayMs, undefined, { signal }).catch(() => {});
        if (signal.aborted) return;
      }
      const answers =
        forced?.status !== undefined || forced?.errcode !== undefined || forced?.body !== undefined;
      if (forced && (answers || !forced.delayMs)) {
        const status = forced.status ?? 200;
        if (forced.body !== undefined) return reply(status, forced.body);
        if (forced.errcode !== undefined) return reply(status, err(forced.errcode));
        reply(status, status >= 400 ? `HTTP ${status} fake failure` : err(-1));
        return;
      }
    }

    if (this.untrusted && endpoint !== 'gettoken' && endpoint !== 'unknown') {
      const ip = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      return reply(200, {
        errcode: 60020,
        errmsg:
          `not allow to access from your ip, hint: [${Date.now()}${this.#seq}], from ip: ${ip}, ` +
          'more info at https://open.work.weixin.qq.com/devtool/query?e=60020',
      });
    }

    switch (endpoint) {
      case 'gettoken':
        return reply(200, this.#getToken(query));
      case 'agent_get': {
        if (method !== 'GET') return reply(200, err(43002));
        const tokenErr = this.#tokenStatus(query.access_token);
        if (tokenErr !== 0) return reply(200, err(tokenErr));
        return reply(200, this.#agentGet(query.agentid));
      }
      case 'media_get': {
        const tokenErr = this.#tokenStatus(query.access_token);
        if (tokenErr !== 0) return reply(200, err(tokenErr));
        // 获取临时素材 (https://developer.work.weixin.qq.com/document/path/90254): a media_id is valid for
        // 3 days; unknown or older it is refused as JSON `{"errcode":40007,"errmsg":"invalid media_id"}`.
        const media = this.#media.get(query.media_id ?? '');
        if (!media || this.#now() - media.uploadedAt >= MEDIA_TTL_MS) return reply(200, err(40007));
        this.log.push({
          endpoint,
          method,
          query,
          body,
          status: 200,
          response: `<${media.bytes.byteLength} bytes>`,
        });
        res.writeHead(200, {
          'content-type': media.contentType,
          'content-disposition': `attachment; filename="${query.media_id}"`,
          'content-length': media.bytes.byteLength,
        });
        res.end(media.bytes);
        return;
      }
      case 'send':
      case 'update_template_card':
      case 'user_getuserid':
      case 'user_get_userid_by_email': {
        if (method !== 'POST') return reply(200, err(43002));
        const tokenErr = this.#tokenStatus(query.access_token);
        if (tokenErr !== 0) return reply(200, err(tokenErr));
        if (body === null || typeof body !== 'object' || Array.isArray(body)) return reply(200, err(47001));
        const result =
          endpoint === 'send'
            ? this.#send(body as WecomSendBody)
            : endpoint === 'update_template_card'
              ? this.#updateTemplateCard(body as Record<string, unknown>)
              : this.#lookup(endpoint, body as Record<string, unknown>);
        return reply(200, result);
      }
      default:
        return reply(404, 'not found');
    }
  }

  #getToken(query: Record<string, string>): Record<string, unknown> {
    if (!query.corpid) return err(41002);
    if (query.corpid !== this.corpId) return err(40013);
    if (!query.corpsecret) return err(41004);
    if (query.corpsecret !== this.corpSecret) return err(40001);
    const ttl = this.#opts.tokenTtlSeconds ?? 7200;
    // Within its validity, gettoken hands back the same token.
    let token = this.accessToken;
    if (!token) {
      token = this.#nextId('fake_token_');
      this.#tokens.set(token, { expiresAt: this.#now() + ttl * 1000, expired: false });
      this.#currentToken = token;
    }
    return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: ttl };
  }

  #tokenStatus(token: string | undefined): number {
    if (!token) return 41001;
    const state = this.#tokens.get(token);
    if (!state) return 40014;
    if (state.expired || this.#now() >= state.expiresAt) return 42001;
    return 0;
  }

  #checkAgent(agentid: unknown): number {
    if (this.#opts.agentId === undefined) return 0;
    return Number(agentid) === this.#opts.agentId ? 0 : 40056;
  }

  /** 获取指定的应用详情 (path/90227): the app and its 可见范围 (allow_userinfos / allow_partys / allow_tags). */
  #agentGet(agentid: string | undefined): Record<string, unknown> {
    if (!agentid || !/^\d+$/.test(agentid)) return err(40056);
    const agentErr = this.#checkAgent(agentid);
    if (agentErr !== 0) return err(agentErr);
    const users = this.#opts.knownUsers ?? [];
    return {
      errcode: 0,
      errmsg: 'ok',
      agentid: Number(agentid),
      name: '安全助手',
      square_logo_url: '',
      description: '',
      allow_userinfos: { user: users.map((userid) => ({ userid })) },
      allow_partys: { partyid: this.#opts.knownUsers ? [] : [1] },
      allow_tags: { tagid: [] },
      close: 0,
      redirect_domain: '',
      report_location_flag: 0,
      isreportenter: 0,
      home_url: '',
    };
  }

  #send(body: WecomSendBody): Record<string, unknown> {
    const agentErr = this.#checkAgent(body.agentid);
    if (agentErr !== 0) return err(agentErr);
    const users = splitIds(body.touser);
    if (users.length > MAX_USERS) return err(40058, `touser exceeds ${MAX_USERS} ids`);
    if (splitIds(body.toparty).length > 100 || splitIds(body.totag).length > 100) {
      return err(40058, 'toparty/totag exceeds 100 ids');
    }
    const msgtype = body.msgtype;
    if (typeof msgtype !== 'string' || !MSG_TYPES.has(msgtype)) return err(40008);
    const payload = body[msgtype];
    if (payload === null || typeof payload !== 'object') return err(44004, `${msgtype} is missing`);
    if (msgtype === 'text' && !(payload as { content?: unknown }).content) return err(44004);
    const tooLarge = contentRefusal(msgtype, payload as Record<string, unknown>);
    if (tooLarge) return tooLarge;

    const known = this.#opts.knownUsers ? new Set(this.#opts.knownUsers) : undefined;
    const validUsers = users.filter((u) => u === '@all' || !known || known.has(u));
    const invalidUsers = users.filter((u) => !validUsers.includes(u));
    if (validUsers.length === 0 && splitIds(body.toparty).length === 0 && splitIds(body.totag).length === 0) {
      return err(81013);
    }

    const msgid = this.#nextId('fake_msgid_');
    const card = payload as { card_type?: unknown; task_id?: unknown; action_menu?: unknown };
    const updatable = msgtype === 'template_card' && updatableCard(card);
    const taskId = typeof card.task_id === 'string' ? card.task_id : undefined;
    let responseCode: string | undefined;
    const answer = () => ({
      errcode: 0,
      errmsg: 'ok',
      invaliduser: invalidUsers.join('|'),
      msgid,
      ...(responseCode ? { response_code: responseCode } : {}),
    });

    const now = this.#now();
    if (body.enable_duplicate_check === 1) {
      const interval = Math.min(
        Number(body.duplicate_check_interval ?? DEFAULT_DUPLICATE_INTERVAL_S) || DEFAULT_DUPLICATE_INTERVAL_S,
        MAX_DUPLICATE_INTERVAL_S,
      );
      const key = canonicalJson(body);
      const last = this.#lastDelivered.get(key);
      if (last !== undefined && now - last < interval * 1000) {
        this.deduplicated.push(body);
        return answer();
      }
    }
    if (msgtype === 'template_card' && taskId !== undefined) {
      if (this.#cards.has(taskId)) return err(40058, `task_id ${taskId} is used already`);
      this.#cards.set(taskId, { updatable });
    }
    if (body.enable_duplicate_check === 1) this.#lastDelivered.set(canonicalJson(body), now);
    // 返回参数 response_code: "仅消息类型为“按钮交互型”，“投票选择型”和“多项选择型”，以及填写了action_menu字段的
    // 文本通知型、图文展示型的模板卡片消息返回 ... 72小时内有效，且只能使用一次" (path/90236).
    if (updatable) responseCode = this.#issueCode(taskId);

    const limit = this.#opts.perMemberLimitPerMinute;
    if (limit !== undefined) {
      for (const userId of validUsers) {
        const recent = (this.#deliveries.get(userId) ?? []).filter((t) => now - t < 60_000);
        if (recent.length >= limit) {
          this.dropped.push({ userId, msgid, body });
        } else {
          recent.push(now);
        }
        this.#deliveries.set(userId, recent);
      }
    }
    this.sent.push(body);
    return answer();
  }

  /**
   * 手机号获取userid (https://developer.work.weixin.qq.com/document/path/95402: mobile of 5–32 bytes) and
   * 邮箱获取userid (path/95895: email_type 1 the corp mailbox, 2 a personal one): 46004 when nobody has
   * it, 60011 when the member is outside the app's 可见范围 ("应用须拥有指定成员的查看权限").
   */
  #lookup(endpoint: 'user_getuserid' | 'user_get_userid_by_email', body: Record<string, unknown>) {
    let member: FakeWecomMember | undefined;
    if (endpoint === 'user_getuserid') {
      const mobile = body.mobile;
      if (typeof mobile !== 'string' || Buffer.byteLength(mobile) < 5 || Buffer.byteLength(mobile) > 32) {
        return err(40058, 'mobile must be 5 to 32 bytes');
      }
      member = this.directory.find((candidate) => candidate.mobile === mobile);
    } else {
      const email = body.email;
      const type = body.email_type ?? 1;
      if (typeof email !== 'string' || email === '' || (type !== 1 && type !== 2)) {
        return err(40058, 'email and email_type (1 or 2) are required');
      }
      const same = (value: string | undefined) => value?.toLowerCase() === email.toLowerCase();
      member = this.directory.find((candidate) => same(type === 1 ? candidate.bizMail : candidate.email));
    }
    if (!member) return err(46004);
    if (member.inRange === false) return err(60011);
    return { errcode: 0, errmsg: 'ok', userid: member.userid };
  }

  #updateTemplateCard(body: Record<string, unknown>): Record<string, unknown> {
    const agentErr = this.#checkAgent(body.agentid);
    if (agentErr !== 0) return err(agentErr);
    if (typeof body.response_code !== 'string' || body.response_code === '') {
      return err(40058, 'response_code is required');
    }
    if (Array.isArray(body.userids) && body.userids.length > MAX_USERS) {
      return err(40058, `userids exceeds ${MAX_USERS} ids`);
    }
    if (body.template_card && typeof body.template_card === 'object') {
      const tooLarge = contentRefusal('template_card', body.template_card as Record<string, unknown>);
      if (tooLarge) return tooLarge;
    }
    // "仅原卡片为 按钮交互型、投票选择型、多项选择型的卡片以及填写了action_menu字段的文本通知型、图文展示型可以
    // 调用本接口更新"; "一个code只能调用一次该接口，且只能在72小时内调用" (path/94888). Codes exist only for such
    // cards (send and clicks), so a text_notice sent without action_menu has none to be updated with.
    const code = this.#codes.get(body.response_code);
    if (!code) return err(40058, 'response_code is invalid');
    if (code.used) return err(40058, 'response_code has been used');
    if (this.#now() - code.issuedAt > RESPONSE_CODE_TTL_MS) return err(40058, 'response_code expired');
    code.used = true;
    this.updates.push(body);
    // Unlike message/send, invaliduser is an array here.
    return { errcode: 0, errmsg: 'ok', invaliduser: [] };
  }
}

/** Starts a fake on a free port; call `close()` when done. */
export async function startFakeWecomApi(
  opts?: FakeWecomApiOptions,
): Promise<{ api: FakeWecomApi; url: string; close: () => Promise<void> }> {
  const api = new FakeWecomApi(opts);
  const { url, close } = await api.start();
  return { api, url, close };
}
