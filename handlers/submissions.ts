// Reporting upward (issue 19; 001 §三.2, 003 §四-§五): a 分包 member's quarterly written 督查 report to the
// office of their bureau (`督查报告`, drafted from the quarter's visits, editable, submitted, acknowledged
// with a button or in the console); a school's quarterly report and its leaders' 述职述安 to the bureau
// (the console). Texts are written from the records only.
import type { ActionContext, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { actions, button, type Card, card, fields, note, text } from '../cards/model.ts';
import type { Queryable } from '../db/client.ts';
import { memberSchools, memberVisits, supervisionHazardsAt, visitsAtSchool } from '../db/queries/bureau.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { rowId } from '../db/queries/ids.ts';
import { contractedSchools, obligationsOf } from '../db/queries/obligations.ts';
import { officeStaff, type Person, type Tenant } from '../db/queries/org.ts';
import {
  acknowledgeSubmission,
  receivedSubmission,
  type Submission,
  type SubmissionKind,
  submit,
} from '../db/queries/submissions.ts';
import { isoDateIn } from './calendar.ts';
import { STATUS_LABEL } from './hazard-rules.ts';
import { addDays, periodOf } from './periods.ts';
import { spanReport } from './report-stats.ts';
import { quarterSpan, STAT_COLUMNS, TOTAL_NAME } from './reports.ts';
import { capped } from './text-limits.ts';
import { formatDateTime } from './time.ts';

export const SUBMISSION_LABEL: Record<SubmissionKind, string> = {
  supervision_report: '督查报告',
  quarterly_report: '季度安全工作报告',
  statement: '述职述安报告',
};

/** The longest report body taken (a year's 述职述安 of a busy leader is a few thousand characters). */
export const MAX_REPORT_LENGTH = 20_000;

/** The day a report of a period is due: the 10th of the month after it (003 §四: 述职述安 by 1月10日). */
export function dueDateOf(periodEnd: string): string {
  const next = addDays(periodEnd, 1);
  return `${next.slice(0, 8)}10`;
}

/**
 * The quarter a report is written for today: the one just ended until its report is due (the 10th of the
 * next month), the current one after that.
 */
export function reportQuarter(today: string): string {
  const current = periodOf(today, 'quarterly')!;
  const previous = periodOf(addDays(current.start, -1), 'quarterly')!;
  return today <= dueDateOf(previous.end) ? previous.key : current.key;
}

/** The line the school's record and reports show for a visit of its bureau. */
export const visitLine = (visit: { personName: string; date: string; note: string }) =>
  `区教育局督查：${visit.personName} ${visit.date} ${visit.note}`;

// ---------------------------------------------------------------------------------------------------
// The member's 督查 report

/** The draft of a member's quarterly 督查 report, from the visits and the hazards they found. */
export async function supervisionDraft(
  db: Queryable,
  bureau: Tenant,
  person: Person,
  quarter: string,
): Promise<{ title: string; body: string } | undefined> {
  const span = quarterSpan(quarter, bureau.timezone);
  if (!span) return undefined;
  const linked = await memberSchools(db, bureau.id, person.id);
  const loose = (await contractedSchools(db, person.id)).filter(
    (name) => !linked.some((one) => [one.name, one.code, ...one.named].includes(name)),
  );
  const visits = await memberVisits(db, bureau.id, person.id, span);
  const needed = Math.max(
    0,
    ...(await obligationsOf(db, person.id))
      .map((row) => row.obligation)
      .filter((one) => one.kind === 'supervision' && one.cadence === 'quarterly')
      .map((one) => one.minCount),
  );
  const title = `${person.name}${span.label}分包学校督查报告`;
  const lines = [title, `报送：${bureau.name}安全稳定工作领导小组办公室`, '', '一、督查情况'];
  const schools = [
    ...linked.map((one) => ({ name: one.name, id: one.schoolId as number | null })),
    ...loose.map((name) => ({ name, id: null })),
  ];
  for (const school of schools) {
    const mine = visits.filter((visit) =>
      school.id !== null ? visit.schoolId === school.id : visit.school === school.name,
    );
    lines.push(
      `${school.name}：督查 ${mine.length} 次${needed > 0 ? `（每季度要求 ${needed} 次${mine.length < needed ? '，未达要求' : ''}）` : ''}`,
      ...mine.map((visit) => `  ${visit.date} ${visit.note}`),
    );
  }
  const other = visits.filter(
    (visit) =>
      !schools.some((school) =>
        school.id !== null ? visit.schoolId === school.id : visit.school === school.name,
      ),
  );
  if (other.length > 0)
    lines.push(
      '其他督查：',
      ...other.map((visit) => `  ${visit.date}${visit.school ? ` ${visit.school}` : ''} ${visit.note}`),
    );
  lines.push('', '二、发现的隐患及整改情况');
  let found = 0;
  for (const school of linked) {
    const rows = await supervisionHazardsAt(db, bureau.id, school.schoolId, span);
    found += rows.length;
    for (const row of rows)
      lines.push(`  ${school.name} ${row.code}（${STATUS_LABEL[row.status]}）${row.description}`);
  }
  if (found === 0) lines.push('  本季度督查中未登记隐患。');
  lines.push('', '三、存在的问题和建议', '  （请填写）', '');
  return { title, body: lines.join('\n') };
}

const REPORT_USAGE = '督查报告 [2026-Q4]；提交：督查报告 提交 [修改后的正文]';

async function ownSchools(ctx: MessageContext) {
  const linked = ctx.tenant.kind === 'bureau' ? await memberSchools(ctx.db, ctx.tenant.id, ctx.actor.id) : [];
  const names = await contractedSchools(ctx.db, ctx.actor.id);
  return linked.length + names.length;
}

/** `督查报告 [季度]` shows the draft; `督查报告 提交 [正文]` submits it (or the edited text) to the office. */
export async function supervisionReport(ctx: MessageContext): Promise<void> {
  const { db, tenant, actor, now } = ctx;
  if (ctx.actor.isOutside || (await ownSchools(ctx)) === 0) {
    throw new Refusal(
      '你没有分包学校，无需报送督查报告。分包学校见组织文件（posts[].obligations[].schools 等）。',
    );
  }
  const args = ctx.args.trim();
  const submitting = /^提交(\s|$)/.test(args);
  const rest = submitting ? args.replace(/^提交\s*/, '') : args;
  const asked = /^\d{4}-Q[1-4]$/.exec(rest.split(/\s+/)[0] ?? '')?.[0];
  const quarter = asked ?? reportQuarter(isoDateIn(now, tenant.timezone));
  const draft = await supervisionDraft(db, tenant, actor, quarter);
  if (!draft) throw new Refusal(`季度请写成 2026-Q4 的形式。用法：${REPORT_USAGE}`);
  if (!submitting) {
    ctx.reply({
      kind: 'card',
      card: card(`督查报告草稿（${quarter}）`, 'blue', [
        text(draft.body),
        note(
          `确认无误后发送“督查报告 提交${asked ? ` ${quarter}` : ''}”；修改后提交：督查报告 提交${asked ? ` ${quarter}` : ''} <修改后的正文>`,
        ),
      ]),
    });
    return;
  }
  const edited = (asked ? rest.slice(asked.length) : rest).trim();
  const body = capped(edited || draft.body, MAX_REPORT_LENGTH, '报告正文');
  const result = await submit(db, {
    tenantId: tenant.id,
    toTenantId: tenant.id,
    kind: 'supervision_report',
    period: quarter,
    personId: actor.id,
    title: draft.title,
    body,
    submittedBy: actor.name,
    submittedAt: now,
  });
  if ('kept' in result) {
    throw new Refusal(`你${quarter}的督查报告已由办公室确认，不能再修改。`);
  }
  const office = (await officeStaff(db, tenant.id)).filter((person) => person.id !== actor.id);
  for (const person of office) {
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: receivedCard(result.submission, actor.name, tenant.timezone) },
    });
  }
  ctx.reply({
    kind: 'card',
    card: card(`督查报告已${result.again ? '重新' : ''}提交（${quarter}）`, 'green', [
      fields([
        [
          '报送',
          `${tenant.name}安全稳定工作领导小组办公室${office.length > 0 ? `（${office.map((p) => p.name).join('、')}）` : ''}`,
        ],
        ['时间', formatDateTime(now, tenant.timezone)],
      ]),
      note('办公室确认后会通知你；确认前可再次提交修改后的正文。'),
    ]),
  });
}

