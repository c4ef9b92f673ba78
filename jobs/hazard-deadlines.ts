// Every open state of a hazard is chased (DOMAIN §6; 002 §五.3 首问责任制; 004 排查→销号):
// - 已上报, not accepted: a 重大 one → its unit head half-way, then the 第一责任人 and the office (clock
//   hours); a 较大/一般 one → its unit head, then the unit's 直接责任人 (分管), then the office (working days);
// - under rectification: the rectifier before the deadline; once overdue the 直接责任人, then the 第一责任人
//   and the office; an extension request nobody decides → its approver again, then the office;
// - 待复查, not re-inspected → the office director, then the 第一责任人;
// - 挂牌督办 past its 督办期限 → the head of the unit that must fix it;
// - listed by the school's bureau (区教育局挂牌督办): the 第一责任人 before and after the 督办期限, and the
//   bureau's office past it and once the rectification is overdue by the escalation delay.
// Thresholds are tenant settings (handlers/settings.ts). Each step goes to each person once: the natural
// key (hazard, round, person, step) is unique, so repeated, overlapping or concurrent runs send nothing
// twice, and a step is only due while its state lasts.
import type { Logger } from '../bot/core/log.ts';
import { nextTurn } from '../bot/core/next-turn.ts';
import type { Channel } from '../bot/core/types.ts';
import { type HazardAudience, hazardReminderCard, hazardSubject } from '../cards/hazard.ts';
import type { Db, Tx } from '../db/client.ts';
import {
  directOrFirst,
  extensionApprovers,
  hazardHandlers,
  holdersAtLevel,
} from '../db/queries/hazard-roles.ts';
import {
  type Hazard,
  hazardById,
  hazardsInStates,
  hazardView,
  pendingExtension,
} from '../db/queries/hazards.ts';
import {
  officeStaff,
  type Person,
  personById,
  type Tenant,
  tenantById,
  unitHeads,
} from '../db/queries/org.ts';
import { firstSentAt } from '../db/queries/reminders.ts';
import { isoDateIn, startOfDayIn } from '../handlers/calendar.ts';
import { deadlineFrom, workCalendar } from '../handlers/deadlines.ts';
import { isOpen, OPEN_STATUSES } from '../handlers/hazard-workflow.ts';
import { type TenantSettings, tenantSettings } from '../handlers/settings.ts';
import { formatDateTime } from '../handlers/time.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Reminders due some working day go out at this local hour of it, not at midnight. */
const MORNING_HOUR = 8;

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
      const person = hazard.rectifierId
        ? await personById(tx, hazard.tenantId, hazard.rectifierId)
        : undefined;
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
        people: [...(await rectifier()), ...(await directOrFirst(tx, tenant.id, unitId))],
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
  if (hazard.status === 'reported') steps.push(...(await acceptSteps(tx, tenant, settings, hazard, now)));
  if (hazard.status === 'pending_review' && hazard.rectifiedAt) {
    const since = hazard.rectifiedAt;
    const toOffice = settings.hazard_review_working_days;
    const toFirst = toOffice + settings.hazard_review_first_after_working_days;
    const period = since.toISOString();
    if (now > afterWorkingDays(tenant, settings, since, toOffice)) {
      steps.push({
        step: 'review-office',
        period,
        people: await officeStaff(tx, tenant.id, ['office_director']),
        audience: 'reviewer',
        message: `隐患 ${hazard.code} 于 ${at(since)} 提交整改，已超过 ${toOffice} 个工作日未复查，请安排复查销号。`,
      });
    }
    if (now > afterWorkingDays(tenant, settings, since, toFirst)) {
      steps.push({
        step: 'review-first',
        period,
        people: await holdersAtLevel(tx, tenant.id, ['first']),
        audience: 'leader',
        message: `隐患 ${hazard.code} 于 ${at(since)} 提交整改，已超过 ${toFirst} 个工作日仍未复查，请督促安全办公室复查销号。`,
      });
    }
  }
  if (rectifying) {
    const request = await pendingExtension(tx, hazard.id);
    if (request) {
      const again = settings.hazard_extension_working_days;
      const toOffice = again + settings.hazard_extension_office_after_working_days;
      const period = `extension:${request.id}`;
      const asked = `延期 ${request.days} 天的申请（${at(request.createdAt)} 提出）`;
      const approvers = await extensionApprovers(tx, hazard);
      if (now > afterWorkingDays(tenant, settings, request.createdAt, again)) {
        steps.push({
          step: 'extension-again',
          period,
          people: approvers,
          audience: 'approver',
          message: `隐患 ${hazard.code} ${asked}已超过 ${again} 个工作日未审批，请尽快决定。`,
        });
      }
      if (now > afterWorkingDays(tenant, settings, request.createdAt, toOffice)) {
        steps.push({
          step: 'extension-office',
          period,
          people: await officeStaff(tx, tenant.id),
          audience: 'leader',
          message: `隐患 ${hazard.code} ${asked}已超过 ${toOffice} 个工作日未审批（审批人：${approvers.map((person) => person.name).join('、') || '未登记'}），请安全办公室协调。`,
        });
      }
    }
  }
  if (isOpen(hazard.status) && hazard.listed && hazard.listedDeadline && now > hazard.listedDeadline) {
    steps.push({
      step: 'listed-overdue',
      period: hazard.listedDeadline.toISOString(),
      people: await heads(),
      audience: 'handler',
      message: `挂牌督办隐患 ${hazard.code} 已超过督办期限（${at(hazard.listedDeadline)}），请处室负责人立即督促整改。`,
    });
  }
  steps.push(...(await levelAboveSteps(tx, tenant, settings, hazard, now)));
  return steps;
}

