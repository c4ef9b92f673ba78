// Sends outbox rows through the official SDK. The outbox id is the message `uuid`, so a retry after a
// crash between send and mark is deduplicated by Feishu (im/v1/messages: uuid, 1 hour).
// Limits (frequency-control; im/v1/messages): 50 calls/s and 1000/min per app (`feishu:app`), 5 messages/s
// into one chat or to one user (`feishu:to:<id>`), 5 updates/s of one message (`feishu:msg:<id>`). When
// Feishu says "too many" anyway (429 / 99991400 with `x-ogw-ratelimit-reset` seconds, or 230020), the
// row is retried after that wait and the key is blocked meanwhile.
import * as lark from '@larksuiteoapi/node-sdk';
import { imagesOf } from '../../../cards/model.ts';
import type { ReadPhoto } from '../../../handlers/photo-text.ts';
import { type ChannelSender, DeliveryError, type OutboxRow } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import { feishuTextContent, type ImageKeyOf, renderFeishuCard } from './render.ts';

/**
 * A token cache of our own per client: the SDK's default cache is shared by the whole process and is
 * never cleared when Feishu rejects a token, so a revoked token would fail every call until it expires.
 */
export class TokenCache {
  private entries = new Map<string, { value: unknown; expire: number }>();
  async set(key: unknown, value: unknown, expire?: number) {
    this.entries.set(String(key), { value, expire: expire ?? Number.POSITIVE_INFINITY });
    return true;
  }
  async get(key: unknown) {
    const entry = this.entries.get(String(key));
    return entry && entry.expire > Date.now() ? entry.value : undefined;
  }
  clear() {
    this.entries.clear();
  }
}

/**
 * The `image_key` of each stored photo uploaded for this app, by tenant and file id: a photo is uploaded
 * once per process, and a card press answered from this instance shows the photos its card showed.
 * An image_key serves only the app that uploaded it (a card naming another's is refused).
 */
export class ImageKeys {
  private keys = new Map<string, string>();
  /** Uploads under way: rows delivered side by side that show one photo share its upload. */
  private uploads = new Map<string, Promise<void>>();
  get(tenantId: number, fileId: number) {
    return this.keys.get(`${tenantId}:${fileId}`);
  }
  /** Runs `upload` for a photo with no key yet, once at a time; a failed one may be tried again. */
  async once(tenantId: number, fileId: number, upload: () => Promise<string | undefined>) {
    const id = `${tenantId}:${fileId}`;
    if (this.keys.has(id)) return;
    let running = this.uploads.get(id);
    if (!running) {
      running = upload()
        .then((key) => {
          if (key) this.keys.set(id, key);
        })
        .finally(() => this.uploads.delete(id));
      this.uploads.set(id, running);
    }
    await running;
  }
  /** The lookup a card of this tenant is rendered with. */
  of(tenantId: number): ImageKeyOf {
    return (fileId) => this.get(tenantId, fileId);
  }
}

export interface FeishuClient {
  client: lark.Client;
  tokens: TokenCache;
  images: ImageKeys;
}

/** How long one call to Feishu may go without an answer before it counts as failed (and is retried). */
export const FEISHU_TIMEOUT_MS = 10_000;

/**
 * The SDK's HTTP client (its interceptors unwrap the answers) with a time limit on every call. The SDK sets
 * none: a call Feishu never answers would hold the dispatcher's run, and every message behind it, for
 * good. A call that timed out may still have been delivered; its retry carries the same `uuid`.
 */
function timedHttp(timeoutMs: number): lark.HttpInstance {
  const http = lark.defaultHttpInstance as unknown as lark.HttpInstance;
  const limit = <D>(opts?: lark.HttpRequestOptions<D>): lark.HttpRequestOptions<D> => ({
    timeout: timeoutMs,
    ...opts,
  });
  return {
    request: (opts) => http.request(limit(opts)),
    get: (url, opts) => http.get(url, limit(opts)),
    delete: (url, opts) => http.delete(url, limit(opts)),
    head: (url, opts) => http.head(url, limit(opts)),
    options: (url, opts) => http.options(url, limit(opts)),
    post: (url, data, opts) => http.post(url, data, limit(opts)),
    put: (url, data, opts) => http.put(url, data, limit(opts)),
    patch: (url, data, opts) => http.patch(url, data, limit(opts)),
  };
}

