/**
 * A fake Feishu/Lark Open API server for tests. It speaks the real wire format closely enough that the
 * official `@larksuiteoapi/node-sdk` Client can talk to it via `domain: fake.url`.
 *
 * Fidelity notes (what is taken from the official docs vs. approximated) live next to each constant.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANSWER_DEADLINE_MS,
  createFakeFeishuWs,
  type FakeFeishuWs,
  type PressSeen,
  pressSeenOf,
} from './feishu-ws.ts';

// cli_ and 16 hex characters, as real ids are: the SDK's long connection ignores any other (WSClient.start).
export const FAKE_APP_ID = 'cli_a5fa4e0000000001';
export const FAKE_APP_SECRET = 'fake-app-secret';
export const FAKE_BOT_OPEN_ID = 'ou_fakebot00000000000000000000001';
export const FAKE_TENANT_KEY = 'fake_tenant_key';
/** chat_id reported for replies to messages the fake has never seen (use `seedMessage` to avoid it). */
export const UNKNOWN_CHAT_ID = 'oc_fake_unknown_chat';

/** Error codes the fake answers with: generic ones (api-call-guide/generic-error-code) and IM ones. */
export const FeishuErrorCode = {
  /** Authorization header missing. HTTP 400. */
  missingAccessToken: 99991661,
  /** Tenant access token invalid or expired. HTTP 400. */
  invalidTenantAccessToken: 99991663,
  /** App-level frequency limit. HTTP 429 (some older APIs answer 400). */
  rateLimited: 99991400,
  /** The app lacks every scope the API accepts. HTTP 400; the message names them. */
  scopeMissing: 99991672,
  /** Request field validation failed. HTTP 400. */
  fieldValidationFailed: 99992402,
  /** Token endpoint: wrong app_id / app_secret. Answered with HTTP 200 (observed, not in the docs' table). */
  appSecretInvalid: 10014,
  /** IM: invalid request parameter (approximation: used for unparsable content / patching a non-card). */
  imInvalidParam: 230001,
  /** IM: per user / per chat (5 QPS) or per message update (5 QPS) limit. HTTP 400 is an approximation. */
  imRateLimited: 230020,
  /** IM: message content too long (card/post 30 KB, text 150 KB). HTTP 400. */
  imContentTooLong: 230025,
  /** IM: PATCH of a message sent more than 14 days ago. HTTP 400 (see CARD_LIFETIME_MS). */
  imMessageExpired: 230031,
  /**
   * IM: the receiver is outside the app's 可用范围. HTTP 400. im/v1/message/create, 错误码:
   * https://open.feishu.cn/document/server-docs/im-v1/message/create
   */
  imNoAvailability: 230013,
  /** Message resources: invalid request parameter (a `type` other than image/file). HTTP 400. */
  resourceInvalidParam: 234001,
  /** Message resources: the file_key is not in that message (or the message is unknown). HTTP 400. */
  resourceNotInMessage: 234003,
  /**
   * Message resources: a resource over the 100 MB the page allows (使用限制: 仅支持下载 100 MB 以内的资源文件,
   * https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get). The
   * code is an approximation: the stored copy of the page does not show its 错误码 table. HTTP 400.
   */
  resourceTooLarge: 234037,
  /**
   * IM: "Failed to create card content" (message/create, 错误码 230099). A card naming an `img_key` this
   * app never uploaded answers it with `ext=ErrCode: 200570; ErrMsg: card contains invalid image keys`
   * (the ext as Feishu words it in production answers; the page lists 230099 only). HTTP 400.
   * https://open.feishu.cn/document/server-docs/im-v1/message/create
   */
  imCardContentFailed: 230099,
  // im/v1/images, 错误码 (https://open.feishu.cn/document/server-docs/im-v1/image/create), all HTTP 400:
  /** Invalid request param (image_type missing or not message/avatar, no image part). */
  imageInvalidParam: 234001,
  /** The file size exceed the max value (an image: 10 MB). */
  imageTooLarge: 234006,
  /** File's size can't be 0. */
  imageEmpty: 234010,
  /** Can't regonnize the image format (JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO, HEIC only). */
  imageFormat: 234011,
  /** Image resolution exceeds limit (GIF 2000 × 2000, others 12000 × 12000). */
  imageResolution: 234039,
} as const;

/** Scopes the product asks for (README, Feishu → 权限管理); a fake app has them all unless a test says. */
export const FEISHU_SCOPES = {
  message: 'im:message',
  groupAtMessages: 'im:message.group_at_msg:readonly',
  p2pMessages: 'im:message.p2p_msg:readonly',
  sendAsBot: 'im:message:send_as_bot',
  resources: 'im:resource',
  /** 通过手机号或邮箱获取用户 ID: contact/v3/users/batch_get_id. */
  userIdByContact: 'contact:user.id:readonly',
  /** 获取用户 user ID: `user_id` in events and answers, `receive_id_type=user_id`. */
  userId: 'contact:user.employee_id:readonly',
} as const;

/** A member of the fake tenant's directory (the test sets it). */
export interface FakeFeishuUser {
  /** The tenant-wide id (user_id). */
  userId: string;
  /** The open_id under the primary app; under other apps one is derived (open_ids differ per app). */
  openId?: string;
  name?: string;
  mobile?: string;
  email?: string;
  /** In the app's 可用范围 (default true). */
  inRange?: boolean;
}

export type ReceiveIdType = 'chat_id' | 'open_id' | 'user_id' | 'union_id' | 'email';
const RECEIVE_ID_TYPES: ReadonlySet<string> = new Set(['chat_id', 'open_id', 'user_id', 'union_id', 'email']);

export type CallKind =
  | 'auth.tenant_token'
  | 'auth.app_token'
  | 'bot.info'
  | 'scopes.list'
  | 'message.create'
  | 'message.reply'
  | 'message.patch'
  | 'contact.batch_get_id'
  | 'resource.get'
  | 'image.create'
  | 'ws.endpoint'
  | 'unknown';

export interface FakeApp {
  appId: string;
  appSecret: string;
}

