// Chasing what goes up a level (issue 19; 003 §四: 述职述安 by 1月10日; 003 §五.1, 001 §三.2: the quarterly
// reports): each report is due on the 10th of the month after its period. A week and two days before, the
// school's office (and each leader whose 述职述安 is missing) — or the 分包 member, for the 督查 report — is
// reminded; the day after, the bureau's office is told who has not submitted. Each step once per person
// (keyed), only while it is timely (reminders up to the due day, the note within 30 days after), and never
// for an organization loaded after the period ended.
import { nextTurn } from '../bot/core/next-turn.ts';
import type { Tx } from '../db/client.ts';
import { activeObligations, currentHolders } from '../db/queries/obligations.ts';
import { allTenants, officeStaff, type Person, type Tenant } from '../db/queries/org.ts';
import { isLeadership, leadersOf } from '../db/queries/reports.ts';
import { type SubmissionKind, submissionOf } from '../db/queries/submissions.ts';
import { isoDateIn } from '../handlers/calendar.ts';
import { addDays, type Period, periodOf } from '../handlers/periods.ts';
import { dueDateOf, SUBMISSION_LABEL } from '../handlers/submissions.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

/** Reminders this many days before the due day (1月3日 and 1月8日 for 述职述安 due 1月10日). */
export const REMIND_DAYS_BEFORE = [7, 2];
/** After the due day the level above is told once, if the run comes within this many days. */
const LATE_NOTE_WITHIN_DAYS = 30;

/** The period of a cadence that ended last before `today`. */
const lastEnded = (today: string, cadence: 'quarterly' | 'yearly'): Period => {
  const current = periodOf(today, cadence)!;
  return periodOf(addDays(current.start, -1), cadence)!;
};

/** The step due today for a period: a reminder (`d7`, `d2`), the note after (`late`), or none. */
function stepOf(today: string, period: Period): string | undefined {
  const due = dueDateOf(period.end);
  if (today > due) return today <= addDays(due, LATE_NOTE_WITHIN_DAYS) ? 'late' : undefined;
  const days = REMIND_DAYS_BEFORE.filter((before) => today >= addDays(due, -before));
  return days.length > 0 ? `d${Math.min(...days)}` : undefined;
}

/** What is missing of one kind for one period: whose (null: the organization's own) and who is reminded. */
interface Missing {
  personId: number | null;
  what: string;
  remind: Person[];
}

interface Chase {
  from: Tenant;
  to: Tenant;
  kind: SubmissionKind;
  period: Period;
  missing: Missing[];
}

async function schoolChases(tx: Tx, school: Tenant, bureau: Tenant, today: string): Promise<Chase[]> {
  const loaded = isoDateIn(school.createdAt, school.timezone);
  const chases: Chase[] = [];
  const office = await officeStaff(tx, school.id);
  const year = lastEnded(today, 'yearly');
  if (loaded <= year.end && stepOf(today, year)) {
    const missing: Missing[] = [];
    for (const leader of (await leadersOf(tx, school.id)).filter(isLeadership)) {
      if (await submissionOf(tx, school.id, 'statement', year.key, leader.id)) continue;
      const person = { id: leader.id, name: leader.name } as Person;
      missing.push({
        personId: leader.id,
        what: `${leader.name}的${year.key}年度述职述安报告`,
        remind: [...office, person],
      });
    }
    chases.push({ from: school, to: bureau, kind: 'statement', period: year, missing });
  }
  const quarter = lastEnded(today, 'quarterly');
  if (loaded <= quarter.end && stepOf(today, quarter)) {
    const sent = await submissionOf(tx, school.id, 'quarterly_report', quarter.key, null);
    chases.push({
      from: school,
      to: bureau,
      kind: 'quarterly_report',
      period: quarter,
      missing: sent ? [] : [{ personId: null, what: `${quarter.label}季度安全工作报告`, remind: office }],
    });
  }
  return chases;
}

