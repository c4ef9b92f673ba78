// The core: dedupe, identify, route, and write the answers to the outbox, all in one transaction.
// At-least-once in, exactly-once effect (DESIGN.md §2): the inbound row, the business rows and the
// outbox rows commit together or not at all. An event comes either straight from its channel (`handle`:
// button presses, the console, Wechaty) or from the inbox, where a webhook left it (`processNext`).
import { type Card, note } from '../../cards/model.ts';
import { type Db, isTransientDatabaseError, type Tx } from '../../db/client.ts';
import {
  lockNextPendingInbound,
  recordInbound,
  settlePendingInbound,
  updateInbound,
} from '../../db/queries/inbound-events.ts';
import { insertOutbox, type OutboxInsert, pressedCopy } from '../../db/queries/outbox.ts';
import { createContext, type Refresh } from './context.ts';
import { enqueue } from './enqueue.ts';
import { Refusal } from './errors.ts';
import { parseInboundEvent } from './event-schema.ts';
import { identify } from './identify.ts';
import type { Logger } from './log.ts';
import { refreshCards } from './refresh.ts';
import type { Router } from './router.ts';
import type { ActionEvent, ActionResult, AnswerKind, Channel, InboundEvent, Outbound } from './types.ts';

export type HandleResult =
  /** `tenantId`: the tenant the event was handled for (a channel renders its card's stored photos). */
  | { kind: 'done'; action?: ActionResult; tenantId?: number }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string };

/**
 * A press answered by a deadline (`Core.press`): its outcome, or `pending` when its work goes on past
 * the deadline; the outcome then reaches the presser as an update of the pressed card through the outbox.
 */
export type PressResult = HandleResult | { kind: 'pending' };

/** Where a press with a deadline stands: whether the deadline passed, and whether the outbox has its answer. */
interface PressState {
  late: boolean;
  answered: boolean;
}

export interface Core {
  handle(event: InboundEvent): Promise<HandleResult>;
  /**
   * A button press of a channel that answers in its response (AnswerKind `response`: Feishu), answered
   * within `withinMs`: the outcome when its transaction commits in time, else `pending` while the work
   * goes on, whose outcome is then written to the outbox as an update of the pressed card (and a text for
   * a refusal), exactly once whichever side of the deadline the commit falls. A database that fails it
   * before the deadline rejects, having applied nothing.
   */
  press(event: ActionEvent, withinMs: number): Promise<PressResult>;
  /** Resolves when no press answered `pending` is still at work (Workers wait for it after the answer). */
  pressesSettled(): Promise<void>;
  /** Answers an event politely without acting on it, recording it so a redelivery stays quiet. */
  refuse(event: InboundEvent, text: string): Promise<HandleResult>;
  /**
   * Processes the oldest pending inbox event of a conversation with no earlier event pending (or being
   * processed elsewhere); false when there is none. Claim and effect are one transaction: a process that
   * dies midway leaves the event pending for the next run.
   */
  processNext(): Promise<boolean>;
}

export interface CoreOptions {
  db: Db;
  router: Router;
  /** Channels that can deliver messages now; the console always can. */
  channels: ReadonlySet<Channel>;
  /** How each channel answers a button press (the channel's `answer`); `response` when not named. */
  answers?: Partial<Record<Channel, AnswerKind>>;
  log: Logger;
  /** Called after a commit that wrote outbox rows (wakes the dispatcher). */
  onOutbox?: () => void;
  clock?: () => Date;
}

const NOT_BOUND = '抱歉，我还不知道这个群属于哪个单位。请管理员在组织文件的 chats 中登记本群后再试。';
const FAILED = '抱歉，处理这条消息时出了错，已记录。请稍后再试，或联系安全办公室。';

/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Every string an event carries, as the database can store it. PostgreSQL refuses U+0000 in text and
 * jsonb, and stores a lone surrogate half as U+FFFD (PGlite may refuse it): no platform sends either on
 * purpose, so NUL is dropped and a lone half becomes U+FFFD here, before anything is written. Otherwise a
 * forged or garbled event makes its writes, and then its recording as failed, throw: the webhook would
 * answer 5xx and the platform retry forever.
 */
function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\ufffd') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [storable(key), storable(entry)]),
    ) as T;
  }
  return value;
}

/** How JSON.stringify writes U+0000 and a lone surrogate half: as escapes, which jsonb refuses or alters. */
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/** `value` as JSON the database can store (see `storable`); the walk only when the text needs it. */
export function storableJson(value: object): string {
  const json = JSON.stringify(value);
  return UNSTORABLE_ESCAPE.test(json) ? JSON.stringify(storable(value)) : json;
}