export interface FakeRateLimits {
  /** Non-auth calls per app per second (im/v1/messages is 50/s in reality). Exceeding it answers HTTP 429. */
  appPerSecond?: number;
  /** Non-auth calls per app per minute (im/v1/messages is 1000/min in reality). */
  appPerMinute?: number;
  /** Messages (create + reply) into one chat or to one user per second (5 in reality). HTTP 400, 230020. */
  receiverPerSecond?: number;
  /**
   * PATCHes of one message per second (5 in reality: 单条消息更新频控为 5 QPS,
   * https://open.feishu.cn/document/server-docs/im-v1/message-card/patch). HTTP 400, 230020.
   */
  messageUpdatesPerSecond?: number;
}

export interface FakeFeishuOptions {
  /** Apps whose credentials the token endpoint accepts. Default: one app with FAKE_APP_ID / FAKE_APP_SECRET. */
  apps?: FakeApp[];
  botOpenId?: string;
  appName?: string;
  tenantKey?: string;
  /** `expire` returned by the token endpoints, in seconds. */
  tokenExpireSeconds?: number;
  /** Off by default. */
  rateLimits?: FakeRateLimits;
  /** How long a message `uuid` deduplicates (1 hour in reality). */
  idempotencyWindowMs?: number;
  /** Clock for rate limits, idempotency and create_time. */
  now?: () => number;
  /** The tenant's people, for contact lookups, 可用范围 and events' sender ids. */
  directory?: FakeFeishuUser[];
  /**
   * The scopes the app asked for (权限管理) and whether the tenant granted them (1 granted, 2 not yet). A
   * scope not listed was never asked for. Default: every one of FEISHU_SCOPES, granted.
   */
  scopes?: Record<string, 1 | 2>;
}

/** The scopes the README asks for (Feishu / Lark, step 2), granted by default in the fake. */
export const FAKE_GRANTED_SCOPES: readonly string[] = Object.values(FEISHU_SCOPES);

export interface FakeCall {
  method: string;
  path: string;
  query: Record<string, string>;
  kind: CallKind;
  time: number;
  /** HTTP status answered; 0 when the connection was dropped on purpose. */
  status: number;
  /** Business `code` of the JSON answer, when there is one. */
  code?: number;
  /** App whose token authorized the call (or whose credentials the token endpoint received). */
  appId?: string;
  /** True when the answer came from `force()`. */
  forced: boolean;
  body: unknown;
}

export interface FakeMessage {
  messageId: string;
  chatId: string;
  /** Undefined for replies. */
  receiveId?: string;
  receiveIdType?: ReceiveIdType;
  msgType: string;
  /** `content` parsed from its JSON string, as sent. Latest version after patches: `contentOf(messageId)`. */
  content: unknown;
  rawContent: string;
  uuid?: string;
  /** Parent message of a reply. */
  replyTo?: string;
  replyInThread?: boolean;
  rootId?: string;
  threadId?: string;
  appId: string;
  createTime: number;
}

/** An image uploaded with im/v1/images: the key it was given, the app it serves, what it held. */
export interface FakeImage {
  imageKey: string;
  appId: string;
  imageType: string;
  format: string;
  bytes: Buffer;
}

export interface FakePatch {
  messageId: string;
  content: unknown;
  rawContent: string;
  time: number;
}

/** A card callback the fake posted to our webhook (`callback`), and what the presser saw of it. */
export interface FakeCallback {
  /** Our HTTP status; undefined when no answer came within 3 s. */
  status?: number;
  ms: number;
  seen: PressSeen;
  /** The pressed message, when the test named it. */
  messageId?: string;
}

export type CallMatcher =
  | 'api'
  | 'all'
  | 'auth'
  | 'messages'
  | CallKind
  | ((call: { method: string; path: string; kind: CallKind }) => boolean);

export interface ForcedResponse {
  /** How many matching calls this applies to. Default 1. */
  times?: number;
  /** Which calls it applies to. Default 'api' (everything but the token endpoints). */
  match?: CallMatcher;
  /** Wait before answering. Without `status`/`networkError` the call is then handled normally. */
  delayMs?: number;
  status?: number;
  /** JSON body for `status`; a sensible Feishu-like default is used when omitted. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket without answering (the SDK sees ECONNRESET / "socket hang up"). */
  networkError?: boolean;
}

/** A file a user's message carries. `type`: image for an image (also in a post), file for the rest. */
export interface FakeResource {
  messageId: string;
  fileKey: string;
  bytes: Uint8Array;
  type?: 'image' | 'file';
  contentType?: string;
  /** Its size on Feishu when larger than `bytes` (a test need not hold 100 MB to be refused). */
  size?: number;
}

/** 获取消息中的资源文件 gives resources up to 100 MB (see FeishuErrorCode.resourceTooLarge). */
export const RESOURCE_MAX_BYTES = 100 * 2 ** 20;

