// Takes one step of the table (./steps.ts) on a hazard: who may (handlers/hazard-workflow.ts), the
// step's effect, the row written only if nobody changed its state meanwhile, the trail, the follow-ups.
import { trailActor } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import { listingConflict } from '../../cards/hazard.ts';
import { hazardRoles } from '../../db/queries/hazard-roles.ts';
import { appendHazardEvent, type Hazard, hazardView, updateHazardFrom } from '../../db/queries/hazards.ts';
import type { Person } from '../../db/queries/org.ts';
import { STATUS_LABEL } from '../hazard-rules.ts';
import { ACTION_LABEL, decide, type HazardAction, type HazardRole, ROLE_NEEDED } from '../hazard-workflow.ts';
import { tellLevelAboveOfEnd } from '../level-flows/listing.ts';
import { refreshHazard, type StepContext, tellLister } from './follow-ups.ts';
import type { StepInput } from './inputs.ts';
import { STEPS } from './steps.ts';

/** What the office's console account is to any hazard of its tenant. */
const OFFICE_ACCOUNT_ROLES: ReadonlySet<HazardRole> = new Set(['officeAccount']);

/** Takes one step on a hazard for the actor, or refuses with the reason; returns the toast text. */
export async function takeStep(
  ctx: StepContext,
  hazard: Hazard,
  action: HazardAction,
  input: StepInput,
): Promise<string> {
  const { db, tenant, now } = ctx;
  const step = STEPS[action];
  const isReporter = hazard.reporterId === ctx.actor?.id;
  const roles = ctx.actor ? await hazardRoles(db, hazard, ctx.actor.id) : OFFICE_ACCOUNT_ROLES;
  const verdict =
    step.reporterMay && isReporter && !['closed', 'rejected'].includes(hazard.status)
      ? ({ ok: true, to: undefined } as const)
      : decide(action, hazard.status, roles, {
          actorId: ctx.actor?.id ?? 0,
          rectifierId: hazard.rectifierId,
          rectifiedById: hazard.rectifiedById,
        });
  if (!verdict.ok) {
    if (verdict.why === 'state') {
      throw new Refusal(
        `${hazard.code} 当前状态为“${STATUS_LABEL[hazard.status]}”，不能${ACTION_LABEL[action]}。`,
      );
    }
    if (verdict.why === 'own-rectification') {
      throw new Refusal(`不能复查自己负责或提交的整改，${hazard.code} 需由他人复查。`);
    }
    const unit = hazard.unitId ? (await hazardView(db, tenant.id, hazard.id))?.unitName : undefined;
    const who = unit ? ROLE_NEEDED[action].replace('责任处室', unit) : ROLE_NEEDED[action];
    throw new Refusal(`只有${who}可以${ACTION_LABEL[action]}隐患 ${hazard.code}。`);
  }
  // The office's account holds no role but 挂牌督办 (RULES.list): every other step is a member's.
  const member = (): Person => {
    if (!ctx.actor) throw new Error(`hazard step ${action} without a member`);
    return ctx.actor;
  };
  const effect = await step.effect(ctx, hazard, input, member);
  const to = verdict.to;
  const fresh = await updateHazardFrom(db, hazard, {
    updatedAt: now,
    ...effect.changes,
    ...(to ? { status: to } : {}),
  });
  if (!fresh) throw new Refusal(`${hazard.code} 刚刚已被他人处理，请查看最新状态。`);
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard.id,
    ...trailActor(ctx),
    action,
    fromStatus: hazard.status,
    toStatus: fresh.status,
    note: effect.note ?? null,
    evidence: effect.evidence ?? null,
    at: now,
  });
  await effect.after?.(fresh);
  await tellLevelAboveOfEnd(ctx, hazard, fresh);
  let toast = effect.toast;
  const conflict = step.checksListing && listingConflict(fresh, fresh.deadline, tenant.timezone);
  if (conflict) {
    toast += `；注意：${conflict}`;
    await tellLister(
      ctx,
      fresh,
      `${fresh.listedDeadline!.toISOString()}|${fresh.deadline!.toISOString()}`,
      conflict,
    );
  }
  await refreshHazard(ctx, hazard.id);
  return toast;
}
