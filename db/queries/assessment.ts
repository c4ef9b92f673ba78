// The scored year-end assessment's rows (issue 20 §5, issue 19 §4): the closed duty periods and the hazards
// of one or several tenants (a bureau's 科室 are assessed on their contracted schools' records, 001 §三.4),
// the schools contracted to each 科室, and the office's adjustments of the table's cells (audited).
import { and, asc, eq, gte, inArray, isNull, lte } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import {
  accidentParties,
  accidents,
  assessmentAdjustments,
  auditEvents,
  bureauContracts,
  hazards,
  obligationPeriods,
  obligations,
  posts,
  tenants,
} from '../schema.ts';
import type { Span } from './reports.ts';

/** Obligation periods of the tenants that closed within the span: unit of the duty's post, kind, met. */
export async function closedPeriodsOfTenants(db: Queryable, tenantIds: number[], span: Span) {
  if (tenantIds.length === 0) return [];
  return db
    .select({
      tenantId: obligationPeriods.tenantId,
      unitId: posts.unitId,
      kind: obligations.kind,
      met: obligationPeriods.met,
    })
    .from(obligationPeriods)
    .innerJoin(obligations, eq(obligations.id, obligationPeriods.obligationId))
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .where(
      and(
        inArray(obligationPeriods.tenantId, tenantIds),
        gte(obligationPeriods.periodEnd, span.start),
        lte(obligationPeriods.periodEnd, span.end),
      ),
    );
}

/** The tenants' hazards reported within the span (duplicates left out), with what on-time needs. */
export async function hazardsOfTenants(db: Queryable, tenantIds: number[], span: Span) {
  if (tenantIds.length === 0) return [];
  return db
    .select({
      tenantId: hazards.tenantId,
      unitId: hazards.unitId,
      status: hazards.status,
      deadline: hazards.deadline,
      closedAt: hazards.closedAt,
    })
    .from(hazards)
    .where(
      and(
        inArray(hazards.tenantId, tenantIds),
        isNull(hazards.duplicateOfId),
        gte(hazards.createdAt, span.from),
        lte(hazards.createdAt, span.to),
      ),
    );
}

/** The units each accident of the span holds responsible (directly, or through a responsible post). */
export async function accidentUnits(db: Queryable, tenantId: number, span: Span) {
  return db
    .select({ accidentId: accidents.id, unitId: accidentParties.unitId, postUnitId: posts.unitId })
    .from(accidentParties)
    .innerJoin(accidents, eq(accidents.id, accidentParties.accidentId))
    .leftJoin(posts, eq(posts.id, accidentParties.postId))
    .where(
      and(
        eq(accidents.tenantId, tenantId),
        gte(accidents.occurredAt, span.from),
        lte(accidents.occurredAt, span.to),
      ),
    );
}

/**
 * The bureau's 科室 and the schools contracted to them (001 §三.1): through the unit itself or one of its
 * posts; only schools whose parent is the bureau (the cross-tenant check of db/queries/bureau.ts).
 */
export async function schoolsOfBureauUnits(db: Queryable, bureauId: number) {
  const rows = await db
    .select({
      unitId: bureauContracts.unitId,
      postUnitId: posts.unitId,
      schoolId: tenants.id,
      school: tenants.name,
    })
    .from(bureauContracts)
    .innerJoin(tenants, and(eq(tenants.id, bureauContracts.schoolId), eq(tenants.parentId, bureauId)))
    .leftJoin(posts, eq(posts.id, bureauContracts.postId))
    .where(eq(bureauContracts.bureauId, bureauId))
    .orderBy(asc(tenants.name));
  const byUnit = new Map<number, Map<number, string>>();
  for (const row of rows) {
    const unitId = row.unitId ?? row.postUnitId;
    if (unitId === null) continue;
    const schools = byUnit.get(unitId) ?? new Map<number, string>();
    schools.set(row.schoolId, row.school);
    byUnit.set(unitId, schools);
  }
  return byUnit;
}

export async function yearAdjustments(db: Queryable, tenantId: number, year: number) {
  return db
    .select()
    .from(assessmentAdjustments)
    .where(and(eq(assessmentAdjustments.tenantId, tenantId), eq(assessmentAdjustments.year, year)))
    .orderBy(asc(assessmentAdjustments.id));
}

/** Sets (points) or clears (null) the office's adjustment of one cell; audited either way. */
export async function adjustCell(
  db: Queryable,
  tenantId: number,
  cell: {
    year: number;
    unitId: number;
    item: string;
    points: number | null;
    reason: string;
    by: string;
    at: Date;
    accountId: number | null;
  },
): Promise<void> {
  const where = and(
    eq(assessmentAdjustments.tenantId, tenantId),
    eq(assessmentAdjustments.year, cell.year),
    eq(assessmentAdjustments.unitId, cell.unitId),
    eq(assessmentAdjustments.item, cell.item),
  );
  const [before] = await db.select().from(assessmentAdjustments).where(where);
  if (cell.points === null) await db.delete(assessmentAdjustments).where(where);
  else
    await db
      .insert(assessmentAdjustments)
      .values({
        tenantId,
        year: cell.year,
        unitId: cell.unitId,
        item: cell.item,
        points: cell.points,
        reason: cell.reason,
        setBy: cell.by,
        setAt: cell.at,
      })
      .onConflictDoUpdate({
        target: [
          assessmentAdjustments.tenantId,
          assessmentAdjustments.year,
          assessmentAdjustments.unitId,
          assessmentAdjustments.item,
        ],
        set: { points: cell.points, reason: cell.reason, setBy: cell.by, setAt: cell.at },
      });
  await db.insert(auditEvents).values({
    tenantId,
    subject: `unit:${cell.unitId}`,
    actorAccountId: cell.accountId,
    action: cell.points === null ? 'assessment.clear' : 'assessment.adjust',
    fromStatus: before ? String(before.points) : null,
    toStatus: cell.points === null ? null : String(cell.points),
    note: cell.reason,
    data: { year: cell.year, item: cell.item, by: cell.by },
    at: cell.at,
  });
}
