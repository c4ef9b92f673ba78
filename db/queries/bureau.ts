// What a bureau reads of its schools (issue 19): its 分包学校 with their hazard counts, one school's
// hazard, its 分包 members, the tasks it sent down. Every query names the bureau and reads only the
// tenants whose parent it is: `underBureau` is the one condition that says so, `schoolUnder` the one
// door to a single school; a school's id or a hazard's number from outside (a button, a form, a
// message) is taken through them and nothing else.
import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { type Queryable, rowsOf } from '../client.ts';
import { bureauContracts, hazards, people, postHolders, posts, tasks, tenants } from '../schema.ts';
import type { Hazard } from './hazards.ts';
import { type Person, peopleByIds, type Tenant } from './org.ts';

/** The condition on a tenant id column: a school directly under the bureau. */
export const underBureau = (column: PgColumn, bureauId: number): SQL =>
  sql`${column} in (select ${tenants.id} from ${tenants} where ${tenants.parentId} = ${bureauId})`;

/** A school of the bureau by its tenant id; undefined for any other tenant (a sibling's bureau, itself). */
export async function schoolUnder(
  db: Queryable,
  bureauId: number,
  schoolId: number,
): Promise<Tenant | undefined> {
  const [row] = await db
    .select()
    .from(tenants)
    .where(and(eq(tenants.id, schoolId), underBureau(tenants.id, bureauId)));
  return row;
}

/**
 * A hazard of one of the bureau's schools by its full number (YH-<prefix>-2026-0001) or its id, with
 * its school; undefined when it is no school's of this bureau (never says whether it exists elsewhere).
 */
export async function schoolHazard(
  db: Queryable,
  bureauId: number,
  which: { code: string } | { id: number },
): Promise<{ hazard: Hazard; school: Tenant } | undefined> {
  const [hazard] = await db
    .select()
    .from(hazards)
    .where(
      and(
        'code' in which ? eq(hazards.code, which.code.toUpperCase()) : eq(hazards.id, which.id),
        underBureau(hazards.tenantId, bureauId),
      ),
    )
    .limit(1);
  if (!hazard) return undefined;
  const school = await schoolUnder(db, bureauId, hazard.tenantId);
  return school && { hazard, school };
}

/**
 * The bureau's people contracted to a school (分包, 001 §三.1): named in person, holding a contracted
 * post, or heading a contracted 科室; current holders only.
 */
export async function contractMembers(db: Queryable, bureauId: number, schoolId: number): Promise<Person[]> {
  if (!(await schoolUnder(db, bureauId, schoolId))) return [];
  const result = await db.execute(sql`
    select distinct p.id from ${bureauContracts} c
    join ${people} p on p.tenant_id = c.bureau_id and not p.archived and (
      p.id = c.person_id
      or p.id in (select h.person_id from ${postHolders} h
                  where h.post_id = c.post_id and h.ended_at is null)
      or p.id in (select h.person_id from ${postHolders} h join ${posts} ps on ps.id = h.post_id
                  where ps.unit_id = c.unit_id and ps.is_unit_head and not ps.archived and h.ended_at is null))
    where c.bureau_id = ${bureauId} and c.school_id = ${schoolId}`);
  return peopleByIds(
    db,
    bureauId,
    rowsOf<{ id: number }>(result).map((row) => row.id),
  );
}

/** A task the bureau sent down (整改通知书, 约谈整改), with the school it went to. */
export interface SentTask {
  task: typeof tasks.$inferSelect;
  schoolId: number;
  schoolName: string;
  assigneeName: string | null;
}

/** The tasks the bureau sent to its schools, by school then newest first. */
export async function tasksSentDown(db: Queryable, bureauId: number, limit = 500): Promise<SentTask[]> {
  return db
    .select({
      task: tasks,
      schoolId: tenants.id,
      schoolName: tenants.name,
      assigneeName: people.name,
    })
    .from(tasks)
    .innerJoin(tenants, eq(tenants.id, tasks.tenantId))
    .leftJoin(people, eq(people.id, tasks.assigneeId))
    .where(and(eq(tasks.assignerTenantId, bureauId), underBureau(tasks.tenantId, bureauId)))
    .orderBy(asc(tenants.name), desc(tasks.id))
    .limit(limit);
}

/** The open hazards of the bureau's schools (listed first, then the newest), for the console's forms. */
export async function openSchoolHazards(db: Queryable, bureauId: number, limit = 300) {
  return db
    .select({ hazard: hazards, schoolName: tenants.name })
    .from(hazards)
    .innerJoin(tenants, eq(tenants.id, hazards.tenantId))
    .where(
      and(
        underBureau(hazards.tenantId, bureauId),
        sql`${hazards.status} not in ('closed', 'rejected')`,
        sql`${hazards.duplicateOfId} is null`,
      ),
    )
    .orderBy(desc(hazards.listed), desc(hazards.id))
    .limit(limit);
}

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
