// What a bureau reads of its schools (issue 19): its 分包学校 with their hazard counts, one school's
// hazard, its 分包 members, the tasks it sent down, the comparison and the 调度会 pack. Every query names
// the bureau and reads only the tenants whose parent it is: `ofBureauSchools` is the one condition that
// says so, `schoolOfBureau` the one door to a single school; a school's id or a hazard's number from
// outside (a button, a form, a message) is taken through them and nothing else.
import {
  type AnyColumn,
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  isNotNull,
  isNull,
  lt,
  lte,
  notInArray,
  type SQL,
  sql,
} from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Queryable, rowsOf } from '../client.ts';
import {
  bureauContracts,
  categories,
  completions,
  hazards,
  letterRounds,
  letters,
  obligationPeriods,
  obligations,
  people,
  postHolders,
  posts,
  shiftAssignees,
  shifts,
  tasks,
  tenants,
} from '../schema.ts';
import type { Hazard } from './hazards.ts';
import { type Person, peopleByIds } from './org.ts';
import type { Tenant } from './tenants.ts';

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
        ofBureauSchools(hazards.tenantId, bureauId),
      ),
    )
    .limit(1);
  if (!hazard) return undefined;
  const school = await schoolOfBureau(db, bureauId, hazard.tenantId);
  return school && { hazard, school };
}

/**
 * A bureau contract (aliased `c`) reaches a person: in their own name, through a live post they hold, or a
 * unit whose live head post they hold — the one rule both ways (who a school's members are, whose schools).
 */
const contractReaches = (person: number | SQL) => sql`(
  c.person_id = ${person}
  or c.post_id in (select h.post_id from ${postHolders} h join ${posts} ps on ps.id = h.post_id
                   where h.person_id = ${person} and h.ended_at is null and not ps.archived)
  or c.unit_id in (select ps.unit_id from ${posts} ps join ${postHolders} h on h.post_id = ps.id
                   where h.person_id = ${person} and h.ended_at is null and ps.is_unit_head and not ps.archived))`;

/**
 * The bureau's people contracted to a school (分包, 001 §三.1): named in person, holding a contracted
 * post, or heading a contracted 科室; current holders only.
 */
export async function contractMembers(db: Queryable, bureauId: number, schoolId: number): Promise<Person[]> {
  if (!(await schoolOfBureau(db, bureauId, schoolId))) return [];
  const result = await db.execute(sql`
    select distinct p.id from ${bureauContracts} c
    join ${people} p on p.tenant_id = c.bureau_id and not p.archived and ${contractReaches(sql`p.id`)}
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
    .where(and(eq(tasks.assignerTenantId, bureauId), ofBureauSchools(tasks.tenantId, bureauId)))
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
        ofBureauSchools(hazards.tenantId, bureauId),
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
      where c.bureau_id = ${bureauId} and c.school_id is not null and ${contractReaches(personId)}
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
    where c.bureau_id = ${bureauId} and ${contractReaches(personId)}
    group by s.id, s.name, s.code order by s.name`);
  return rowsOf<BureauSchool>(result);
}

/** The schools an obligation of a bureau's post names (分包学校), by the name it uses, once linked. */
export async function obligationSchoolIds(db: Queryable, postId: number, obligationCode: string) {
  const linked = await linkedObligationSchools(db, { postId, obligationCode });
  return linked.get(`${postId}\n${obligationCode}`) ?? new Map<string, number>();
}

/**
 * The linked schools of the contracts of a bureau, or of one post's obligation, per
 * `<post id>\n<obligation code>`: each a map from the name the file uses to the school's tenant id.
 */
