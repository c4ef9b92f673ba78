// People as colleagues name them: by name or person code, and the units of their current posts.
import { and, asc, eq, inArray, isNull, notInArray, or } from 'drizzle-orm';
import type { Channel } from '../../bot/core/types.ts';
import type { Queryable } from '../client.ts';
import { identities, people, postHolders, posts, units } from '../schema.ts';
import { rowId } from './ids.ts';
import { currentMembers, type Person } from './org.ts';

/** The tenant's current members with this name or person code. */
export async function membersNamed(db: Queryable, tenantId: number, word: string): Promise<Person[]> {
  return db
    .select()
    .from(people)
    .where(and(currentMembers(tenantId), or(eq(people.name, word), eq(people.code, word))))
    .orderBy(asc(people.id));
}

/** The names of the tenant's people by id (ids may repeat or be null). */
export async function personNames(
  db: Queryable,
  tenantId: number,
  ids: (number | null)[],
): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: people.id, name: people.name })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), inArray(people.id, wanted)));
  return new Map(rows.map((row) => [row.id, row.name]));
}

export interface Member {
  id: number;
  code: string;
  name: string;
  isOutside: boolean;
  /** `安保处 · 安保处主任`, one entry per current post. */
  posts: string[];
}

/** The tenant's people (not archived) with their current posts; members first, outside reporters last. */
export async function membersOf(db: Queryable, tenantId: number): Promise<Member[]> {
  const rows = await db
    .select({ id: people.id, code: people.code, name: people.name, isOutside: people.isOutside })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.archived, false)))
    .orderBy(asc(people.isOutside), asc(people.id));
  const held = await db
    .select({ personId: postHolders.personId, title: posts.title, unitName: units.name })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .leftJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(postHolders.tenantId, tenantId), isNull(postHolders.endedAt), eq(posts.archived, false)))
    .orderBy(asc(posts.id));
  const byPerson = new Map<number, string[]>();
  for (const row of held) {
    const label =
      row.unitName && !row.title.startsWith(row.unitName) ? `${row.unitName} · ${row.title}` : row.title;
    byPerson.set(row.personId, [...(byPerson.get(row.personId) ?? []), label]);
  }
  return rows.map((row) => ({ ...row, posts: byPerson.get(row.id) ?? [] }));
}

/** A person of the tenant who is not archived. */
export async function memberById(db: Queryable, tenantId: number, personId: number) {
  if (rowId(personId) === undefined) return undefined;
  const [row] = await db
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.id, personId), eq(people.archived, false)));
  return row;
}

/** The units of these people's current posts, one row per person and post. */
export async function currentUnitsOf(db: Queryable, personIds: number[]) {
  return db
    .select({ personId: postHolders.personId, unit: units.name })
    .from(postHolders)
    .innerJoin(posts, eq(posts.id, postHolders.postId))
    .innerJoin(units, eq(units.id, posts.unitId))
    .where(and(inArray(postHolders.personId, personIds), isNull(postHolders.endedAt)));
}

/**
 * The tenant's current members with no identity on any of `channels` (the identity channels, `wecom` for
 * the 智能机器人 too): nobody can reach them there. Their names, by person id, and how many in all.
 */
export async function membersWithoutIdentity(
  db: Queryable,
  tenantId: number,
  channels: Channel[],
  limit = 20,
): Promise<{ names: string[]; count: number }> {
  const reached = db
    .select({ personId: identities.personId })
    .from(identities)
    .where(and(eq(identities.tenantId, tenantId), inArray(identities.channel, channels)));
  const rows = await db
    .select({ name: people.name })
    .from(people)
    .where(and(currentMembers(tenantId), notInArray(people.id, reached)))
    .orderBy(asc(people.id));
  return { names: rows.slice(0, limit).map((row) => row.name), count: rows.length };
}

/** Whether anyone, in any tenant, is listed by this kind of id on a channel (Feishu `user_id`, say). */
export async function identityKindInUse(db: Queryable, channel: Channel, kind: string): Promise<boolean> {
  const [found] = await db
    .select({ id: identities.id })
    .from(identities)
    .where(and(eq(identities.channel, channel), eq(identities.kind, kind)))
    .limit(1);
  return found !== undefined;
}