/**
 * A hazard the school's bureau listed (区教育局挂牌督办): the bureau follows its deadline. Before the
 * 督办期限 the school's 第一责任人 is reminded; past it, and past the rectification deadline by the
 * escalation delay, the bureau's office is told too. Only while the bureau is still the school's
 * (a school moved to another bureau is no longer the old one's business) and the hazard is open.
 */
async function levelAboveSteps(
  tx: Tx,
  tenant: Tenant,
  settings: TenantSettings,
  hazard: Hazard,
  now: Date,
): Promise<Step[]> {
  const above = hazard.listedByTenantId;
  if (!isOpen(hazard.status) || !hazard.listed || above === null || above !== tenant.parentId) return [];
  const at = (date: Date) => formatDateTime(date, tenant.timezone);
  const bureau = await tenantById(tx, above);
  const by = `${bureau?.name ?? '上级'}挂牌督办的隐患 ${hazard.code}（${tenant.name}）`;
  const steps: Step[] = [];
  const listedDeadline = hazard.listedDeadline;
  if (listedDeadline) {
    const period = listedDeadline.toISOString();
    const soon = listedDeadline.getTime() - settings.hazard_reminder_days_before * DAY_MS;
    if (now.getTime() >= soon && now < listedDeadline) {
      steps.push({
        step: 'listed-due-soon',
        period,
        people: await holdersAtLevel(tx, tenant.id, ['first']),
        audience: 'leader',
        message: `${by}督办期限是 ${at(listedDeadline)}，请督促按期完成整改。`,
      });
    }
    if (now > listedDeadline) {
      const message = `${by}已超过督办期限（${at(listedDeadline)}），尚未整改完成。`;
      steps.push(
        {
          step: 'listed-overdue-first',
          period,
          people: await holdersAtLevel(tx, tenant.id, ['first']),
          audience: 'leader',
          message,
        },
        {
          step: 'listed-overdue-above',
          period,
          people: await officeStaff(tx, above),
          audience: 'bureau',
          message,
        },
      );
    }
  }
  const deadline = hazard.deadline;
  const rectifying = hazard.status === 'accepted' || hazard.status === 'rectifying';
  if (
    rectifying &&
    deadline &&
    now.getTime() > deadline.getTime() + settings.hazard_escalate_after_days * DAY_MS
  ) {
    steps.push({
      step: 'overdue-above',
      period: deadline.toISOString(),
      people: await officeStaff(tx, above),
      audience: 'bureau',
      message: `${by}超过整改期限（${at(deadline)}）仍未整改完成。`,
    });
  }
  return steps;
}

/** The end of the n-th working day after the local day of `since`: how "within n working days" ends. */
const afterWorkingDays = (tenant: Tenant, settings: TenantSettings, since: Date, days: number) =>
  deadlineFrom(since, { days, unit: 'working' }, tenant.timezone, workCalendar(settings.calendar));

/** 08:00 local on the n-th working day after the local day of `since`. */
function morningOfWorkingDay(tenant: Tenant, settings: TenantSettings, since: Date, days: number): Date {
  const day = workCalendar(settings.calendar).addWorkingDays(isoDateIn(since, tenant.timezone), days);
  return new Date(startOfDayIn(day, tenant.timezone).getTime() + MORNING_HOUR * HOUR_MS);
}

