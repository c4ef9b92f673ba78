// Hazard rows and their trail.

import { and, asc, desc, eq, gte, inArray, isNull, ne, notInArray, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { CategoryRule } from '../../handlers/hazard-rules.ts';
import type { Queryable } from '../client.ts';
import {
  adminAccounts,
  categories,
  categoryUnits,
  counters,
  hazardEvents,
  hazardExtensions,
  hazardPhotos,
  hazards,
  people,
  tenants,
  units,
} from '../schema.ts';
import { accountLabels } from './accounts.ts';
import { listHazardPhotos } from './evidence.ts';
import { personNames } from './people.ts';
import { byIdInTenant, inserter, updaterFromStatus } from './rows.ts';
import { unitName } from './units.ts';

export type Hazard = typeof hazards.$inferSelect;
/** Columns a workflow step writes. */
export type HazardChanges = Partial<typeof hazards.$inferInsert>;

/** The next number of a per-tenant sequence; atomic inside the caller's transaction. */
export async function nextSequence(db: Queryable, tenantId: number, key: string): Promise<number> {
  const [row] = await db
    .insert(counters)
    .values({ tenantId, key, value: 1 })
    .onConflictDoUpdate({
      target: [counters.tenantId, counters.key],
      set: { value: sql`${counters.value} + 1` },
    })
    .returning({ value: counters.value });
  return row!.value;
}

export async function categoryRules(db: Queryable, tenantId: number): Promise<CategoryRule[]> {
  const rows = await db
    .select({ category: categories, route: categoryUnits })
    .from(categories)
    .innerJoin(categoryUnits, eq(categoryUnits.categoryId, categories.id))
    .innerJoin(units, eq(units.id, categoryUnits.unitId))
    .where(and(eq(categories.tenantId, tenantId), eq(categories.archived, false), eq(units.archived, false)))
    .orderBy(asc(categories.id), asc(categoryUnits.position));
  const rules = new Map<number, CategoryRule>();
  for (const { category, route } of rows) {
    const rule = rules.get(category.id) ?? {
      id: category.id,
      name: category.name,
      keywords: category.keywords,
      routes: [],
    };
    rule.routes.push({
      unitId: route.unitId,
      position: route.position,
      scope: route.scope,
      keywords: route.keywords,
    });
    rules.set(category.id, rule);
  }
  return [...rules.values()];
}

/** A trail step as the ledger and the cards show it (with `people` and `adminAccounts` left-joined on the actor). */
export const TRAIL_COLUMNS = {
  at: hazardEvents.at,
  action: hazardEvents.action,
  fromStatus: hazardEvents.fromStatus,
  toStatus: hazardEvents.toStatus,
  note: hazardEvents.note,
  actorName: people.name,
  actorOutside: people.isOutside,
  actorAccount: { username: adminAccounts.username, displayName: adminAccounts.displayName },
};

/** How many of the latest trail steps a hazard card shows (进展); the ledger has them all. */
const RECENT_STEPS = 3;

/** Hazards with the names of their unit, category and reporter, for the caller to filter and order. */
export function hazardsWithNames(db: Queryable) {
  return db
    .select({
      hazard: hazards,
      unitName: units.name,
      categoryName: categories.name,
      reporterName: people.name,
      reporterOutside: people.isOutside,
    })
    .from(hazards)
    .leftJoin(units, eq(units.id, hazards.unitId))
    .leftJoin(categories, eq(categories.id, hazards.categoryId))
    .innerJoin(people, eq(people.id, hazards.reporterId));
}

/** The tenant's hazards not closed or rejected, oldest first, with who listed them for supervision. */
export async function openHazards(db: Queryable, tenantId: number) {
  const rows = await hazardsWithNames(db)
    .where(and(eq(hazards.tenantId, tenantId), notInArray(hazards.status, ['closed', 'rejected'])))
    .orderBy(asc(hazards.id));
  const listers = await personNames(
    db,
    tenantId,
    rows.map(({ hazard }) => hazard.listedById),
  );
  const aboveIds = [
    ...new Set(rows.map(({ hazard }) => hazard.listedByTenantId).filter((id) => id !== null)),
  ];
  const above = new Map(
    aboveIds.length > 0
      ? (
          await db
            .select({ id: tenants.id, name: tenants.name })
            .from(tenants)
            .where(inArray(tenants.id, aboveIds))
        ).map((row) => [row.id, row.name])
      : [],
  );
  return rows.map(({ hazard, unitName }) => ({
    id: hazard.id,
    code: hazard.code,
    description: hazard.description,
    status: hazard.status,
    severity: hazard.severity,
    unitName,
    deadline: hazard.deadline,
    listed: hazard.listed,
    listedMatter: hazard.listedMatter,
    listedDeadline: hazard.listedDeadline,
    // Listed by the level above: its account is not the school's, its name is the organization's.
    listedByAccountId: hazard.listedByTenantId === null ? hazard.listedByAccountId : null,
    listedByName:
      hazard.listedByTenantId !== null
        ? `${above.get(hazard.listedByTenantId) ?? '上级'}挂牌督办`
        : hazard.listedById === null
          ? null
          : (listers.get(hazard.listedById) ?? null),
  }));
}

/** A hazard with the names a card shows, its pending extension and its latest steps. */
export async function hazardView(db: Queryable, tenantId: number, hazardId: number) {
  const [row] = await hazardsWithNames(db).where(
    and(eq(hazards.tenantId, tenantId), eq(hazards.id, hazardId)),
  );
  if (!row) return undefined;
  const { hazard } = row;
  const extension = await pendingExtension(db, hazardId);
  const names = await personNames(db, tenantId, [
    hazard.acceptedById,
    hazard.rectifierId,
    hazard.reviewedById,
    hazard.listedById,
    extension?.requestedById ?? null,
  ]);
  const listedUnit = await unitName(db, tenantId, hazard.listedUnitId);
  // Photos refused or lost are on the trail, not counted as evidence.
  const [photos] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(hazardPhotos)
    .where(and(eq(hazardPhotos.hazardId, hazardId), ne(hazardPhotos.fetchStatus, 'failed')));
  const recentSteps = (
    await db
      .select(TRAIL_COLUMNS)
      .from(hazardEvents)
      .leftJoin(people, eq(people.id, hazardEvents.actorId))
      .leftJoin(adminAccounts, eq(adminAccounts.id, hazardEvents.actorAccountId))
      .where(eq(hazardEvents.hazardId, hazardId))
      .orderBy(desc(hazardEvents.at), desc(hazardEvents.id))
      .limit(RECENT_STEPS)
  ).reverse();
  const name = (id: number | null) => (id === null ? undefined : names.get(id));
  const accounts = await accountLabels(db, [hazard.listedByAccountId]);
  const tenantNames = new Map(
    (
      await db
        .select({ id: tenants.id, name: tenants.name })
        .from(tenants)
        .where(inArray(tenants.id, [tenantId, hazard.listedByTenantId ?? tenantId]))
    ).map((row) => [row.id, row.name]),
  );
  // Listed by the level above: its person (of that tenant) or its console account, under its name.
  const levelAbove = hazard.listedByTenantId === null ? undefined : tenantNames.get(hazard.listedByTenantId);
  const aboveLister =
    hazard.listedByTenantId === null || hazard.listedById === null
      ? undefined
      : (await personNames(db, hazard.listedByTenantId, [hazard.listedById])).get(hazard.listedById);
  const linkedIds = [hazard.similarToId, hazard.duplicateOfId].filter((id): id is number => id !== null);
  const linked = new Map(
    linkedIds.length > 0
      ? (
          await db
            .select({ id: hazards.id, code: hazards.code, description: hazards.description })
            .from(hazards)
            .where(and(eq(hazards.tenantId, tenantId), inArray(hazards.id, linkedIds)))
        ).map((other) => [other.id, other])
      : [],
  );
  const duplicates = await db
    .select({ code: hazards.code })
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), eq(hazards.duplicateOfId, hazardId)))
    .orderBy(asc(hazards.id));
  return {
    ...row,
    acceptedByName: name(hazard.acceptedById),
    rectifierName: name(hazard.rectifierId),
    reviewedByName: name(hazard.reviewedById),
    /**
     * The leader who listed it, or the office's console account (`周尹尹（后台账号 office）`); listed by
     * the level above, that organization with its lister (`某区教育体育局（郑卫东）`).
     */
    listedByName: levelAbove
      ? `${levelAbove}（${aboveLister ?? accounts.get(hazard.listedByAccountId ?? 0) ?? '管理后台'}）`
      : (name(hazard.listedById) ?? accounts.get(hazard.listedByAccountId ?? 0)),
    /** The organization above that listed it (区教育局挂牌督办), when it was not the school itself. */
    listedByLevelAbove: levelAbove,
    /** The organization the hazard is of (the school, on a bureau's copy of its card). */
    tenantName: tenantNames.get(tenantId) ?? '',
    listedUnitName: listedUnit,
    photoCount: photos?.count ?? 0,
    /** Every photo with its stage and download state (cards show the stored ones). */
    photos: await listHazardPhotos(db, tenantId, [hazardId]),
    pendingExtension: extension && { ...extension, requesterName: name(extension.requestedById) },
    recentSteps,
    /** The open hazard this report looked like when it came in. */
    similarTo: hazard.similarToId === null ? undefined : linked.get(hazard.similarToId),
    /** The hazard this one was marked a duplicate of. */
    duplicateOf: hazard.duplicateOfId === null ? undefined : linked.get(hazard.duplicateOfId),
    /** Reports marked duplicates of this one. */
    duplicateCodes: duplicates.map((row) => row.code),
  };
}