export function createFeishuClient(
  config: Pick<FeishuConfig, 'appId' | 'appSecret' | 'domain'>,
  options: { timeoutMs?: number } = {},
): FeishuClient {
  const tokens = new TokenCache();
  const client = new lark.Client({
    appId: config.appId,
    appSecret: config.appSecret,
    appType: lark.AppType.SelfBuild,
    domain: config.domain,
    loggerLevel: lark.LoggerLevel.fatal,
    cache: tokens,
    httpInstance: timedHttp(options.timeoutMs ?? FEISHU_TIMEOUT_MS),
  });
  return { client, tokens, images: new ImageKeys() };
}

/** Feishu's "request trigger frequency limit" code (HTTP 429; 400 on some older APIs). */
const RATE_LIMITED = 99991400;
/** IM: too many messages into one chat / to one user, or updates of one message, per second. */
const IM_RATE_LIMITED = 230020;
const APP_KEY = 'feishu:app';
/** A 230020 names no wait; its limit is per second. */
const IM_RESET_MS = 1000;

/** The limit keys a call for this row counts against (see jobs/rate-limit.ts). */
export function feishuLimitKeys(row: OutboxRow): string[] {
  if (row.op === 'update') return [APP_KEY, `feishu:msg:${row.refMessageId ?? ''}`];
  return [APP_KEY, `feishu:to:${row.targetId}`];
}