export async function linkedObligationSchools(
  db: Queryable,
  of: { bureauId: number } | { postId: number; obligationCode: string },
) {
  const rows = await db
    .select({
      postId: bureauContracts.postId,
      code: bureauContracts.obligationCode,
      name: bureauContracts.schoolName,
      schoolId: bureauContracts.schoolId,
    })
    .from(bureauContracts)
    .where(
      and(
        isNotNull(bureauContracts.schoolId),
        ...('bureauId' in of
          ? [eq(bureauContracts.bureauId, of.bureauId)]
          : [eq(bureauContracts.postId, of.postId), eq(bureauContracts.obligationCode, of.obligationCode)]),
      ),
    );
  const linked = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const key = `${row.postId}\n${row.code}`;
    const schools = linked.get(key) ?? new Map<string, number>();
    schools.set(row.name, row.schoolId!);
    linked.set(key, schools);
  }
  return linked;
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

// ---------------------------------------------------------------------------------------------------
// The one gate of every cross-tenant read (issue 19): a bureau reads only the tenants whose parent it is.

/** `column` is the id of one of the bureau's schools (a tenant whose parent is the bureau). */
export const ofBureauSchools = (column: AnyColumn | SQL, bureauId: number): SQL =>
  sql`${column} in (select ${tenants.id} from ${tenants} where ${tenants.parentId} = ${bureauId})`;

/** The school `schoolId` when it is one of the bureau's schools; undefined otherwise (not there, another's). */
export async function schoolOfBureau(
  db: Queryable,
  bureauId: number,
  schoolId: number,
): Promise<Tenant | undefined> {
  if (!Number.isSafeInteger(schoolId) || schoolId <= 0) return undefined;
  const [school] = await db
    .select()
    .from(tenants)
    .where(and(eq(tenants.id, schoolId), ofBureauSchools(tenants.id, bureauId)));
  return school;
}

// ---------------------------------------------------------------------------------------------------
// The bureau's comparison of its schools (/console/bureau): one query per measure, grouped by school,
// with the counting rules of the school's own dashboard and reports (db/queries/dashboard.ts, reports.ts).

/** Open, overdue and listed (挂牌督办) hazards per school, as the dashboard counts them. */
export async function hazardStandingPerSchool(db: Queryable, bureauId: number, now: Date) {
  return db
    .select({
      schoolId: hazards.tenantId,
      open: count(),
      overdue:
        sql<number>`count(*) filter (where ${hazards.deadline} < ${now.toISOString()}::timestamptz)`.mapWith(
          Number,
        ),
      listed: sql<number>`count(*) filter (where ${hazards.listed})`.mapWith(Number),
    })
    .from(hazards)
    .where(
      and(
        ofBureauSchools(hazards.tenantId, bureauId),
        isNull(hazards.duplicateOfId),
        notInArray(hazards.status, ['closed', 'rejected']),
      ),
    )
    .groupBy(hazards.tenantId);
}

/** Obligation periods that ended between two local dates, met and missed (未履职), per school. */
export async function periodOutcomesPerSchool(db: Queryable, bureauId: number, first: string, last: string) {
  return db
    .select({
      schoolId: obligationPeriods.tenantId,
      met: sql<number>`count(*) filter (where ${obligationPeriods.met})`.mapWith(Number),
      missed: sql<number>`count(*) filter (where ${obligationPeriods.met} = false)`.mapWith(Number),
    })
    .from(obligationPeriods)
    .where(
      and(
        ofBureauSchools(obligationPeriods.tenantId, bureauId),
        gte(obligationPeriods.periodEnd, first),
        lte(obligationPeriods.periodEnd, last),
      ),
    )
    .groupBy(obligationPeriods.tenantId);
}

/** The year's 责任书 per school: issued and signed. */
export async function lettersPerSchool(db: Queryable, bureauId: number, year: number) {
  return db
    .select({
      schoolId: letters.tenantId,
      issued: count(),
      signed: sql<number>`count(${letters.signedAt})`.mapWith(Number),
    })
    .from(letters)
    .innerJoin(letterRounds, eq(letterRounds.id, letters.roundId))
    .where(and(ofBureauSchools(letters.tenantId, bureauId), eq(letterRounds.year, year)))
    .groupBy(letters.tenantId);
}

