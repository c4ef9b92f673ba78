// The accident register's rows (DOMAIN §6): accidents with their responsible units and posts, the
// 一票否决 proposals they make, their decisions (unit flags go to `veto_flags`, person flags to
// `person_veto_flags`), each change in `audit_events`. Every query is scoped to one tenant.
import { and, asc, desc, eq, gte, inArray, isNull, lt, lte } from 'drizzle-orm';
import type { AccidentKind, AccidentSeverity, VetoKind } from '../../handlers/accident-rules.ts';
import type { Queryable } from '../client.ts';
import {
  accidentParties,
  accidents,
  auditEvents,
  people,
  personVetoFlags,
  postHolders,
  posts,
  tenants,
  units,
  vetoProposals,
} from '../schema.ts';
import { nextSequence } from './hazards.ts';
import { setVetoFlag } from './reports.ts';

export type Accident = typeof accidents.$inferSelect;
export type VetoProposal = typeof vetoProposals.$inferSelect;

export interface NewAccident {
  kind: AccidentKind;
  severity: AccidentSeverity;
  occurredAt: Date;
  place: string;
  summary: string;
  students: number;
  staff: number;
  injured: number;
  deaths: number;
  responsible: boolean;
  injuredNames: string;
  handling: string;
  followUp: string;
  reportDueAt: Date;
  reportedAt: Date | null;
  reportedTo: string | null;
  unitIds: number[];
  postIds: number[];
}

/** The tenant's live posts with their unit and current holders, for choosing who is responsible. */
export async function postsWithHolders(db: Queryable, tenantId: number) {
  return db
    .select({
      postId: posts.id,
      title: posts.title,
      unitId: posts.unitId,
      unit: units.name,
      personId: people.id,
      person: people.name,
    })
    .from(posts)
    .leftJoin(units, eq(units.id, posts.unitId))
    .leftJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .leftJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(posts.tenantId, tenantId), eq(posts.archived, false)))
    .orderBy(asc(posts.id), asc(people.id));
}

/**
 * Records an accident, its responsible units and posts (with the posts' current holders), and the
 * proposals of `veto` for each responsible unit and person. Ids must be the tenant's (checked upstairs).
 */
export async function recordAccident(
  db: Queryable,
  tenantId: number,
  input: NewAccident,
  meta: { year: number; by: string; at: Date; accountId: number | null; veto: VetoKind | undefined },
): Promise<Accident> {
  const [tenant] = await db
    .select({ prefix: tenants.hazardPrefix })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  const sequence = await nextSequence(db, tenantId, `accident:${meta.year}`);
  const code = `SG-${tenant!.prefix}-${meta.year}-${String(sequence).padStart(4, '0')}`;
  const { unitIds, postIds, ...fields } = input;
  const [accident] = await db
    .insert(accidents)
    .values({ tenantId, code, ...fields, recordedBy: meta.by, createdAt: meta.at })
    .returning();
  const holders =
    postIds.length === 0
      ? []
      : await db
          .select({ postId: postHolders.postId, personId: postHolders.personId })
          .from(postHolders)
          .where(and(inArray(postHolders.postId, postIds), isNull(postHolders.endedAt)))
          .orderBy(asc(postHolders.id));
  const parties = [
    ...unitIds.map((unitId) => ({ tenantId, accidentId: accident!.id, unitId })),
    ...postIds.flatMap((postId) => {
      const mine = holders.filter((row) => row.postId === postId);
      return mine.length === 0
        ? [{ tenantId, accidentId: accident!.id, postId }]
        : mine.map((row) => ({ tenantId, accidentId: accident!.id, postId, personId: row.personId }));
    }),
  ];
  if (parties.length > 0) await db.insert(accidentParties).values(parties);
  if (meta.veto) {
    const personIds = [...new Set(holders.map((row) => row.personId))];
    const proposals = [
      ...unitIds.map((unitId) => ({ unitId })),
      ...personIds.map((personId) => ({ personId })),
    ].map((who) => ({
      tenantId,
      accidentId: accident!.id,
      year: meta.year,
      kind: meta.veto!,
      createdAt: meta.at,
      ...who,
    }));
    if (proposals.length > 0) await db.insert(vetoProposals).values(proposals);
  }
  await db.insert(auditEvents).values({
    tenantId,
    subject: `accident:${accident!.id}`,
    actorAccountId: meta.accountId,
    action: 'accident.record',
    toStatus: accident!.kind,
    data: { code, by: meta.by, veto: meta.veto ?? null },
    at: meta.at,
  });
  return accident!;
}

