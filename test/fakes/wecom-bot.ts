// A fake of the WeCom 智能机器人 long connection, on 127.0.0.1 only, driven by the real
// @wecom/aibot-node-sdk (WECOM_BOT_WS_URL=ws://127.0.0.1:<port>). Every rule below is from the page
// 智能机器人长连接, https://developer.work.weixin.qq.com/document/path/101463 (section named beside it),
// unless another page is named.
import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

type Frame = { cmd?: string; headers?: { req_id?: string }; body?: Record<string, unknown> };

export interface FakeWecomBotOptions {
  botId: string;
  secret: string;
  /**
   * 保持心跳: the client pings every 30 s (the SDK's default); a connection that stays silent is closed by
   * the server. The page gives no exact limit; the fake allows two intervals.
   */
  idleMs?: number;
  /** 更新模板卡片: the card of a template_card_event is updated within 5 s of the event. */
  updateWindowMs?: number;
}

export interface SentMessage {
  chatid: string;
  body: Record<string, unknown>;
}

export interface CardUpdate {
  reqId: string;
  taskId: string;
  card: Record<string, unknown>;
  userids?: string[];
  /** How long after the event the update came. */
  afterMs: number;
}

/**
 * 订阅请求 answers a wrong bot_id or secret with a non-zero errcode; the fake uses 40001 (不合法的secret参数,
 * 全局错误码 https://developer.work.weixin.qq.com/document/path/90313), as the page names no code of its own.
 */
const BAD_CREDENTIAL = 40001;
/** A request the fake refuses for its content; the real server answers a non-zero errcode too. */
const INVALID = 40058;

export class FakeWecomBot {
  readonly sent: SentMessage[] = [];
  readonly updates: CardUpdate[] = [];
  readonly refused: { cmd: string; errmsg: string }[] = [];
  /** Successful subscriptions, in order. */
  subscriptions = 0;
  private wss?: WebSocketServer;
  private http?: Server;
  private current?: WebSocket;
  private readonly events = new Map<string, { taskId: string; at: number; answered: boolean }>();
  private readonly media = new Map<string, Buffer>();
  private readonly taskIds = new Set<string>();
  private seq = 0;
  url = '';
  mediaBase = '';

  constructor(private readonly options: FakeWecomBotOptions) {}