export interface FakeFeishu {
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly botOpenId: string;
  readonly tenantKey: string;
  /** Every delivered message (idempotent repeats are not recorded again). Cleared in place by `reset()`. */
  readonly messages: readonly FakeMessage[];
  readonly patches: readonly FakePatch[];
  /** Every image accepted by im/v1/images. Cleared by `reset()` (keys issued before stay valid). */
  readonly images: readonly FakeImage[];
  /** Every HTTP request, including rejected and forced ones. */
  readonly calls: readonly FakeCall[];
  /** The long connection (test/fakes/feishu-ws.ts): its handshake and WebSocket share this server's port. */
  readonly ws: FakeFeishuWs;
  /** Every card callback posted with `callback`, in order. */
  readonly callbacks: readonly FakeCallback[];
  /**
   * Posts a card callback (卡片回传交互) to our webhook as Feishu does: it waits 3 s for HTTP 200, then the
   * presser sees Feishu's error and a later answer is discarded; the callback is not sent again
   * (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication). A
   * card in the answer replaces the pressed message's content (`messageId`), as the client shows it.
   */
  callback(
    url: string,
    request: { body: string; headers: Record<string, string> },
    messageId?: string,
  ): Promise<FakeCallback>;
  /** Mutable; takes effect on the next call. `reset()` restores the values given at start. */
  rateLimits: FakeRateLimits;
  /** The tenant's people; mutable. */
  directory: FakeFeishuUser[];
  /** A directory member's open_id under an app (the primary app by default). */
  openIdOf(user: FakeFeishuUser, appId?: string): string;
  /**
   * `sender_id` of an event from this member, as Feishu sends it to the app: `user_id` only when the
   * app has the scope contact:user.employee_id:readonly (im.message.receive_v1, sender_id.user_id:
   * https://open.feishu.cn/document/server-docs/im-v1/message/events/receive).
   */
  senderIdOf(user: FakeFeishuUser, appId?: string): { open_id: string; union_id: string; user_id?: string };
  /** The app's scopes and their grant status (FakeFeishuOptions.scopes); mutable, restored by `reset()`. */
  scopes: Record<string, 1 | 2>;
  /** Queue a forced answer (failure injection). Entries are consumed first-in first-out per matching call. */
  force(response: ForcedResponse): void;
  /** Latest content of a message (after patches), or undefined if unknown. */
  contentOf(messageId: string): unknown;
  /**
   * Whether a press on this card would reach the app now: a card the app sent, at most 14 days old (see
   * CARD_LIFETIME_MS). On an older one the client refuses the press itself and no callback is sent (the
   * configuring-card-interactions page says so of 1.0 cards after their 30 days: "This card was sent over
   * 30 days ago and cannot be interacted with",
   * https://open.feishu.cn/document/common-capabilities/message-card/add-card-interaction/interaction-module).
   * Tests check it before they post a press on a card.
   */
  pressable(messageId: string): boolean;
  /**
   * A file carried by a user's message (an image or a file), for `GET im/v1/messages/:message_id/
   * resources/:file_key` to answer with its bytes.
   */
  addResource(resource: FakeResource): void;
  /** Make a message known (e.g. an inbound user message) so replies report its chat_id. */
  seedMessage(message: { messageId: string; chatId: string; msgType?: string; content?: unknown }): void;
  /** The tenant token currently valid for an app. */
  tenantTokenFor(appId?: string): string;
  /** Invalidate every issued token (like expiry); the token endpoint then issues new ones. */
  revokeTokens(): void;
  /** Clear records, forced answers, uuid memory and rate windows. Issued tokens stay valid. */
  reset(): void;
  close(): Promise<void>;
}

const INVALID_TOKEN_MSG =
  'Invalid access token for authorization. Please make a request with token attached.';
const MISSING_TOKEN_MSG =
  'Missing access token for authorization. Please make a request with token attached.';
// im/v1/messages (create, reply) and PATCH: the request body of a card or post message may be at most
// 30 KB, of a text message 150 KB; more is refused with HTTP 400 and 230025.
// https://open.feishu.cn/document/server-docs/im-v1/message/create (请求体, 错误码 230025)
const CARD_CONTENT_LIMIT = 30 * 1024;
const TEXT_CONTENT_LIMIT = 150 * 1024;
const UUID_MAX_LENGTH = 50;
/**
 * A card can be updated only within 14 days of sending (更新应用发送的消息卡片, 使用限制: 仅支持更新 14 天内发送的
 * 消息; https://open.feishu.cn/document/server-docs/im-v1/message-card/patch), and a JSON 2.0 card can be
 * interacted with for as long (卡片 JSON 2.0 版本更新说明, 卡片交互有效期变更: 卡片可交互和可更新时间统一为 14 天;
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-breaking-changes-release-notes).
 * The refusal is HTTP 400 with code 230031 and the text below: the patch page's error table does not
 * list it; this is Feishu's answer as recorded in public projects' logs (deepcoldy/botmux#1440).
 */
export const CARD_LIFETIME_MS = 14 * 24 * 3600 * 1000;
const MESSAGE_EXPIRED_MSG =
  'Message has expired when updating message, ext=Message can only be updated within fourteen days.';
// im/v1/images 使用限制: at most 10 MB, never 0 bytes; GIF at most 2000 × 2000, others 12000 × 12000.
// https://open.feishu.cn/document/server-docs/im-v1/image/create
export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
const GIF_MAX_SIDE = 2000;
const IMAGE_MAX_SIDE = 12000;
const IMAGE_TYPES: ReadonlySet<string> = new Set(['message', 'avatar']);

/** The image format by its first bytes (the formats im/v1/images accepts), or undefined. */
export function imageFormatOf(bytes: Buffer): string | undefined {
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (bytes.readUInt32BE(0) === 0x00000100) return 'ico';
  if (ascii(4, 8) === 'ftyp' && ['heic', 'heix', 'mif1', 'msf1'].includes(ascii(8, 12))) return 'heic';
  return undefined;
}

/** Width and height of a PNG, GIF or JPEG (the formats the tests send); undefined for the others. */
function imageSize(bytes: Buffer, format: string): { width: number; height: number } | undefined {
  if (format === 'png' && bytes.length >= 24) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (format === 'gif' && bytes.length >= 10) {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (format === 'jpeg') {
    // Walk the markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG, DAC).
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      const length = bytes.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
      }
      at += 2 + length;
    }
  }
  return undefined;
}

/** The parts of a multipart/form-data body: name, file name (for files) and bytes. */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { name: string; filename?: string; data: Buffer }[] | undefined {
  const boundary = contentType.match(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) return undefined;
  const delimiter = Buffer.from(`--${mark}`);
  const parts: { name: string; filename?: string; data: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) return undefined;
    const part = body.subarray(start + 2, next - 2); // CRLF after the delimiter, CRLF before the next
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const head = part.subarray(0, split).toString('utf8');
    const name = head.match(/name="([^"]*)"/i)?.[1];
    if (name === undefined) return undefined;
    const filename = head.match(/filename="([^"]*)"/i)?.[1];
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: part.subarray(split + 4) });
    at = next;
  }
  return parts;
}

