// What a bureau reads of its schools (issue 19): its 分包学校 with their hazard counts. Every query names
// the bureau and reads only the tenants whose parent it is.
import { and, asc, desc, eq, gte, isNull, lt, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Queryable, rowsOf } from '../client.ts';
import { bureauContracts, completions, hazards, people, postHolders, posts, tenants } from '../schema.ts';

export interface ContractedSchool {
  schoolId: number;
  name: string;
  open: number;
  overdue: number;
  listed: number;
}

/**
 * The schools contracted to a person of the bureau — through a post they hold, a unit they head, or in
 * their own name — with their open, overdue and listed hazards, in one query.
 */
export async function contractedSchoolCounts(
  db: Queryable,
  bureauId: number,
  personId: number,
  now: Date,
): Promise<ContractedSchool[]> {
  const result = await db.execute(sql`
    with mine as (
      select distinct c.school_id from ${bureauContracts} c
      where c.bureau_id = ${bureauId} and c.school_id is not null and (
        c.person_id = ${personId}
        or c.post_id in (select h.post_id from ${postHolders} h
                         where h.person_id = ${personId} and h.ended_at is null)
        or c.unit_id in (select p.unit_id from ${posts} p join ${postHolders} h on h.post_id = p.id
                         where h.person_id = ${personId} and h.ended_at is null and p.is_unit_head))
    )
    select s.id as "schoolId", s.name,
      count(z.id) filter (where z.status not in ('closed', 'rejected'))::int as open,
      count(z.id) filter (where z.status not in ('closed', 'rejected') and z.deadline < ${now.toISOString()}::timestamptz)::int as overdue,
      count(z.id) filter (where z.status not in ('closed', 'rejected') and z.listed)::int as listed
    from mine join ${tenants} s on s.id = mine.school_id and s.parent_id = ${bureauId}
    left join ${hazards} z on z.tenant_id = s.id and z.duplicate_of_id is null
    group by s.id, s.name order by s.name`);
  return rowsOf<ContractedSchool>(result);
}

/** A school linked to a bureau: its tenant id, name and code, with the names a file's contract gives it. */
export interface BureauSchool {
  schoolId: number;
  name: string;
  code: string;
  /** The names the bureau's file contracts it by (a name or a code). */
  named: string[];
}

/**
 * The one check of every read across levels: the school when it is one of the bureau's own (its parent is
 * the bureau), else undefined. A school id of another bureau, a sibling or the bureau itself is not one.
 */
export async function schoolOfBureau(db: Queryable, bureauId: number, schoolId: number) {
  const [row] = await db
    .select()
    .from(tenants)
    .where(and(eq(tenants.id, schoolId), eq(tenants.parentId, bureauId)));
  return row;
}

/** The bureau over a school (its parent), when it has one. */
export async function bureauOf(db: Queryable, schoolId: number) {
  const parent = alias(tenants, 'parent');
  const [row] = await db
    .select({ bureau: parent })
    .from(tenants)
    .innerJoin(parent, eq(parent.id, tenants.parentId))
    .where(eq(tenants.id, schoolId));
  return row?.bureau;
}

/** The schools contracted to a person of the bureau (分包学校), linked ones only, by name. */
export async function memberSchools(
  db: Queryable,
  bureauId: number,
  personId: number,
): Promise<BureauSchool[]> {
  const result = await db.execute(sql`
    select s.id as "schoolId", s.name, s.code, array_agg(distinct c.school_name) as named
    from ${bureauContracts} c join ${tenants} s on s.id = c.school_id and s.parent_id = ${bureauId}
    where c.bureau_id = ${bureauId} and (
      c.person_id = ${personId}
      or c.post_id in (select h.post_id from ${postHolders} h
                       where h.person_id = ${personId} and h.ended_at is null)
      or c.unit_id in (select p.unit_id from ${posts} p join ${postHolders} h on h.post_id = p.id
                       where h.person_id = ${personId} and h.ended_at is null and p.is_unit_head))
    group by s.id, s.name, s.code order by s.name`);
  return rowsOf<BureauSchool>(result);
}

/** The schools an obligation of a bureau's post names (分包学校), by the name it uses, once linked. */
export async function obligationSchoolIds(db: Queryable, postId: number, obligationCode: string) {
  const rows = await db
    .select({ name: bureauContracts.schoolName, schoolId: bureauContracts.schoolId })
    .from(bureauContracts)
    .where(and(eq(bureauContracts.postId, postId), eq(bureauContracts.obligationCode, obligationCode)));
  return new Map(rows.filter((row) => row.schoolId !== null).map((row) => [row.name, row.schoolId!]));
}

/** A 督查 visit at a school, as the school's record shows it. */
export interface SchoolVisit {
  id: number;
  date: string;
  note: string;
  personName: string;
  bureauName: string;
  createdAt: Date;
}

/**
 * The 督查 visits the school's own bureau recorded at it, within [start, end] (local dates), newest first.
 * Only the school's parent's records: another bureau's rows naming the school are not read.
 */
export async function visitsAtSchool(
  db: Queryable,
  schoolId: number,
  span: { start: string; end: string } | undefined,
  limit = 200,
): Promise<SchoolVisit[]> {
  const school = alias(tenants, 'school');
  return db
    .select({
      id: completions.id,
      date: completions.date,
      note: completions.note,
      personName: people.name,
      bureauName: tenants.name,
      createdAt: completions.createdAt,
    })
    .from(completions)
    .innerJoin(
      school,
      and(eq(school.id, completions.schoolTenantId), eq(school.parentId, completions.tenantId)),
    )
    .innerJoin(tenants, eq(tenants.id, completions.tenantId))
    .innerJoin(people, eq(people.id, completions.personId))
    .where(
      and(
        eq(completions.schoolTenantId, schoolId),
        eq(completions.kind, 'supervision'),
        ...(span ? [gte(completions.date, span.start), lte(completions.date, span.end)] : []),
      ),
    )
    .orderBy(desc(completions.date), desc(completions.id))
    .limit(limit);
}

/** A bureau member's 督查 visits in [start, end], with the school, oldest first (their quarterly report). */
export async function memberVisits(
  db: Queryable,
  bureauId: number,
  personId: number,
  span: { start: string; end: string },
) {
  return db
    .select({
      date: completions.date,
      note: completions.note,
      school: completions.school,
      schoolId: completions.schoolTenantId,
    })
    .from(completions)
    .where(
      and(
        eq(completions.tenantId, bureauId),
        eq(completions.personId, personId),
        eq(completions.kind, 'supervision'),
        gte(completions.date, span.start),
        lte(completions.date, span.end),
      ),
    )
    .orderBy(asc(completions.date), asc(completions.id));
}

/**
 * A school's hazards found by supervision (origin 督查) reported within [from, to), with their state now:
 * what a member's 督查 report lists. The school is checked to be the bureau's (schoolOfBureau).
 */
export async function supervisionHazardsAt(
  db: Queryable,
  bureauId: number,
  schoolId: number,
  span: { from: Date; to: Date },
) {
  if (!(await schoolOfBureau(db, bureauId, schoolId))) return [];
  return db
    .select({ code: hazards.code, description: hazards.description, status: hazards.status })
    .from(hazards)
    .where(
      and(
        eq(hazards.tenantId, schoolId),
        eq(hazards.origin, 'supervision'),
        isNull(hazards.duplicateOfId),
        gte(hazards.createdAt, span.from),
        lt(hazards.createdAt, span.to),
      ),
    )
    .orderBy(asc(hazards.createdAt));
}