/** The tenant's hazards meeting every condition: a query to order, limit or await. */
const hazardsWhere = (db: Queryable, tenantId: number, ...conditions: (SQL | undefined)[]) =>
  db
    .select()
    .from(hazards)
    .where(and(eq(hazards.tenantId, tenantId), ...conditions));

const OPEN_STATES = ['reported', 'accepted', 'rectifying', 'pending_review'] as const;

/** Open hazards of a category reported since a moment, not themselves duplicates; the newest first. */
export async function openHazardsOfCategory(
  db: Queryable,
  tenantId: number,
  categoryId: number,
  since: Date,
): Promise<Hazard[]> {
  return hazardsWhere(
    db,
    tenantId,
    eq(hazards.categoryId, categoryId),
    inArray(hazards.status, [...OPEN_STATES]),
    isNull(hazards.duplicateOfId),
    gte(hazards.createdAt, since),
  ).orderBy(desc(hazards.createdAt), desc(hazards.id));
}

export type HazardView = NonNullable<Awaited<ReturnType<typeof hazardView>>>;

export async function appendHazardEvent(db: Queryable, row: typeof hazardEvents.$inferInsert) {
  await db.insert(hazardEvents).values(row);
}

/**
 * A hazard by its human id within a tenant: as written (YH-JSZX-2026-0001, or a number from before
 * prefixes, YH-2026-0001), or written without the tenant's own prefix (YH-2026-0001 for YH-JSZX-2026-0001).
 */
