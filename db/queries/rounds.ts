// Inspection rounds and their results: a walk of a checklist for the school or a unit, an item found
// 合格/不合格/不适用 (a failure links the hazard it became), the round signed off; the 排查登记表's rows;
// what the targets (五有/九无/八杜绝) are fed from.
import { aliasedTable, and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { OPEN_STATUSES } from '../../handlers/hazard-workflow.ts';
import type { Queryable } from '../client.ts';
import {
  adminAccounts,
  checklistItems,
  checklists,
  hazards,
  inspectionRounds,
  obligations,
  people,
  postHolders,
  posts,
  roundResults,
  units,
} from '../schema.ts';
import type { Obligation } from './obligations.ts';
import { byIdInTenant, byKeyInTenant, inserter } from './rows.ts';

export type Round = typeof inspectionRounds.$inferSelect;
export type RoundResultRow = typeof roundResults.$inferSelect;

export const insertRound = inserter(inspectionRounds);
export const roundById = byIdInTenant(inspectionRounds);
export const roundByCode = byKeyInTenant<typeof inspectionRounds, string>(
  inspectionRounds,
  inspectionRounds.code,
);

/** A person's open round, the newest (what `签字` and a result's follow-ups refer to). */
export async function openRoundOf(db: Queryable, tenantId: number, personId: number) {
  const [row] = await db
    .select()
    .from(inspectionRounds)
    .where(
      and(
        eq(inspectionRounds.tenantId, tenantId),
        eq(inspectionRounds.inspectorId, personId),
        eq(inspectionRounds.status, 'open'),
      ),
    )
    .orderBy(desc(inspectionRounds.startedAt), desc(inspectionRounds.id))
    .limit(1);
  return row;
}

/** A round's items in order with what each was found to be (none yet: `result` null). */
export async function roundSheet(db: Queryable, round: Round) {
  return db
    .select({
      item: checklistItems,
      result: roundResults.result,
      note: roundResults.note,
      hazardId: roundResults.hazardId,
      hazardCode: hazards.code,
    })
    .from(checklistItems)
    .leftJoin(
      roundResults,
      and(eq(roundResults.itemId, checklistItems.id), eq(roundResults.roundId, round.id)),
    )
    .leftJoin(hazards, eq(hazards.id, roundResults.hazardId))
    .where(
      and(
        eq(checklistItems.checklistId, round.checklistId),
        // An item archived after the round was walked still shows its result.
        or(eq(checklistItems.archived, false), sql`${roundResults.id} is not null`),
      ),
    )
    .orderBy(asc(checklistItems.position), asc(checklistItems.id));
}

export async function resultOf(db: Queryable, roundId: number, itemId: number) {
  const [row] = await db
    .select()
    .from(roundResults)
    .where(and(eq(roundResults.roundId, roundId), eq(roundResults.itemId, itemId)));
  return row;
}

/** Writes an item's result (again, while it has no hazard: a failure once filed stays). */
export async function saveResult(db: Queryable, row: typeof roundResults.$inferInsert) {
  const [stored] = await db
    .insert(roundResults)
    .values(row)
    .onConflictDoUpdate({
      target: [roundResults.roundId, roundResults.itemId],
      set: {
        result: row.result,
        note: row.note ?? null,
        hazardId: row.hazardId ?? null,
        recordedById: row.recordedById ?? null,
        recordedAt: row.recordedAt,
      },
      setWhere: isNull(roundResults.hazardId),
    })
    .returning();
  return stored;
}

export async function linkResultHazard(db: Queryable, resultId: number, hazardId: number) {
  await db.update(roundResults).set({ hazardId }).where(eq(roundResults.id, resultId));
}

/** Signs an open round off; undefined when it was signed already. */
export async function signRoundRow(db: Queryable, round: Round, signedAt: Date, note: string | null) {
  const [row] = await db
    .update(inspectionRounds)
    .set({ status: 'signed', signedAt, signedNote: note })
    .where(and(eq(inspectionRounds.id, round.id), eq(inspectionRounds.status, 'open')))
    .returning();
  return row;
}

const inspector = aliasedTable(people, 'inspector');

/** Rounds of a tenant, newest first, with the list's name, the unit and who walked it. */
export async function roundsOf(db: Queryable, tenantId: number, limit = 100) {
  return db
    .select({
      round: inspectionRounds,
      checklistName: checklists.name,
      unitName: units.name,
      inspectorName: sql<string>`coalesce(${inspector.name}, ${adminAccounts.displayName})`,
    })
    .from(inspectionRounds)
    .innerJoin(checklists, eq(checklists.id, inspectionRounds.checklistId))
    .leftJoin(units, eq(units.id, inspectionRounds.unitId))
    .leftJoin(inspector, eq(inspector.id, inspectionRounds.inspectorId))
    .leftJoin(adminAccounts, eq(adminAccounts.id, inspectionRounds.inspectorAccountId))
    .where(eq(inspectionRounds.tenantId, tenantId))
    .orderBy(desc(inspectionRounds.startedAt), desc(inspectionRounds.id))
    .limit(limit);
}

/**
 * The 排查登记表's rows: every result of one round, or of every round started within [from, to), in
 * round order then item order, with the hazard it became and how far its rectification got.
 */
export async function registerRows(
  db: Queryable,
  tenantId: number,
  which: { roundId: number } | { from: Date; to: Date },
) {
  return db
    .select({
      roundCode: inspectionRounds.code,
      startedAt: inspectionRounds.startedAt,
      signedAt: inspectionRounds.signedAt,
      scope: inspectionRounds.scope,
      area: inspectionRounds.area,
      checklistName: checklists.name,
      unitName: units.name,
      inspectorName: sql<string>`coalesce(${inspector.name}, ${adminAccounts.displayName})`,
      itemText: checklistItems.text,
      itemSource: checklistItems.source,
      result: roundResults.result,
      note: roundResults.note,
      hazardCode: hazards.code,
      hazardStatus: hazards.status,
      measures: hazards.measures,
      rectifiedAt: hazards.rectifiedAt,
    })
    .from(roundResults)
    .innerJoin(inspectionRounds, eq(inspectionRounds.id, roundResults.roundId))
    .innerJoin(checklists, eq(checklists.id, inspectionRounds.checklistId))
    .innerJoin(checklistItems, eq(checklistItems.id, roundResults.itemId))
    .leftJoin(units, eq(units.id, inspectionRounds.unitId))
    .leftJoin(inspector, eq(inspector.id, inspectionRounds.inspectorId))
    .leftJoin(adminAccounts, eq(adminAccounts.id, inspectionRounds.inspectorAccountId))
    .leftJoin(hazards, eq(hazards.id, roundResults.hazardId))
    .where(
      and(
        eq(roundResults.tenantId, tenantId),
        'roundId' in which
          ? eq(inspectionRounds.id, which.roundId)
          : and(gte(inspectionRounds.startedAt, which.from), lt(inspectionRounds.startedAt, which.to)),
      ),
    )
    .orderBy(
      asc(inspectionRounds.startedAt),
      asc(inspectionRounds.id),
      asc(checklistItems.position),
      asc(checklistItems.id),
    );
}

export type RegisterRow = Awaited<ReturnType<typeof registerRows>>[number];

/** A target item and the list it belongs to. */
export async function targetItems(db: Queryable, tenantId: number) {
  return db
    .select({ item: checklistItems, checklistCode: checklists.code, checklistName: checklists.name })
    .from(checklistItems)
    .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
    .where(
      and(
        eq(checklists.tenantId, tenantId),
        eq(checklists.kind, 'target'),
        eq(checklists.archived, false),
        eq(checklistItems.archived, false),
      ),
    )
    .orderBy(asc(checklists.position), asc(checklistItems.position), asc(checklistItems.id));
}

/**
 * The latest result of each target item on a signed round, per round unit (null: a school-wide round):
 * a target list walked as a self-assessment.
 */
export async function latestTargetResults(db: Queryable, tenantId: number, itemIds: number[]) {
  if (itemIds.length === 0) return [];
  return db
    .selectDistinctOn([roundResults.itemId, inspectionRounds.unitId], {
      itemId: roundResults.itemId,
      unitId: inspectionRounds.unitId,
      result: roundResults.result,
      at: roundResults.recordedAt,
    })
    .from(roundResults)
    .innerJoin(inspectionRounds, eq(inspectionRounds.id, roundResults.roundId))
    .where(
      and(
        eq(roundResults.tenantId, tenantId),
        eq(inspectionRounds.status, 'signed'),
        inArray(roundResults.itemId, itemIds),
      ),
    )
    .orderBy(
      roundResults.itemId,
      inspectionRounds.unitId,
      desc(roundResults.recordedAt),
      desc(roundResults.id),
    );
}

/**
 * Open hazards that failing items became, per target item they count against (the item itself when it
 * is a target, else its `target`) and per hazard unit.
 */
export async function openHazardsPerTarget(db: Queryable, tenantId: number) {
  const target = sql<number>`coalesce(${checklistItems.targetItemId}, case when ${checklists.kind} = 'target' then ${checklistItems.id} end)`;
  const rows = await db
    .select({ targetId: target, unitId: hazards.unitId, n: sql<number>`count(distinct ${hazards.id})` })
    .from(roundResults)
    .innerJoin(checklistItems, eq(checklistItems.id, roundResults.itemId))
    .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
    .innerJoin(hazards, eq(hazards.id, roundResults.hazardId))
    .where(
      and(
        eq(roundResults.tenantId, tenantId),
        inArray(hazards.status, [...OPEN_STATUSES]),
        sql`${target} is not null`,
      ),
    )
    .groupBy(target, hazards.unitId);
  return rows.map((row) => ({ targetId: Number(row.targetId), unitId: row.unitId, n: Number(row.n) }));
}

/**
 * The current holders of the tenant's obligations of a kind and scope (the school-wide 大检查 of 002
 * §四(四)), each once, with the obligation's title.
 */
export async function holdersOfObligations(
  db: Queryable,
  tenantId: number,
  kind: Obligation['kind'],
  scope: Obligation['scope'],
) {
  return db
    .selectDistinct({ personId: postHolders.personId, name: people.name, title: obligations.title })
    .from(obligations)
    .innerJoin(posts, and(eq(posts.id, obligations.postId), eq(posts.archived, false)))
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(
      and(
        eq(obligations.tenantId, tenantId),
        eq(obligations.kind, kind),
        eq(obligations.scope, scope),
        eq(obligations.archived, false),
      ),
    )
    .orderBy(asc(postHolders.personId));
}

/**
 * The failing item this person recorded most recently without a note, since a moment: a text that
 * follows it is its 问题描述 (the channels without a form field).
 */
export async function latestBareFailureBy(db: Queryable, tenantId: number, personId: number, since: Date) {
  const [row] = await db
    .select({ result: roundResults, itemText: checklistItems.text })
    .from(roundResults)
    .innerJoin(checklistItems, eq(checklistItems.id, roundResults.itemId))
    .innerJoin(inspectionRounds, eq(inspectionRounds.id, roundResults.roundId))
    .where(
      and(
        eq(roundResults.tenantId, tenantId),
        eq(roundResults.recordedById, personId),
        eq(roundResults.result, 'fail'),
        isNull(roundResults.note),
        gte(roundResults.recordedAt, since),
        eq(inspectionRounds.status, 'open'),
      ),
    )
    .orderBy(desc(roundResults.recordedAt), desc(roundResults.id))
    .limit(1);
  return row;
}

export async function setResultNote(db: Queryable, resultId: number, note: string) {
  await db.update(roundResults).set({ note }).where(eq(roundResults.id, resultId));
}
