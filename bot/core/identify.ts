// Who sent an event, and for which tenant: by the sender's platform identity, else by the group's
// binding, else the only tenant there is. Someone unknown becomes an outside reporter (DOMAIN §4).
import type { Queryable, Tx } from '../../db/client.ts';
import { rowId } from '../../db/queries/ids.ts';
import {
  ensureOutsidePerson,
  onlyTenant,
  type Person,
  peopleByIdentity,
  personById,
  type Tenant,
  tenantById,
  tenantOfChat,
} from '../../db/queries/org.ts';
import type { InboundEvent } from './types.ts';

type SenderOf = Pick<InboundEvent, 'channel' | 'sender' | 'chat'>;

/** The sender as known (a person of the organization), and the tenant of the group it came from. */
async function knownSender(db: Queryable, event: SenderOf) {
  const matches = await peopleByIdentity(db, event.channel, event.sender.ids);
  const chatTenantId =
    event.chat?.type === 'group' ? await tenantOfChat(db, event.channel, event.chat.id) : undefined;
  const person =
    matches.find((candidate) => candidate.tenantId === chatTenantId && !candidate.archived) ??
    matches.find((candidate) => !candidate.archived) ??
    matches[0];
  return { person, chatTenantId };
}

/**
 * The tenant `identify` will find for an event, found without writing anything: a channel that keeps a
 * file on arrival, before the event is processed, keeps it for this tenant.
 */
export async function tenantOfEvent(db: Queryable, event: SenderOf): Promise<number | undefined> {
  const { person, chatTenantId } = await knownSender(db, event);
  return person?.tenantId ?? chatTenantId ?? (await onlyTenant(db))?.id;
}

export async function identify(
  tx: Tx,
  event: InboundEvent,
): Promise<{ tenant: Tenant; actor: Person } | undefined> {
  if (event.channel === 'console') return identifyConsole(tx, event);
  const { person, chatTenantId } = await knownSender(tx, event);
  if (person) {
    const tenant = await tenantById(tx, person.tenantId);
    return tenant && { tenant, actor: person };
  }
  const tenant = chatTenantId !== undefined ? await tenantById(tx, chatTenantId) : await onlyTenant(tx);
  const id = event.sender.ids[0];
  if (!tenant || !id) return undefined;
  const actor = await ensureOutsidePerson(tx, tenant.id, event.channel, id, event.sender.name);
  return { tenant, actor };
}

/** The web console acts as a chosen member; the page is already scoped to one tenant. */
async function identifyConsole(tx: Tx, event: InboundEvent) {
  const tenantId = rowId(event.platformTenant);
  const personId = rowId(event.sender.ids.find((id) => id.kind === 'person')?.value);
  if (tenantId === undefined || personId === undefined) return undefined;
  const [tenant, actor] = await Promise.all([tenantById(tx, tenantId), personById(tx, tenantId, personId)]);
  return tenant && actor ? { tenant, actor } : undefined;
}
