// Units seen from a person: which ones they head.
import { and, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { postHolders, posts, units } from '../schema.ts';

export async function headedUnits(db: Queryable, personId: number) {
  return db
    .selectDistinct({ id: units.id, name: units.name })
    .from(postHolders)
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.isUnitHead, true)))
    .innerJoin(units, eq(units.id, posts.unitId))
    .where(and(eq(postHolders.personId, personId), isNull(postHolders.endedAt)));
}
