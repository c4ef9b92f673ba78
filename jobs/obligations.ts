// Recurring obligations (DOMAIN §3): remind each holder at the start of a period, at mid-period if not
// met, 10 and 3 days before it ends; the day after it closes, record it met or missed, and report a
// missed one to the holder's 直接责任人 and the office. Every step is keyed (obligation, period, person,
// step) so repeated, overlapping or concurrent runs never send one twice; when a run finds several
// steps due at once (the service was down), only the latest is sent. A period is the holder's only from
// when the obligation could be met (organization loaded, post or obligation created, post taken); one
// already half over then is recorded 不考核 and gets no reminders (issue 15 §2).
import { nextTurn } from '../bot/core/next-turn.ts';
import { button, type Card, card, fields, note } from '../cards/model.ts';
import type { Tx } from '../db/client.ts';
import { directLeaders, holdersAtLevel } from '../db/queries/hazard-roles.ts';
import {
  activeObligations,
  countDone,
  currentHolders,
  insertClosedPeriod,
  type Obligation,
} from '../db/queries/obligations.ts';
import { officeStaff, type Person } from '../db/queries/org.ts';
import { claimReminder } from '../db/queries/reminders.ts';
import { isoDateIn } from '../handlers/calendar.ts';
import { KIND_LABEL, wholeWord } from '../handlers/obligations.ts';
import {
  addDays,
  assessmentOf,
  obligationStart,
  type Period,
  periodOf,
  previousPeriod,
} from '../handlers/periods.ts';
import { semestersOf, type TenantSettings, tenantSettings } from '../handlers/settings.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

export const obligationSubject = (id: number) => `obligation:${id}`;

/** The reminder steps of a period under a tenant's plan, in order, with the day each becomes due. */
export function plan(
  period: Period,
  reminders: TenantSettings['obligation_reminders'],
): { step: string; from: string }[] {
  const days = (Date.parse(period.end) - Date.parse(period.start)) / 86_400_000;
  const steps: { step: string; from: string }[] = [];
  if (reminders.at_start) steps.push({ step: 'start', from: period.start });
  if (reminders.at_mid && days >= 6)
    steps.push({ step: 'mid', from: addDays(period.start, Math.floor(days / 2)) });
  for (const before of reminders.days_before_end) {
    // A reminder that would fall before the period starts (10 days before the end of a week) is left out.
    if (before < days) steps.push({ step: `d${before}`, from: addDays(period.end, -before) });
  }
  return steps.sort((a, b) => a.from.localeCompare(b.from));
}

/** The 记录 command that meets an obligation, with the markers it needs (`记录 检查 范围：全校 <说明>`). */
function recordCommand(obligation: Obligation, tenantKind: string): string {
  const markers = [
    obligation.scope === 'school' ? ` 范围：${wholeWord(tenantKind)}` : '',
    obligation.schools.length > 0 ? ' 学校：<学校>' : '',
  ].join('');
  return `记录 ${KIND_LABEL[obligation.kind]}${markers} <说明>`;
}

function reminderCard(
  obligation: Obligation,
  period: Period,
  done: number,
  step: string,
  tenantKind: string,
): Card {
  const schools =
    obligation.schools.length > 0
      ? `（每所分包学校各 ${obligation.minCount} 次：${obligation.schools.join('、')}）`
      : '';
  return card(
    `${step === 'start' ? '本期职责' : '职责提醒'}：${obligation.title}`,
    step === 'd3' ? 'orange' : 'blue',
    [
      fields([
        [
          '要求',
          `${period.label}至少 ${obligation.minCount} 次${schools}${
            obligation.scope === 'school' ? `（${wholeWord(tenantKind)}范围的记录）` : ''
          }`,
        ],
        ['进度', `${done}/${obligation.minCount}`],
        ['截止', period.end],
        ['依据', obligation.source],
      ]),
      {
        kind: 'form',
        name: 'record',
        inputs: [
          {
            name: 'note',
            label: '完成情况',
            placeholder: '时间、内容、参加人员或检查结果',
            required: true,
            multiline: true,
          },
          { name: 'date', label: '日期', placeholder: '默认今天，如 2026-11-20' },
          ...(obligation.schools.length > 0
            ? [{ name: 'school', label: '学校', placeholder: obligation.schools.join('、'), required: true }]
            : []),
        ],
        submit: button('记录完成', 'obligation.record', { id: String(obligation.id) }, 'primary'),
      },
      note(`也可发送：${recordCommand(obligation, tenantKind)}`),
    ],
  );
}

