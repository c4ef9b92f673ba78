// Feishu's long connection (长连接, FEISHU_MODE=websocket): the official SDK's WSClient dials out to
// Feishu, so a school on an intranet with no public address receives events and card presses.
// https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
//
// The SDK handshakes (POST {domain}/callback/ws/endpoint), pings, reassembles split frames and answers
// each data frame with what our dispatcher returned: a card press's toast and card travel back in that
// answer (base64 JSON in the frame's payload), within the platform's 3 s. Events come as they would to
// the webhook (schema 2.0, plain: the connection is authenticated at the handshake) and take the same
// path (./events.ts): messages into the inbox, deduplicated there by event id — several instances may each
// hold a connection and Feishu gives each event to one of them; presses through the core's answer.
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../core/log.ts';
import type { FeishuConfig } from '../../env.ts';
import type { ConnectionState, ConnectionStatus } from '../channel.ts';
import type { FeishuEvents } from './events.ts';
import { loadLark } from './sdk.ts';

export interface FeishuConnectionOptions {
  config: Pick<FeishuConfig, 'appId' | 'appSecret' | 'domain'>;
  log: Logger;
  clock?: () => Date;
  /** After the SDK gives up (a refused handshake), start again after this, doubling up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Hands the SDK's frames to our one path as they came. The stock EventDispatcher flattens the envelope
 * (header and event merged: the card action's `token` overwrites the header's), which normalize.ts
 * cannot read back; its verification does not apply to the long connection anyway (`needCheck: false`).
 */
function envelopeDispatcher(
  sdk: typeof lark,
  handle: (envelope: unknown) => Promise<unknown>,
  logger: lark.Logger,
): lark.EventDispatcher {
  class EnvelopeDispatcher extends sdk.EventDispatcher {
    override async invoke(data: unknown): Promise<unknown> {
      return handle(data);
    }
  }
  return new EnvelopeDispatcher({ logger, loggerLevel: sdk.LoggerLevel.warn });
}

/** Connection URLs carry a ticket and an access key: never let one reach a log or `/healthz`. */
function redactUrls(text: string): string {
  return text.replace(/\b(wss?|https?):\/\/[^\s"']+/g, (url) => url.replace(/\?.*$/, '?…'));
}

const describeParts = (parts: unknown[]) =>
  redactUrls(
    parts
      .flat()
      .map((part) => (part instanceof Error ? part.message : String(part)))
      .filter((part) => part !== '[ws]')
      .join(' '),
  ).slice(0, 300);

/** How long the SDK waits for the WebSocket handshake, and for any frame after a ping, before redialling. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
const PING_TIMEOUT_S = 30;

export function feishuConnection(options: FeishuConnectionOptions) {
  const { config, log } = options;
  const now = () => options.clock?.() ?? new Date();
  const retryMs = options.retryMs ?? 10_000;
  const maxRetryMs = options.maxRetryMs ?? 5 * 60_000;
  let status: ConnectionStatus = { state: 'closed', since: now().toISOString(), reconnects: 0 };
  let events: FeishuEvents | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const enter = (state: ConnectionState) => {
    if (status.state !== state) status = { ...status, state, since: now().toISOString() };
  };
  const failed = (message: string) => {
    status = { ...status, lastError: { message, at: now().toISOString() } };
  };

  // The SDK's own log lines, in ours: errors kept as the last error; its debug lines (which print the
  // connection URL and event bodies) never asked for.
  const sdkLogger: lark.Logger = {
    error: (...parts) => {
      const message = describeParts(parts);
      failed(message);
      log.warn('feishu long connection', { error: message });
    },
    warn: (...parts) => log.warn('feishu long connection', { warning: describeParts(parts) }),
    info: () => {},
    debug: () => {},
    trace: () => {},
  };

  // Built on start: Workers (which never start connections) do not make one with its timers per request.
  let client: lark.WSClient | undefined;
  const build = (sdk: typeof lark) =>
    new sdk.WSClient({
      appId: config.appId,
      appSecret: config.appSecret,
      domain: config.domain,
      logger: sdkLogger,
      loggerLevel: sdk.LoggerLevel.warn,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      wsConfig: { pingTimeout: PING_TIMEOUT_S },
      onReady: () => {
        failures = 0;
        enter('connected');
        log.info('feishu long connection open');
      },
      onReconnecting: () => {
        enter('reconnecting');
        log.warn('feishu long connection lost; reconnecting');
      },
      onReconnected: () => {
        failures = 0;
        status = { ...status, reconnects: status.reconnects + 1 };
        enter('connected');
        log.info('feishu long connection open again');
      },
      // The SDK gives up for good on a refused handshake (wrong secret, and even "system busy"): try again
      // later ourselves, so a fixed console setting or a passing outage needs no restart of the service.
      onError: (error) => {
        const message = describeParts([error]);
        failed(message);
        enter('failed');
        const delay = Math.min(maxRetryMs, retryMs * 2 ** failures++);
        log.error('feishu long connection refused', { error: message, retryInMs: delay });
        retry = setTimeout(() => void open(), delay);
        retry.unref();
      },
    });

  const handle = async (envelope: unknown) => {
    if (!events) throw new Error('not connected to the core yet');
    const answer = await events(envelope);
    // A throw makes the SDK answer code 500: Feishu delivers the event again later.
    if (answer.status === 503) throw new Error(answer.body.error);
    // Refused payloads are answered like handled ones: delivering them again would not help.
    return answer.status === 200 ? answer.body : undefined;
  };
  let dispatcher: lark.EventDispatcher | undefined;

  const open = async () => {
    retry = undefined;
    if (status.state === 'failed') enter('reconnecting');
    const sdk = await loadLark();
    client ??= build(sdk);
    dispatcher ??= envelopeDispatcher(sdk, handle, sdkLogger);
    await client.start({ eventDispatcher: dispatcher });
  };

  return {
    attach(handler: FeishuEvents) {
      events = handler;
    },
    async start() {
      log.info('opening the feishu long connection', { domain: config.domain });
      enter('connecting');
      await open();
    },
    async close() {
      clearTimeout(retry);
      retry = undefined;
      client?.close({ force: true });
      enter('closed');
    },
    status: (): ConnectionStatus => status,
  };
}
