// The 智能机器人's one long connection (智能机器人长连接, https://developer.work.weixin.qq.com/document/path/101463):
// WeCom keeps one connection per bot and a new one kicks the old (连接数量限制), so with several instances
// exactly one connects: the holder of the lease `wecom_bot:<bot id>` (db/queries/leases.ts). The others
// stand by and try for the lease every few seconds; a holder that dies stops renewing it, and once it has
// expired a standby takes over. A holder that closes gives it up at once.
//
// Messages go to the inbox (deduplicated by msgid), a button press to the core at once: its answer, the
// card as it now is, must reach WeCom within 5 s of the event (更新模板卡片), on this connection, with
// the event's req_id.
import { randomUUID } from 'node:crypto';
import type { WSClient, WsFrame } from '@wecom/aibot-node-sdk';
import type { Database } from '../../../db/client.ts';
import { releaseLease, takeLease } from '../../../db/queries/leases.ts';
import { updateAnswer } from '../../core/core.ts';
import { keepOnArrival } from '../../core/evidence.ts';
import type { Logger } from '../../core/log.ts';
import type { ActionResult, Attachment, MessageEvent } from '../../core/types.ts';
import type { WecomBotConfig } from '../../env.ts';
import type { ChannelRuntime } from '../channel.ts';
import {
  type BotMedia,
  BotPayloadError,
  isCardEvent,
  normalizeBotCardEvent,
  normalizeBotMessage,
} from './normalize.ts';
import { renderBot } from './render.ts';

export interface BotHealth {
  /** holder: this instance holds the lease (and the connection); standby: another instance does. */
  role: 'holder' | 'standby' | 'closed';
  connected: boolean;
  /** When this instance took the connection. */
  since?: string;
  lastError?: string;
}

export interface BotConnectionOptions {
  config: WecomBotConfig;
  database: Database;
  log: Logger;
  /** How long a lease lasts without renewal; a dead holder is replaced after at most this. */
  leaseMs?: number;
  /** How often the holder renews, and a standby tries to take over. */
  retryMs?: number;
  /** After being kicked by a connection that is not ours, how long to leave the bot to it. */
  kickedBackoffMs?: number;
}

export interface BotConnection {
  attach(runtime: ChannelRuntime): void;
  start(): Promise<void>;
  close(): Promise<void>;
  health(): BotHealth;
  /** The connected client, or undefined when this instance does not hold the connection now. */
  client(): WSClient | undefined;
}

/** Waits between attempts to put a message in the inbox while the database is away (no redelivery). */
const INBOX_RETRY_MS = [1000, 5000, 15_000];

/** Only the first line of an error, with nothing that looks like a secret. */
function describe(error: unknown): string {
  const text =
    error instanceof Error ? error.message : String((error as { errmsg?: unknown })?.errmsg ?? error);
  return text
    .split('\n')[0]!
    .replace(/secret[^,;]*/gi, 'secret ***')
    .slice(0, 200);
}