  async start() {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.wss!.once('listening', () => resolve()));
    this.url = `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
    this.wss.on('connection', (socket) => this.accept(socket));
    // 多媒体资源解密: images are fetched over HTTP from the message's url, encrypted with its aeskey.
    this.http = createServer((request, response) => {
      const bytes = this.media.get(request.url ?? '');
      response.writeHead(bytes ? 200 : 404, { 'content-type': 'application/octet-stream' });
      response.end(bytes);
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    this.mediaBase = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Whether a client is connected and subscribed now. */
  get connected(): boolean {
    return this.current !== undefined;
  }

  private reply(socket: WebSocket, reqId: string, errcode = 0, errmsg = 'ok', body?: unknown) {
    socket.send(JSON.stringify({ headers: { req_id: reqId }, errcode, errmsg, ...(body ? { body } : {}) }));
  }

  private accept(socket: WebSocket) {
    let subscribed = false;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const idleMs = this.options.idleMs ?? 60_000;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.terminate(), idleMs);
    };
    touch();
    socket.on('close', () => {
      clearTimeout(idle);
      if (this.current === socket) this.current = undefined;
    });
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return;
      }
      touch();
      const reqId = frame.headers?.req_id ?? '';
      // 订阅请求: the first frame is aibot_subscribe with bot_id and secret; nothing else before it.
      if (!subscribed) {
        const body = frame.body ?? {};
        if (
          frame.cmd !== 'aibot_subscribe' ||
          body.bot_id !== this.options.botId ||
          body.secret !== this.options.secret
        ) {
          this.reply(socket, reqId, BAD_CREDENTIAL, 'invalid bot_id or secret');
          socket.close();
          return;
        }
        subscribed = true;
        // 连接数量限制: one connection per bot; a new one kicks the old, which first gets disconnected_event.
        const old = this.current;
        this.current = socket;
        this.subscriptions += 1;
        if (old) {
          old.send(JSON.stringify(this.eventFrame({ eventtype: 'disconnected_event' }, {})));
          old.close();
        }
        this.reply(socket, reqId);
        return;
      }
      this.handle(socket, frame, reqId);
    });
  }

  private handle(socket: WebSocket, frame: Frame, reqId: string) {
    const body = frame.body ?? {};
    const refuse = (errmsg: string) => {
      this.refused.push({ cmd: frame.cmd ?? '', errmsg });
      this.reply(socket, reqId, INVALID, errmsg);
    };
    switch (frame.cmd) {
      case 'ping': // 心跳请求
        this.reply(socket, reqId);
        return;
      case 'aibot_respond_update_msg': {
        // 更新模板卡片: with the req_id of the template_card_event, within 5 s, once; same task_id.
        const event = this.events.get(reqId);
        const card = body.template_card as Record<string, unknown> | undefined;
        if (!event) return refuse('req_id is not a template_card_event');
        if (Date.now() - event.at > (this.options.updateWindowMs ?? 5000))
          return refuse('the update window after the event has passed');
        if (event.answered) return refuse('the event was answered already');
        if (body.response_type !== 'update_template_card' || !card)
          return refuse('response_type must be update_template_card');
        if (card.task_id !== event.taskId) return refuse('task_id differs from the event');
        event.answered = true;
        this.updates.push({
          reqId,
          taskId: event.taskId,
          card,
          userids: body.userids as string[] | undefined,
          afterMs: Date.now() - event.at,
        });
        this.reply(socket, reqId);
        return;
      }
      case 'aibot_send_msg': {
        // 主动推送消息: chatid (a group's chatid or a member's userid), markdown or template_card.
        const chatid = body.chatid;
        if (typeof chatid !== 'string' || chatid === '') return refuse('chatid is required');
        const problem = this.checkBody(body);
        if (problem) return refuse(problem);
        this.sent.push({ chatid, body });
        this.reply(socket, reqId);
        return;
      }
      default:
        refuse(`unknown cmd ${frame.cmd}`);
    }
  }

  /** 消息类型格式说明: the fields a proactive message must have. */
  private checkBody(body: Record<string, unknown>): string | undefined {
    if (body.msgtype === 'markdown') {
      const content = (body.markdown as { content?: unknown } | undefined)?.content;
      return typeof content === 'string' && content !== '' ? undefined : 'markdown.content is required';
    }
    if (body.msgtype === 'template_card') {
      const card = body.template_card as Record<string, unknown> | undefined;
      if (!card?.card_type) return 'template_card.card_type is required';
      if (card.card_type === 'button_interaction') {
        const buttons = card.button_list as unknown[] | undefined;
        if (typeof card.task_id !== 'string' || !/^[A-Za-z0-9_@-]{1,128}$/.test(card.task_id))
          return 'task_id is required';
        // task_id: unique per sender, as for the app's cards (发送应用消息, path/90236: 同一个应用任务id不能重复).
        if (this.taskIds.has(card.task_id)) return 'task_id is used already';
        if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > 6)
          return 'button_list takes 1 to 6 buttons';
        this.taskIds.add(card.task_id);
      }
      return undefined;
    }
    return `msgtype ${String(body.msgtype)} is not sent by this fake`;
  }

  private eventFrame(event: Record<string, unknown>, from: { userid?: string; chatid?: string }) {
    const reqId = `evt_${++this.seq}`;
    return {
      cmd: 'aibot_event_callback',
      headers: { req_id: reqId },
      body: {
        msgid: `ev${Date.now()}${this.seq}`,
        create_time: Math.floor(Date.now() / 1000),
        aibotid: this.options.botId,
        ...(from.chatid ? { chatid: from.chatid, chattype: 'group' } : { chattype: 'single' }),
        from: { userid: from.userid ?? '' },
        msgtype: 'event',
        event,
      },
    };
  }

  private push(frame: object) {
    if (!this.current) throw new Error('no bot is connected');
    this.current.send(JSON.stringify(frame));
  }

  /** 接收消息回调: a message frame from a member, in a group (with chatid) or a single chat. Returns its msgid. */
  private pushMessage(
    options: { from: string; chatid?: string; msgid?: string },
    content: { msgtype: string } & Record<string, unknown>,
  ): string {
    const msgid = options.msgid ?? `msg${Date.now()}${++this.seq}`;
    this.push({
      cmd: 'aibot_msg_callback',
      headers: { req_id: `msg_${++this.seq}` },
      body: {
        msgid,
        aibotid: this.options.botId,
        ...(options.chatid ? { chatid: options.chatid, chattype: 'group' } : { chattype: 'single' }),
        from: { userid: options.from },
        create_time: Math.floor(Date.now() / 1000),
        ...content,
      },
    });
    return msgid;
  }

  /** In a group the text starts with the bot's @name: WeCom pushes a group message only when it @s the bot. */
  private textOf(options: { text: string; chatid?: string }) {
    return options.chatid ? `@安全助手 ${options.text}` : options.text;
  }

  /** A text message. */
  pushText(options: { from: string; text: string; chatid?: string; msgid?: string }): string {
    return this.pushMessage(options, { msgtype: 'text', text: { content: this.textOf(options) } });
  }

  /** 图文混排: text and images in one message (how a picture reaches the bot in a group). */
  pushMixed(options: { from: string; text: string; images: Buffer[]; chatid?: string }): string {
    return this.pushMessage(options, {
      msgtype: 'mixed',
      mixed: {
        msg_item: [
          { msgtype: 'text', text: { content: this.textOf(options) } },
          ...options.images.map((bytes) => ({ msgtype: 'image', image: this.image(bytes) })),
        ],
      },
    });
  }

  /** A file message (msgtype file): its download URL and own aeskey, like an image's. */
  pushFile(options: { from: string; bytes: Buffer; chatid?: string }): string {
    return this.pushMessage(options, { msgtype: 'file', file: this.image(options.bytes) });
  }

  /** 接收事件回调 › template_card_event: a press of a button. Returns the event's req_id. */
  pushCardEvent(options: { from: string; taskId: string; eventKey: string; chatid?: string }): string {
    const frame = this.eventFrame(
      { eventtype: 'template_card_event', task_id: options.taskId, event_key: options.eventKey },
      { userid: options.from, chatid: options.chatid },
    );
    this.events.set(frame.headers.req_id, { taskId: options.taskId, at: Date.now(), answered: false });
    this.push(frame);
    return frame.headers.req_id;
  }

  /**
   * 多媒体资源解密: a file is AES-256-CBC encrypted with its message's own aeskey (base64 of 32 bytes), the IV
   * being the key's first 16 bytes, PKCS#7-padded to a multiple of 32 bytes. Returns the message's image.
   */
  image(bytes: Buffer): { url: string; aeskey: string } {
    const key = randomBytes(32);
    const pad = 32 - (bytes.length % 32);
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
    cipher.setAutoPadding(false);
    const encrypted = Buffer.concat([
      cipher.update(Buffer.concat([bytes, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ]);
    const path = `/media/${++this.seq}`;
    this.media.set(path, encrypted);
    return { url: `${this.mediaBase}${path}`, aeskey: key.toString('base64') };
  }

  /** Closes every connection (the clients will try to reconnect). */
  dropAll() {
    for (const client of this.wss?.clients ?? []) client.terminate();
  }

  async close() {
    this.dropAll();
    await new Promise((resolve) => this.wss?.close(resolve));
    await new Promise((resolve) => this.http?.close(resolve));
  }
}
