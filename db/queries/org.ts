// Questions about the organization: who is this sender, who heads a unit, how to reach a person.
import { and, asc, count, countDistinct, eq, inArray, isNull, notInArray, or, type SQL } from 'drizzle-orm';
import type { Channel, ExternalId } from '../../bot/core/types.ts';
import type { Queryable } from '../client.ts';
import {
  categories,
  chats,
  identities,
  leadingGroupMembers,
  people,
  postHolders,
  posts,
  tenants,
  units,
} from '../schema.ts';
import { byIdInTenant } from './rows.ts';

export type Tenant = typeof tenants.$inferSelect;
export type Person = typeof people.$inferSelect;
export type Unit = typeof units.$inferSelect;

/**
 * The channel whose identities a channel's senders are known by. A WeCom userid is one per corp member,
 * the same to the self-built app and to the 智能机器人: the bot reads (and the importer writes) them
 * as `wecom` identities, so an organization file lists each member once.
 */
export function identityChannel(channel: Channel): Channel {
  return channel === 'wecom_bot' ? 'wecom' : channel;
}

/** The tenant's current members: not archived, not outside reporters. */
export const currentMembers = (tenantId: number) =>
  and(eq(people.tenantId, tenantId), eq(people.archived, false), eq(people.isOutside, false));

/** People matching any of the sender's platform ids, across tenants. */
export async function peopleByIdentity(db: Queryable, eventChannel: Channel, ids: ExternalId[]) {
  if (ids.length === 0) return [];
  const channel = identityChannel(eventChannel);
  const rows = await db
    .selectDistinct({ person: people })
    .from(identities)
    .innerJoin(people, eq(people.id, identities.personId))
    .where(
      and(
        eq(identities.channel, channel),
        or(...ids.map((id) => and(eq(identities.kind, id.kind), eq(identities.value, id.value)))),
      ),
    );
  return rows.map((row) => row.person);
}

/**
 * Current members known on Feishu by `user_id` alone: events carry `sender_id.user_id` only when the app
 * has the scope contact:user.employee_id:readonly, so without it they cannot be recognized (start-up
 * says so).
 */
export async function feishuUserIdOnlyPeople(db: Queryable): Promise<{ tenantId: number; code: string }[]> {
  const withOpenId = db
    .select({ id: identities.personId })
    .from(identities)
    .where(and(eq(identities.channel, 'feishu'), eq(identities.kind, 'open_id')));
  return db
    .selectDistinct({ tenantId: people.tenantId, code: people.code })
    .from(identities)
    .innerJoin(people, eq(people.id, identities.personId))
    .where(
      and(
        eq(identities.channel, 'feishu'),
        eq(identities.kind, 'user_id'),
        eq(people.archived, false),
        notInArray(people.id, withOpenId),
      ),
    )
    .orderBy(asc(people.tenantId), asc(people.code));
}

export async function tenantOfChat(
  db: Queryable,
  channel: Channel,
  chatId: string,
): Promise<number | undefined> {
  const [row] = await db
    .select({ tenantId: chats.tenantId })
    .from(chats)
    .where(and(eq(chats.channel, channel), eq(chats.chatId, chatId)));
  return row?.tenantId;
}

export async function tenantById(db: Queryable, id: number): Promise<Tenant | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  return row;
}

export async function onlyTenant(db: Queryable): Promise<Tenant | undefined> {
  const rows = await db.select().from(tenants).limit(2);
  return rows.length === 1 ? rows[0] : undefined;
}

/** Records someone outside the organization who reports through a chat, once per platform id. */
export async function ensureOutsidePerson(
  db: Queryable,
  tenantId: number,
  channel: Channel,
  id: ExternalId,
  name: string | undefined,
): Promise<Person> {
  channel = identityChannel(channel);
  const code = `outside-${channel}-${id.kind}-${id.value}`;
  const [inserted] = await db
    .insert(people)
    .values({
      tenantId,
      code,
      name: name ?? `外部人员（${[...id.value].slice(-6).join('')}）`,
      isOutside: true,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted) {
    await db
      .insert(identities)
      .values({ tenantId, personId: inserted.id, channel, kind: id.kind, value: id.value })
      .onConflictDoNothing();
    return inserted;
  }
  const [existing] = await db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.code, code)));
  return existing!;
}