export function createBotConnection(options: BotConnectionOptions): BotConnection {
  const { config, database, log } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const retryMs = options.retryMs ?? 3000;
  const kickedBackoffMs = options.kickedBackoffMs ?? 60_000;
  const leaseName = `wecom_bot:${config.botId}`;
  const holder = randomUUID();

  let runtime: ChannelRuntime | undefined;
  let ws: WSClient | undefined;
  let authenticated = false;
  let role: BotHealth['role'] = 'standby';
  let lastError: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let heldSince = 0;
  let lastRenewal = 0;
  let pausedUntil = 0;
  const groupsSeen = new Set<string>();

  // The SDK logs a message and then its reason (`'WebSocket error:', error.message`): keep both, cut short
  // (an unknown frame is logged whole, and may hold what a member wrote).
  const sdkLine = (message: string, parts: unknown[]) =>
    [message, ...parts.filter((part) => typeof part === 'string')].join(' ').slice(0, 300);
  const sdkLogger = {
    debug: () => {},
    info: () => {},
    warn: (message: string, ...parts: unknown[]) => log.warn(`wecom bot: ${sdkLine(message, parts)}`),
    error: (message: string, ...parts: unknown[]) => {
      lastError = sdkLine(message, parts).slice(0, 200);
      log.error(`wecom bot: ${lastError}`);
    },
  };

  async function connect() {
    const { WSClient } = await import('@wecom/aibot-node-sdk');
    const client = new WSClient({
      botId: config.botId,
      secret: config.secret,
      wsUrl: config.wsUrl,
      maxReconnectAttempts: -1,
      logger: sdkLogger,
    });
    client.on('authenticated', () => {
      authenticated = true;
      lastError = undefined;
      log.info('wecom bot connected', { role });
    });
    client.on('disconnected', (reason) => {
      authenticated = false;
      if (!closed) log.warn('wecom bot disconnected', { reason });
    });
    client.on('error', (error) => {
      lastError = describe(error);
    });
    client.on('message', (frame) => void onMessage(frame));
    client.on('event', (frame) => void onEvent(frame));
    client.on('event.disconnected_event', () => {
      // Another connection for this bot took over: not one of ours (they would hold the lease), so leave
      // the bot to it for a while instead of kicking it back at once.
      lastError = 'kicked: another connection for this bot was opened';
      void stepDown(kickedBackoffMs);
    });
    ws = client;
    client.connect();
  }

  function disconnect() {
    const client = ws;
    ws = undefined;
    authenticated = false;
    if (client) {
      client.removeAllListeners();
      client.disconnect();
    }
  }

  async function stepDown(pauseMs: number) {
    disconnect();
    role = 'standby';
    pausedUntil = Date.now() + pauseMs;
    await releaseLease(database.db, leaseName, holder).catch(() => {});
  }

  /** One turn of the lease: take or renew it, connect or let go accordingly. */
  async function tick() {
    if (closed) return;
    if (Date.now() < pausedUntil) return;
    try {
      const held = await takeLease(database.db, leaseName, holder, leaseMs);
      lastRenewal = Date.now();
      if (held && role !== 'holder') {
        role = 'holder';
        heldSince = Date.now();
        log.info('wecom bot: this instance holds the connection');
        await connect();
      } else if (!held && role === 'holder') {
        // Someone else has it (ours expired while the database was away): let go of the connection.
        log.warn('wecom bot: the lease went to another instance');
        disconnect();
        role = 'standby';
      }
    } catch (error) {
      lastError = `lease: ${describe(error)}`;
      // Without the database the lease cannot be renewed: past its expiry another instance may hold it.
      if (role === 'holder' && Date.now() - lastRenewal >= leaseMs) {
        disconnect();
        role = 'standby';
      }
    }
  }

  function schedule() {
    if (closed) return;
    timer = setTimeout(async () => {
      await tick();
      schedule();
    }, retryMs);
    timer.unref?.();
  }

  /**
   * The images and files of a message, fetched and decrypted with their own aeskey by the SDK
   * (多媒体资源解密), kept at once in the evidence store: the download URL is temporary, and the bytes are
   * in hand. One that cannot be fetched is left out with the reason, the message still counts.
   */
  async function attachments(
    client: WSClient | undefined,
    event: Pick<MessageEvent, 'channel' | 'sender' | 'chat' | 'messageId'>,
    media: BotMedia[],
  ) {
    const list: Attachment[] = [];
    for (const [index, item] of media.entries()) {
      const key = `wecom_bot:${event.messageId}:${index}`;
      let buffer: Buffer;
      try {
        if (!client) throw new Error('not connected');
        ({ buffer } = await client.downloadFile(item.url, item.aeskey));
      } catch (error) {
        log.warn('wecom bot attachment not fetched', { msgid: event.messageId, error: describe(error) });
        list.push({ kind: item.kind, key, refused: '从企业微信下载失败' });
        continue;
      }
      if (!runtime) continue;
      list.push(await keepOnArrival(database.db, runtime.evidence, event, { kind: item.kind, key }, buffer));
    }
    return list;
  }

  async function onMessage(frame: WsFrame) {
    const { inbox } = runtime ?? {};
    if (!inbox) return;
    let normalized: ReturnType<typeof normalizeBotMessage>;
    try {
      normalized = normalizeBotMessage(frame.body);
    } catch (error) {
      log.warn('wecom bot payload refused', { reason: describe(error) });
      return;
    }
    const { chat } = normalized.event;
    if (chat.type === 'group' && !groupsSeen.has(chat.id)) {
      // The id to bind the group with in the organization file (chats: channel wecom_bot).
      groupsSeen.add(chat.id);
      log.info('wecom bot: a message from a group', { chatId: chat.id });
    }
    const event = {
      ...normalized.event,
      attachments: await attachments(ws, normalized.event, normalized.media),
    };
    if (event.text === '' && event.attachments.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await inbox.accept(event);
        return;
      } catch (error) {
        const delay = INBOX_RETRY_MS[attempt];
        if (delay === undefined) {
          log.error('wecom bot message lost after retries', {
            eventKey: event.eventKey,
            error: String(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async function onEvent(frame: WsFrame) {
    if (!isCardEvent(frame.body) || !runtime) return;
    const client = ws;
    let event: ReturnType<typeof normalizeBotCardEvent>;
    try {
      event = normalizeBotCardEvent(frame.body);
    } catch (error) {
      log.warn('wecom bot payload refused', {
        reason: error instanceof BotPayloadError ? error.message : String(error),
      });
      return;
    }
    try {
      const result = await runtime.core.handle(event);
      if (result.kind !== 'done' || !result.action || !client) return;
      await answer(client, frame, event.messageId ?? '', event.sender.ids[0]?.value ?? '', result.action);
    } catch (error) {
      log.error('wecom bot press not answered', { eventKey: event.eventKey, error: describe(error) });
    }
  }

  /**
   * The press's answer on the wire: the card as it now is, with a success shown inside it, replaces the
   * pressed card for everyone who has it. A refusal or a warning is for the presser alone: their copy
   * of the card is left as it was, and the reason comes as a message in their single chat (as does the
   * toast when the card could not be updated).
   */
  async function answer(
    client: WSClient,
    frame: WsFrame,
    taskId: string,
    presser: string,
    action: ActionResult,
  ) {
    const { card, text } = updateAnswer(action, true);
    let updated = false;
    if (card) {
      const rendered = renderBot({ kind: 'card', card }, taskId);
      if (rendered.msgtype === 'template_card') {
        try {
          await client.updateTemplateCard(frame, { ...rendered.template_card, task_id: taskId } as never);
          updated = true;
        } catch (error) {
          // Too late (past 5 s) or refused: the press took effect; the presser at least hears so.
          log.warn('wecom bot card not updated', { taskId, error: describe(error) });
        }
      }
    }
    const say = updated ? text : action.toast.text;
    if (say && presser) {
      await client.sendMessage(presser, { msgtype: 'markdown', markdown: { content: say } });
    }
  }

  return {
    attach(given) {
      runtime = given;
    },
    async start() {
      closed = false;
      await tick();
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const wasHolder = role === 'holder';
      disconnect();
      role = 'closed';
      if (wasHolder) await releaseLease(database.db, leaseName, holder).catch(() => {});
    },
    health() {
      return {
        role,
        connected: role === 'holder' && authenticated,
        ...(role === 'holder' ? { since: new Date(heldSince).toISOString() } : {}),
        ...(lastError ? { lastError } : {}),
      };
    },
    client: () => (role === 'holder' && authenticated ? ws : undefined),
  };
}
