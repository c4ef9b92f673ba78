// 挂牌督办 by the bureau (003 §六, issue 19): its office or a leader lists a school's open hazard, in chat
// with the school's own command (`挂牌督办 YH-<学校>-… <事项> 截止 <日期>`) or from the bureau's console
// account. The listing carries the matter, the unit that must fix it and the deadline as a school's own
// listing does, and says who listed it (`listed_by_tenant_id`): the school sees 区教育局挂牌督办 and cannot
// change it; its 第一责任人 and office are told with a card; the deadline job follows the 督办期限 for the
// bureau too (jobs/hazard-deadlines.ts).

import type { MessageContext } from '../../bot/core/context.ts';
import { trailActor } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import { hazardCard, hazardSubject, listingConflict } from '../../cards/hazard.ts';
import { schoolHazard } from '../../db/queries/bureau.ts';
import { hazardHandlers, holdersAtLevel } from '../../db/queries/hazard-roles.ts';
import {
  appendHazardEvent,
  type Hazard,
  hazardByCode,
  hazardView,
  updateHazardFrom,
} from '../../db/queries/hazards.ts';
import { officeStaff, type Person, personById, type Tenant } from '../../db/queries/org.ts';
import { parseDateInput, pastDeadline } from '../deadlines.ts';
import { hazardCodeIn, STATUS_LABEL } from '../hazard-rules.ts';
import { isOpen } from '../hazard-workflow.ts';
import { notifyNow, refreshHazard } from '../hazards/follow-ups.ts';
import { listingFieldsOf } from '../hazards/inputs.ts';
import { capped, TEXT_LIMITS } from '../text-limits.ts';
import { formatDateTime } from '../time.ts';
import { type BureauContext, ONLY_BUREAU_LEADERS, schoolScope, standingOf } from './access.ts';

export interface ListingInput {
  matter?: string;
  deadline?: string;
}

/**
 * `挂牌督办 YH-… <事项> 截止 <日期>` sent in a bureau: true when the number is a hazard of one of its
 * schools that the sender may see (listed, or refused with the reason); false leaves the command to the
 * tenant's own hazards (which answers 没有找到 for any other number).
 */
export async function listSchoolHazardCommand(ctx: MessageContext): Promise<boolean> {
  const found = hazardCodeIn(ctx.args);
  if (!found || (await hazardByCode(ctx.db, ctx.tenant.id, found.code))) return false;
  const target = await schoolHazard(ctx.db, ctx.tenant.id, { code: found.code });
  if (!target) return false;
  const standing = await standingOf(ctx, target.school.id);
  if (!standing) return false;
  if (standing === 'contracted') throw new Refusal(ONLY_BUREAU_LEADERS);
  const answer = await listForBureau(ctx, target, listingFieldsOf(found.rest));
  ctx.reply({ kind: 'text', text: answer });
  const view = (await hazardView(ctx.db, target.school.id, target.hazard.id))!;
  ctx.reply(
    { kind: 'card', card: hazardCard(view, target.school.timezone, 'bureau', ctx.now) },
    { subject: hazardSubject(target.hazard.id), view: 'bureau', tenantId: target.school.id },
  );
  return true;
}

/** The console's 挂牌督办 of a school's hazard by id (the bureau's account, or a member in demo mode). */
export async function listSchoolHazardById(
  ctx: BureauContext,
  hazardId: number,
  input: ListingInput,
): Promise<string> {
  const target = await schoolHazard(ctx.db, ctx.tenant.id, { id: hazardId });
  if (!target) throw new Refusal('找不到这条隐患。');
  const standing = await standingOf(ctx, target.school.id);
  if (standing !== 'office' && standing !== 'leader') throw new Refusal(ONLY_BUREAU_LEADERS);
  return listForBureau(ctx, target, input);
}

const need = (value: string | undefined, what: string, usage: string) => {
  const trimmed = value?.trim();
  if (!trimmed) throw new Refusal(`请写明${what}，例如：${usage}`);
  return trimmed;
};