/** The tenant's accidents that happened within [from, to), newest first. */
export async function accidentsIn(db: Queryable, tenantId: number, from: Date, to: Date) {
  return db
    .select()
    .from(accidents)
    .where(
      and(eq(accidents.tenantId, tenantId), gte(accidents.occurredAt, from), lt(accidents.occurredAt, to)),
    )
    .orderBy(desc(accidents.occurredAt), desc(accidents.id));
}

/** Accidents of several tenants within [from, to) (a bureau's contracted schools), with their tenant. */
export async function accidentsOfTenants(db: Queryable, tenantIds: number[], from: Date, to: Date) {
  if (tenantIds.length === 0) return [];
  return db
    .select({ id: accidents.id, tenantId: accidents.tenantId, kind: accidents.kind })
    .from(accidents)
    .where(
      and(
        inArray(accidents.tenantId, tenantIds),
        gte(accidents.occurredAt, from),
        lt(accidents.occurredAt, to),
      ),
    );
}

export async function accidentById(db: Queryable, tenantId: number, id: number) {
  const [row] = await db
    .select()
    .from(accidents)
    .where(and(eq(accidents.tenantId, tenantId), eq(accidents.id, id)));
  return row;
}

/** The responsible parties of accidents, with names: units, and posts with their holder at the time. */
export async function partiesOf(db: Queryable, tenantId: number, accidentIds: number[]) {
  if (accidentIds.length === 0) return [];
  return db
    .select({
      accidentId: accidentParties.accidentId,
      unitId: accidentParties.unitId,
      unit: units.name,
      postId: accidentParties.postId,
      post: posts.title,
      postUnitId: posts.unitId,
      personId: accidentParties.personId,
      person: people.name,
    })
    .from(accidentParties)
    .leftJoin(units, eq(units.id, accidentParties.unitId))
    .leftJoin(posts, eq(posts.id, accidentParties.postId))
    .leftJoin(people, eq(people.id, accidentParties.personId))
    .where(and(eq(accidentParties.tenantId, tenantId), inArray(accidentParties.accidentId, accidentIds)))
    .orderBy(asc(accidentParties.id));
}

/** Proposals with the names of whom they concern and their accident's number; pending first, then newest. */
export async function proposalsOf(
  db: Queryable,
  tenantId: number,
  filter: { accidentId?: number; status?: 'pending' } = {},
) {
  return db
    .select({
      proposal: vetoProposals,
      code: accidents.code,
      unit: units.name,
      person: people.name,
    })
    .from(vetoProposals)
    .innerJoin(accidents, eq(accidents.id, vetoProposals.accidentId))
    .leftJoin(units, eq(units.id, vetoProposals.unitId))
    .leftJoin(people, eq(people.id, vetoProposals.personId))
    .where(
      and(
        eq(vetoProposals.tenantId, tenantId),
        filter.accidentId !== undefined ? eq(vetoProposals.accidentId, filter.accidentId) : undefined,
        filter.status ? eq(vetoProposals.status, filter.status) : undefined,
      ),
    )
    .orderBy(asc(vetoProposals.status), desc(vetoProposals.id));
}

/**
 * The office decides a pending proposal: confirmed, a unit's becomes its `veto_flags` row, a person's a
 * `person_veto_flags` row; dismissed, nothing else changes. False when it is not pending (any more).
 */
