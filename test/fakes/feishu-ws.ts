/**
 * Feishu's long connection (长连接), faked at its edge for the real `WSClient` of @larksuiteoapi/node-sdk:
 * the handshake `POST /callback/ws/endpoint` (served by the fake Open API, test/fakes/feishu-api.ts, on its
 * port) and a WebSocket on the same port exchanging `pbbp2.Frame` protobuf frames.
 *
 * The wire format is the SDK's own (node-sdk lib/index.js: `pbbp2`, `WSClient.pullConnectConfig`,
 * `handleControlData`, `handleEventData`; oapi-sdk-go ws/const.go for the header names and codes):
 * - handshake answer `{code:0, data:{URL, ClientConfig:{ReconnectCount, ReconnectInterval, ReconnectNonce,
 *   PingInterval}}}` (seconds); the URL carries device_id, service_id and a one-time ticket;
 * - control frames (method 0): the client's `ping`, our `pong` carrying the ClientConfig again;
 * - data frames (method 1) `type=event` with message_id, sum, seq, trace_id: every event, card presses
 *   included (`card.action.trigger` comes as an event; the SDK ignores `type=card` frames). The client
 *   answers with the same frame plus `biz_rt`, its payload `{"code":200|500,"data":base64(JSON)}` — a
 *   press's toast and card are that JSON.
 *
 * Rules enforced (使用长连接接收事件, open.feishu.cn/document/server-docs/event-subscription-guide/
 * event-subscription-configure-/request-url-configuration-case):
 * - an event not answered within 3 s is a failure (超时重推; a card press shows the user 200340);
 * - 集群模式: each event goes to one randomly chosen connection, never to all;
 * - at most 50 connections per app;
 * - self-built apps only, authenticated at the handshake: a wrong AppID/AppSecret is refused there.
 * And one of the SDK: it reads frames only once its handshake has finished and it has sent its first
 * ping (WSClient.connect → pingLoop, then communicate()); anything pushed earlier is lost. So a
 * connection takes events only after its first ping, as the platform pushes only to clients it heard from.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import protobuf from 'protobufjs';
import { type WebSocket, WebSocketServer } from 'ws';

const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        Frame: {
          fields: {
            SeqID: { type: 'uint64', id: 1 },
            LogID: { type: 'uint64', id: 2 },
            service: { type: 'int32', id: 3 },
            method: { type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});
const FrameType = root.lookupType('pbbp2.Frame');

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

const CONTROL = 0;
const DATA = 1;
/** 3 s to answer an event or a callback (see the page cited above). */
export const ANSWER_DEADLINE_MS = 3000;
/** 每个应用最多建立 50 个连接. */
const MAX_CONNECTIONS = 50;
/** Answer codes of the handshake (oapi-sdk-go ws/const.go). A wrong secret's exact code is not documented. */
export const WsEndpointCode = {
  ok: 0,
  systemBusy: 1,
  forbidden: 403,
  authFailed: 514,
  internalError: 1000040343,
  exceedConnLimit: 1000040350,
} as const;

export interface WsClientConfig {
  ReconnectCount: number;
  /** Seconds between reconnect attempts after a failed one. */
  ReconnectInterval: number;
  /** Up to this many seconds of random wait before the first reconnect attempt. */
  ReconnectNonce: number;
  PingInterval: number;
}

export type WsDelivery =
  | { outcome: 'answered'; code: number; data?: unknown; ms: number; connection: number }
  | { outcome: 'timeout'; ms: number; connection: number };

/**
 * What the user who pressed a card sees of the answer Feishu got for it, on either transport: our toast
 * and card when we answered in time with success, or Feishu's error otherwise — then whatever our server
 * did meanwhile, the user was told it failed (卡片回传交互: answer within 3 s, HTTP 200, body `{toast,
 * card: {type: 'raw', data}}`; https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/
 * card-callback-communication).
 */
export type PressSeen =
  | { error: false; toast?: { type: string; content: string }; card?: unknown }
  | { error: true; reason: string };

/** What the presser sees of a 200 answer's body. */
export function pressSeenOf(body: unknown): PressSeen {
  if (typeof body !== 'object' || body === null)
    return { error: true, reason: 'answer is not a JSON object' };
  const { toast, card } = body as {
    toast?: { type: string; content: string };
    card?: { type?: string; data?: unknown };
  };
  if (card !== undefined && card.type !== 'raw' && card.type !== 'template')
    return { error: true, reason: `card of unknown type ${String(card.type)}` };
  return { error: false, ...(toast ? { toast } : {}), ...(card ? { card: card.data } : {}) };
}