export async function hazardByCode(
  db: Queryable,
  tenantId: number,
  code: string,
): Promise<Hazard | undefined> {
  const wanted = code.toUpperCase();
  const prefixed = sql`'YH-' || (select ${tenants.hazardPrefix} from ${tenants} where ${tenants.id} = ${tenantId}) || ${wanted.slice(2)}`;
  const [row] = await hazardsWhere(
    db,
    tenantId,
    /^YH-\d{4}-\d+$/.test(wanted)
      ? or(eq(hazards.code, wanted), eq(hazards.code, prefixed))!
      : eq(hazards.code, wanted),
  )
    .orderBy(sql`${hazards.code} = ${wanted} desc`)
    .limit(1);
  return row;
}

/** The tenant's newest hazard by `newest` among those meeting every condition. */
async function latestHazard(
  db: Queryable,
  tenantId: number,
  newest: PgColumn,
  conditions: SQL[],
): Promise<Hazard | undefined> {
  const [row] = await hazardsWhere(db, tenantId, ...conditions)
    .orderBy(desc(newest))
    .limit(1);
  return row;
}

/** The reporter's latest hazard from the same chat since a moment: where follow-up photos belong. */
export function latestReportInChat(
  db: Queryable,
  tenantId: number,
  reporterId: number,
  chatId: string,
  since: Date,
): Promise<Hazard | undefined> {
  return latestHazard(db, tenantId, hazards.createdAt, [
    eq(hazards.reporterId, reporterId),
    eq(hazards.sourceChatId, chatId),
    gte(hazards.createdAt, since),
  ]);
}