/** The office's card of a received report, with 确认收到. */
export function receivedCard(submission: Submission, from: string, timeZone: string): Card {
  return card(`收到${SUBMISSION_LABEL[submission.kind]}：${from}`, 'blue', [
    fields([
      ['报告', submission.title],
      ['报送时间', formatDateTime(submission.submittedAt, timeZone)],
    ]),
    text(
      Array.from(submission.body).length > 1500
        ? `${Array.from(submission.body).slice(0, 1500).join('')}…（全文见后台“上报材料”）`
        : submission.body,
    ),
    actions(button('确认收到', 'submission.ack', { id: String(submission.id) }, 'primary')),
  ]);
}

/** May this person acknowledge reports for the tenant: its office, or a 第一/直接责任人. */
export async function mayAcknowledge(db: Queryable, tenantId: number, personId: number) {
  return (
    (await officeStaff(db, tenantId)).some((person) => person.id === personId) ||
    (await holdersAtLevel(db, tenantId, ['first', 'direct'])).some((person) => person.id === personId)
  );
}

/** 确认收到 on a received report (the office or a leader of the receiving tenant). */
export async function acknowledgeButton(ctx: ActionContext): Promise<ActionResult> {
  const id = rowId(ctx.event.args.id);
  const row = id === undefined ? undefined : await receivedSubmission(ctx.db, ctx.tenant.id, id);
  if (!row) throw new Refusal('找不到这份报告。');
  if (!(await mayAcknowledge(ctx.db, ctx.tenant.id, ctx.actor.id))) {
    throw new Refusal('只有领导小组办公室和单位领导可以确认收到报告。');
  }
  if (row.submission.acknowledgedAt) {
    return { toast: { kind: 'info', text: `已由${row.submission.acknowledgedBy}确认收到` } };
  }
  const updated = (await acknowledgeSubmission(
    ctx.db,
    ctx.tenant.id,
    row.submission.id,
    ctx.actor.name,
    ctx.now,
  ))!;
  if (updated.personId && updated.tenantId === ctx.tenant.id && updated.personId !== ctx.actor.id) {
    ctx.send({
      to: { kind: 'person', personId: updated.personId },
      body: { kind: 'text', text: `你的${updated.title}已由${ctx.actor.name}确认收到。` },
    });
  }
  return { toast: { kind: 'success', text: `已确认收到：${updated.title}` } };
}