/** The `x-ogw-ratelimit-reset` header of a refusal (seconds until the limit recovers), in ms. */
function resetMsOf(headers: unknown): number | undefined {
  const raw = (headers as Record<string, unknown> | undefined)?.['x-ogw-ratelimit-reset'];
  const seconds = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * A "too many" answer: retryable after the reset Feishu names (the dispatcher's backoff without one), and
 * the key it concerns is blocked meanwhile: the app's, or for 230020 the chat's or the message's.
 */
function rateLimited(message: string, code: number | undefined, row: OutboxRow, resetMs?: number) {
  if (code === IM_RATE_LIMITED) {
    const [, key] = feishuLimitKeys(row);
    return new DeliveryError(message, true, resetMs ?? IM_RESET_MS, key ? [key] : []);
  }
  return new DeliveryError(message, true, resetMs, [APP_KEY]);
}

/** The tenant access token is missing or no longer valid: fetch a new one and try again. */
const BAD_TOKEN = new Set([99991661, 99991663, 99991668]);

function contentOf(row: OutboxRow, keyOf?: ImageKeyOf): { msg_type: string; content: string } {
  if (row.body.kind === 'text') return { msg_type: 'text', content: feishuTextContent(row.body.text) };
  return { msg_type: 'interactive', content: JSON.stringify(renderFeishuCard(row.body.card, keyOf)) };
}

function toDeliveryError(error: unknown, tokens: TokenCache, row: OutboxRow): DeliveryError {
  const response = (
    error as {
      response?: { status?: number; headers?: unknown; data?: { code?: number; msg?: string } };
    }
  ).response;
  if (response?.status) {
    const code = response.data?.code;
    const message = `Feishu HTTP ${response.status} ${code ?? ''} ${response.data?.msg ?? ''}`.trim();
    if (response.status === 429 || code === RATE_LIMITED || code === IM_RATE_LIMITED) {
      return rateLimited(message, code, row, resetMsOf(response.headers));
    }
    const badToken = code !== undefined && BAD_TOKEN.has(code);
    if (badToken) tokens.clear();
    return new DeliveryError(message, response.status >= 500 || badToken);
  }
  // No response at all: a timeout or a refused connection, worth another try.
  return new DeliveryError(
    `Feishu unreachable: ${error instanceof Error ? error.message : String(error)}`,
    true,
  );
}

function check(result: { code?: number; msg?: string; data?: { message_id?: string } }, row: OutboxRow) {
  if (result.code !== undefined && result.code !== 0) {
    const message = `Feishu code ${result.code} ${result.msg ?? ''}`.trim();
    if (result.code === RATE_LIMITED || result.code === IM_RATE_LIMITED) {
      throw rateLimited(message, result.code, row);
    }
    throw new DeliveryError(message, BAD_TOKEN.has(result.code));
  }
  return { platformMessageId: result.data?.message_id };
}

export interface FeishuSenderOptions {
  /** Reads a stored photo a card shows; without it, cards show their photos as a text line. */
  readPhoto?: ReadPhoto;
  log?: Logger;
}

/**
 * Uploads the stored photos of a card that this app has no `image_key` for yet (im/v1/images, image_type
 * `message`): https://open.feishu.cn/document/server-docs/im-v1/image/create. A photo not stored, or one
 * Feishu refuses for good (format, size: 234006, 234010, 234011, 234039), shows as the card's text line
 * instead; a failure worth another try (5xx, 429, a timeout) fails the row like its send would, and the
 * retry uploads again.
 */
async function uploadImages(
  { client, tokens, images }: FeishuClient,
  row: OutboxRow,
  options: FeishuSenderOptions,
): Promise<ImageKeyOf> {
  const { tenantId } = row;
  // A row of no tenant (a reply to an unknown sender) shows no stored photo.
  if (tenantId === null) return () => undefined;
  const keyOf = images.of(tenantId);
  if (row.body.kind !== 'card' || !options.readPhoto) return keyOf;
  const { readPhoto } = options;
  const upload = async (fileId: number) => {
    const photo = await readPhoto(tenantId, fileId);
    if (!photo) return undefined;
    const data = await client.im.image.create({
      data: { image_type: 'message', image: Buffer.from(photo.bytes) },
    });
    return data?.image_key;
  };
  for (const fileId of imagesOf(row.body.card)) {
    try {
      await images.once(tenantId, fileId, () => upload(fileId));
    } catch (error) {
      const refusal = toDeliveryError(error, tokens, row);
      if (refusal.retryable)
        throw new DeliveryError(
          `image upload: ${refusal.message}`,
          true,
          refusal.retryAfterMs,
          refusal.limitKeys,
        );
      options.log?.warn('feishu refused a photo; the card shows it as text', {
        outboxId: row.id,
        fileId,
        reason: refusal.message,
      });
    }
  }
  return keyOf;
}

export function createFeishuSender(feishu: FeishuClient, options: FeishuSenderOptions = {}): ChannelSender {
  const { client, tokens } = feishu;
  return {
    channel: 'feishu',
    limitKeys: feishuLimitKeys,
    async deliver(row) {
      const uuid = `outbox-${row.id}`;
      try {
        const keyOf = await uploadImages(feishu, row, options);
        const content = (value: OutboxRow) => contentOf(value, keyOf);
        if (row.op === 'update') {
          if (row.body.kind !== 'card') throw new DeliveryError('only cards can be updated', false);
          const result = await client.im.message.patch({
            path: { message_id: row.refMessageId ?? '' },
            data: { content: content(row).content },
          });
          return { ...check(result, row), platformMessageId: row.refMessageId ?? undefined };
        }
        if (row.op === 'reply' && row.refMessageId) {
          return check(
            await client.im.message.reply({
              path: { message_id: row.refMessageId },
              data: { ...content(row), uuid },
            }),
            row,
          );
        }
        const receiveIdType = (row.targetKind === 'chat' ? 'chat_id' : row.targetKind) as
          | 'chat_id'
          | 'open_id'
          | 'user_id';
        return check(
          await client.im.message.create({
            params: { receive_id_type: receiveIdType },
            data: { receive_id: row.targetId, ...content(row), uuid },
          }),
          row,
        );
      } catch (error) {
        throw error instanceof DeliveryError ? error : toDeliveryError(error, tokens, row);
      }
    },
  };
}
