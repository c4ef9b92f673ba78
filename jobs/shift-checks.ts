// Before and at the start of a duty shift (DOMAIN §5): at the lead time (2 h by default) each person on
// duty gets the shift's card with 确认到岗; no confirmation by start + grace (15 min by default) → the
// 带班领导 is told; still none by start + 2 × grace → the office. Each step goes to each person once: the
// natural key (subject `shift:<id>`, period = the start, person, step) of `reminders` is unique, so
// repeated, overlapping or concurrent runs — on one instance or several — send nothing twice. A run after
// a pause catches up on what is due, but nothing is sent about a shift that has ended.

import { nextTurn } from '../bot/core/next-turn.ts';
import { type Card, note } from '../cards/model.ts';
import { shiftCard } from '../cards/shift.ts';
import type { Tx } from '../db/client.ts';
import { officeStaff, type Person, peopleByIds, type Tenant, tenantById } from '../db/queries/org.ts';
import { type ShiftView, shiftsStartingBy, shiftView } from '../db/queries/shifts.ts';
import { shiftLabel, shiftPolicy, shiftSubject } from '../handlers/shift-rules.ts';
import { formatDateTime } from '../handlers/time.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

/** The longest lead time a tenant may set (shift_lead_minutes ≤ 1440): how far ahead a run looks. */
const MAX_LEAD_MS = 24 * 3_600_000;

interface Step {
  step: 'confirm' | 'late-leader' | 'late-office';
  people: Person[];
  /** The card view each person gets: their own duty card, or the leader's / office's. */
  view: (person: Person) => string;
  message: string;
}

async function dueSteps(tx: Tx, tenant: Tenant, view: ShiftView, now: Date): Promise<Step[]> {
  const { shift } = view;
  const policy = shiftPolicy(tenant.settings);
  const start = shift.startsAt.getTime();
  const at = (date: Date) => formatDateTime(date, tenant.timezone);
  const label = shiftLabel(shift);
  const steps: Step[] = [];
  const unconfirmed = view.people.filter((person) => !person.confirmedAt);
  if (unconfirmed.length === 0 || now >= shift.endsAt) return steps;
  const persons = (ids: number[]) => peopleByIds(tx, tenant.id, ids);

  if (now.getTime() >= start - policy.leadMs) {
    steps.push({
      step: 'confirm',
      people: await persons(unconfirmed.map((person) => person.id)),
      view: (person) => `duty:${person.id}`,
      // The duty card says it all: when, where, and the button.
      message: '',
    });
  }
  const names = unconfirmed.map((person) => person.name).join('、');
  const leader = shift.leaderId ? await persons([shift.leaderId]) : [];
  const office = await officeStaff(tx, tenant.id);
  if (now.getTime() >= start + policy.graceMs) {
    steps.push({
      step: 'late-leader',
      // Without a 带班领导 the office is told at once.
      people: leader.length > 0 ? leader : office,
      view: () => (leader.length > 0 ? 'leader' : 'office'),
      message: `${label}（${at(shift.startsAt)} 开始）：${names} 尚未确认到岗，请联系落实。`,
    });
  }
  if (now.getTime() >= start + 2 * policy.graceMs && leader.length > 0) {
    steps.push({
      step: 'late-office',
      people: office.filter((person) => person.id !== shift.leaderId),
      view: () => 'office',
      message: `${label}（${at(shift.startsAt)} 开始）已过 ${Math.round((2 * policy.graceMs) / 60_000)} 分钟，${names} 仍未确认到岗；已告知带班领导 ${view.leaderName ?? ''}。`,
    });
  }
  return steps;
}

const withMessage = (value: Card, message: string): Card =>
  message ? { ...value, blocks: [note(message), ...value.blocks] } : value;

/** One run over the shifts starting within the longest lead time or still running; returns how many it sent. */
async function runShiftChecksOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  let sent = 0;
  const candidates = await shiftsStartingBy(db, new Date(now.getTime() + MAX_LEAD_MS), now);
  for (const candidate of candidates) {
    await nextTurn();
    sent += await db.transaction(async (tx) => {
      const tenant = await tenantById(tx, candidate.tenantId);
      const view = tenant ? await shiftView(tx, tenant.id, candidate.id) : undefined;
      if (!tenant || !view) return 0;
      let count = 0;
      for (const step of await dueSteps(tx, tenant, view, now)) {
        count += await eachPersonOnce(step.people, (person) => {
          const audience = step.view(person);
          const card = shiftCard(view, tenant.timezone, audience, now)!;
          return remindOnce(
            tx,
            {
              tenantId: tenant.id,
              subject: shiftSubject(view.shift.id),
              period: view.shift.startsAt.toISOString(),
              personId: person.id,
              step: step.step,
            },
            {
              body: { kind: 'card', card: withMessage(card, step.message) },
              subject: shiftSubject(view.shift.id),
              view: audience,
            },
            { channels: context.channels, now },
          );
        });
      }
      return count;
    });
  }
  if (sent > 0) context.log.info('shift checks', { sent });
  return { sent };
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runShiftChecks = inDigest(runShiftChecksOnce);