/** A button's answer as chat messages: the toast, then the card as it now is. */
function answerMessages(action: ActionResult): Outbound[] {
  const messages: Outbound[] = [{ to: { kind: 'reply' }, body: { kind: 'text', text: action.toast.text } }];
  if (action.card) messages.push({ to: { kind: 'reply' }, body: { kind: 'card', card: action.card } });
  return messages;
}

/** A success or info shown inside the updated card (its quote line on WeCom): the new state is the feedback. */
function withToast(card: Card, toast: ActionResult['toast']): Card {
  return {
    ...card,
    blocks: [...card.blocks, note(`${toast.kind === 'success' ? '✅' : 'ℹ️'} ${toast.text}`)],
  };
}

/**
 * A press answered by updating the pressed card (WeCom, the app's and the bot's): the card with a success or
 * info shown inside it; a warning, an error, or a toast without a card, as a text to the presser.
 */
export function updateAnswer(action: ActionResult, updatable: boolean): { card?: Card; text?: string } {
  const quiet = action.toast.kind === 'success' || action.toast.kind === 'info';
  const card =
    updatable && action.card ? (quiet ? withToast(action.card, action.toast) : action.card) : undefined;
  return { card, text: card && quiet ? undefined : action.toast.text };
}

/** Group chats only hear what is addressed to the bot (an @-mention, or a bare picture for a report). */
export function addressedToBot(event: InboundEvent): boolean {
  return !(
    event.type === 'message' &&
    event.chat.type === 'group' &&
    !event.mentionedBot &&
    !(event.text.trim() === '' && event.attachments.length > 0)
  );
}

/** The key under which inbox events keep their arrival order: the chat, or the sender outside chats. */
export const conversationOf = (event: InboundEvent) =>
  event.chat
    ? `${event.channel}:chat:${event.chat.id}`
    : `${event.channel}:sender:${event.sender.ids[0]?.value}`;

/** A claimed inbox row: the effect of its event belongs to it. */
type Claim = { id: number; event: InboundEvent };

