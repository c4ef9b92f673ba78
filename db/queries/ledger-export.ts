// The hazard ledger for export (隐患排查登记表 / 隐患整改台帐, 002 §四(四)5), rows only: the ids of a
// tenant's hazards reported in a period, in ledger order, then page by page each page's hazards with the
// names of the people and units, one query for their trail, one for their extensions and one for their
// photos. The labels, times and lines of the ledger are made by handlers/ledger-rows.ts.

import { and, asc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../client.ts';
import {
  adminAccounts,
  categories,
  checklists,
  hazardEvents,
  hazardExtensions,
  hazards,
  inspectionRounds,
  people,
  roundResults,
  tenants,
  units,
} from '../schema.ts';
import { listHazardPhotos } from './evidence.ts';
import { TRAIL_COLUMNS } from './hazards.ts';

/** The hazards reported in [from, to). */
export interface ExportPeriod {
  from: Date;
  to: Date;
}

export async function tenantTimeZone(db: Queryable, tenantId: number): Promise<string> {
  const [tenant] = await db
    .select({ timezone: tenants.timezone })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!tenant) throw new Error(`no tenant with id ${tenantId}`);
  return tenant.timezone;
}

/** The ids of the tenant's hazards reported in the period, in ledger order (reported at, then code). */
export async function ledgerExportIds(db: Queryable, tenantId: number, period: ExportPeriod) {
  const rows = await db
    .select({ id: hazards.id })
    .from(hazards)
    .where(
      and(
        eq(hazards.tenantId, tenantId),
        // A report marked a duplicate is counted once, in the hazard it was merged into.
        isNull(hazards.duplicateOfId),
        gte(hazards.createdAt, period.from),
        lt(hazards.createdAt, period.to),
      ),
    )
    .orderBy(asc(hazards.createdAt), asc(hazards.code), asc(hazards.id));
  return rows.map((row) => row.id);
}

const reporter = alias(people, 'reporter');
const acceptedBy = alias(people, 'accepted_by');
const rectifier = alias(people, 'rectifier');
const reviewedBy = alias(people, 'reviewed_by');
const listedUnit = alias(units, 'listed_unit');
const lister = alias(people, 'lister');
const listerAccount = alias(adminAccounts, 'lister_account');
/** The level above that listed it (区教育局挂牌督办), when not the school itself. */
const listerTenant = alias(tenants, 'lister_tenant');

/**
 * The rows of one page of the ledger (the hazards with these ids, in any order) with their names, trail
 * steps (by hazard, then time), extension requests (likewise) and photos (likewise, with their files); handlers/ledger-rows.ts
 * makes the ledger's lines of them.
 */
export async function ledgerPageData(db: Queryable, tenantId: number, ids: number[]) {
  const [main, events, extensions, photos] = await Promise.all([
    db
      .select({
        hazard: hazards,
        categoryName: categories.name,
        unitName: units.name,
        reporterName: reporter.name,
        reporterOutside: reporter.isOutside,
        acceptedByName: acceptedBy.name,
        rectifierName: rectifier.name,
        reviewedByName: reviewedBy.name,
        listedUnitName: listedUnit.name,
        listerName: lister.name,
        listerAccount: { username: listerAccount.username, displayName: listerAccount.displayName },
        listerTenantName: listerTenant.name,
        // The inspection round whose failing item this hazard is (检查轮次), when it came from one.
        round: sql<string | null>`(select ${inspectionRounds.code} || ' ' || ${checklists.name}
          from ${roundResults} join ${inspectionRounds} on ${inspectionRounds.id} = ${roundResults.roundId}
          join ${checklists} on ${checklists.id} = ${inspectionRounds.checklistId}
          where ${roundResults.hazardId} = ${hazards.id} limit 1)`,
      })
      .from(hazards)
      .innerJoin(reporter, eq(reporter.id, hazards.reporterId))
      .leftJoin(categories, eq(categories.id, hazards.categoryId))
      .leftJoin(units, eq(units.id, hazards.unitId))
      .leftJoin(acceptedBy, eq(acceptedBy.id, hazards.acceptedById))
      .leftJoin(rectifier, eq(rectifier.id, hazards.rectifierId))
      .leftJoin(reviewedBy, eq(reviewedBy.id, hazards.reviewedById))
      .leftJoin(listedUnit, eq(listedUnit.id, hazards.listedUnitId))
      .leftJoin(lister, eq(lister.id, hazards.listedById))
      .leftJoin(listerAccount, eq(listerAccount.id, hazards.listedByAccountId))
      .leftJoin(listerTenant, eq(listerTenant.id, hazards.listedByTenantId))
      .where(and(eq(hazards.tenantId, tenantId), inArray(hazards.id, ids))),
    db
      .select({ hazardId: hazardEvents.hazardId, ...TRAIL_COLUMNS })
      .from(hazardEvents)
      .leftJoin(people, eq(people.id, hazardEvents.actorId))
      .leftJoin(adminAccounts, eq(adminAccounts.id, hazardEvents.actorAccountId))
      .where(and(eq(hazardEvents.tenantId, tenantId), inArray(hazardEvents.hazardId, ids)))
      .orderBy(asc(hazardEvents.hazardId), asc(hazardEvents.at), asc(hazardEvents.id)),
    db
      .select({
        hazardId: hazardExtensions.hazardId,
        createdAt: hazardExtensions.createdAt,
        days: hazardExtensions.days,
        reason: hazardExtensions.reason,
        status: hazardExtensions.status,
      })
      .from(hazardExtensions)
      .where(and(eq(hazardExtensions.tenantId, tenantId), inArray(hazardExtensions.hazardId, ids)))
      .orderBy(asc(hazardExtensions.hazardId), asc(hazardExtensions.createdAt), asc(hazardExtensions.id)),
    listHazardPhotos(db, tenantId, ids),
  ]);
  return { main, events, extensions, photos };
}
