// A bureau member opens a school's hazard by its number (`隐患 YH-<学校>-…`, or the number alone) or by
// the button on the bureau's copy of its card: the bureau's office and leaders for every school of the
// bureau, a 分包 member for the schools contracted to them. Anyone else, and any number that is not a
// school's of this bureau, gets the answer for a number that does not exist.
import type { ActionContext, MessageContext } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import type { ActionResult } from '../../bot/core/types.ts';
import { hazardCard, hazardSubject } from '../../cards/hazard.ts';
import { schoolHazard } from '../../db/queries/bureau.ts';
import { hazardView } from '../../db/queries/hazards.ts';
import { rowId } from '../../db/queries/ids.ts';
import { STATUS_LABEL } from '../hazard-rules.ts';
import { standingOf } from './access.ts';

async function seen(ctx: MessageContext | ActionContext, which: { code: string } | { id: number }) {
  const target = await schoolHazard(ctx.db, ctx.tenant.id, which);
  if (!target || !(await standingOf(ctx, target.school.id))) return undefined;
  const view = (await hazardView(ctx.db, target.school.id, target.hazard.id))!;
  return { ...target, view };
}

/** The school's hazard card for the bureau member; false when they may not see such a number. */
export async function openSchoolHazard(ctx: MessageContext, code: string): Promise<boolean> {
  const found = await seen(ctx, { code });
  if (!found) return false;
  ctx.reply(
    { kind: 'card', card: hazardCard(found.view, found.school.timezone, 'bureau', ctx.now) },
    { subject: hazardSubject(found.hazard.id), view: 'bureau', tenantId: found.school.id },
  );
  return true;
}

/** 查看最新情况 on the bureau's copy: the card as it is now. */
export async function openSchoolHazardButton(ctx: ActionContext): Promise<ActionResult> {
  const id = rowId(ctx.event.args.id);
  const found = id === undefined ? undefined : await seen(ctx, { id });
  if (!found) throw new Refusal('找不到这条隐患。');
  return {
    toast: { kind: 'info', text: `${found.hazard.code}：${STATUS_LABEL[found.hazard.status]}` },
    card: hazardCard(found.view, found.school.timezone, 'bureau', ctx.now),
  };
}