// ---------------------------------------------------------------------------------------------------
// A school's quarterly report, as the text submitted upward

/** The quarterly report of a school as text: the totals and each unit's figures, and the bureau's visits. */
export async function quarterlyReportText(
  db: Queryable,
  school: Tenant,
  quarter: string,
  now: Date,
): Promise<{ title: string; body: string } | undefined> {
  const span = quarterSpan(quarter, school.timezone);
  if (!span) return undefined;
  const report = await spanReport(db, school.id, span, now);
  const visits = await visitsAtSchool(db, school.id, span);
  const row = (name: string, stats: typeof report.total) =>
    `${name}：${STAT_COLUMNS.map((column) => `${column.header} ${column.value(stats)}`).join('，')}`;
  const title = `${school.name}${span.label}安全工作报告`;
  const lines = [
    title,
    `统计期 ${span.start} 至 ${span.end}（截至 ${formatDateTime(report.asOf, school.timezone)}）`,
    '',
    '一、统计',
    row(TOTAL_NAME, report.total),
    ...report.units.map((unit) => row(unit.name, unit.stats)),
    '',
    '二、上级督查',
    ...(visits.length > 0 ? [...visits].reverse().map(visitLine) : ['本季度无上级督查记录。']),
    '',
  ];
  return { title, body: lines.join('\n') };
}

/** Today's local date of a tenant. */
export const todayOf = (tenant: Tenant, now: Date) => isoDateIn(now, tenant.timezone);