/** A report nobody accepts (已上报): the unit head first, then up the levels. */
async function acceptSteps(
  tx: Tx,
  tenant: Tenant,
  settings: TenantSettings,
  hazard: Hazard,
  now: Date,
): Promise<Step[]> {
  const at = (date: Date) => formatDateTime(date, tenant.timezone);
  const steps: Step[] = [];
  if (hazard.severity === 'grave') {
    // Counted from when the 第一责任人 was first told it is grave: at the report, or when 补充 made it so.
    const since = (await firstSentAt(tx, hazardSubject(hazard.id), 'grave-notice')) ?? hazard.createdAt;
    const hours = settings.hazard_accept_grave_hours;
    const period = `grave:${since.toISOString()}`;
    if (now.getTime() >= since.getTime() + (hours * HOUR_MS) / 2) {
      steps.push({
        step: 'accept-remind',
        period,
        people: await hazardHandlers(tx, hazard),
        audience: 'handler',
        message: `重大隐患 ${hazard.code} 于 ${at(since)} 上报，至今未受理。请立即受理并落实临时管控措施；${hours} 小时内未受理将报告第一责任人和安全办公室。`,
      });
    }
    if (now.getTime() >= since.getTime() + hours * HOUR_MS) {
      steps.push({
        step: 'accept-escalated',
        period,
        people: [...(await holdersAtLevel(tx, tenant.id, ['first'])), ...(await officeStaff(tx, tenant.id))],
        audience: 'leader',
        message: `重大隐患 ${hazard.code} 于 ${at(since)} 上报，超过 ${hours} 小时仍未受理，特此提级报告，请督促立即处置。`,
      });
    }
    return steps;
  }
  // 较大/一般, or not said yet (accepted as 一般 by default).
  const since = hazard.createdAt;
  const toDirect = settings.hazard_accept_working_days;
  const toOffice = toDirect + settings.hazard_accept_office_after_working_days;
  const due = afterWorkingDays(tenant, settings, since, toDirect);
  const period = since.toISOString();
  if (now >= morningOfWorkingDay(tenant, settings, since, Math.ceil(toDirect / 2))) {
    steps.push({
      step: 'accept-remind',
      period,
      people: await hazardHandlers(tx, hazard),
      audience: 'handler',
      message: `隐患 ${hazard.code} 于 ${at(since)} 上报，尚未受理。请于 ${at(due)} 前受理或驳回，逾期将告知分管领导。`,
    });
  }
  if (now > due) {
    steps.push({
      step: 'accept-direct',
      period,
      people: await directOrFirst(tx, tenant.id, hazard.unitId),
      audience: 'leader',
      message: `隐患 ${hazard.code} 于 ${at(since)} 上报，超过 ${toDirect} 个工作日仍未受理，请督促责任处室受理。`,
    });
  }
  if (now > afterWorkingDays(tenant, settings, since, toOffice)) {
    steps.push({
      step: 'accept-office',
      period,
      people: await officeStaff(tx, tenant.id),
      audience: 'handler',
      message: `隐患 ${hazard.code} 于 ${at(since)} 上报，超过 ${toOffice} 个工作日仍未受理（已告知分管领导），请安全办公室督办或直接受理。`,
    });
  }
  return steps;
}

/** One run over every tenant's open hazards; returns how many reminders it sent. */
async function runHazardDeadlinesOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  let sent = 0;
  const candidates = await hazardsInStates(db, OPEN_STATUSES);
  for (const candidate of candidates) {
    await nextTurn();
    sent += await db.transaction(async (tx) => {
      const tenant = await tenantById(tx, candidate.tenantId);
      const hazard = await hazardById(tx, candidate.tenantId, candidate.id);
      if (!tenant || !hazard) return 0;
      let count = 0;
      for (const step of await dueSteps(tx, tenant, hazard, now)) {
        const view = await hazardView(tx, tenant.id, hazard.id);
        if (!view) continue;
        count += await eachPersonOnce(step.people, (person) => {
          const card = hazardReminderCard(view, tenant.timezone, step.audience, now, step.message);
          return remindOnce(
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
        });
      }
      return count;
    });
  }
  if (sent > 0) context.log.info('hazard deadline reminders', { sent });
  return { sent };
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runHazardDeadlines = inDigest(runHazardDeadlinesOnce);
