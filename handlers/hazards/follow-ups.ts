// Who hears of a hazard step and how: cards to the people concerned (once each), texts, the notice of a
// grave hazard to the leaders, the lister's warning of a 督办期限 before the deadline, and the refresh of
// the cards already sent.
import type { Acting, Context } from '../../bot/core/context.ts';
import {
  type HazardAudience,
  hazardCard,
  hazardReminderCard,
  hazardRenderer,
  hazardSubject,
} from '../../cards/hazard.ts';
import { hazardHandlers, holdersAtLevel } from '../../db/queries/hazard-roles.ts';
import { type Hazard, type HazardView, hazardView } from '../../db/queries/hazards.ts';
import { officeStaff, type Person, personById } from '../../db/queries/org.ts';
import { claimReminder } from '../../db/queries/reminders.ts';
import { tellBureauOfGrave } from '../level-flows/grave.ts';

/**
 * What a step needs of its context: no chat event (the console takes steps too), and who acts: a member,
 * or the office's console account in its own name (issue 14).
 */
export type StepContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'refresh'> & Acting;

/** The heads of the responsible unit, or the office when the unit has none. */
export const handlersOf = (ctx: StepContext, hazard: Hazard): Promise<Person[]> =>
  hazardHandlers(ctx.db, hazard);

/** Sends a hazard card to people (once each), as the given audience. */
export function notify(
  ctx: StepContext,
  people: Person[],
  hazard: Hazard,
  view: HazardView,
  audience: HazardAudience,
) {
  const seen = new Set<number>();
  for (const person of people) {
    if (seen.has(person.id)) continue;
    seen.add(person.id);
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: hazardCard(view, ctx.tenant.timezone, audience, ctx.now) },
      subject: hazardSubject(hazard.id),
      view: audience,
    });
  }
}

/** Sends the hazard's card as it is now to people (once each), as the given audience. */
export async function notifyNow(
  ctx: StepContext,
  people: Person[],
  hazard: Hazard,
  audience: HazardAudience,
) {
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  notify(ctx, people, hazard, view, audience);
}

export function tell(ctx: StepContext, personId: number, text: string) {
  ctx.send({ to: { kind: 'person', personId }, body: { kind: 'text', text } });
}

/**
 * A grave hazard goes to the 第一责任人 and the office at once (001 §三.2), once per hazard; and up to the
 * school's bureau (its office and the school's 分包 members).
 */
export async function tellLeadersOfGrave(ctx: StepContext, hazard: Hazard) {
  const people = [
    ...(await holdersAtLevel(ctx.db, ctx.tenant.id, ['first'])),
    ...(await officeStaff(ctx.db, ctx.tenant.id)),
  ];
  const fresh: Person[] = [];
  for (const person of people) {
    const key = {
      tenantId: ctx.tenant.id,
      subject: hazardSubject(hazard.id),
      period: 'grave',
      step: 'grave-notice',
    };
    if (await claimReminder(ctx.db, { ...key, personId: person.id }, ctx.now)) fresh.push(person);
  }
  await notifyNow(ctx, fresh, hazard, 'leader');
  await tellBureauOfGrave(ctx, hazard);
}

/**
 * Tells the leader who listed a hazard (the office when nobody is on record) that its 督办期限 comes before
 * the rectification deadline; once per listing and deadline (or extension request), and not the leader
 * whose own step it is: their answer says it.
 */
export async function tellLister(ctx: StepContext, hazard: Hazard, period: string, conflict: string) {
  // Listed by the level above (its person, or its account: its office), else by the school.
  const listerTenant = hazard.listedByTenantId ?? ctx.tenant.id;
  const lister = hazard.listedById && (await personById(ctx.db, listerTenant, hazard.listedById));
  const listers = hazard.listedById ? (lister ? [lister] : []) : await officeStaff(ctx.db, listerTenant);
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  const message = `您挂牌督办的隐患 ${hazard.code}：${conflict}，请调整督办期限或督促按督办期限完成整改。`;
  for (const person of listers) {
    if (person.id === ctx.actor?.id) continue;
    const key = {
      tenantId: ctx.tenant.id,
      subject: hazardSubject(hazard.id),
      period,
      step: 'listing-conflict',
    };
    if (!(await claimReminder(ctx.db, { ...key, personId: person.id }, ctx.now))) continue;
    // Not tied to the hazard's subject: a refresh would re-render it without its message (a listed
    // hazard's card has no buttons for a leader, so nothing on it goes stale).
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: hazardReminderCard(view, ctx.tenant.timezone, 'leader', ctx.now, message) },
    });
  }
}

/** Re-renders the cards already sent for a hazard. */
export async function refreshHazard(ctx: StepContext, hazardId: number) {
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazardId))!;
  ctx.refresh(hazardSubject(hazardId), hazardRenderer(view, ctx.tenant.timezone, ctx.now));
  return view;
}