/** Shift slots of the shifts dated between two local dates that have begun by `now`: all, confirmed. */
export async function shiftSlotsPerSchool(
  db: Queryable,
  bureauId: number,
  first: string,
  last: string,
  now: Date,
) {
  return db
    .select({
      schoolId: shifts.tenantId,
      slots: count(),
      confirmed: sql<number>`count(${shiftAssignees.confirmedAt})`.mapWith(Number),
    })
    .from(shiftAssignees)
    .innerJoin(shifts, eq(shifts.id, shiftAssignees.shiftId))
    .where(
      and(
        ofBureauSchools(shifts.tenantId, bureauId),
        gte(shifts.date, first),
        lte(shifts.date, last),
        lte(shifts.startsAt, now),
      ),
    )
    .groupBy(shifts.tenantId);
}

// ---------------------------------------------------------------------------------------------------
// The quarterly 调度会 pack: the district's hazards per school and category, this quarter and the last,
// the open items to discuss, and the 分包 visits. A span is the quarter's [from, to), counted as of `asOf`
// (its end, or now while it runs), by the rules of the quarterly report (handlers/report-stats.ts).

export interface PackSpan {
  from: Date;
  to: Date;
  asOf: Date;
}

const iso = (date: Date) => date.toISOString();

/** Per school, for each span: found, closed, open and overdue at its `asOf`, listed within it. */
export async function quarterHazardsPerSchool(db: Queryable, bureauId: number, spans: PackSpan[]) {
  const measures = spans.map((span, i) => {
    const { from, to, asOf } = span;
    const inSpan = (column: AnyColumn) =>
      sql`${column} >= ${iso(from)}::timestamptz and ${column} < ${iso(to)}::timestamptz and ${column} <= ${iso(asOf)}::timestamptz`;
    const open = sql`${hazards.createdAt} <= ${iso(asOf)}::timestamptz
      and not (${hazards.status} = 'closed' and ${hazards.closedAt} <= ${iso(asOf)}::timestamptz)
      and not (${hazards.status} = 'rejected' and ${hazards.updatedAt} <= ${iso(asOf)}::timestamptz)`;
    const as = (name: string) => sql.raw(`"${name}${i}"`);
    return sql`
      count(*) filter (where ${inSpan(hazards.createdAt)})::int as ${as('found')},
      count(*) filter (where ${hazards.status} = 'closed' and ${inSpan(hazards.closedAt)})::int as ${as('closed')},
      count(*) filter (where ${open})::int as ${as('open')},
      count(*) filter (where ${open} and ${hazards.deadline} < ${iso(asOf)}::timestamptz)::int as ${as('overdue')},
      count(*) filter (where ${inSpan(hazards.listedAt)})::int as ${as('listed')}`;
  });
  const latest = spans.reduce((max, span) => (span.asOf > max ? span.asOf : max), spans[0]!.asOf);
  const result = await db.execute(sql`
    select ${hazards.tenantId} as "schoolId", ${sql.join(measures, sql`, `)}
    from ${hazards}
    where ${ofBureauSchools(hazards.tenantId, bureauId)} and ${hazards.duplicateOfId} is null
      and ${hazards.createdAt} <= ${iso(latest)}::timestamptz
    group by ${hazards.tenantId}`);
  return rowsOf<Record<string, number> & { schoolId: number }>(result).map((row) => ({
    schoolId: Number(row.schoolId),
    spans: spans.map((_, i) => ({
      found: Number(row[`found${i}`]),
      closed: Number(row[`closed${i}`]),
      open: Number(row[`open${i}`]),
      overdue: Number(row[`overdue${i}`]),
      listed: Number(row[`listed${i}`]),
    })),
  }));
}

