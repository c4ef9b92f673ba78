// Sends outbox rows through the official SDK. The outbox id is the message `uuid`, so a retry after a
// crash between send and mark is deduplicated by Feishu (im/v1/messages: uuid, 1 hour).
import * as lark from '@larksuiteoapi/node-sdk';
import { type ChannelSender, DeliveryError, type OutboxRow } from '../../core/delivery.ts';
import type { FeishuConfig } from '../../env.ts';
import { renderFeishuCard } from './render.ts';

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

export interface FeishuClient {
  client: lark.Client;
  tokens: TokenCache;
}

export function createFeishuClient(config: FeishuConfig): FeishuClient {
  const tokens = new TokenCache();
  const client = new lark.Client({
    appId: config.appId,
    appSecret: config.appSecret,
    appType: lark.AppType.SelfBuild,
    domain: config.domain,
    loggerLevel: lark.LoggerLevel.fatal,
    cache: tokens,
  });
  return { client, tokens };
}

/** Feishu's "request trigger frequency limit" code (HTTP 429). */
const RATE_LIMITED = 99991400;
/** The tenant access token is missing or no longer valid: fetch a new one and try again. */
const BAD_TOKEN = new Set([99991661, 99991663, 99991668]);

function content(row: OutboxRow): { msg_type: string; content: string } {
  if (row.body.kind === 'text') return { msg_type: 'text', content: JSON.stringify({ text: row.body.text }) };
  return { msg_type: 'interactive', content: JSON.stringify(renderFeishuCard(row.body.card as never)) };
}

function toDeliveryError(error: unknown, tokens: TokenCache): DeliveryError {
  const response = (error as { response?: { status?: number; data?: { code?: number; msg?: string } } })
    .response;
  if (response?.status) {
    const code = response.data?.code;
    const badToken = code !== undefined && BAD_TOKEN.has(code);
    if (badToken) tokens.clear();
    const retryable = response.status === 429 || response.status >= 500 || code === RATE_LIMITED || badToken;
    return new DeliveryError(
      `Feishu HTTP ${response.status} ${code ?? ''} ${response.data?.msg ?? ''}`.trim(),
      retryable,
    );
  }
  // No response at all: a timeout or a refused connection, worth another try.
  return new DeliveryError(
    `Feishu unreachable: ${error instanceof Error ? error.message : String(error)}`,
    true,
  );
}

function check(result: { code?: number; msg?: string; data?: { message_id?: string } }) {
  if (result.code !== undefined && result.code !== 0) {
    throw new DeliveryError(
      `Feishu code ${result.code} ${result.msg ?? ''}`.trim(),
      result.code === RATE_LIMITED || BAD_TOKEN.has(result.code),
    );
  }
  return { platformMessageId: result.data?.message_id };
}

export function createFeishuSender({ client, tokens }: FeishuClient): ChannelSender {
  return {
    channel: 'feishu',
    async deliver(row) {
      const uuid = `outbox-${row.id}`;
      try {
        if (row.op === 'update') {
          if (row.body.kind !== 'card') throw new DeliveryError('only cards can be updated', false);
          const result = await client.im.message.patch({
            path: { message_id: row.refMessageId ?? '' },
            data: { content: content(row).content },
          });
          return { ...check(result), platformMessageId: row.refMessageId ?? undefined };
        }
        if (row.op === 'reply' && row.refMessageId) {
          return check(
            await client.im.message.reply({
              path: { message_id: row.refMessageId },
              data: { ...content(row), uuid },
            }),
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
        );
      } catch (error) {
        throw error instanceof DeliveryError ? error : toDeliveryError(error, tokens);
      }
    },
  };
}
