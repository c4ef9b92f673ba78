// Who someone is to a hazard, and who the people up its responsibility chain are (DOMAIN §2, §6).
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { HazardRole } from '../../handlers/hazard-workflow.ts';
import type { Queryable } from '../client.ts';
import { leadingGroupMembers, people, postHolders, postSupervisedUnits, posts } from '../schema.ts';
import type { Hazard } from './hazards.ts';
import { officeStaff, type Person, unitHeads } from './org.ts';

const current = and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt));

/** 直接责任人 of a unit: the holders of leader posts (level direct) that supervise it (分管). */
export async function directLeaders(db: Queryable, unitId: number): Promise<Person[]> {
  const rows = await db
    .selectDistinct({ person: people })
    .from(postSupervisedUnits)
    .innerJoin(posts, eq(posts.id, postSupervisedUnits.postId))
    .innerJoin(postHolders, current)
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(postSupervisedUnits.unitId, unitId), eq(posts.level, 'direct'), eq(posts.archived, false)));
  return rows.map((row) => row.person).sort((a, b) => a.id - b.id);
}

/** The holders of posts at the given responsibility levels (e.g. 第一责任人). */
export async function holdersAtLevel(db: Queryable, tenantId: number, levels: ('first' | 'direct')[]) {
  const rows = await db
    .selectDistinct({ person: people })
    .from(posts)
    .innerJoin(postHolders, current)
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(posts.tenantId, tenantId), inArray(posts.level, levels), eq(posts.archived, false)))
    .orderBy(asc(people.id));
  return rows.map((row) => row.person);
}

/** Who handles a hazard: the heads of its responsible unit, or the office when the unit has none. */
export async function hazardHandlers(db: Queryable, hazard: Hazard): Promise<Person[]> {
  const heads = hazard.unitId ? await unitHeads(db, hazard.unitId) : [];
  return heads.length > 0 ? heads : officeStaff(db, hazard.tenantId);
}

/** The 直接责任人 of a unit, or the 第一责任人 when nobody supervises it now (e.g. a vacant 分管 post). */
export async function directOrFirst(
  db: Queryable,
  tenantId: number,
  unitId: number | null,
): Promise<Person[]> {
  const direct = unitId ? await directLeaders(db, unitId) : [];
  return direct.length > 0 ? direct : holdersAtLevel(db, tenantId, ['first']);
}

/** Who decides an extension: the 直接责任人 of the unit that must fix it, else the 第一责任人. */
export const extensionApprovers = (db: Queryable, hazard: Hazard): Promise<Person[]> =>
  directOrFirst(db, hazard.tenantId, hazard.listedUnitId ?? hazard.unitId);

/** Members of the leading group (any role): with the office they form the inspection group. */
async function leadingGroup(db: Queryable, tenantId: number): Promise<Person[]> {
  const rows = await db
    .selectDistinct({ person: people })
    .from(leadingGroupMembers)
    .innerJoin(
      postHolders,
      and(eq(postHolders.postId, leadingGroupMembers.postId), isNull(postHolders.endedAt)),
    )
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(eq(leadingGroupMembers.tenantId, tenantId));
  return rows.map((row) => row.person);
}

export async function hazardRoles(db: Queryable, hazard: Hazard, personId: number): Promise<Set<HazardRole>> {
  const roles = new Set<HazardRole>();
  const is = (list: Person[]) => list.some((person) => person.id === personId);
  const unitId = hazard.listedUnitId ?? hazard.unitId;
  const [heads, office, group, direct, leaders] = await Promise.all([
    unitId ? unitHeads(db, unitId) : Promise.resolve([]),
    officeStaff(db, hazard.tenantId),
    leadingGroup(db, hazard.tenantId),
    unitId ? directLeaders(db, unitId) : Promise.resolve([]),
    holdersAtLevel(db, hazard.tenantId, ['first', 'direct']),
  ]);
  if (is(heads)) roles.add('unitHead');
  if (is(office)) roles.add('office');
  if (hazard.rectifierId === personId) roles.add('rectifier');
  if (is(office) || is(group)) roles.add('inspector');
  if (is(direct) || (direct.length === 0 && is(leaders))) roles.add('directLeader');
  if (is(leaders) || office[0]?.id === personId) roles.add('leader');
  return roles;
}
