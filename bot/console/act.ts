// The console's operations (派任务, 发起责任书) act as a chosen member through the very functions the chat
// commands use, in one transaction, and write what those functions emit to the outbox as the core does:
// messages to people go out on the channel each is reached on (Feishu, WeCom, …: the real thing, not the
// simulator), and the replies the member would have seen in their chat go to the member's console chat,
// where the chat simulator shows them. A Refusal rolls everything back: nothing is written.
import type { Db } from '../../db/client.ts';
import type { Tenant } from '../../db/queries/org.ts';
import { consoleChatId } from '../../db/queries/outbox.ts';
import type { Acting, Context, Refresh } from '../core/context.ts';
import { enqueue } from '../core/enqueue.ts';
import { Refusal } from '../core/errors.ts';
import { refreshCards } from '../core/refresh.ts';
import type { Channel, Outbound } from '../core/types.ts';
import type { ConsoleKit, Viewer } from './kit.ts';

/** What an operation gets: the part of a handler's context that does not depend on a chat event. */
export type ActingContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'reply' | 'refresh'> & Acting;

/**
 * Who acts: outside demo mode the logged-in office account in its own name; in demo mode a chosen member.
 * The office account has no chat: its replies are dropped (the console shows the outcome itself).
 */
export type ActAs = Acting & {
  tenant: Tenant;
  now: Date;
  /** Channels that can deliver now (the service's). */
  channels: ReadonlySet<Channel>;
};

export async function actAs<T>(
  db: Db,
  who: ActAs,
  work: (ctx: ActingContext) => Promise<T>,
): Promise<{ result: T; messages: number }> {
  const { tenant, now, channels } = who;
  const acting: Acting = who.actor ? { actor: who.actor } : { account: who.account };
  const actor = who.actor;
  if (actor && actor.tenantId !== tenant.id)
    throw new Error('actAs: the actor is not a member of the tenant');
  return db.transaction(async (tx) => {
    const outbound: Outbound[] = [];
    const refreshes: Refresh[] = [];
    const ctx: ActingContext = {
      ...acting,
      db: tx,
      tenant,
      now,
      send: (message) => {
        outbound.push(message);
      },
      reply: (body, options) => {
        if (!actor) return;
        outbound.push({
          to: { kind: 'chat', channel: 'console', chatId: consoleChatId(actor.id) },
          body,
          ...options,
        });
      },
      refresh: (subject, render, tenantId) => {
        refreshes.push({ subject, render, ...(tenantId === undefined ? {} : { tenantId }) });
      },
    };
    const result = await work(ctx);
    for (const message of outbound)
      await enqueue(tx, message, { tenantId: message.tenantId ?? tenant.id, channels });
    await refreshCards(tx, tenant.id, refreshes);
    return { result, messages: outbound.length };
  });
}

/** The flash's note of whose name the demo console acted in; the office's account acts in its own. */
export const inTheNameOf = (acting: Acting) => (acting.actor ? `（以${acting.actor.name}的名义）` : '');

/**
 * Who an operation of the form acts as: the logged-in office account in its own name; in demo mode the
 * member chosen in the form (`chosen`, a person id), if `find` allows them. Otherwise the message saying
 * why not (the form is shown again with it).
 */
export async function actingOf(
  viewer: Viewer,
  chosen: string,
  rule: { missing: string; find: (id: string) => Promise<Acting['actor'] | undefined>; notAllowed: string },
): Promise<Acting | string> {
  if (viewer.account) return { account: viewer.account };
  if (!chosen) return rule.missing;
  const actor = await rule.find(chosen);
  if (!actor) return rule.notAllowed;
  return { actor };
}

/**
 * Runs an operation of the console (actAs) for the viewer's tenant and wakes the dispatcher; a Refusal
 * (nothing written) comes back as its message.
 */
export async function runAs<T>(
  kit: Pick<ConsoleKit, 'db' | 'channels' | 'onOutbox'>,
  viewer: Viewer,
  acting: Acting,
  now: Date,
  work: (ctx: ActingContext) => Promise<T>,
): Promise<{ result: T } | { refused: string }> {
  let result: T;
  try {
    ({ result } = await actAs(
      kit.db,
      { ...acting, tenant: viewer.tenant, now, channels: kit.channels },
      work,
    ));
  } catch (error) {
    if (error instanceof Refusal) return { refused: error.userMessage };
    throw error;
  }
  kit.onOutbox?.();
  return { result };
}