/** The bureau's 分包 members whose 督查 report of the last quarter is missing. */
async function memberChases(tx: Tx, bureau: Tenant, today: string, postIds: number[]): Promise<Chase[]> {
  const quarter = lastEnded(today, 'quarterly');
  if (isoDateIn(bureau.createdAt, bureau.timezone) > quarter.end || !stepOf(today, quarter)) return [];
  const missing: Missing[] = [];
  const seen = new Set<number>();
  for (const postId of postIds) {
    for (const { person } of await currentHolders(tx, postId)) {
      if (seen.has(person.id)) continue;
      seen.add(person.id);
      if (await submissionOf(tx, bureau.id, 'supervision_report', quarter.key, person.id)) continue;
      missing.push({
        personId: person.id,
        what: `${person.name}的${quarter.label}督查报告`,
        remind: [person],
      });
    }
  }
  return [{ from: bureau, to: bureau, kind: 'supervision_report', period: quarter, missing }];
}

async function sendChase(tx: Tx, chase: Chase, today: string, context: JobContext): Promise<number> {
  const step = stepOf(today, chase.period)!;
  const due = dueDateOf(chase.period.end);
  const subject = `submission:${chase.kind}:${chase.from.id}`;
  const send = { channels: context.channels, now: context.now };
  let sent = 0;
  if (step !== 'late') {
    for (const missing of chase.missing) {
      const text = `请于 ${due} 前向${chase.to.name}报送${missing.what}${
        chase.kind === 'supervision_report'
          ? '（发送“督查报告”查看草稿，“督查报告 提交”报送）'
          : '（管理后台“上报材料”或“报表 → 述职述安”）'
      }。`;
      sent += await eachPersonOnce(missing.remind, (person) =>
        remindOnce(
          tx,
          {
            tenantId: chase.from.id,
            subject,
            period: chase.period.key,
            step: `${step}:${missing.personId ?? 0}`,
            personId: person.id,
          },
          { body: { kind: 'text', text }, line: text },
          send,
        ),
      );
    }
    return sent;
  }
  if (chase.missing.length === 0) return 0;
  const text = `${chase.from.id === chase.to.id ? '' : chase.from.name}${SUBMISSION_LABEL[chase.kind]}（${chase.period.label}，${due}截止）尚未报送：${chase.missing
    .map((missing) => missing.what)
    .join('、')}。`;
  return eachPersonOnce(await officeStaff(tx, chase.to.id), (person) =>
    remindOnce(
      tx,
      { tenantId: chase.to.id, subject, period: chase.period.key, step: 'late', personId: person.id },
      { body: { kind: 'text', text }, line: text },
      send,
    ),
  );
}

async function runSubmissionsOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  const tenants = await allTenants(db);
  const byId = new Map(tenants.map((tenant) => [tenant.id, tenant]));
  // The posts with a 督查 obligation naming 分包学校, per bureau.
  const contractPosts = new Map<number, number[]>();
  for (const { obligation, tenant } of await activeObligations(db)) {
    if (obligation.kind !== 'supervision' || obligation.schools.length === 0 || tenant.kind !== 'bureau')
      continue;
    contractPosts.set(tenant.id, [...(contractPosts.get(tenant.id) ?? []), obligation.postId]);
  }
  let sent = 0;
  for (const tenant of tenants) {
    await nextTurn();
    const today = isoDateIn(now, tenant.timezone);
    const bureau = tenant.parentId !== null ? byId.get(tenant.parentId) : undefined;
    sent += await db.transaction(async (tx) => {
      const chases = [
        ...(bureau ? await schoolChases(tx, tenant, bureau, today) : []),
        ...(contractPosts.has(tenant.id)
          ? await memberChases(tx, tenant, today, contractPosts.get(tenant.id)!)
          : []),
      ];
      let here = 0;
      for (const chase of chases) here += await sendChase(tx, chase, today, context);
      return here;
    });
  }
  if (sent > 0) context.log.info('submission reminders', { sent });
  return { sent };
}

/** The run, with each person's steps handed out as one message when it ends. */
export const runSubmissions = inDigest(runSubmissionsOnce);