/** The current holders of a unit's head post(s). */
export async function unitHeads(db: Queryable, unitId: number): Promise<Person[]> {
  const rows = await db
    .select({ person: people })
    .from(posts)
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(posts.unitId, unitId), eq(posts.isUnitHead, true), eq(posts.archived, false)))
    .orderBy(asc(people.id));
  return rows.map((row) => row.person);
}

/** The current holders of the leading group's office roles (director first), or of the roles given. */
export async function officeStaff(
  db: Queryable,
  tenantId: number,
  roles: ('office_director' | 'office_deputy')[] = ['office_director', 'office_deputy'],
): Promise<Person[]> {
  const rows = await db
    .select({ person: people, role: leadingGroupMembers.role })
    .from(leadingGroupMembers)
    .innerJoin(
      postHolders,
      and(eq(postHolders.postId, leadingGroupMembers.postId), isNull(postHolders.endedAt)),
    )
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(leadingGroupMembers.tenantId, tenantId), inArray(leadingGroupMembers.role, roles)))
    .orderBy(asc(leadingGroupMembers.role), asc(people.id));
  return rows.map((row) => row.person);
}

export const unitById = byIdInTenant(units);

export const personById = byIdInTenant(people);

/**
 * Channels in the order a person is best reached on, when the event's own channel is not theirs. The
 * WeCom app before the 智能机器人: private notices and reminders are the app's work.
 */
const CHANNEL_PREFERENCE: Channel[] = ['feishu', 'wecom', 'wecom_bot', 'wechaty', 'console'];
/** Which identity kind a channel sends to. */
const SEND_KIND: Record<Channel, string[]> = {
  feishu: ['open_id', 'user_id'],
  wecom: ['userid'],
  wecom_bot: ['userid'],
  wechaty: ['id'],
  console: [],
};

/** How to reach a person: on the preferred channel if they are on it, else the first they are on. */
export async function addressOf(
  db: Queryable,
  personId: number,
  preferred: Channel | undefined,
  enabled: ReadonlySet<Channel>,
): Promise<{ channel: Channel; kind: string; value: string } | undefined> {
  const rows = await db
    .select({ channel: identities.channel, kind: identities.kind, value: identities.value })
    .from(identities)
    .where(eq(identities.personId, personId));
  const order = [preferred, ...CHANNEL_PREFERENCE].filter(
    (channel): channel is Channel => channel !== undefined && enabled.has(channel),
  );
  for (const channel of order) {
    // Everyone can be reached in the web console, where they are known by their person id.
    if (channel === 'console') return { channel, kind: 'person', value: String(personId) };
    for (const kind of SEND_KIND[channel]) {
      const hit = rows.find((row) => row.channel === identityChannel(channel) && row.kind === kind);
      if (hit) return { ...hit, channel };
    }
  }
  return undefined;
}

/** Every tenant (the jobs run over them all). */
export async function allTenants(db: Queryable): Promise<Tenant[]> {
  return db.select().from(tenants);
}

/** A tenant's people with these ids, in id order. */
export async function peopleByIds(db: Queryable, tenantId: number, ids: number[]): Promise<Person[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), inArray(people.id, ids)))
    .orderBy(asc(people.id));
}

/** The tenant's units (not archived) with how many people hold their current posts. */
export async function unitsWithStaff(db: Queryable, tenantId: number) {
  const unitRows = await db
    .select({ id: units.id, code: units.code, name: units.name, duties: units.safetyDuties })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
  const staffed = await db
    .select({ unitId: posts.unitId, people: countDistinct(postHolders.personId) })
    .from(posts)
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .where(and(eq(posts.tenantId, tenantId), eq(posts.archived, false)))
    .groupBy(posts.unitId);
  return unitRows.map((unit) => ({
    ...unit,
    people: staffed.find((row) => row.unitId === unit.id)?.people ?? 0,
  }));
}

/** How many current members, posts (not archived) and categories the tenant has. */
export async function orgCounts(db: Queryable, tenantId: number) {
  const total = async (table: typeof people | typeof posts | typeof categories, where: SQL | undefined) => {
    const [row] = await db.select({ n: count() }).from(table).where(where);
    return row?.n ?? 0;
  };
  return {
    people: await total(people, currentMembers(tenantId)),
    posts: await total(posts, and(eq(posts.tenantId, tenantId), eq(posts.archived, false))),
    categories: await total(categories, eq(categories.tenantId, tenantId)),
  };
}
