// People as colleagues name them: by name or person code, and the units of their current posts.
import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { people, postHolders, posts, units } from '../schema.ts';
import type { Person } from './org.ts';

/** The tenant's current members (not archived, not outside reporters) with this name or person code. */
export async function membersNamed(db: Queryable, tenantId: number, word: string): Promise<Person[]> {
  return db
    .select()
    .from(people)
    .where(
      and(
        eq(people.tenantId, tenantId),
        eq(people.isOutside, false),
        eq(people.archived, false),
        or(eq(people.name, word), eq(people.code, word)),
      ),
    )
    .orderBy(asc(people.id));
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
