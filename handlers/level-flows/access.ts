// Who in a bureau may do what to its schools (issue 19), and a context that acts on a school's rows for
// the bureau. A bureau's office (领导小组办公室) and its leaders (第一责任人, 直接责任人) see and act on every
// school of the bureau; a 分包 member sees the schools contracted to them. Schools are reached only
// through db/queries/bureau.ts (schoolOfBureau, schoolHazard): an id or a number of anything else is not
// found.
import type { Acting, Context } from '../../bot/core/context.ts';
import { contractMembers } from '../../db/queries/bureau.ts';
import { holdersAtLevel } from '../../db/queries/hazard-roles.ts';
import { officeStaff, type Tenant } from '../../db/queries/org.ts';

/** What the bureau's person (or console account) is to a school: none when neither. */
export type Standing = 'office' | 'leader' | 'contracted';

/** What an operation of the bureau needs: its tenant, the database, and who acts. */
export type BureauContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'reply' | 'refresh'> & Acting;

/**
 * The standing of who acts for the bureau towards one of its schools (the school already checked to be
 * the bureau's). The bureau's console account is its office.
 */
export async function standingOf(
  ctx: Pick<Context, 'db' | 'tenant'> & Acting,
  schoolId?: number,
): Promise<Standing | undefined> {
  const { db, tenant, actor } = ctx;
  if (!actor) return 'office';
  if ((await officeStaff(db, tenant.id)).some((person) => person.id === actor.id)) return 'office';
  if ((await holdersAtLevel(db, tenant.id, ['first', 'direct'])).some((person) => person.id === actor.id))
    return 'leader';
  if (
    schoolId !== undefined &&
    (await contractMembers(db, tenant.id, schoolId)).some((p) => p.id === actor.id)
  )
    return 'contracted';
  return undefined;
}

/** The refusal for a bureau member who may not act on the schools (挂牌督办, 整改通知书, 约谈整改). */
export const ONLY_BUREAU_LEADERS =
  '只有教育局领导和领导小组办公室可以对所辖学校挂牌督办、下发整改通知书或约谈整改。';

/**
 * The bureau's context turned to a school's rows: the school is the tenant, who acts stays the bureau's
 * person (or account); what it sends and refreshes belongs to the school, so that the school's later
 * changes refresh the bureau's copies of its cards too.
 */
export function schoolScope(ctx: BureauContext, school: Tenant): BureauContext {
  const acting: Acting = ctx.actor ? { actor: ctx.actor } : { account: ctx.account! };
  return {
    ...acting,
    db: ctx.db,
    tenant: school,
    now: ctx.now,
    send: (message) => ctx.send({ ...message, tenantId: message.tenantId ?? school.id }),
    reply: (body, options) => ctx.reply(body, { ...options, tenantId: options?.tenantId ?? school.id }),
    refresh: (subject, render, tenantId) => ctx.refresh(subject, render, tenantId ?? school.id),
  };
}

/** A school among the bureau's by its name, its code, or a part of its name that only one has. */
export function schoolNamed(schools: Tenant[], word: string): Tenant | undefined {
  const exact = schools.find((school) => school.name === word || school.code === word);
  if (exact) return exact;
  const partial = schools.filter((school) => school.name.includes(word));
  return partial.length === 1 ? partial[0] : undefined;
}