/** What the presser sees of a press delivered over the long connection. */
export function pressSeenOver(delivery: WsDelivery): PressSeen {
  if (delivery.outcome === 'timeout') return { error: true, reason: 'not answered within 3 s' };
  if (delivery.code !== 200) return { error: true, reason: `answered code ${delivery.code}` };
  return pressSeenOf(delivery.data ?? {});
}

export interface FakeFeishuWs {
  /** Handshakes answered (accepted or not). */
  readonly handshakes: readonly { appId: unknown; code: number }[];
  /** Connections open now, and those of them that have pinged (ready for events). */
  readonly open: number;
  readonly ready: number;
  /** Every pushed event's outcome, in order. */
  readonly deliveries: readonly WsDelivery[];
  clientConfig: WsClientConfig;
  /** Answer the next `times` handshakes with this code instead. */
  refuse(code: number, msg: string, times?: number): void;
  /** Resolves once at least `count` connections have pinged. */
  waitReady(count?: number, timeoutMs?: number): Promise<void>;
  /**
   * Pushes one event (a schema 2.0 envelope) to one ready connection chosen at random, as Feishu does,
   * and resolves with its answer or a timeout after 3 s.
   */
  deliver(envelope: unknown, options?: { waitMs?: number }): Promise<WsDelivery>;
  /** Drops every connection without a close frame (a network cut or a platform restart). */
  drop(): void;
  close(): void;
}

interface Conn {
  id: number;
  socket: WebSocket;
  serviceId: number;
  pinged: boolean;
}

interface Pending {
  resolve: (delivery: WsDelivery) => void;
  started: number;
  connection: number;
  timer: NodeJS.Timeout;
}

export const encodeFrame = (frame: Partial<Frame>) => FrameType.encode(FrameType.fromObject(frame)).finish();
export const decodeFrame = (buffer: Buffer) =>
  FrameType.toObject(FrameType.decode(buffer), { longs: Number, defaults: true }) as Frame;
const headerOf = (frame: Frame, key: string) => frame.headers.find((header) => header.key === key)?.value;

