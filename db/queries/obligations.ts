// Obligations of a person's posts and what has been done towards them this period.
import { and, asc, count, desc, eq, gte, isNull, lte } from 'drizzle-orm';
import type { IsoDate } from '../../handlers/calendar.ts';
import {
  assessmentOf,
  obligationStart,
  type Period,
  periodOf,
  type Semesters,
} from '../../handlers/periods.ts';
import type { Queryable } from '../client.ts';
import {
  completions,
  obligationPeriods,
  obligations,
  people,
  postHolders,
  posts,
  tenants,
} from '../schema.ts';
import { obligationSchoolIds } from './bureau.ts';
import { byIdInTenant } from './rows.ts';

/** The tenant's obligation periods that end within [start, end]. */
export const periodsEnding = (tenantId: number, start: string, end: string) =>
  and(
    eq(obligationPeriods.tenantId, tenantId),
    gte(obligationPeriods.periodEnd, start),
    lte(obligationPeriods.periodEnd, end),
  );

export type Obligation = typeof obligations.$inferSelect;
export type ObligationKind = Obligation['kind'];

export async function obligationsOf(db: Queryable, personId: number) {
  return db
    .select({
      obligation: obligations,
      postTitle: posts.title,
      timeZone: tenants.timezone,
      moments: {
        loaded: tenants.createdAt,
        post: posts.createdAt,
        obligation: obligations.createdAt,
        holder: postHolders.startedAt,
      },
    })
    .from(postHolders)
    .innerJoin(tenants, eq(tenants.id, postHolders.tenantId))
    .innerJoin(posts, and(eq(posts.id, postHolders.postId), eq(posts.archived, false)))
    .innerJoin(obligations, and(eq(obligations.postId, posts.id), eq(obligations.archived, false)))
    .where(and(eq(postHolders.personId, personId), isNull(postHolders.endedAt)))
    .orderBy(asc(posts.id), asc(obligations.id));
}

/**
 * Completions by a person of an obligation's kind and scope within a period (the least visited school's
 * count): a unit's own check does not meet the school-wide 大检查 (002 §四(四)), nor the reverse.
 */
export async function countDone(db: Queryable, personId: number, obligation: Obligation, period: Period) {
  const counted = await db
    .select({ school: completions.school, schoolId: completions.schoolTenantId, n: count() })
    .from(completions)
    .where(
      and(
        eq(completions.personId, personId),
        eq(completions.kind, obligation.kind),
        eq(completions.scope, obligation.scope),
        gte(completions.date, period.start),
        lte(completions.date, period.end),
      ),
    )
    .groupBy(completions.school, completions.schoolTenantId);
  // A visit linked to a school's tenant counts for the school however the file names it (name or code).
  const linked =
    obligation.schools.length > 0
      ? await obligationSchoolIds(db, obligation.postId, obligation.code)
      : new Map<string, number>();
  const perSchool = obligation.schools.map((school) => {
    const id = linked.get(school);
    return {
      school,
      done: counted
        .filter(
          (row) =>
            (id !== undefined && row.schoolId === id) || (row.schoolId === null && row.school === school),
        )
        .reduce((sum, row) => sum + row.n, 0),
    };
  });
  const done =
    obligation.schools.length > 0
      ? Math.min(...perSchool.map((entry) => entry.done))
      : counted.reduce((sum, row) => sum + row.n, 0);
  return { done, perSchool };
}

export interface Progress {
  obligation: Obligation;
  postTitle: string;
  period: Period;
  /** Completions this period (for supervision with schools: the school least visited). */
  done: number;
  needed: number;
  met: boolean;
  /** Why this period is not assessed (不考核) for the person, when it is not (issue 15 §2). */
  exempt?: string;
  /** For supervision visits: visits per contracted school. */
  perSchool?: { school: string; done: number }[];
}

/** This period's progress of each obligation of a person (those with no period today are left out). */
export async function progressOf(
  db: Queryable,
  personId: number,
  today: IsoDate,
  semesters: Semesters,
): Promise<Progress[]> {
  const list = await obligationsOf(db, personId);
  const result: Progress[] = [];
  for (const { obligation, postTitle, timeZone, moments } of list) {
    const period = periodOf(today, obligation.cadence, semesters);
    if (!period) continue;
    const { done, perSchool } = await countDone(db, personId, obligation, period);
    const assessment = assessmentOf(period, obligationStart(moments, timeZone));
    result.push({
      ...(assessment.kind === 'exempt' ? { exempt: assessment.reason } : {}),
      obligation,
      postTitle,
      period,
      done,
      needed: obligation.minCount,
      met: done >= obligation.minCount,
      ...(obligation.schools.length > 0 ? { perSchool } : {}),
    });
  }
  return result;
}

/** Schools a person supervises (分包学校) across their obligations. */
export async function contractedSchools(db: Queryable, personId: number): Promise<string[]> {
  const list = await obligationsOf(db, personId);
  return [...new Set(list.flatMap(({ obligation }) => obligation.schools))];
}

export async function recordCompletion(db: Queryable, row: typeof completions.$inferInsert) {
  const [inserted] = await db.insert(completions).values(row).returning();
  return inserted!;
}

export type Completion = typeof completions.$inferSelect;

/** The record (记录) this person made most recently, since a moment (the files that follow it). */
export async function latestCompletionBy(
  db: Queryable,
  tenantId: number,
  personId: number,
  since: Date,
): Promise<Completion | undefined> {
  const [row] = await db
    .select()
    .from(completions)
    .where(
      and(
        eq(completions.tenantId, tenantId),
        eq(completions.personId, personId),
        gte(completions.createdAt, since),
      ),
    )
    .orderBy(desc(completions.createdAt), desc(completions.id))
    .limit(1);
  return row;
}

/** A tenant's latest records (记录), newest first, with who made them. */
export async function recentCompletions(db: Queryable, tenantId: number, limit: number) {
  return db
    .select({ completion: completions, personName: people.name })
    .from(completions)
    .innerJoin(people, eq(people.id, completions.personId))
    .where(eq(completions.tenantId, tenantId))
    .orderBy(desc(completions.createdAt), desc(completions.id))
    .limit(limit);
}

/** An obligation by its row id, within a tenant (a reminder's 记录完成 button). */
export const obligationById = byIdInTenant(obligations);

/** Every tenant's obligations of non-archived posts, with the tenant, the post's unit and creation. */
export async function activeObligations(db: Queryable) {
  return db
    .select({ obligation: obligations, tenant: tenants, unitId: posts.unitId, postCreated: posts.createdAt })
    .from(obligations)
    .innerJoin(posts, and(eq(posts.id, obligations.postId), eq(posts.archived, false)))
    .innerJoin(tenants, eq(tenants.id, obligations.tenantId))
    .where(eq(obligations.archived, false));
}

/** The current holders of a post, with when each took it. */
export async function currentHolders(db: Queryable, postId: number) {
  return db
    .select({ person: people, startedAt: postHolders.startedAt })
    .from(postHolders)
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(and(eq(postHolders.postId, postId), isNull(postHolders.endedAt)));
}

/** Records a closed period once; undefined when it was recorded already. */
export async function insertClosedPeriod(db: Queryable, row: typeof obligationPeriods.$inferInsert) {
  const [inserted] = await db.insert(obligationPeriods).values(row).onConflictDoNothing().returning();
  return inserted;
}