export async function decideProposal(
  db: Queryable,
  tenantId: number,
  id: number,
  decision: {
    confirm: boolean;
    reason: string;
    by: string;
    at: Date;
    accountId: number | null;
  },
): Promise<VetoProposal | undefined> {
  const [proposal] = await db
    .update(vetoProposals)
    .set({
      status: decision.confirm ? 'confirmed' : 'dismissed',
      decidedBy: decision.by,
      decidedAt: decision.at,
      decisionReason: decision.reason,
    })
    .where(
      and(
        eq(vetoProposals.tenantId, tenantId),
        eq(vetoProposals.id, id),
        eq(vetoProposals.status, 'pending'),
      ),
    )
    .returning();
  if (!proposal) return undefined;
  const [accident] = await db
    .select({ code: accidents.code })
    .from(accidents)
    .where(eq(accidents.id, proposal.accidentId));
  const reason = `${accident!.code}：${decision.reason}`;
  if (decision.confirm && proposal.unitId !== null) {
    await setVetoFlag(db, tenantId, {
      unitId: proposal.unitId,
      year: proposal.year,
      kind: proposal.kind,
      reason,
      setBy: decision.by,
      at: decision.at,
      accountId: decision.accountId,
    });
  }
  if (decision.confirm && proposal.personId !== null) {
    await db
      .insert(personVetoFlags)
      .values({
        tenantId,
        personId: proposal.personId,
        year: proposal.year,
        kind: proposal.kind,
        reason,
        setBy: decision.by,
        setAt: decision.at,
      })
      .onConflictDoUpdate({
        target: [personVetoFlags.personId, personVetoFlags.year, personVetoFlags.kind],
        set: { reason, setBy: decision.by, setAt: decision.at },
      });
  }
  await db.insert(auditEvents).values({
    tenantId,
    subject: `veto-proposal:${proposal.id}`,
    actorAccountId: decision.accountId,
    action: decision.confirm ? 'veto-proposal.confirm' : 'veto-proposal.dismiss',
    fromStatus: 'pending',
    toStatus: proposal.status,
    note: decision.reason,
    data: {
      accident: accident!.code,
      unit: proposal.unitId,
      person: proposal.personId,
      year: proposal.year,
      by: decision.by,
    },
    at: decision.at,
  });
  return proposal;
}

/** Records that the accident was reported to the level above (once; later calls change nothing). */
export async function markReported(
  db: Queryable,
  tenantId: number,
  id: number,
  report: { at: Date; to: string; by: string; accountId: number | null },
): Promise<boolean> {
  const updated = await db
    .update(accidents)
    .set({ reportedAt: report.at, reportedTo: report.to })
    .where(and(eq(accidents.tenantId, tenantId), eq(accidents.id, id), isNull(accidents.reportedAt)))
    .returning({ id: accidents.id });
  if (updated.length === 0) return false;
  await db.insert(auditEvents).values({
    tenantId,
    subject: `accident:${id}`,
    actorAccountId: report.accountId,
    action: 'accident.report',
    note: report.to,
    data: { by: report.by },
    at: report.at,
  });
  return true;
}

/** Accidents not reported upward and past their due time: of one tenant, or of all (the reminder job). */
export async function unreportedPastDue(db: Queryable, now: Date, tenantId?: number) {
  return db
    .select()
    .from(accidents)
    .where(
      and(
        tenantId === undefined ? undefined : eq(accidents.tenantId, tenantId),
        isNull(accidents.reportedAt),
        lte(accidents.reportDueAt, now),
      ),
    )
    .orderBy(asc(accidents.id));
}

/** The year's person flags (评优/晋级 withdrawn), with the person's name. */
export async function yearPersonVetoFlags(db: Queryable, tenantId: number, year: number) {
  return db
    .select({ flag: personVetoFlags, person: people.name })
    .from(personVetoFlags)
    .innerJoin(people, eq(people.id, personVetoFlags.personId))
    .where(and(eq(personVetoFlags.tenantId, tenantId), eq(personVetoFlags.year, year)))
    .orderBy(asc(personVetoFlags.id));
}