export function createFakeFeishuWs(apps: readonly { appId: string; appSecret: string }[]): FakeFeishuWs & {
  /** The handshake: POST /callback/ws/endpoint with `{AppID, AppSecret}`; `base` is the fake's http URL. */
  endpoint(body: Record<string, unknown>, base: string): Record<string, unknown>;
  attach(server: Server): void;
} {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Map<string, { appId: string; serviceId: number }>();
  const conns = new Map<number, Conn>();
  const pending = new Map<string, Pending>();
  const handshakes: { appId: unknown; code: number }[] = [];
  const deliveries: WsDelivery[] = [];
  const refusals: { code: number; msg: string; remaining: number }[] = [];
  const perApp = new Map<string, number>();
  let nextConn = 1;
  let seq = 1;

  const send = (conn: Conn, frame: Partial<Frame>) => conn.socket.send(encodeFrame(frame));

  const onFrame = (conn: Conn, buffer: Buffer) => {
    const frame = decodeFrame(buffer);
    const type = headerOf(frame, 'type');
    if (frame.method === CONTROL && type === 'ping') {
      conn.pinged = true;
      send(conn, {
        SeqID: 0,
        LogID: 0,
        service: conn.serviceId,
        method: CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify(fake.clientConfig)),
      });
      return;
    }
    if (frame.method !== DATA) return;
    const messageId = headerOf(frame, 'message_id') ?? '';
    const waiting = pending.get(messageId);
    // A late answer (after the deadline) no longer counts: the platform has given up on it.
    if (!waiting || waiting.connection !== conn.id) return;
    pending.delete(messageId);
    clearTimeout(waiting.timer);
    const answer = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8')) as {
      code: number;
      data?: string;
    };
    const data = answer.data ? JSON.parse(Buffer.from(answer.data, 'base64').toString('utf8')) : undefined;
    waiting.resolve({
      outcome: 'answered',
      code: answer.code,
      data,
      ms: Date.now() - waiting.started,
      connection: conn.id,
    });
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const ticket = tickets.get(url.searchParams.get('ticket') ?? '');
    if (url.pathname !== '/ws/v2' || !ticket) {
      // oapi-sdk-go parseHandshakeError reads these headers of a refused upgrade.
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nHandshake-Status: ${WsEndpointCode.forbidden}\r\n` +
          'Handshake-Msg: invalid ticket\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    // A ticket opens one connection.
    tickets.delete(url.searchParams.get('ticket') ?? '');
    wss.handleUpgrade(request, socket, head, (socket) => {
      const conn: Conn = { id: nextConn++, socket, serviceId: ticket.serviceId, pinged: false };
      conns.set(conn.id, conn);
      perApp.set(ticket.appId, (perApp.get(ticket.appId) ?? 0) + 1);
      socket.on('message', (data) => onFrame(conn, data as Buffer));
      socket.on('close', () => {
        conns.delete(conn.id);
        perApp.set(ticket.appId, (perApp.get(ticket.appId) ?? 1) - 1);
      });
      socket.on('error', () => {});
    });
  };

  const readyConns = () => [...conns.values()].filter((conn) => conn.pinged && conn.socket.readyState === 1);

  const until = async (check: () => boolean, timeoutMs: number, what: string) => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`fake feishu ws: ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const fake = {
    handshakes,
    deliveries,
    get open() {
      return conns.size;
    },
    get ready() {
      return readyConns().length;
    },
    clientConfig: { ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0, PingInterval: 120 },
    refuse(code: number, msg: string, times = 1) {
      refusals.push({ code, msg, remaining: times });
    },
    endpoint(body: Record<string, unknown>, base: string): Record<string, unknown> {
      const refusal = refusals[0];
      if (refusal) {
        if (--refusal.remaining <= 0) refusals.shift();
        handshakes.push({ appId: body.AppID, code: refusal.code });
        return { code: refusal.code, msg: refusal.msg, data: {} };
      }
      const app = apps.find((candidate) => candidate.appId === body.AppID);
      if (!app || app.appSecret !== body.AppSecret) {
        handshakes.push({ appId: body.AppID, code: WsEndpointCode.authFailed });
        return { code: WsEndpointCode.authFailed, msg: 'app id or app secret is invalid', data: {} };
      }
      if ((perApp.get(app.appId) ?? 0) >= MAX_CONNECTIONS) {
        handshakes.push({ appId: body.AppID, code: WsEndpointCode.exceedConnLimit });
        return { code: WsEndpointCode.exceedConnLimit, msg: 'exceed connection limit', data: {} };
      }
      const ticket = randomUUID();
      const serviceId = 30000 + Math.floor(Math.random() * 1000);
      tickets.set(ticket, { appId: app.appId, serviceId });
      handshakes.push({ appId: body.AppID, code: WsEndpointCode.ok });
      const ws = base.replace(/^http/, 'ws');
      const query = new URLSearchParams({
        fpid: '493',
        aid: '552564',
        device_id: randomBytes(8).toString('hex'),
        access_key: randomBytes(16).toString('hex'),
        service_id: String(serviceId),
        ticket,
      });
      return { code: 0, msg: 'ok', data: { URL: `${ws}/ws/v2?${query}`, ClientConfig: fake.clientConfig } };
    },
    attach(server: Server) {
      server.on('upgrade', onUpgrade);
    },
    waitReady(count = 1, timeoutMs = 10_000) {
      return until(() => readyConns().length >= count, timeoutMs, `${count} ready connection(s)`);
    },
    async deliver(envelope: unknown, options: { waitMs?: number } = {}): Promise<WsDelivery> {
      await fake.waitReady(1, options.waitMs ?? 10_000);
      const ready = readyConns();
      const conn = ready[Math.floor(Math.random() * ready.length)]!;
      const messageId = randomUUID();
      const started = Date.now();
      const delivery = await new Promise<WsDelivery>((resolve) => {
        const giveUp = () => {
          // Node's timers may fire a millisecond before Date.now() has moved the whole deadline on: the
          // platform waits the whole 3 s, so the fake waits out the rest.
          const left = ANSWER_DEADLINE_MS - (Date.now() - started);
          if (left > 0) {
            waiting.timer = setTimeout(giveUp, left);
            return;
          }
          pending.delete(messageId);
          resolve({ outcome: 'timeout', ms: Date.now() - started, connection: conn.id });
        };
        const waiting = {
          resolve,
          started,
          connection: conn.id,
          timer: setTimeout(giveUp, ANSWER_DEADLINE_MS),
        };
        pending.set(messageId, waiting);
        send(conn, {
          SeqID: seq,
          LogID: seq++,
          service: conn.serviceId,
          method: DATA,
          headers: [
            { key: 'type', value: 'event' },
            { key: 'message_id', value: messageId },
            { key: 'sum', value: '1' },
            { key: 'seq', value: '0' },
            { key: 'trace_id', value: randomUUID() },
          ],
          payload: Buffer.from(JSON.stringify(envelope)),
        });
      });
      deliveries.push(delivery);
      return delivery;
    },
    drop() {
      for (const conn of conns.values()) conn.socket.terminate();
    },
    close() {
      fake.drop();
      for (const waiting of pending.values()) clearTimeout(waiting.timer);
      wss.close();
    },
  };
  return fake;
}
