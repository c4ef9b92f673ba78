// What a bureau reads of its schools (issue 19): its 分包学校 with their hazard counts. Every query names
// the bureau and reads only the tenants whose parent it is.
import { sql } from 'drizzle-orm';
import { type Queryable, rowsOf } from '../client.ts';
import { bureauContracts, hazards, postHolders, posts, tenants } from '../schema.ts';

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
