// The hazard ledger (台账): hazards with their names, filtered by what the reader may see.
import {
  and,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNotNull,
  isNull,
  lt,
  notInArray,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { HazardStatus } from '../../handlers/hazard-workflow.ts';
import type { Queryable } from '../client.ts';
import { categories, hazards } from '../schema.ts';
import { hazardsWithNames } from './hazards.ts';

export interface LedgerFilter {
  /** Only these units (a unit head's view); undefined = every unit. */
  unitIds?: number[];
  /** Only hazards this person reported or rectifies (a staff member's view). */
  personId?: number;
  statuses?: HazardStatus[];
  includeClosed?: boolean;
  categoryName?: string;
  overdue?: boolean;
  listed?: boolean;
  from?: Date;
  to?: Date;
  /** Words every hazard shown has in its description or place. */
  keywords?: string[];
}

/** A word as an ILIKE pattern that matches it literally anywhere. */
const containing = (word: string) => `%${word.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

export async function ledgerRows(
  db: Queryable,
  tenantId: number,
  filter: LedgerFilter,
  now: Date,
  limit = 20,
) {
  // A report marked a duplicate is counted once: in the hazard it was merged into.
  const conditions: (SQL | undefined)[] = [eq(hazards.tenantId, tenantId), isNull(hazards.duplicateOfId)];
  for (const word of filter.keywords ?? []) {
    conditions.push(or(ilike(hazards.description, containing(word)), ilike(hazards.place, containing(word))));
  }
  if (filter.unitIds) {
    conditions.push(
      filter.unitIds.length > 0
        ? or(inArray(hazards.unitId, filter.unitIds), inArray(hazards.listedUnitId, filter.unitIds))
        : sql`false`,
    );
  }
  if (filter.personId !== undefined) {
    conditions.push(or(eq(hazards.reporterId, filter.personId), eq(hazards.rectifierId, filter.personId)));
  }
  if (filter.statuses) conditions.push(inArray(hazards.status, filter.statuses));
  else if (!filter.includeClosed) conditions.push(notInArray(hazards.status, ['closed', 'rejected']));
  if (filter.categoryName) conditions.push(eq(categories.name, filter.categoryName));
  if (filter.overdue) {
    conditions.push(
      and(
        isNotNull(hazards.deadline),
        lt(hazards.deadline, now),
        notInArray(hazards.status, ['closed', 'rejected']),
      ),
    );
  }
  if (filter.listed) conditions.push(eq(hazards.listed, true));
  if (filter.from) conditions.push(gte(hazards.createdAt, filter.from));
  if (filter.to) conditions.push(lt(hazards.createdAt, filter.to));
  const where = and(...conditions);
  const rows = await hazardsWithNames(db)
    .where(where)
    .orderBy(desc(hazards.listed), desc(hazards.createdAt))
    .limit(limit);
  const [total] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(hazards)
    .leftJoin(categories, eq(categories.id, hazards.categoryId))
    .where(where);
  return { rows, total: total?.n ?? 0 };
}