/** Hazards found within each span per school and category name (null: none). */
export async function quarterCategoriesPerSchool(db: Queryable, bureauId: number, spans: PackSpan[]) {
  const measures = spans.map(
    ({ from, to, asOf }, i) =>
      sql`count(*) filter (where ${hazards.createdAt} >= ${iso(from)}::timestamptz and ${hazards.createdAt} < ${iso(to)}::timestamptz and ${hazards.createdAt} <= ${iso(asOf)}::timestamptz)::int as ${sql.raw(`"found${i}"`)}`,
  );
  const first = spans.reduce((min, span) => (span.from < min ? span.from : min), spans[0]!.from);
  const last = spans.reduce((max, span) => (span.to > max ? span.to : max), spans[0]!.to);
  const result = await db.execute(sql`
    select ${hazards.tenantId} as "schoolId", ${categories.name} as category, ${sql.join(measures, sql`, `)}
    from ${hazards} left join ${categories} on ${categories.id} = ${hazards.categoryId}
    where ${ofBureauSchools(hazards.tenantId, bureauId)} and ${hazards.duplicateOfId} is null
      and ${hazards.createdAt} >= ${iso(first)}::timestamptz and ${hazards.createdAt} < ${iso(last)}::timestamptz
    group by ${hazards.tenantId}, ${categories.name}`);
  return rowsOf<Record<string, unknown>>(result).map((row) => ({
    schoolId: Number(row.schoolId),
    category: (row.category as string | null) ?? null,
    found: spans.map((_, i) => Number(row[`found${i}`])),
  }));
}

/**
 * The hazards open at `asOf` that are overdue or listed (挂牌督办), per school, the most overdue first:
 * the number, the description, the deadline (a listing's own when it has one).
 */
export async function openItemsOfSchools(db: Queryable, bureauId: number, asOf: Date) {
  const at = iso(asOf);
  return db
    .select({
      schoolId: hazards.tenantId,
      school: tenants.name,
      code: hazards.code,
      description: hazards.description,
      deadline: hazards.deadline,
      listed: hazards.listed,
      listedDeadline: hazards.listedDeadline,
    })
    .from(hazards)
    .innerJoin(tenants, eq(tenants.id, hazards.tenantId))
    .where(
      and(
        ofBureauSchools(hazards.tenantId, bureauId),
        isNull(hazards.duplicateOfId),
        sql`${hazards.createdAt} <= ${at}::timestamptz`,
        sql`not (${hazards.status} = 'closed' and ${hazards.closedAt} <= ${at}::timestamptz)`,
        sql`not (${hazards.status} = 'rejected' and ${hazards.updatedAt} <= ${at}::timestamptz)`,
        sql`(${hazards.listed} or ${hazards.deadline} < ${at}::timestamptz)`,
      ),
    )
    .orderBy(asc(tenants.name), asc(hazards.deadline), asc(hazards.code));
}

/**
 * The bureau's 分包 duties: each live supervision obligation (kind 督查) naming schools, with each current
 * holder of its post.
 */
export async function supervisionDuties(db: Queryable, bureauId: number) {
  return db
    .select({
      obligationId: obligations.id,
      postId: obligations.postId,
      code: obligations.code,
      title: obligations.title,
      cadence: obligations.cadence,
      minCount: obligations.minCount,
      schools: obligations.schools,
      personId: people.id,
      person: people.name,
      post: posts.title,
    })
    .from(obligations)
    .innerJoin(posts, eq(posts.id, obligations.postId))
    .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
    .innerJoin(people, eq(people.id, postHolders.personId))
    .where(
      and(
        eq(obligations.tenantId, bureauId),
        eq(obligations.kind, 'supervision'),
        eq(obligations.archived, false),
        eq(posts.archived, false),
        sql`jsonb_array_length(${obligations.schools}) > 0`,
      ),
    )
    .orderBy(asc(posts.id), asc(people.id), asc(obligations.id));
}

/**
 * 督查 visits made by the bureau's people between two local dates, per person and school: by the school
 * tenant the record points at, or — for a record made before the school was linked — the name written on it.
 */
export async function supervisionVisits(db: Queryable, bureauId: number, first: string, last: string) {
  return db
    .select({
      personId: completions.personId,
      school: completions.school,
      schoolTenantId: completions.schoolTenantId,
      visits: count(),
    })
    .from(completions)
    .where(
      and(
        eq(completions.tenantId, bureauId),
        eq(completions.kind, 'supervision'),
        gte(completions.date, first),
        lte(completions.date, last),
      ),
    )
    .groupBy(completions.personId, completions.school, completions.schoolTenantId);
}
