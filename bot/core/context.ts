// What a handler sees: the event, who sent it, the tenant, a transaction, and ways to answer.
import type { Card } from '../../cards/model.ts';
import type { Tx } from '../../db/client.ts';
import type { OfficeAccount } from '../../db/queries/accounts.ts';
import type { Person, Tenant } from '../../db/queries/org.ts';
import type { ActionEvent, Body, InboundEvent, MessageEvent, Outbound } from './types.ts';

/**
 * Who acts in an operation that is not a chat message: a member (the chat, or the demo console acting as
 * one), or the office's console account in its own name (outside demo mode; issue 14).
 */
export type Acting = { actor: Person; account?: undefined } | { actor?: undefined; account: OfficeAccount };

/** The trail columns (audit_events) of who acted. */
export const trailActor = (who: Acting) => ({
  actorId: who.actor?.id ?? null,
  actorAccountId: who.account?.id ?? null,
});

/**
 * A card already sent for a subject is re-rendered per view when the subject changes; `tenantId` when
 * the subject is another tenant's than the handler's (a school's hazard changed by its bureau).
 */
export type Refresh = { subject: string; render: (view: string) => Card | undefined; tenantId?: number };

export interface Context<E extends InboundEvent = InboundEvent> {
  db: Tx;
  tenant: Tenant;
  /** The sender as a member of the organization, or as an outside reporter. */
  actor: Person;
  event: E;
  now: Date;
  /** The command's arguments: the text after the command word. */
  args: string;
  send(message: Outbound): void;
  reply(body: Body, options?: { subject?: string; view?: string; tenantId?: number }): void;
  refresh(subject: string, render: Refresh['render'], tenantId?: number): void;
}

export type MessageContext = Context<MessageEvent>;
export type ActionContext = Context<ActionEvent>;

/** Collects what a handler emits; the core writes it to the outbox in the handler's transaction. */
export function createContext<E extends InboundEvent>(
  base: Omit<Context<E>, 'send' | 'reply' | 'refresh'>,
): { ctx: Context<E>; outbound: Outbound[]; refreshes: Refresh[] } {
  const outbound: Outbound[] = [];
  const refreshes: Refresh[] = [];
  const ctx: Context<E> = {
    ...base,
    send: (message) => {
      outbound.push(message);
    },
    reply: (body, options) => {
      outbound.push({ to: { kind: 'reply' }, body, ...options });
    },
    refresh: (subject, render, tenantId) => {
      refreshes.push({ subject, render, ...(tenantId === undefined ? {} : { tenantId }) });
    },
  };
  return { ctx, outbound, refreshes };
}
