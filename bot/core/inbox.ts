// The inbox. A webhook's message event is written to inbound_events as `pending`, with its payload, in one
// insert shared with the other requests arriving meanwhile, and then answered; it is processed afterwards
// (Core.processNext), in arrival order per conversation. The platform's deadline (Feishu 3 s, WeCom 5 s)
// then covers one insert rather than the whole effect: a burst of reports is acknowledged at the rate the
// database takes inserts and worked off at the rate it takes effects (bench/ingest.ts measures both).
//
// Nothing is lost: the row is committed before the 200 (a failed insert answers 503, so the platform
// delivers again), the unique key makes a redelivery a duplicate, and the claim of a pending row is the
// processing transaction's own row lock, so a process that dies midway leaves the row pending. Every
// instance looks for pending rows when started and every few seconds; Workers drain after the answer.
// Button presses are not queued here: their answer is the updated card (DESIGN.md §2).
import type { Db } from '../../db/client.ts';
import { insertPendingInbound } from '../../db/queries/inbound-events.ts';
import { addressedToBot, type Core, conversationOf, storableJson } from './core.ts';
import type { Logger } from './log.ts';
import { nextTurn } from './next-turn.ts';
import { createPump } from './pump.ts';
import type { MessageEvent } from './types.ts';

export interface InboxOptions {
  db: Db;
  core: Core;
  log: Logger;
  /**
   * Events processed at once, of different conversations (default 1; PGlite runs one transaction at a
   * time anyway).
   * More is not faster on two cores; two keep one long event (a district's 责任书 round) from holding up
   * every other chat.
   */
  concurrency?: number;
  /** Rows written by one insert at most (default 500). */
  batchSize?: number;
  /** After a database error, processing is tried again this much later (default 1 s). */
  retryMs?: number;
  /**
   * How long an insert may wait for a lock (PostgreSQL; none by default): a table held by VACUUM FULL or
   * a migration then fails the batch quickly, written nowhere (503, the platform delivers again), instead
   * of holding every later webhook behind it and writing what was already answered 503.
   */
  lockTimeoutMs?: number;
}

export type Acceptance = 'recorded' | 'ignored';

export interface Inbox {
  /**
   * Records a message event for processing, durably (a redelivery finds its key taken and adds nothing);
   * `ignored` for a group message not addressed to the bot (nothing written). Rejects when the database
   * cannot take it: the webhook then answers 503.
   */
  accept(event: MessageEvent): Promise<Acceptance>;
  /** Processes pending events until none is left; resolves with how many (Workers, after the answer). */
  drain(): Promise<number>;
  /** Asks for processing soon; many kicks coalesce into one run. */
  kick(): void;
  /** Looks for pending rows now and every `pollMs` (those of a crashed process, or of another instance). */
  start(pollMs?: number): void;
  /** Stops taking new events to process and waits for those under way. */
  stop(): Promise<void>;
  /** Resolves when no processing run is under way. */
  idle(): Promise<void>;
}

interface Waiting {
  /** The row as JSON, named as the insert's record type names its columns (see `insertPendingInbound`). */
  row: string;
  resolve(value: Acceptance): void;
  reject(error: unknown): void;
}

/**
 * An insert that carries this many requests means they come faster than one insert takes: the webhook is
 * saturated, and processing pauses (see `acknowledgementsFirst`) until no such insert was made for a while.
 * In bench/ingest.ts this raised acknowledgements a few per cent on PostgreSQL and ×2.5 on PGlite (then on
 * the HTTP thread; processing's own JavaScript still is).
 */
const SATURATED_INSERT_ROWS = 8;
const SATURATION_PAUSE_MS = 50;

export function createInbox(options: InboxOptions): Inbox {
  const { db, core, log } = options;
  const concurrency = options.concurrency ?? 1;
  const batchSize = options.batchSize ?? 500;
  const retryMs = options.retryMs ?? 1000;
  const { lockTimeoutMs } = options;

  let waiting: Waiting[] = [];
  /** An insert is under way (set and cleared in step with `waiting`, so no request is left behind). */
  let writing = false;
  let lastSaturatedInsert = 0;
  let writer: Promise<void> = Promise.resolve();
  const pump = createPump(drain, {
    // The database is away: the events stay pending and are tried again shortly.
    onError: (error) => log.warn('inbox: processing paused', { error: String(error), retryInMs: retryMs }),
    retryMs,
  });
  const kick = pump.kick;

  /**
   * Writes the waiting rows, one insert per batch, until none waits. Under load an insert carries the
   * requests that arrived while the one before was under way; at rest it carries one and adds no delay.
   */
  async function write() {
    writing = true;
    // Gather the requests of this turn of the event loop first, so that a burst's first insert carries
    // the burst rather than the one request that asked.
    await nextTurn();
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, batchSize);
        waiting = waiting.slice(batch.length);
        try {
          await insertPendingInbound(
            db,
            batch.map((entry) => entry.row),
            { lockTimeoutMs },
          );
          if (batch.length >= SATURATED_INSERT_ROWS) lastSaturatedInsert = Date.now();
          for (const { resolve } of batch) resolve('recorded');
          kick();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  }

  function accept(event: MessageEvent): Promise<Acceptance> {
    if (!addressedToBot(event)) return Promise.resolve('ignored');
    const { channel, eventKey } = event;
    const row = storableJson({
      channel,
      event_key: eventKey,
      conversation: conversationOf(event),
      payload: event,
    });
    return new Promise<Acceptance>((resolve, reject) => {
      waiting.push({ row, resolve, reject });
      if (!writing) writer = write();
    });
  }

  /**
   * Acknowledgements first: the platform waits for them (and sends everything again when they are late);
   * nobody waits for a report's processing. Processing waits while an insert is under way, and while the
   * webhook is saturated — its inserts carry many requests at once — until that eases.
   */
  async function acknowledgementsFirst() {
    for (;;) {
      while (writing) await writer;
      const saturatedFor = SATURATION_PAUSE_MS - (Date.now() - lastSaturatedInsert);
      if (saturatedFor <= 0 || pump.stopping) return;
      await new Promise((resolve) => setTimeout(resolve, saturatedFor));
    }
  }

  /** Processes until nothing is left to claim, `concurrency` conversations at a time. */
  async function drain(): Promise<number> {
    let processed = 0;
    const worker = async () => {
      while (!pump.stopping) {
        await acknowledgementsFirst();
        if (pump.stopping || !(await core.processNext())) break;
        processed += 1;
        // Let webhooks in between events (bot/core/next-turn.ts).
        await nextTurn();
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: concurrency }, worker));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return processed;
  }

  return {
    accept,
    kick,
    idle: pump.idle,
    async drain() {
      await pump.idle();
      return drain();
    },
    start: (pollMs = 5000) => pump.start(pollMs),
    stop: pump.stop,
  };
}