/** Lists the hazard for the bureau (ctx.tenant) and tells the school; returns the answer. */
async function listForBureau(
  ctx: BureauContext,
  target: { hazard: Hazard; school: Tenant },
  input: ListingInput,
): Promise<string> {
  const { db, now, tenant: bureau } = ctx;
  const { hazard, school } = target;
  const code = hazard.code;
  if (!isOpen(hazard.status) || hazard.duplicateOfId !== null) {
    throw new Refusal(`${code} 当前状态为“${STATUS_LABEL[hazard.status]}”，不能挂牌督办。`);
  }
  const usage = `挂牌督办 ${code} <事项> 截止 <日期>`;
  const matter = capped(
    need(input.matter, '督办事项', usage).replace(/\s+/g, ' '),
    TEXT_LIMITS.matter,
    '督办事项',
  );
  const deadline = parseDateInput(need(input.deadline, '督办期限', usage), school.timezone, now);
  if (!deadline) throw new Refusal('督办期限请写成日期，如 2026-12-31 或 12月31日。');
  const past = pastDeadline('督办期限', deadline, now, school.timezone);
  if (past) throw new Refusal(past);
  const fresh = await updateHazardFrom(db, hazard, {
    listed: true,
    listedMatter: matter,
    listedUnitId: hazard.listedUnitId ?? hazard.unitId,
    listedDeadline: deadline,
    listedById: ctx.actor?.id ?? null,
    listedByAccountId: ctx.account?.id ?? null,
    listedByTenantId: bureau.id,
    listedAt: now,
    updatedAt: now,
  });
  if (!fresh) throw new Refusal(`${code} 刚刚已被他人处理，请查看最新状态。`);
  const due = formatDateTime(deadline, school.timezone);
  await appendHazardEvent(db, {
    tenantId: school.id,
    hazardId: hazard.id,
    ...trailActor(ctx),
    action: 'list',
    fromStatus: hazard.status,
    toStatus: fresh.status,
    note: `${bureau.name}挂牌督办：${matter}，期限 ${due}`,
    at: now,
  });
  const scope = schoolScope(ctx, school);
  const told = [...(await holdersAtLevel(db, school.id, ['first'])), ...(await officeStaff(db, school.id))];
  await notifyNow(scope, told, fresh, 'leader');
  const handlers = (await hazardHandlers(db, fresh)).filter(
    (person) => !told.some((other) => other.id === person.id),
  );
  await notifyNow(scope, handlers, fresh, 'handler');
  await refreshHazard(scope, hazard.id);
  const conflict = listingConflict(fresh, fresh.deadline, school.timezone);
  return `${code}（${school.name}）已挂牌督办，督办期限 ${due}；已通知该校第一责任人和安全办公室${
    handlers.length > 0 ? '及责任处室负责人' : ''
  }。${conflict ? `注意：${conflict}。` : ''}`;
}

/**
 * A hazard the bureau listed is closed (销号) or rejected by the school: the bureau's lister (its office,
 * when its console account listed it) is told, with the reason of a rejection. `ctx.tenant` is the school.
 */
export async function tellLevelAboveOfEnd(
  ctx: Pick<BureauContext, 'db' | 'tenant' | 'send'>,
  before: Hazard,
  fresh: Hazard,
): Promise<void> {
  const above = before.listedByTenantId;
  if (!before.listed || above === null || above !== ctx.tenant.parentId) return;
  if (isOpen(fresh.status) || !isOpen(before.status)) return;
  const lister = before.listedById === null ? undefined : await personById(ctx.db, above, before.listedById);
  const told: Person[] = lister ? [lister] : await officeStaff(ctx.db, above);
  const text =
    fresh.status === 'closed'
      ? `贵局挂牌督办的隐患 ${fresh.code}（${ctx.tenant.name}）已整改完毕，复查通过并销号。`
      : `贵局挂牌督办的隐患 ${fresh.code}（${ctx.tenant.name}）已被学校驳回：${fresh.rejectReason ?? ''}。如有异议，请发送“隐患 ${fresh.code}”查看后督办。`;
  for (const person of told)
    ctx.send({ to: { kind: 'person', personId: person.id }, body: { kind: 'text', text } });
}