/** Every `img_key` a card names (img elements, img_combination lists), wherever it sits. */
function imageKeysOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) imageKeysOf(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'img_key' && typeof item === 'string') found.push(item);
      else imageKeysOf(item, found);
    }
  }
  return found;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
    /** A binary answer (a message resource) instead of the JSON body. */
    readonly bytes?: Uint8Array,
  ) {}
}

function fieldViolation(field: string, description: string): HttpAnswer {
  return new HttpAnswer(400, {
    code: FeishuErrorCode.fieldValidationFailed,
    msg: 'field validation failed',
    error: { field_violations: [{ field, description }] },
  });
}

function hex(input: string, length: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function classify(method: string, path: string): CallKind {
  if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal')
    return 'auth.tenant_token';
  if (method === 'POST' && path === '/open-apis/auth/v3/app_access_token/internal') return 'auth.app_token';
  if (method === 'GET' && path === '/open-apis/bot/v3/info') return 'bot.info';
  if (method === 'GET' && path === '/open-apis/application/v6/scopes') return 'scopes.list';
  if (method === 'POST' && path === '/callback/ws/endpoint') return 'ws.endpoint';
  if (method === 'POST' && path === '/open-apis/im/v1/messages') return 'message.create';
  if (method === 'POST' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/.test(path)) return 'message.reply';
  if (method === 'PATCH' && /^\/open-apis\/im\/v1\/messages\/[^/]+$/.test(path)) return 'message.patch';
  if (method === 'POST' && path === '/open-apis/contact/v3/users/batch_get_id') return 'contact.batch_get_id';
  if (method === 'GET' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/resources\/[^/]+$/.test(path))
    return 'resource.get';
  if (method === 'POST' && path === '/open-apis/im/v1/images') return 'image.create';
  return 'unknown';
}

function matches(matcher: CallMatcher, call: { method: string; path: string; kind: CallKind }): boolean {
  if (typeof matcher === 'function') return matcher(call);
  const isAuth = call.kind.startsWith('auth.');
  switch (matcher) {
    case 'all':
      return true;
    case 'api':
      return !isAuth && call.kind !== 'ws.endpoint';
    case 'auth':
      return isAuth;
    case 'messages':
      return call.kind.startsWith('message.');
    default:
      return call.kind === matcher;
  }
}

function defaultForcedBody(status: number): Record<string, unknown> {
  if (status === 429) return { code: FeishuErrorCode.rateLimited, msg: 'request trigger frequency limit' };
  if (status >= 500) return { code: 1500, msg: 'internal error' };
  return { code: status, msg: STATUS_CODES[status] ?? 'error' };
}

/** Sliding-window counters keyed by arbitrary strings; only accepted calls are counted. */
class Windows {
  private readonly hits = new Map<string, number[]>();

  allows(key: string, windowMs: number, limit: number | undefined, now: number): boolean {
    if (limit === undefined) return true;
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < windowMs);
    this.hits.set(key, recent);
    return recent.length < limit;
  }

  record(key: string, now: number): void {
    const list = this.hits.get(key) ?? [];
    list.push(now);
    this.hits.set(key, list);
  }

  /** `allows` + `record` for a single window. */
  take(key: string, windowMs: number, limit: number | undefined, now: number): boolean {
    if (!this.allows(key, windowMs, limit, now)) return false;
    if (limit !== undefined) this.record(key, now);
    return true;
  }

  clear(): void {
    this.hits.clear();
  }
}

