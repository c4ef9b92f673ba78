// The one channel contract. A channel is one object, registered in one map (bot/channels/registry.ts):
// its name, how it answers a button press, the webhook route it owns, and `open`, which turns the
// configuration into the channel's sender plus its transports — a webhook handler (mounted by bot/app.ts
// on the channel's route) and/or a long connection (connected and started by bot/service.ts). Adding a
// channel touches the registry and the channel's own folder only.
//
// Like grammY's adapter map and Slack Bolt's receivers: the transport verifies, normalizes and carries the
// answer to the wire; the core owns the answer (AnswerKind) and everything after.
import type { Context } from 'hono';
import type { Wechaty } from 'wechaty';
import type { Database } from '../../db/client.ts';
import type { Core } from '../core/core.ts';
import type { ChannelSender } from '../core/delivery.ts';
import type { EvidenceStore, FileFetcher } from '../core/evidence.ts';
import type { Inbox } from '../core/inbox.ts';
import type { Logger } from '../core/log.ts';
import type { AnswerKind, Channel } from '../core/types.ts';
import type { Config } from '../env.ts';

export type WebhookMethod = 'GET' | 'POST';
export type WebhookHandler = (c: Context) => Response | Promise<Response>;

/** A channel's webhook handlers, by method. */
export interface WebhookHandlers extends Partial<Record<WebhookMethod, WebhookHandler>> {
  /**
   * The answer to a request the load gate refuses before any work (its body read within the gate's
   * limits), instead of the gate's 503; undefined keeps the 503. A Feishu card press: a polite refusal.
   */
  busy?: (c: Context) => Promise<Response | undefined>;
}

/** What a channel is opened with. */
export interface ChannelSetup {
  config: Config;
  database: Database;
  /** Files kept as evidence: a card's photos are read from it when a channel shows them. */
  evidence?: EvidenceStore;
  log: Logger;
  clock?: () => Date;
  /** Clients made by the caller instead of from the configuration (tests: Wechaty on a mock puppet). */
  given: { wechaty?: Wechaty };
}

/** What a channel's transports hand their events to, once the service has made it. */
export interface ChannelRuntime {
  core: Core;
  /** Webhook messages are answered once written here, and processed afterwards. */
  inbox: Inbox;
  log: Logger;
  clock?: () => Date;
  /** Where a channel that has a file's bytes on arrival (the 智能机器人, Wechaty) keeps them. */
  evidence: EvidenceStore;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** A long connection's state. `lastError` names no secret and no connection URL. */
export interface ConnectionStatus {
  state: ConnectionState;
  /** When it entered this state (ISO time). */
  since: string;
  /** Times it was re-established after a drop. */
  reconnects: number;
  lastError?: { message: string; at: string };
}

/**
 * A channel's entry in `/healthz`: a long connection's state (with its `ConnectionStatus` fields), or why
 * a channel asked for is off.
 */
export interface ChannelHealth extends Partial<Omit<ConnectionStatus, 'state' | 'lastError'>> {
  ok: boolean;
  /** A short word for machines (`connected`, `standby`, `logged-in`, `not-installed`…). */
  state: string;
  /** For people, in Chinese and English. */
  message?: string;
  /** A connection only one instance may hold (the WeCom 智能机器人): this instance's part. */
  role?: 'holder' | 'standby' | 'closed';
  connected?: boolean;
  lastError?: { message: string; at?: string };
}

/** Asked for (its variables are set) but cannot be on here; the service starts without it. */
export interface UnavailableChannel {
  unavailable: ChannelHealth;
}

/** A channel that is on: its sender, and the transports it has. */
export interface OpenChannel {
  /** Delivers its outbox rows (the outbox dispatcher calls it). */
  sender: ChannelSender;
  /** Downloads the files its messages carry, after the event (jobs/evidence.ts); Feishu and the WeCom app. */
  fetcher?: FileFetcher;
  /** The handlers of its webhook route, by method (the definition's `webhook`). */
  handleWebhook?(runtime: ChannelRuntime): WebhookHandlers;
  /** Attaches a long connection to the runtime (listeners only; `start` opens it). */
  connect?(runtime: ChannelRuntime): void;
  /** Opens the long connection (the Node entry; never on Workers). Failing must not stop the service. */
  start?(): Promise<void>;
  /** Closes the long connection, if open. */
  close?(): Promise<void>;
  /** The long connection's state for `/healthz` (never a secret). */
  health?(): ChannelHealth;
}

export type Opened = OpenChannel | UnavailableChannel | undefined;

export interface ChannelDefinition {
  name: Channel;
  /** How a button press is answered on this channel (bot/core/types.ts). */
  answer: AnswerKind;
  /**
   * The route its platform calls (DESIGN.md §5: fixed). Mounted whether the channel is on or not: off, it
   * answers 404 with `off` (which variable turns it on).
   */
  webhook?: { path: string; methods: readonly WebhookMethod[]; off: string };
  /**
   * The channel from the configuration, or undefined when it is off (its credentials are not set), or
   * why it cannot be on although asked for (an optional package not installed).
   */
  open(setup: ChannelSetup): Opened | Promise<Opened>;
}
