// Rectification deadlines (DOMAIN §6): remind the rectifier before the deadline; once overdue tell the
// 直接责任人 (分管领导), then the 第一责任人 and the office; an overdue listed hazard (挂牌督办) goes to the
// head of the unit that must fix it. Each step goes to each person once: the natural key
// (hazard, deadline, person, step) is unique, so repeated, overlapping or concurrent runs send nothing twice.
import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import type { Logger } from '../bot/core/log.ts';
import type { Channel } from '../bot/core/types.ts';
import { type HazardAudience, hazardCard, hazardSubject } from '../cards/hazard.ts';
import { type Card, note } from '../cards/model.ts';
import type { Db, Tx } from '../db/client.ts';
import { directLeaders, holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { type Hazard, hazardView } from '../db/queries/hazards.ts';
import { officeStaff, type Person, type Tenant, unitHeads } from '../db/queries/org.ts';
import { hazards, people, tenants } from '../db/schema.ts';
import { tenantSettings } from '../handlers/settings.ts';
import { formatDateTime } from '../handlers/time.ts';
import { nextTurn } from './next-turn.ts';
import { inDigest, remindOnce } from './reminders.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface JobContext {
  db: Db;
  channels: ReadonlySet<Channel>;
  log: Logger;
  now: Date;
}

interface Step {
  step: string;
  period: string;
  people: Person[];
  audience: HazardAudience;
  message: string;
}

/** Which steps a hazard is due for now (pure apart from looking up the people). */
async function dueSteps(tx: Tx, tenant: Tenant, hazard: Hazard, now: Date): Promise<Step[]> {
  const settings = tenantSettings(tenant.settings);
  const steps: Step[] = [];
  const at = (date: Date) => formatDateTime(date, tenant.timezone);
  const rectifying = hazard.status === 'accepted' || hazard.status === 'rectifying';
  const unitId = hazard.listedUnitId ?? hazard.unitId;
  const heads = async () => (unitId ? unitHeads(tx, unitId) : []);
  if (rectifying && hazard.deadline) {
    const deadline = hazard.deadline;
    const period = deadline.toISOString();
    const rectifier = async () => {
      const [person] = hazard.rectifierId
        ? await tx.select().from(people).where(eq(people.id, hazard.rectifierId))
        : [];
      return person ? [person] : heads();
    };
    const soon = deadline.getTime() - settings.hazard_reminder_days_before * DAY_MS;
    if (now.getTime() >= soon && now < deadline) {
      steps.push({
        step: 'due-soon',
        period,
        people: await rectifier(),
        audience: 'rectifier',
        message: `隐患 ${hazard.code} 的整改期限是 ${at(deadline)}，请按期完成并提交整改。`,
      });
    }
    if (now > deadline) {
      steps.push({
        step: 'overdue',
        period,
        people: [...(await rectifier()), ...(unitId ? await directLeaders(tx, unitId) : [])],
        audience: 'leader',
        message: `隐患 ${hazard.code} 已超过整改期限（${at(deadline)}），尚未整改完成。`,
      });
    }
    if (now.getTime() > deadline.getTime() + settings.hazard_escalate_after_days * DAY_MS) {
      steps.push({
        step: 'overdue-escalated',
        period,
        people: [...(await holdersAtLevel(tx, tenant.id, ['first'])), ...(await officeStaff(tx, tenant.id))],
        audience: 'leader',
        message: `隐患 ${hazard.code} 超期未整改（期限 ${at(deadline)}），已逐级上报。`,
      });
    }
  }
  const open = hazard.status !== 'closed' && hazard.status !== 'rejected';
  if (open && hazard.listed && hazard.listedDeadline && now > hazard.listedDeadline) {
    steps.push({
      step: 'listed-overdue',
      period: hazard.listedDeadline.toISOString(),
      people: await heads(),
      audience: 'handler',
      message: `挂牌督办隐患 ${hazard.code} 已超过督办期限（${at(hazard.listedDeadline)}），请处室负责人立即督促整改。`,
    });
  }
  return steps;
}

const withMessage = (value: Card, message: string): Card => ({
  ...value,
  title: `【提醒】${value.title}`,
  blocks: [note(message), ...value.blocks],
});

/** One run over every tenant's open hazards; returns how many reminders it sent. */
async function runHazardDeadlinesOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  let sent = 0;
  const candidates = await db
    .select({ id: hazards.id, tenantId: hazards.tenantId })
    .from(hazards)
    .where(
      or(
        and(inArray(hazards.status, ['accepted', 'rectifying']), isNotNull(hazards.deadline)),
        and(
          eq(hazards.listed, true),
          isNotNull(hazards.listedDeadline),
          inArray(hazards.status, ['reported', 'accepted', 'rectifying', 'pending_review']),
        ),
      ),
    );
  for (const candidate of candidates) {
    await nextTurn();
    sent += await db.transaction(async (tx) => {
      const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, candidate.tenantId));
      const [hazard] = await tx.select().from(hazards).where(eq(hazards.id, candidate.id));
      if (!tenant || !hazard) return 0;
      let count = 0;
      for (const step of await dueSteps(tx, tenant, hazard, now)) {
        const view = await hazardView(tx, tenant.id, hazard.id);
        if (!view) continue;
        const seen = new Set<number>();
        for (const person of step.people) {
          if (seen.has(person.id)) continue;
          seen.add(person.id);
          const card = withMessage(hazardCard(view, tenant.timezone, step.audience, now), step.message);
          const sent = await remindOnce(
            tx,
            {
              tenantId: tenant.id,
              subject: hazardSubject(hazard.id),
              period: step.period,
              step: step.step,
              personId: person.id,
            },
            { body: { kind: 'card', card }, subject: hazardSubject(hazard.id), view: step.audience },
            { channels: context.channels, now },
          );
          if (!sent) continue;
          count++;
        }
      }
      return count;
    });
  }
  if (sent > 0) context.log.info('hazard deadline reminders', { sent });
  return { sent };
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runHazardDeadlines = inDigest(runHazardDeadlinesOnce);