async function runObligationsOnce(context: JobContext): Promise<{ sent: number; closed: number }> {
  const { db, now } = context;
  let sent = 0;
  let closed = 0;
  const list = await activeObligations(db);
  for (const { obligation, tenant, unitId, postCreated } of list) {
    await nextTurn();
    const settings = tenantSettings(tenant.settings);
    const semesters = semestersOf(settings);
    const today = isoDateIn(now, tenant.timezone);
    const current = periodOf(today, obligation.cadence, semesters);
    const previous = previousPeriod(today, obligation.cadence, semesters);
    const result = await db.transaction(async (tx) => {
      let sentHere = 0;
      let closedHere = 0;
      for (const { person: holder, startedAt } of await currentHolders(tx, obligation.postId)) {
        const start = obligationStart(
          {
            loaded: tenant.createdAt,
            post: postCreated,
            obligation: obligation.createdAt,
            holder: startedAt,
          },
          tenant.timezone,
        );
        const key = (period: Period, step: string) => ({
          tenantId: tenant.id,
          subject: obligationSubject(obligation.id),
          period: period.key,
          step,
          personId: holder.id,
        });
        if (current && assessmentOf(current, start).kind === 'assessed') {
          const { done } = await countDone(tx, holder.id, obligation, current);
          const due = plan(current, settings.obligation_reminders).filter((entry) => entry.from <= today);
          const met = done >= obligation.minCount;
          // Claim every step that is due; send only the newest, and nothing once the duty is met
          // (the start-of-period notice always goes, so people know what this period asks).
          let latest: string | undefined;
          for (const entry of due) {
            const claimed = await claimReminder(tx, key(current, entry.step), now);
            if (claimed) latest = entry.step;
          }
          if (latest && (latest === 'start' || !met)) {
            await remindOnce(
              tx,
              key(current, `${latest}-sent`),
              {
                body: { kind: 'card', card: reminderCard(obligation, current, done, latest, tenant.kind) },
                subject: obligationSubject(obligation.id),
                view: 'holder',
                line: `${obligation.title}：${current.label}至少 ${obligation.minCount} 次${obligation.scope === 'school' ? `（${wholeWord(tenant.kind)}范围的记录）` : ''}，已完成 ${done}，截止 ${current.end}（${recordCommand(obligation, tenant.kind)}）`,
              },
              { channels: context.channels, now },
            );
            sentHere++;
          }
        }
        const assessment = previous && assessmentOf(previous, start);
        if (previous && assessment && assessment.kind !== 'none' && previous.end < today) {
          const exempt = assessment.kind === 'exempt' ? assessment.reason : null;
          const closing = await closePeriod(tx, tenant.id, obligation, holder, previous, exempt, now);
          if (closing && closing.met === false) {
            closedHere++;
            const tellList: Person[] = [
              holder,
              ...(unitId ? await directLeaders(tx, unitId) : await holdersAtLevel(tx, tenant.id, ['first'])),
              ...(await officeStaff(tx, tenant.id)),
            ];
            const text = `${holder.name}（${obligation.title}）${previous.label}未完成：${closing.done}/${closing.needed}，已记为未履职。`;
            sentHere += await eachPersonOnce(tellList, (person) =>
              remindOnce(
                tx,
                {
                  ...key(previous, 'missed'),
                  personId: person.id,
                  subject: `${obligationSubject(obligation.id)}:${holder.id}`,
                },
                { body: { kind: 'text', text } },
                { channels: context.channels, now },
              ),
            );
          } else if (closing) {
            closedHere++;
          }
        }
      }
      return { sent: sentHere, closed: closedHere };
    });
    sent += result.sent;
    closed += result.closed;
  }
  if (sent + closed > 0) context.log.info('obligation reminders', { sent, closed });
  return { sent, closed };
}

/**
 * Records how a closed period ended for a holder, once; returns it when this run recorded it. A period
 * not assessed (`exempt`) is met if it was done anyway, and 不考核 with the reason otherwise.
 */
async function closePeriod(
  tx: Tx,
  tenantId: number,
  obligation: Obligation,
  holder: Person,
  period: Period,
  exempt: string | null,
  now: Date,
) {
  const { done } = await countDone(tx, holder.id, obligation, period);
  const met = done >= obligation.minCount;
  return insertClosedPeriod(tx, {
    tenantId,
    obligationId: obligation.id,
    personId: holder.id,
    periodKey: period.key,
    periodStart: period.start,
    periodEnd: period.end,
    done,
    needed: obligation.minCount,
    met: met || exempt === null ? met : null,
    exemptReason: met ? null : exempt,
    closedAt: now,
  });
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runObligations = inDigest(runObligationsOnce);