export function createCore(options: CoreOptions): Core {
  const { db, router, log } = options;
  const clock = options.clock ?? (() => new Date());
  /** Presses answered `pending` whose work goes on. */
  const lateWork = new Set<Promise<void>>();

  async function run(event: InboundEvent, press?: PressState): Promise<HandleResult> {
    return db.transaction(async (tx) => {
      const seenId = await recordInbound(tx, { channel: event.channel, eventKey: event.eventKey });
      if (seenId === undefined) return { kind: 'duplicate' } as const;
      return effect(tx, event, seenId, press);
    });
  }

  /**
   * Locks the next inbox event to process (see `processNext`), in `tx`. A row whose payload is not an
   * InboundEvent (written by another version, or altered by hand) is marked failed with the reason, and
   * the next row is claimed instead: it is kept, for the operator to see, and holds up nothing.
   */
  async function claim(tx: Tx): Promise<Claim | undefined> {
    for (;;) {
      // The payload was made storable before it was written (Inbox.accept).
      const row = await lockNextPendingInbound(tx);
      if (!row) return undefined;
      const parsed = parseInboundEvent(row.payload);
      if (parsed.ok) return { id: row.id, event: parsed.event };
      log.error('inbox event not processed: unreadable payload', { id: row.id, error: parsed.reason });
      await updateInbound(tx, row.id, {
        status: 'failed',
        error: storable(parsed.reason).slice(0, 500),
        processedAt: clock(),
      });
    }
  }

  /** What an event does, written in `tx` with its inbound row `seenId` marked done. */
  async function effect(
    tx: Tx,
    event: InboundEvent,
    seenId: number,
    press?: PressState,
  ): Promise<HandleResult> {
    // A processed event's payload is not kept: its effect is recorded where it belongs (data minimization).
    const processed = { status: 'done', processedAt: clock(), payload: null } as const;
    const who = await identify(tx, event);
    if (!who) {
      await updateInbound(tx, seenId, processed);
      if (event.type === 'action') {
        const action: ActionResult = { toast: { kind: 'error', text: NOT_BOUND } };
        await answer(tx, event, undefined, action, press);
        return { kind: 'done', action };
      }
      await writeOutbox(tx, event, undefined, [
        { to: { kind: 'reply' }, body: { kind: 'text', text: NOT_BOUND } },
      ]);
      return { kind: 'done' } as const;
    }
    await updateInbound(tx, seenId, { ...processed, tenantId: who.tenant.id });

    const base = { db: tx, tenant: who.tenant, actor: who.actor, now: clock(), args: '' };
    let action: ActionResult | undefined;
    let emitted: { outbound: Outbound[]; refreshes: Refresh[] };
    if (event.type === 'message') {
      const { ctx, ...rest } = createContext({ ...base, event });
      await router.handleMessage(ctx);
      emitted = rest;
    } else {
      const { ctx, ...rest } = createContext({ ...base, event });
      action = await router.handleAction(ctx);
      emitted = rest;
    }
    await writeOutbox(tx, event, who.tenant.id, emitted.outbound);
    const clicked = await refreshCards(
      tx,
      who.tenant.id,
      emitted.refreshes,
      event.type === 'action' ? event.messageId : undefined,
    );
    if (action && !action.card && clicked) action = { ...action, card: clicked };
    if (action && event.type === 'action') await answer(tx, event, who.tenant.id, action, press);
    return { kind: 'done', action, tenantId: who.tenant.id } as const;
  }

  /**
   * The answer to a press, made once and in the press's own transaction, as its channel takes it
   * (AnswerKind): returned for the channel's response, or written to the outbox. A response whose
   * deadline has passed (`press.late`) can no longer carry it: it goes as an update instead.
   */
  async function answer(
    tx: Tx,
    event: ActionEvent,
    tenantId: number | undefined,
    action: ActionResult,
    press?: PressState,
  ) {
    const kind = options.answers?.[event.channel] ?? 'response';
    if (kind === 'message') await writeOutbox(tx, event, tenantId, answerMessages(action));
    if (kind === 'update' || (kind === 'response' && press?.late)) {
      await answerByUpdate(tx, event, action);
      if (press) press.answered = true;
    }
  }

  /**
   * The pressed card updated in place (with a success or info toast inside it), and a warning, an error or
   * a toast without a card as a text message to the presser. The rows belong to the pressed copy's tenant
   * and person; the update carries what the platform gave with the press (`answerRef`).
   */
  async function answerByUpdate(tx: Tx, event: ActionEvent, action: ActionResult) {
    const presser = event.sender.ids[0];
    if (!presser) return;
    const copy = event.messageId ? await pressedCopy(tx, event.channel, event.messageId) : undefined;
    const { card, text } = updateAnswer(action, Boolean(event.messageId));
    const base = {
      tenantId: copy?.tenantId ?? null,
      personId: copy?.personId ?? null,
      channel: event.channel,
      targetKind: presser.kind,
      targetId: presser.value,
      nextAttemptAt: clock(),
    };
    const rows: OutboxInsert[] = [];
    if (card) {
      rows.push({
        ...base,
        op: 'update',
        refMessageId: event.messageId ?? null,
        body: { kind: 'card', card },
        subject: copy?.subject ?? null,
        view: copy?.view ?? null,
        platformRef: event.answerRef ?? null,
      });
    }
    if (text) rows.push({ ...base, op: 'send', body: { kind: 'text', text } });
    // One statement, in order: the dispatcher delivers rows to one person by id.
    if (rows.length > 0) await insertOutbox(tx, rows);
  }

  /**
   * Records the event (so a retry has no second effect) and answers with a refusal or an apology. An
   * inbox event's row (`claimedId`) is settled, if no one else settled it meanwhile.
   */
  async function answerWithoutEffect(
    event: InboundEvent,
    text: string,
    status: 'refused' | 'failed',
    error?: string,
    claimedId?: number,
    press?: PressState,
  ) {
    return db.transaction(async (tx) => {
      const recorded =
        claimedId === undefined
          ? (await recordInbound(tx, { channel: event.channel, eventKey: event.eventKey, status, error })) !==
            undefined
          : await settlePendingInbound(tx, claimedId, {
              status,
              error,
              processedAt: clock(),
              // A failed event keeps its payload, for the operator to see what could not be processed.
              ...(status === 'refused' ? { payload: null } : {}),
            });
      if (!recorded) return { kind: 'duplicate' } as const;
      if (event.type === 'action') {
        const action: ActionResult = { toast: { kind: 'error', text } };
        await answer(tx, event, undefined, action, press);
        return { kind: 'done', action } as const;
      }
      await writeOutbox(tx, event, undefined, [{ to: { kind: 'reply' }, body: { kind: 'text', text } }]);
      return { kind: 'done' } as const;
    });
  }

  /**
   * Runs an event's transaction. A refusal or a failure is answered without effect instead; a database
   * outage is thrown, recording nothing (the webhook answers 503, or the inbox tries again later): recorded
   * as failed, should the database be back for that, the event would be lost. `subject` is the event the
   * work was about, if it got that far.
   */
  async function settle<R extends HandleResult | undefined>(
    work: () => Promise<R>,
    subject: () => { event: InboundEvent; claimedId?: number } | undefined,
    press?: PressState,
  ): Promise<R | HandleResult> {
    try {
      return await work();
    } catch (error) {
      const about = subject();
      if (!about) throw error;
      const { event, claimedId } = about;
      if (error instanceof Refusal) {
        return answerWithoutEffect(event, error.userMessage, 'refused', undefined, claimedId, press);
      }
      const where = { channel: event.channel, eventKey: event.eventKey, error: String(error) };
      if (isTransientDatabaseError(error)) {
        log.warn('event not processed: database unavailable', where);
        throw error;
      }
      log.error('event failed', where);
      const reason = storable(String(error)).slice(0, 500);
      return answerWithoutEffect(event, FAILED, 'failed', reason, claimedId, press);
    }
  }

  /**
   * After the deadline: the outcome of a press whose transaction chose to answer in the response and
   * then committed too late for it (the deadline fell between that choice and the commit) goes as an
   * update, in a transaction of its own.
   */
  async function answerLate(event: ActionEvent, result: HandleResult, press: PressState) {
    if (result.kind !== 'done' || !result.action || press.answered) return;
    const action = result.action;
    await db.transaction((tx) => answerByUpdate(tx, event, action));
  }

  async function writeOutbox(
    tx: Tx,
    event: InboundEvent,
    tenantId: number | undefined,
    messages: Outbound[],
  ) {
    for (const message of messages) {
      const base = {
        tenantId: message.tenantId ?? tenantId ?? null,
        body: message.body,
        subject: message.subject ?? null,
        view: message.view ?? null,
      };
      const to = message.to;
      if (to.kind !== 'reply') {
        await enqueue(tx, message, {
          tenantId: base.tenantId,
          channels: options.channels,
          preferred: event.channel,
        });
        continue;
      }
      if (event.chat) {
        const replyTo = event.type === 'message' ? event.messageId : undefined;
        await insertOutbox(tx, {
          ...base,
          channel: event.channel,
          op: replyTo ? 'reply' : 'send',
          targetKind: 'chat',
          targetId: event.chat.id,
          refMessageId: replyTo ?? null,
          platformRef: event.answerRef ?? null,
        });
        continue;
      }
      // No chat to answer in (e.g. a button pressed in a private app view): answer the sender directly.
      const id = event.sender.ids[0];
      if (id) {
        await insertOutbox(tx, {
          ...base,
          channel: event.channel,
          op: 'send',
          targetKind: id.kind,
          targetId: id.value,
        });
      }
    }
  }

  return {
    async refuse(raw, text) {
      const event = storable(raw);
      const result = await answerWithoutEffect(event, text, 'refused');
      if (result.kind === 'done') options.onOutbox?.();
      return result;
    },
    async handle(raw) {
      const event = storable(raw);
      if (!addressedToBot(event))
        return { kind: 'ignored', reason: 'group message not addressed to the bot' };
      const result = await settle(
        () => run(event),
        () => ({ event }),
      );
      if (result.kind === 'done') options.onOutbox?.();
      return result;
    },
    async press(raw, withinMs) {
      const event = storable(raw);
      const state: PressState = { late: false, answered: false };
      const work = settle(
        () => run(event, state),
        () => ({ event }),
        state,
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), Math.max(0, withinMs));
      });
      const first = await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
      if (first !== 'late') {
        if (first.kind === 'done') options.onOutbox?.();
        return first;
      }
      state.late = true;
      const late = work
        .then(async (result) => {
          await answerLate(event, result, state);
          if (result.kind === 'done') options.onOutbox?.();
        })
        .catch((error: unknown) =>
          log.error('press not applied after its answer', { eventKey: event.eventKey, error: String(error) }),
        )
        .finally(() => lateWork.delete(late));
      lateWork.add(late);
      return { kind: 'pending' };
    },
    async pressesSettled() {
      while (lateWork.size > 0) await Promise.all(lateWork);
    },
    async processNext() {
      let claimed: Claim | undefined;
      const result = await settle(
        () =>
          db.transaction(async (tx) => {
            claimed = await claim(tx);
            return claimed ? effect(tx, claimed.event, claimed.id) : undefined;
          }),
        () => claimed && { event: claimed.event, claimedId: claimed.id },
      );
      if (result?.kind === 'done') options.onOutbox?.();
      return claimed !== undefined;
    },
  };
}
