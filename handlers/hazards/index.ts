// Hazards (DOMAIN §4): 报隐患 from any chat, and every step of 排查 → 记录 → 整改 → 复查 → 销号 as a
// button, a text command and (挂牌督办) a console action, all derived from the table of steps
// (./steps.ts). Who may take a step is decided by handlers/hazard-workflow.ts against the organization;
// every step is appended to the audit trail.
import type { ActionContext, MessageContext } from '../../bot/core/context.ts';
import type { Router } from '../../bot/core/router.ts';
import type { ActionResult } from '../../bot/core/types.ts';
import { BUREAU_OPEN_ACTION, type HazardAudience, hazardCard, hazardSubject } from '../../cards/hazard.ts';
import { hazardRoles } from '../../db/queries/hazard-roles.ts';
import { hazardByCode, hazardById, hazardView } from '../../db/queries/hazards.ts';
import { hazardCodeIn } from '../hazard-rules.ts';
import type { HazardAction } from '../hazard-workflow.ts';
import { hazardLedger } from '../ledger.ts';
import { listSchoolHazardCommand } from '../level-flows/listing.ts';
import { openSchoolHazard, openSchoolHazardButton } from '../level-flows/open.ts';
import { rowOfButton, rowOrRefuse } from '../row-of-button.ts';
import type { StepContext } from './follow-ups.ts';
import { CHOICE, formInput, hazardOfCommand, type StepInput } from './inputs.ts';
import { attachPhotosOfStep, reportHazard, takeReportOffer } from './report.ts';
import { HAZARD_GONE, STEPS, type StepCommand } from './steps.ts';
import { takeStep } from './take.ts';

export type { StepContext } from './follow-ups.ts';
export type { StepInput } from './inputs.ts';
export { offerReport, reportHazard, takeReportOffer } from './report.ts';
export { STEPS } from './steps.ts';

/** The step a given input takes: a rejection that names the hazard it repeats is 标记为重复. */
const takenBy = (action: HazardAction, input: StepInput): HazardAction =>
  input.duplicateOf ? 'duplicate' : action;

/** A button press: the step, answered with a toast; the core answers with the refreshed card. */
export const hazardButton =
  (action: HazardAction) =>
  async (ctx: ActionContext): Promise<ActionResult> => {
    const hazard = await rowOfButton(ctx, hazardById, HAZARD_GONE);
    const given = (await STEPS[action].fromButton?.(ctx, hazard)) ?? {};
    if (given === CHOICE) {
      return {
        toast: { kind: 'info', text: `“${ctx.event.form?.rectifier?.trim()}”有同名人员，请在新卡片中选择。` },
      };
    }
    const input = { ...formInput(ctx), ...given };
    return { toast: { kind: 'success', text: await takeStep(ctx, hazard, takenBy(action, input), input) } };
  };

/** A text command `<name> YH-… <rest>`: the step, answered with its toast and (mostly) the card. */
export const hazardCommand =
  (action: HazardAction, command: StepCommand) =>
  async (ctx: MessageContext): Promise<void> => {
    // A bureau lists its schools' hazards with the same command (issue 19).
    if (action === 'list' && (await listSchoolHazardCommand(ctx))) return;
    const { hazard, rest } = await hazardOfCommand(ctx, command.example ?? command.usage);
    const input = command.input ?? (await STEPS[action].fromText?.(ctx, hazard, rest)) ?? {};
    if (input === CHOICE) return;
    const answer = await takeStep(ctx, hazard, takenBy(action, input), input);
    const photos = await attachPhotosOfStep(ctx, hazard.id);
    ctx.reply({ kind: 'text', text: photos ? `${answer}。${photos}` : answer });
    if (command.card === false) return;
    const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
    ctx.reply({ kind: 'card', card: hazardCard(view, ctx.tenant.timezone, 'public', ctx.now) });
  };

/**
 * A step taken elsewhere than in a chat (the console: the office's account in its own name, or in demo
 * mode a chosen member) on a hazard named by id: the very step of the button and the command; refuses as
 * they do.
 */
export async function takeStepOn(
  ctx: StepContext,
  hazardId: number,
  action: HazardAction,
  input: StepInput,
): Promise<string> {
  const hazard = await rowOrRefuse(ctx, hazardId, hazardById, HAZARD_GONE);
  return takeStep(ctx, hazard, action, input);
}

/** 挂牌督办 from the console: the step of the button and of `挂牌督办 YH-… <事项> 截止 <日期>`. */
export const listHazard = (ctx: StepContext, hazardId: number, input: { matter: string; deadline: string }) =>
  takeStepOn(ctx, hazardId, 'list', { matter: input.matter, deadline: input.deadline });

/**
 * `隐患 YH-…` (or the number alone): the hazard's card as it is now, for anyone in the tenant; for a
 * bureau's office, leaders and 分包 members, a hazard of its schools too.
 */
export async function showHazard(ctx: MessageContext): Promise<void> {
  const asked = hazardCodeIn(ctx.args);
  if (
    asked &&
    !(await hazardByCode(ctx.db, ctx.tenant.id, asked.code)) &&
    (await openSchoolHazard(ctx, asked.code))
  )
    return;
  const { hazard } = await hazardOfCommand(ctx, '隐患 YH-2026-0001');
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  const roles = await hazardRoles(ctx.db, hazard, ctx.actor.id);
  const audience: HazardAudience = roles.has('unitHead')
    ? 'handler'
    : roles.has('rectifier')
      ? 'rectifier'
      : roles.has('inspector') && hazard.status === 'pending_review'
        ? 'reviewer'
        : 'public';
  ctx.reply(
    { kind: 'card', card: hazardCard(view, ctx.tenant.timezone, audience, ctx.now) },
    { subject: hazardSubject(hazard.id), view: audience },
  );
}

/** The hazard feature's commands and buttons: 报隐患, the ledger, one hazard's card, and every step. */
export function registerHazards(router: Router): Router {
  router
    .command({
      names: ['报隐患', '/report'],
      usage: '报隐患 <隐患情况>',
      summary: '上报安全隐患（可写地点、一般/较大/重大），可随后补发照片',
      handler: reportHazard,
    })
    .command({
      names: ['隐患台账', '/ledger'],
      usage: '隐患台账 [超期|挂牌|整改中|全部] [关键词]',
      summary: '查看隐患台账，可按关键词查找',
      handler: hazardLedger,
    })
    .command({
      names: ['隐患', '/hazard'],
      usage: '隐患 YH-…',
      summary: '查看一条隐患的当前状态',
      handler: showHazard,
    });
  for (const [action, step] of Object.entries(STEPS) as [HazardAction, (typeof STEPS)[HazardAction]][]) {
    for (const command of step.commands) {
      const { names, usage, summary } = command;
      router.command({ names, usage, summary, handler: hazardCommand(action, command) });
    }
    router.action(step.button, hazardButton(action));
  }
  return router.action('hazard.offer', takeReportOffer).action(BUREAU_OPEN_ACTION, openSchoolHazardButton);
}
