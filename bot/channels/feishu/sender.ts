// Sends outbox rows through the official SDK. The outbox id is the message `uuid`, so a retry after a
// crash between send and mark is deduplicated by Feishu (im/v1/messages: uuid, 1 hour).
// Limits (frequency-control; im/v1/messages): 50 calls/s and 1000/min per app (`feishu:app`), 5 messages/s
// into one chat or to one user (`feishu:to:<id>`), 5 updates/s of one message (`feishu:msg:<id>`). When
// Feishu says "too many" anyway (429 / 99991400 with `x-ogw-ratelimit-reset` seconds, or 230020), the
// row is retried after that wait and the key is blocked meanwhile.
// A card can be updated, and pressed, only within 14 days of sending (更新应用发送的消息卡片, 使用限制:
// https://open.feishu.cn/document/server-docs/im-v1/message-card/patch; 卡片 JSON 2.0 版本更新说明, 卡片交互
// 有效期变更). An update of a card that old, or nearly (RESEND_AFTER_MS), or one Feishu refuses for its age
// (230031), goes out as a new card to the same chat or person instead, and the card's copies follow the new
// message from then on (`repointCopies`, as WeCom's do); the old card is left as it was. When the person
// already has a younger card of the subject (a reminder's), the old copy follows that one and nothing is sent.
import type * as lark from '@larksuiteoapi/node-sdk';
import { type Card, imagesOf, note } from '../../../cards/model.ts';
import type { Db } from '../../../db/client.ts';
import { cardCopies, copyShowing, repointCopies } from '../../../db/queries/outbox.ts';
import type { ReadPhoto } from '../../../handlers/photo-text.ts';
import {
  type ChannelSender,
  DeliveryError,
  type DeliveryResult,
  type OutboxRow,
} from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import { feishuTextContent, type ImageKeyOf, renderFeishuCard } from './render.ts';
import { loadLark } from './sdk.ts';

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
  /** The SDK's client, made on the first call (the SDK loads then: ./sdk.ts). */
  client(): Promise<lark.Client>;
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
function timedHttp(sdk: typeof lark, timeoutMs: number): lark.HttpInstance {
  const http = sdk.defaultHttpInstance as unknown as lark.HttpInstance;
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

const SILENT_SDK_LOGGER = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

export function createFeishuClient(
  config: Pick<FeishuConfig, 'appId' | 'appSecret' | 'domain'>,
  options: { timeoutMs?: number } = {},
): FeishuClient {
  const tokens = new TokenCache();
  let made: Promise<lark.Client> | undefined;
  const make = async () => {
    const sdk = await loadLark();
    return new sdk.Client({
      appId: config.appId,
      appSecret: config.appSecret,
      appType: sdk.AppType.SelfBuild,
      domain: config.domain,
      // Nothing from the SDK's logger: its failures come back as errors. (LoggerLevel.fatal is 0, which
      // the Client reads as unset and replaces with info, printing "client ready" on stdout.)
      logger: SILENT_SDK_LOGGER,
      cache: tokens,
      httpInstance: timedHttp(sdk, options.timeoutMs ?? FEISHU_TIMEOUT_MS),
    });
  };
  const client = () => {
    made ??= make();
    return made;
  };
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
 * the key it concerns is blocked meanwhile: the app's, or for 230020 the chat's or the message's (`imKey`,
 * by default the row's own).
 */
function rateLimited(
  message: string,
  code: number | undefined,
  row: OutboxRow,
  resetMs?: number,
  imKey = feishuLimitKeys(row)[1],
) {
  if (code === IM_RATE_LIMITED) {
    return new DeliveryError(message, true, resetMs ?? IM_RESET_MS, imKey ? [imKey] : []);
  }
  return new DeliveryError(message, true, resetMs, [APP_KEY]);
}

/** The tenant access token is missing or no longer valid: fetch a new one and try again. */
export const BAD_TOKEN = new Set([99991661, 99991663, 99991668]);
/** IM: the message was sent more than 14 days ago and can no longer be updated (HTTP 400). */
const MESSAGE_EXPIRED = 230031;
const DAY_MS = 24 * 3600 * 1000;
/**
 * A card this old is sent anew rather than updated: past 14 days Feishu refuses the update, and a card
 * updated just before would have its buttons die within hours, while its subject is still open.
 */
export const RESEND_AFTER_MS = 13.5 * DAY_MS;
/** The line a card sent anew carries, once: why the same card came again. */
export const RESENT_NOTE = '原卡片发出已近 14 天，飞书不再允许更新和操作，现重新发送，请在本卡片上办理。';

function content(row: OutboxRow, keyOf?: ImageKeyOf): { msg_type: string; content: string } {
  if (row.body.kind === 'text') return { msg_type: 'text', content: feishuTextContent(row.body.text) };
  return cardContent(row.body.card, keyOf);
}

function cardContent(card: Card, keyOf?: ImageKeyOf): { msg_type: string; content: string } {
  return { msg_type: 'interactive', content: JSON.stringify(renderFeishuCard(card, keyOf)) };
}

function receiveIdTypeOf(row: OutboxRow) {
  return (row.targetKind === 'chat' ? 'chat_id' : row.targetKind) as 'chat_id' | 'open_id' | 'user_id';
}

/** The Feishu code of a failed call, thrown by the SDK (a 4xx/5xx answer) or answered with HTTP 200. */
function codeOf(error: unknown): number | undefined {
  const code = (error as { response?: { data?: { code?: unknown } } }).response?.data?.code;
  return typeof code === 'number' ? code : undefined;
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
  /** The rows of a card's copies, to follow a card sent anew past its 14 days. */
  db?: Db;
  /** The time (the dispatcher's). */
  clock?: () => Date;
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
    const data = await (await client()).im.image.create({
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

/**
 * The sender. Without `db` an update is only ever a PATCH: a card past its 14 days then fails (the service
 * always gives it; some tests of sending alone do not).
 */
export function createFeishuSender(feishu: FeishuClient, options: FeishuSenderOptions = {}): ChannelSender {
  const { client, tokens } = feishu;
  const copies = options.db ? { db: options.db } : undefined;
  const clock = options.clock ?? (() => new Date());

  async function create(row: OutboxRow, body: { msg_type: string; content: string }) {
    return check(
      await (await client()).im.message.create({
        params: { receive_id_type: receiveIdTypeOf(row) },
        data: { receive_id: row.targetId, ...body, uuid: `outbox-${row.id}` },
      }),
      row,
    );
  }

  /**
   * The card of an update row sent as a new message to the copy's chat or person, with a line saying why;
   * the copies that showed `shown` show the new message from then on. Its uuid is the update row's, so a
   * retry after a crash before the copies were repointed finds the same message.
   */
  async function resend(
    row: OutboxRow,
    card: Card,
    shown: string,
    keyOf: ImageKeyOf,
  ): Promise<DeliveryResult> {
    const live = await liveCopy(row, shown);
    if (live) {
      // The person already has a card of the subject young enough (a reminder's, or one sent anew a moment
      // ago for another copy): the old copy follows it, and that card's own update carries the change.
      await repointCopies(copies!.db, 'feishu', {
        taskId: shown,
        tenantId: row.tenantId,
        newTaskId: live.messageId,
        ref: { messageAt: live.at.toISOString(), replaces: shown },
      });
      return { platformMessageId: live.messageId };
    }
    const withNote: Card = { ...card, blocks: [...card.blocks, note(RESENT_NOTE)] };
    let sent: DeliveryResult;
    try {
      sent = await create(row, cardContent(withNote, keyOf));
    } catch (error) {
      // A 230020 here is about the chat or person the card now goes to, not the message.
      if (error instanceof DeliveryError) throw error;
      const limited = toDeliveryError(error, tokens, row);
      throw codeOf(error) === IM_RATE_LIMITED
        ? rateLimited(
            limited.message,
            IM_RATE_LIMITED,
            row,
            limited.retryAfterMs,
            `feishu:to:${row.targetId}`,
          )
        : limited;
    }
    if (!sent.platformMessageId) throw new DeliveryError('Feishu gave no message_id for the new card', true);
    await repointCopies(copies!.db, 'feishu', {
      taskId: shown,
      tenantId: row.tenantId,
      newTaskId: sent.platformMessageId,
      ref: { messageAt: clock().toISOString(), replaces: shown },
    });
    return sent;
  }

  /** Another sent card of the row's subject to the row's chat or person that can still be updated. */
  async function liveCopy(row: OutboxRow, shown: string) {
    if (row.tenantId === null || !row.subject) return undefined;
    const limit = clock().getTime() - RESEND_AFTER_MS;
    for (const copy of await cardCopies(copies!.db, row.tenantId, row.subject)) {
      const at = sentTimeOf(copy);
      if (
        copy.channel === 'feishu' &&
        copy.status === 'sent' &&
        copy.targetKind === row.targetKind &&
        copy.targetId === row.targetId &&
        copy.platformMessageId &&
        copy.platformMessageId !== shown &&
        at &&
        at.getTime() > limit
      ) {
        return { messageId: copy.platformMessageId, at };
      }
    }
    return undefined;
  }

  async function update(row: OutboxRow, card: Card, keyOf: ImageKeyOf): Promise<DeliveryResult> {
    const ref = row.refMessageId ?? '';
    // The copy this update is for: the message it shows now (a card sent anew since the row was written
    // shows another) and how old that message is.
    const copy =
      copies && row.subject && ref
        ? await copyShowing(copies.db, 'feishu', {
            tenantId: row.tenantId,
            subject: row.subject,
            messageId: ref,
          })
        : undefined;
    const shown = copy?.platformMessageId ?? ref;
    const messageAt = copy && sentTimeOf(copy);
    if (copy && messageAt && clock().getTime() - messageAt.getTime() >= RESEND_AFTER_MS) {
      return resend(row, card, shown, keyOf);
    }
    try {
      const result = await (await client()).im.message.patch({
        path: { message_id: shown },
        data: { content: cardContent(card, keyOf).content },
      });
      if (result.code === MESSAGE_EXPIRED && copies) return resend(row, card, shown, keyOf);
      return { ...check(result, row), platformMessageId: shown };
    } catch (error) {
      if (codeOf(error) === MESSAGE_EXPIRED && copies) return resend(row, card, shown, keyOf);
      throw error;
    }
  }

  return {
    channel: 'feishu',
    limitKeys: feishuLimitKeys,
    async deliver(row) {
      try {
        const keyOf = await uploadImages(feishu, row, options);
        if (row.op === 'update') {
          if (row.body.kind !== 'card') throw new DeliveryError('only cards can be updated', false);
          return await update(row, row.body.card, keyOf);
        }
        if (row.op === 'reply' && row.refMessageId) {
          return check(
            await (await client()).im.message.reply({
              path: { message_id: row.refMessageId },
              data: { ...content(row, keyOf), uuid: `outbox-${row.id}` },
            }),
            row,
          );
        }
        return await create(row, content(row, keyOf));
      } catch (error) {
        throw error instanceof DeliveryError ? error : toDeliveryError(error, tokens, row);
      }
    },
  };
}

/** When the message a copy shows was sent: after a re-send the ref says, else the row's own send. */
function sentTimeOf(copy: { sentAt: Date | null; platformRef: Record<string, unknown> | null }) {
  const at = copy.platformRef?.messageAt;
  const parsed = typeof at === 'string' ? new Date(at) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : (copy.sentAt ?? undefined);
}
