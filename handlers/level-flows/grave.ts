// A 重大 hazard of a school goes up at once (001 §三.2): to the bureau's office and to the school's 分包
// members, as a card with the school, the number, the description, the place, the photos, the measures
// when known and a button to open it. Once per hazard and person (the reminders' natural key): a
// re-grading, a second report of the step or a retry sends nothing twice. A school without a bureau
// sends nothing up.
import type { Context } from '../../bot/core/context.ts';
import { hazardCard, hazardSubject } from '../../cards/hazard.ts';
import { contractMembers } from '../../db/queries/bureau.ts';
import { type Hazard, hazardView } from '../../db/queries/hazards.ts';
import { officeStaff, type Person } from '../../db/queries/org.ts';
import { claimReminder } from '../../db/queries/reminders.ts';

/** The key's step: the bureau was told this hazard is grave. */
const STEP = 'bureau-grave';

/** `ctx.tenant` is the hazard's school. */
export async function tellBureauOfGrave(
  ctx: Pick<Context, 'db' | 'tenant' | 'now' | 'send'>,
  hazard: Hazard,
) {
  const { db, tenant: school, now } = ctx;
  if (school.parentId === null || hazard.severity !== 'grave') return;
  const bureauId = school.parentId;
  const people: Person[] = [
    ...(await officeStaff(db, bureauId)),
    ...(await contractMembers(db, bureauId, school.id)),
  ];
  const subject = hazardSubject(hazard.id);
  const fresh: Person[] = [];
  for (const person of people) {
    if (fresh.some((other) => other.id === person.id)) continue;
    const key = { tenantId: school.id, subject, period: 'grave', step: STEP, personId: person.id };
    if (await claimReminder(db, key, now)) fresh.push(person);
  }
  if (fresh.length === 0) return;
  const view = (await hazardView(db, school.id, hazard.id))!;
  const card = hazardCard(view, school.timezone, 'bureau', now);
  for (const person of fresh) {
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card },
      subject,
      view: 'bureau',
      tenantId: school.id,
    });
  }
}