export async function startFakeFeishu(opts: FakeFeishuOptions = {}): Promise<FakeFeishu> {
  const apps = opts.apps?.length ? opts.apps : [{ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET }];
  const primary = apps[0]!;
  const botOpenId = opts.botOpenId ?? FAKE_BOT_OPEN_ID;
  const appName = opts.appName ?? 'Fake Bot';
  const tenantKey = opts.tenantKey ?? FAKE_TENANT_KEY;
  const tokenExpire = opts.tokenExpireSeconds ?? 7200;
  const idempotencyWindowMs = opts.idempotencyWindowMs ?? 60 * 60 * 1000;
  const now = opts.now ?? Date.now;
  const initialRateLimits: FakeRateLimits = { ...opts.rateLimits };
  const initialScopes: Record<string, 1 | 2> =
    opts.scopes ?? Object.fromEntries(FAKE_GRANTED_SCOPES.map((scope) => [scope, 1 as const]));

  const messages: FakeMessage[] = [];
  const patches: FakePatch[] = [];
  const images: FakeImage[] = [];
  /** image_key → the app it was issued to; kept across `reset()` like uploaded images on Feishu. */
  const issuedImages = new Map<string, string>();
  const calls: FakeCall[] = [];
  const callbacks: FakeCallback[] = [];
  const forced: Array<ForcedResponse & { remaining: number }> = [];
  const byId = new Map<string, FakeMessage>();
  const latestContent = new Map<string, unknown>();
  const byUuid = new Map<string, { messageId: string; at: number }>();
  const resources = new Map<
    string,
    { bytes: Uint8Array; type: 'image' | 'file'; contentType: string; size: number }
  >();
  const windows = new Windows();
  const aborter = new AbortController();
  // Every held call (`force({ delayMs })`) listens to it: a fan-out holds hundreds at once.
  setMaxListeners(0, aborter.signal);
  let tokenGeneration = 0;
  const ws = createFakeFeishuWs(apps);

  // Deterministic per app + generation: the SDK caches tenant tokens in a module-global cache keyed by
  // appId, so a token fetched from one fake instance must stay valid on the next instance in the same file.
  const tenantTokenFor = (appId: string = primary.appId): string => {
    const app = apps.find((a) => a.appId === appId);
    if (!app) throw new Error(`fake feishu: unknown app ${appId}`);
    return `t-${hex(`tenant\0${app.appId}\0${app.appSecret}\0${tokenGeneration}`, 40)}`;
  };
  const appTokenFor = (app: FakeApp): string =>
    `a-${hex(`app\0${app.appId}\0${app.appSecret}\0${tokenGeneration}`, 40)}`;
  const appForToken = (token: string): FakeApp | undefined =>
    apps.find((a) => tenantTokenFor(a.appId) === token);

  const openIdOf = (user: FakeFeishuUser, appId: string = primary.appId): string =>
    appId === primary.appId && user.openId ? user.openId : `ou_${hex(`${appId}\0${user.userId}`, 32)}`;

  const fake = {
    url: '',
    appId: primary.appId,
    appSecret: primary.appSecret,
    botOpenId,
    tenantKey,
    messages,
    patches,
    images,
    calls,
    ws,
    callbacks,
    async callback(
      url: string,
      request: { body: string; headers: Record<string, string> },
      messageId?: string,
    ) {
      const started = Date.now();
      let record: FakeCallback;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
        });
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        record = {
          status: response.status,
          ms: Date.now() - started,
          seen:
            response.status === 200 ? pressSeenOf(body) : { error: true, reason: `HTTP ${response.status}` },
          messageId,
        };
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        record = {
          ms: Date.now() - started,
          seen: { error: true, reason: timedOut ? 'not answered within 3 s' : String(error) },
          messageId,
        };
      }
      if (!record.seen.error && record.seen.card !== undefined && messageId) {
        latestContent.set(messageId, record.seen.card);
      }
      callbacks.push(record);
      return record;
    },
    rateLimits: { ...initialRateLimits },
    directory: opts.directory ?? ([] as FakeFeishuUser[]),
    scopes: { ...initialScopes },
    openIdOf,
    senderIdOf(
      user: FakeFeishuUser,
      appId: string = primary.appId,
    ): { open_id: string; union_id: string; user_id?: string } {
      return {
        open_id: openIdOf(user, appId),
        union_id: `on_${hex(user.userId, 32)}`,
        ...(fake.scopes[FEISHU_SCOPES.userId] === 1 ? { user_id: user.userId } : {}),
      };
    },
    force(response: ForcedResponse): void {
      forced.push({ ...response, remaining: response.times ?? 1 });
    },
    contentOf(messageId: string): unknown {
      return latestContent.get(messageId);
    },
    pressable(messageId: string): boolean {
      const message = byId.get(messageId);
      return (
        message !== undefined &&
        message.appId !== '' &&
        message.msgType === 'interactive' &&
        now() - message.createTime <= CARD_LIFETIME_MS
      );
    },
    addResource(resource: FakeResource): void {
      resources.set(`${resource.messageId}\0${resource.fileKey}`, {
        bytes: resource.bytes,
        type: resource.type ?? 'image',
        contentType: resource.contentType ?? 'image/png',
        size: resource.size ?? resource.bytes.byteLength,
      });
    },
    seedMessage(m: { messageId: string; chatId: string; msgType?: string; content?: unknown }): void {
      const record: FakeMessage = {
        messageId: m.messageId,
        chatId: m.chatId,
        msgType: m.msgType ?? 'text',
        content: m.content,
        rawContent: JSON.stringify(m.content ?? null),
        appId: '',
        createTime: now(),
      };
      byId.set(m.messageId, record);
      latestContent.set(m.messageId, m.content);
    },
    tenantTokenFor,
    revokeTokens(): void {
      tokenGeneration += 1;
    },
    reset(): void {
      messages.length = 0;
      patches.length = 0;
      images.length = 0;
      calls.length = 0;
      callbacks.length = 0;
      forced.length = 0;
      byId.clear();
      latestContent.clear();
      byUuid.clear();
      resources.clear();
      windows.clear();
      fake.rateLimits = { ...initialRateLimits };
      fake.scopes = { ...initialScopes };
    },
    close: async (): Promise<void> => {
      aborter.abort();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } satisfies FakeFeishu;

  const messageData = (m: FakeMessage): Record<string, unknown> => ({
    message_id: m.messageId,
    ...(m.rootId ? { root_id: m.rootId } : {}),
    ...(m.replyTo ? { parent_id: m.replyTo } : {}),
    ...(m.threadId ? { thread_id: m.threadId } : {}),
    msg_type: m.msgType,
    create_time: String(m.createTime),
    update_time: String(m.createTime),
    deleted: false,
    updated: false,
    chat_id: m.chatId,
    sender: { id: m.appId, id_type: 'app_id', sender_type: 'app', tenant_key: tenantKey },
    body: { content: m.rawContent },
  });

  const success = (data: Record<string, unknown>): HttpAnswer =>
    new HttpAnswer(200, { code: 0, msg: 'success', data });

  const imRateLimited = (): HttpAnswer =>
    new HttpAnswer(400, {
      code: FeishuErrorCode.imRateLimited,
      msg: 'This operation triggers the frequency limit.',
    });

  /** Validates `content` and the size of the request `body` carrying it; the parsed value or an error. */
  const parseContent = (
    msgType: string,
    body: Record<string, unknown>,
    app: FakeApp,
  ): { value: unknown } | HttpAnswer => {
    const content = body.content;
    if (typeof content !== 'string' || content === '')
      return fieldViolation('content', 'content is required');
    const limit = msgType === 'text' ? TEXT_CONTENT_LIMIT : CARD_CONTENT_LIMIT;
    if (Buffer.byteLength(JSON.stringify(body)) > limit) {
      return new HttpAnswer(400, {
        code: FeishuErrorCode.imContentTooLong,
        msg: 'The length of the message content reaches its limit.',
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      return new HttpAnswer(400, {
        code: FeishuErrorCode.imInvalidParam,
        msg: 'Your request contains an invalid request parameter.',
      });
    }
    // A card shows only images uploaded by this app (im/v1/images); any other key fails the card.
    if (msgType === 'interactive' && imageKeysOf(value).some((key) => issuedImages.get(key) !== app.appId)) {
      return new HttpAnswer(400, {
        code: FeishuErrorCode.imCardContentFailed,
        msg: 'Failed to create card content, ext=ErrCode: 200570; ErrMsg: card contains invalid image keys',
      });
    }
    return { value };
  };

  const imageRefused = (code: number, msg: string) => new HttpAnswer(400, { code, msg });

  /** im/v1/images: multipart image_type + image, with the page's rules (see IMAGE_MAX_BYTES). */
  const uploadImage = (app: FakeApp, raw: Buffer, contentType: string): HttpAnswer => {
    const parts = /^multipart\/form-data/i.test(contentType) ? parseMultipart(raw, contentType) : undefined;
    if (!parts) return imageRefused(FeishuErrorCode.imageInvalidParam, 'Invalid request param.');
    const imageType = parts.find((part) => part.name === 'image_type')?.data.toString('utf8');
    const image = parts.find((part) => part.name === 'image');
    if (!imageType || !IMAGE_TYPES.has(imageType) || !image) {
      return imageRefused(FeishuErrorCode.imageInvalidParam, 'Invalid request param.');
    }
    if (image.data.length === 0) return imageRefused(FeishuErrorCode.imageEmpty, "File's size can't be 0.");
    if (image.data.length > IMAGE_MAX_BYTES) {
      return imageRefused(FeishuErrorCode.imageTooLarge, 'The file size exceed the max value.');
    }
    const format = image.data.length >= 12 ? imageFormatOf(image.data) : undefined;
    if (!format) return imageRefused(FeishuErrorCode.imageFormat, "Can't regonnize the image format.");
    const size = imageSize(image.data, format);
    const side = format === 'gif' ? GIF_MAX_SIDE : IMAGE_MAX_SIDE;
    if (size && (size.width > side || size.height > side)) {
      return imageRefused(FeishuErrorCode.imageResolution, 'Image resolution exceeds limit.');
    }
    const imageKey = `img_v3_${randomBytes(12).toString('hex')}`;
    issuedImages.set(imageKey, app.appId);
    images.push({ imageKey, appId: app.appId, imageType, format, bytes: Buffer.from(image.data) });
    return success({ image_key: imageKey });
  };

  const deliver = (
    app: FakeApp,
    body: Record<string, unknown>,
    target: { chatId: string; receiveId?: string; receiveIdType?: ReceiveIdType; parent?: string },
  ): HttpAnswer => {
    const msgType = body.msg_type;
    if (typeof msgType !== 'string' || msgType === '')
      return fieldViolation('msg_type', 'msg_type is required');
    const uuid = body.uuid;
    if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length > UUID_MAX_LENGTH)) {
      return fieldViolation('uuid', `uuid must be a string of at most ${UUID_MAX_LENGTH} characters`);
    }
    const parsed = parseContent(msgType, body, app);
    if (parsed instanceof HttpAnswer) return parsed;
    const t = now();
    if (typeof uuid === 'string' && uuid !== '') {
      const seen = byUuid.get(`${app.appId}\0${uuid}`);
      const original = seen && t - seen.at < idempotencyWindowMs ? byId.get(seen.messageId) : undefined;
      if (original) return success(messageData(original));
    }
    if (!windows.take(`chat\0${target.chatId}`, 1000, fake.rateLimits.receiverPerSecond, t)) {
      return imRateLimited();
    }
    const parent = target.parent ? byId.get(target.parent) : undefined;
    const replyInThread = target.parent ? body.reply_in_thread === true : undefined;
    const messageId = `om_${randomBytes(16).toString('hex')}`;
    const rootId = target.parent ? (parent?.rootId ?? target.parent) : undefined;
    const message: FakeMessage = {
      messageId,
      chatId: target.chatId,
      receiveId: target.receiveId,
      receiveIdType: target.receiveIdType,
      msgType,
      content: parsed.value,
      rawContent: body.content as string,
      uuid: typeof uuid === 'string' && uuid !== '' ? uuid : undefined,
      replyTo: target.parent,
      replyInThread,
      rootId,
      threadId: replyInThread ? (parent?.threadId ?? `omt_${hex(rootId ?? messageId, 16)}`) : undefined,
      appId: app.appId,
      createTime: t,
    };
    messages.push(message);
    byId.set(messageId, message);
    latestContent.set(messageId, parsed.value);
    if (message.uuid) byUuid.set(`${app.appId}\0${message.uuid}`, { messageId, at: t });
    return success(messageData(message));
  };

  // 99991672 naming the scopes of which one is needed (通用错误码,
  // https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code; the message's form as
  // Feishu answers it: "Access denied. One of the following scopes is required: [a, b]...").
  const scopeMissing = (app: FakeApp, ...needed: string[]): HttpAnswer => {
    const list = needed.join(', ');
    return new HttpAnswer(400, {
      code: FeishuErrorCode.scopeMissing,
      msg:
        `Access denied. One of the following scopes is required: [${list}].` +
        `应用尚未开通所需的应用身份权限：[${list}]，点击链接申请并开通任一权限即可：` +
        `https://open.feishu.cn/app/${app.appId}/auth?q=${needed.join(',')}&op_from=openapi&token_type=tenant`,
      error: {
        permission_violations: needed.map((subject) => ({ type: 'action_privilege_required', subject })),
      },
    });
  };

  /** The directory member a message to this receiver reaches, if the fake knows them. */
  const receiverOf = (app: FakeApp, type: string, id: string) =>
    fake.directory.find((user) =>
      type === 'user_id' ? user.userId === id : type === 'open_id' && openIdOf(user, app.appId) === id,
    );

  // contact/v3/users/batch_get_id (https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id):
  // scope contact:user.id:readonly; at most 50 mobiles and 50 e-mails; users outside the app's 可用范围
  // "会表现为不存在" (no id); `user_id` is a sensitive field, answered only with the scope
  // contact:user.employee_id:readonly. Mainland numbers are given without +86.
  const batchGetId = (app: FakeApp, query: Record<string, string>, body: Record<string, unknown>) => {
    if (fake.scopes[FEISHU_SCOPES.userIdByContact] !== 1)
      return scopeMissing(app, FEISHU_SCOPES.userIdByContact);
    const idType = query.user_id_type ?? 'open_id';
    if (!['open_id', 'union_id', 'user_id'].includes(idType)) {
      return fieldViolation('user_id_type', 'user_id_type must be open_id, union_id or user_id');
    }
    const list = (field: string): string[] | HttpAnswer => {
      const value = body[field] ?? [];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        return fieldViolation(field, `${field} must be a list of strings`);
      }
      if (value.length > 50) return fieldViolation(field, `${field} has more than 50 items`);
      return value as string[];
    };
    const mobiles = list('mobiles');
    if (mobiles instanceof HttpAnswer) return mobiles;
    const emails = list('emails');
    if (emails instanceof HttpAnswer) return emails;
    const visible = fake.directory.filter((user) => user.inRange !== false);
    const idOf = (user: FakeFeishuUser | undefined) => {
      if (!user) return undefined;
      if (idType === 'open_id') return openIdOf(user, app.appId);
      if (idType === 'union_id') return `on_${hex(user.userId, 32)}`;
      return fake.scopes[FEISHU_SCOPES.userId] === 1 ? user.userId : undefined;
    };
    const user_list = [
      ...mobiles.map((mobile) => {
        const id = idOf(visible.find((user) => user.mobile === mobile));
        return { mobile, ...(id ? { user_id: id } : {}) };
      }),
      ...emails.map((email) => {
        const id = idOf(visible.find((user) => user.email?.toLowerCase() === email.toLowerCase()));
        return { email, ...(id ? { user_id: id } : {}) };
      }),
    ];
    return success({ user_list });
  };

  const handleToken = (kind: CallKind, body: Record<string, unknown>, call: FakeCall): HttpAnswer => {
    const app = apps.find((a) => a.appId === body.app_id);
    if (typeof body.app_id !== 'string' || typeof body.app_secret !== 'string' || !body.app_id) {
      return new HttpAnswer(200, { code: 10003, msg: 'invalid param' });
    }
    if (!app)
      return new HttpAnswer(200, { code: FeishuErrorCode.appSecretInvalid, msg: 'app id not exists' });
    if (app.appSecret !== body.app_secret) {
      return new HttpAnswer(200, { code: FeishuErrorCode.appSecretInvalid, msg: 'app secret invalid' });
    }
    call.appId = app.appId;
    const tenant = tenantTokenFor(app.appId);
    if (kind === 'auth.app_token') {
      return new HttpAnswer(200, {
        code: 0,
        msg: 'ok',
        app_access_token: appTokenFor(app),
        expire: tokenExpire,
        tenant_access_token: tenant,
      });
    }
    return new HttpAnswer(200, { code: 0, msg: 'ok', tenant_access_token: tenant, expire: tokenExpire });
  };

  const handleApi = (
    kind: CallKind,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    authorization: string | undefined,
    call: FakeCall,
    upload: { bytes: Buffer; contentType: string },
  ): HttpAnswer => {
    if (kind === 'unknown') return new HttpAnswer(404, { code: 404, msg: '404 page not found' });
    const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      return new HttpAnswer(400, { code: FeishuErrorCode.missingAccessToken, msg: MISSING_TOKEN_MSG });
    }
    const app = appForToken(token);
    if (!app)
      return new HttpAnswer(400, { code: FeishuErrorCode.invalidTenantAccessToken, msg: INVALID_TOKEN_MSG });
    call.appId = app.appId;

    const t = now();
    const { appPerSecond, appPerMinute } = fake.rateLimits;
    const secondKey = `app-s\0${app.appId}`;
    const minuteKey = `app-m\0${app.appId}`;
    const secondOk = windows.allows(secondKey, 1000, appPerSecond, t);
    if (!secondOk || !windows.allows(minuteKey, 60_000, appPerMinute, t)) {
      return new HttpAnswer(
        429,
        { code: FeishuErrorCode.rateLimited, msg: 'request trigger frequency limit' },
        {
          'x-ogw-ratelimit-limit': String(secondOk ? appPerMinute : appPerSecond),
          'x-ogw-ratelimit-reset': secondOk ? '60' : '1',
        },
      );
    }
    windows.record(secondKey, t);
    windows.record(minuteKey, t);

    // A call needs one of its scopes granted.
    // 获取消息中的资源文件 needs one of im:message, im:message:readonly, im:message.history:readonly
    // (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get).
    const needed = kind.startsWith('message.')
      ? ['im:message', 'im:message:send_as_bot']
      : kind === 'resource.get'
        ? ['im:message', 'im:message:readonly', 'im:message.history:readonly']
        : [];
    if (needed.length > 0 && !needed.some((scope) => fake.scopes[scope] === 1)) {
      return scopeMissing(app, ...needed);
    }

    const segments = path.split('/');
    switch (kind) {
      // 查询租户授权状态 (https://open.feishu.cn/document/application-v6/scope/list): needs no scope; lists
      // the scopes the app asked for with grant_status 1 (granted) or 2 (not granted).
      case 'scopes.list':
        return success({
          scopes: Object.entries(fake.scopes).map(([scope_name, grant_status]) => ({
            scope_name,
            grant_status,
          })),
        });
      case 'bot.info':
        return new HttpAnswer(200, {
          code: 0,
          msg: 'ok',
          bot: {
            activate_status: 2,
            app_name: appName,
            avatar_url: '',
            ip_white_list: [],
            open_id: botOpenId,
          },
        });
      case 'message.create': {
        const receiveIdType = query.receive_id_type;
        if (!receiveIdType || !RECEIVE_ID_TYPES.has(receiveIdType)) {
          return fieldViolation('receive_id_type', 'receive_id_type is required and must be a valid id type');
        }
        const receiveId = body.receive_id;
        if (typeof receiveId !== 'string' || receiveId === '') {
          return fieldViolation('receive_id', 'receive_id is required');
        }
        // receive_id_type=user_id needs the scope 获取用户 user ID (message/create, 查询参数
        // receive_id_type: https://open.feishu.cn/document/server-docs/im-v1/message/create).
        if (receiveIdType === 'user_id' && fake.scopes[FEISHU_SCOPES.userId] !== 1) {
          return scopeMissing(app, FEISHU_SCOPES.userId);
        }
        const receiver = receiverOf(app, receiveIdType, receiveId);
        if (receiver && receiver.inRange === false) {
          return new HttpAnswer(400, {
            code: FeishuErrorCode.imNoAvailability,
            msg: 'Bot has NO availability to this user.',
          });
        }
        const chatId = receiveIdType === 'chat_id' ? receiveId : `oc_${hex(`p2p\0${receiveId}`, 32)}`;
        return deliver(app, body, { chatId, receiveId, receiveIdType: receiveIdType as ReceiveIdType });
      }
      case 'message.reply': {
        const parentId = decodeURIComponent(segments[5] ?? '');
        const chatId = byId.get(parentId)?.chatId ?? UNKNOWN_CHAT_ID;
        return deliver(app, body, { chatId, parent: parentId });
      }
      case 'contact.batch_get_id':
        return batchGetId(app, query, body);
      case 'image.create':
        return uploadImage(app, upload.bytes, upload.contentType);
      case 'message.patch': {
        const messageId = decodeURIComponent(segments[5] ?? '');
        const known = byId.get(messageId);
        if (known && known.msgType !== 'interactive') {
          return new HttpAnswer(400, {
            code: FeishuErrorCode.imInvalidParam,
            msg: 'Your request contains an invalid request parameter.',
          });
        }
        const parsed = parseContent('interactive', body, app);
        if (parsed instanceof HttpAnswer) return parsed;
        if (known && t - known.createTime > CARD_LIFETIME_MS) {
          return new HttpAnswer(400, { code: FeishuErrorCode.imMessageExpired, msg: MESSAGE_EXPIRED_MSG });
        }
        if (!windows.take(`msg\0${messageId}`, 1000, fake.rateLimits.messageUpdatesPerSecond, t)) {
          return imRateLimited();
        }
        patches.push({ messageId, content: parsed.value, rawContent: body.content as string, time: t });
        latestContent.set(messageId, parsed.value);
        return success({});
      }
      case 'resource.get': {
        // 获取消息中的资源文件 (https://open.feishu.cn/document/server-docs/im-v1/message/get-2): `type` is
        // required, image or file; the file_key must be one the message carries (请求的 file_key 和
        // message_id 需要匹配), else 234003.
        const type = query.type;
        if (type !== 'image' && type !== 'file') {
          return new HttpAnswer(400, {
            code: FeishuErrorCode.resourceInvalidParam,
            msg: 'Invalid request param.',
          });
        }
        const messageId = decodeURIComponent(segments[5] ?? '');
        const fileKey = decodeURIComponent(segments[7] ?? '');
        const resource = resources.get(`${messageId}\0${fileKey}`);
        if (!resource) {
          return new HttpAnswer(400, { code: FeishuErrorCode.resourceNotInMessage, msg: 'File not in msg.' });
        }
        // type: image for the images of a message (and of a post), file for files, audio and video (media).
        if (resource.type !== type) {
          return new HttpAnswer(400, {
            code: FeishuErrorCode.resourceInvalidParam,
            msg: 'Invalid request param.',
          });
        }
        if (resource.size > RESOURCE_MAX_BYTES) {
          return new HttpAnswer(400, {
            code: FeishuErrorCode.resourceTooLarge,
            msg: 'Downloaded file size exceeds limit.',
          });
        }
        return new HttpAnswer(200, {}, { 'content-type': resource.contentType }, resource.bytes);
      }
      default:
        return new HttpAnswer(404, { code: 404, msg: '404 page not found' });
    }
  };

  const send = (res: ServerResponse, answer: HttpAnswer, call: FakeCall): void => {
    call.status = answer.status;
    if (answer.bytes) {
      res.writeHead(answer.status, { 'content-length': answer.bytes.byteLength, ...answer.headers });
      res.end(answer.bytes);
      return;
    }
    if (typeof answer.body.code === 'number') call.code = answer.body.code;
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-tt-logid': randomBytes(12).toString('hex'),
      ...answer.headers,
    });
    res.end(payload);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const kind = classify(method, path);
    const bytes = await readBody(req);
    const multipart = kind === 'image.create';
    const raw = multipart ? '' : bytes.toString('utf8');
    let parsedBody: unknown;
    let badJson = false;
    if (raw !== '') {
      try {
        parsedBody = JSON.parse(raw);
      } catch {
        badJson = true;
        parsedBody = raw;
      }
    }
    const call: FakeCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      kind,
      time: now(),
      status: 0,
      forced: false,
      body: parsedBody,
    };
    calls.push(call);

    const forcedIndex = forced.findIndex((f) => matches(f.match ?? 'api', { method, path, kind }));
    const force = forcedIndex >= 0 ? forced[forcedIndex] : undefined;
    if (force) {
      force.remaining -= 1;
      if (force.remaining <= 0) forced.splice(forcedIndex, 1);
      if (force.delayMs) await sleep(force.delayMs, undefined, { signal: aborter.signal });
      if (force.networkError) {
        call.forced = true;
        req.socket.destroy();
        return;
      }
      if (force.status !== undefined) {
        call.forced = true;
        const body = force.body === undefined ? defaultForcedBody(force.status) : force.body;
        send(res, new HttpAnswer(force.status, asRecord(body), force.headers), call);
        return;
      }
    }

    if (badJson) {
      send(res, fieldViolation('body', 'request body is not valid JSON'), call);
      return;
    }
    const body = asRecord(parsedBody);
    if (kind === 'ws.endpoint') {
      send(res, new HttpAnswer(200, ws.endpoint(body, fake.url)), call);
      return;
    }
    const answer =
      kind === 'auth.tenant_token' || kind === 'auth.app_token'
        ? handleToken(kind, body, call)
        : handleApi(kind, path, call.query, body, req.headers.authorization, call, {
            bytes,
            contentType: req.headers['content-type'] ?? '',
          });
    send(res, answer, call);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (aborter.signal.aborted) return;
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ code: 1500, msg: `fake feishu crashed: ${String(error)}` }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  ws.attach(server);
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}