/** The hazard whose rectification this person submitted most recently, since a moment. */
export function latestRectificationBy(
  db: Queryable,
  tenantId: number,
  personId: number,
  since: Date,
): Promise<Hazard | undefined> {
  return latestHazard(db, tenantId, hazards.rectifiedAt, [
    eq(hazards.rectifiedById, personId),
    gte(hazards.rectifiedAt, since),
  ]);
}

/** A hazard by its row id, within a tenant (a button's or a form's id). */
export const hazardById = byIdInTenant(hazards);

export const insertHazard = inserter(hazards);

/** Writes a step's changes if the hazard is still in the state the step was decided on. */
export const updateHazardFrom = updaterFromStatus(hazards);

export async function markSimilar(db: Queryable, hazardId: number, similarToId: number): Promise<void> {
  await db.update(hazards).set({ similarToId }).where(eq(hazards.id, hazardId));
}

/**
 * Locks both hazards of a duplicate merge, in id order, and tells whether the original is still one to
 * merge into (neither rejected nor itself a duplicate), read under the lock.
 */
export async function lockForMerge(db: Queryable, hazardId: number, originalId: number): Promise<boolean> {
  await db
    .select({ id: hazards.id })
    .from(hazards)
    .where(inArray(hazards.id, [hazardId, originalId]))
    .orderBy(asc(hazards.id))
    .for('update');
  const [open] = await db
    .select({ id: hazards.id })
    .from(hazards)
    .where(and(eq(hazards.id, originalId), isNull(hazards.duplicateOfId), ne(hazards.status, 'rejected')));
  return open !== undefined;
}

export async function addHazardPhotos(db: Queryable, rows: (typeof hazardPhotos.$inferInsert)[]) {
  if (rows.length > 0) await db.insert(hazardPhotos).values(rows);
}

/** Copies a hazard's photos to another; returns how many. */
export async function copyHazardPhotos(db: Queryable, fromId: number, toId: number): Promise<number> {
  const photos = await db.select().from(hazardPhotos).where(eq(hazardPhotos.hazardId, fromId));
  await addHazardPhotos(
    db,
    photos.map(({ id: _id, ...photo }) => ({ ...photo, hazardId: toId })),
  );
  return photos.length;
}

export type HazardExtension = typeof hazardExtensions.$inferSelect;

/** The hazard's extension request awaiting a decision, if any. */
export async function pendingExtension(
  db: Queryable,
  hazardId: number,
): Promise<HazardExtension | undefined> {
  const [row] = await db
    .select()
    .from(hazardExtensions)
    .where(and(eq(hazardExtensions.hazardId, hazardId), eq(hazardExtensions.status, 'pending')))
    .orderBy(desc(hazardExtensions.id))
    .limit(1);
  return row;
}

export async function insertExtension(db: Queryable, row: typeof hazardExtensions.$inferInsert) {
  await db.insert(hazardExtensions).values(row);
}

export async function decideExtensionRow(
  db: Queryable,
  id: number,
  decision: Pick<HazardExtension, 'status' | 'decidedById' | 'decidedAt'>,
) {
  await db.update(hazardExtensions).set(decision).where(eq(hazardExtensions.id, id));
}

/** Every tenant's hazards in these states, as the ids a job then reads one by one. */
export async function hazardsInStates(db: Queryable, statuses: readonly Hazard['status'][]) {
  return db
    .select({ id: hazards.id, tenantId: hazards.tenantId })
    .from(hazards)
    .where(inArray(hazards.status, [...statuses]));
}
