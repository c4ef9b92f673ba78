// Units seen from a person: which ones they head.
import { and, asc, eq, isNull } from 'drizzle-orm';
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

/** A unit's name, when the id names one of the tenant's units. */
export async function unitName(
  db: Queryable,
  tenantId: number,
  unitId: number | null,
): Promise<string | undefined> {
  if (unitId === null) return undefined;
  const [row] = await db
    .select({ name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.id, unitId)));
  return row?.name;
}

/** The tenant's units that are not archived, in id order. */
export async function tenantUnits(db: Queryable, tenantId: number): Promise<{ id: number; name: string }[]> {
  return db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
    .orderBy(asc(units.id));
}
