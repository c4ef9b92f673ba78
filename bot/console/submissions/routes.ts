// `/console/submissions` (上报材料): a school reports its quarterly report and its leaders' 述职述安 to its
// bureau; the bureau lists what its schools and members reported, acknowledges and comments; the comment
// is kept and shown to the school. Every read across levels is checked: received rows only from the
// bureau itself or a school whose parent it is (db/queries/submissions.ts), a school's only its own.
import type { Tx } from '../../../db/client.ts';
import { bureauOf } from '../../../db/queries/bureau.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { officeStaff, type Tenant } from '../../../db/queries/org.ts';
import { isLeadership, leadersOf } from '../../../db/queries/reports.ts';
import {
  acknowledgeSubmission,
  receivedSubmission,
  type Submission,
  sentSubmission,
  submissionsFrom,
  submissionsTo,
  submit,
  submittedFor,
} from '../../../db/queries/submissions.ts';
import { childTenants } from '../../../db/queries/tenants.ts';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import { addDays, periodOf } from '../../../handlers/periods.ts';
import { reportYear } from '../../../handlers/reports.ts';
import {
  dueDateOf,
  MAX_REPORT_LENGTH,
  quarterlyReportText,
  receivedCard,
  reportQuarter,
  SUBMISSION_LABEL,
  todayOf,
} from '../../../handlers/submissions.ts';
import { enqueue } from '../../core/enqueue.ts';
import { textField, trimmedField } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, consoleApp, text, type Viewer } from '../kit.ts';
import { submissionPage, submissionsPage } from './page.ts';

export function submissionsRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  /** Who the trail names: the office's account, or the demo. */
  const byWhom = (viewer: Viewer) =>
    viewer.account ? accountLabel(viewer.account) : `${viewer.tenant.name}（演示）`;

  async function pageBody(viewer: Viewer, error?: string) {
    const { tenant } = viewer;
    const now = clock();
    const bureau = await bureauOf(db, tenant.id);
    const schools = await childTenants(db, tenant.id);
    const isBureau = tenant.kind === 'bureau' || schools.length > 0;
    let missing: { school: string; what: string }[] | undefined;
    if (isBureau) {
      const today = todayOf(tenant, now);
      const current = periodOf(today, 'quarterly')!;
      const last = periodOf(addDays(current.start, -1), 'quarterly')!;
      const sent = await submittedFor(db, tenant.id, 'quarterly_report', last.key);
      missing = schools
        .filter((school) => isoDateIn(school.createdAt, school.timezone) <= last.end)
        .filter((school) => !sent.some((row) => row.tenantId === school.id))
        .map((school) => ({
          school: school.name,
          what: `${last.label}季度报告，${dueDateOf(last.end)}截止`,
        }));
    }
    return submissionsPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      bureauName: bureau?.name,
      quarter: reportQuarter(todayOf(tenant, now)),
      sent: bureau ? await submissionsFrom(db, tenant.id) : [],
      ...(isBureau ? { received: await submissionsTo(db, tenant.id), missing } : {}),
      error,
    });
  }

  app.get('/console/submissions', kit.viewer, async (c) =>
    kit.renderWithFlash(c, await pageBody(c.var.viewer), { title: '上报材料', active: 'submissions' }),
  );

  const refuse = async (c: ConsoleContext, status: 400 | 404, error: string) =>
    kit.render(c, await pageBody(c.var.viewer, error), { title: '上报材料', active: 'submissions' }, status);

  /** Tells the bureau's office of a report received (its own tenant's rows, on its people's channels). */
  async function tellBureau(tx: Tx, bureau: Tenant, submission: Submission, from: string) {
    for (const person of await officeStaff(tx, bureau.id)) {
      await enqueue(
        tx,
        {
          to: { kind: 'person', personId: person.id },
          body: { kind: 'card', card: receivedCard(submission, from, bureau.timezone) },
        },
        { tenantId: bureau.id, channels: kit.channels },
      );
    }
  }

  /** Submits a school's report to its bureau; the refusal's message, or where to go next. */
  async function submitUp(
    c: ConsoleContext,
    input: {
      kind: 'quarterly_report' | 'statement';
      period: string;
      personId: number | null;
      title: string;
      body: string;
    },
  ): Promise<Response> {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const bureau = await bureauOf(db, tenant.id);
    if (!bureau) return refuse(c, 400, '本单位没有上级教育局（组织文件的 tenant.bureau），无需报送。');
    const now = clock();
    const outcome = await db.transaction(async (tx) => {
      const result = await submit(tx, {
        tenantId: tenant.id,
        toTenantId: bureau.id,
        kind: input.kind,
        period: input.period,
        personId: input.personId,
        title: input.title,
        body: input.body,
        submittedBy: byWhom(viewer),
        submittedAt: now,
      });
      if ('kept' in result) return result;
      await tellBureau(tx, bureau, result.submission, tenant.name);
      return result;
    });
    if ('kept' in outcome) {
      return refuse(c, 400, `${outcome.kept.title}已由${bureau.name}确认，不能再修改。`);
    }
    kit.onOutbox?.();
    log.info('console submission', {
      tenant: tenant.code,
      admin: actor(viewer),
      kind: input.kind,
      period: input.period,
    });
    kit.setFlash(c, {
      kind: 'success',
      text: `已${outcome.again ? '重新' : ''}报送${bureau.name}：${input.title}。`,
    });
    return c.redirect('/console/submissions', 303);
  }

  app.post('/console/submissions/quarterly', kit.limit, kit.post, async (c) => {
    const { tenant } = c.var.viewer;
    const quarter = trimmedField(10).parse(c.var.form.quarter);
    const now = clock();
    const report = await quarterlyReportText(db, tenant, quarter, now);
    if (!report) return refuse(c, 400, `季度“${quarter}”无效：请写成 2026-Q4 的形式。`);
    const current = periodOf(todayOf(tenant, now), 'quarterly')!;
    if (quarter > current.key) return refuse(c, 400, `${quarter}还没有开始，不能报送。`);
    return submitUp(c, { kind: 'quarterly_report', period: quarter, personId: null, ...report });
  });

  app.post('/console/submissions/statement', kit.limit, kit.post, async (c) => {
    const { viewer, form } = c.var;
    const year = reportYear(trimmedField(4).parse(form.year));
    if (!year) return refuse(c, 400, '请填写年度，如 2026。');
    const leaders = (await leadersOf(db, viewer.tenant.id)).filter(isLeadership);
    const person = leaders.find((leader) => String(leader.id) === text(form.person).trim());
    if (!person) return refuse(c, 404, '找不到这位领导：本单位没有此人，或其不担任第一、直接责任人岗位。');
    const body = textField.parse(form.text).replace(/\r\n/g, '\n').trim();
    if (!body) return refuse(c, 400, '报告正文不能为空。');
    if (body.length > MAX_REPORT_LENGTH)
      return refuse(c, 400, `报告正文太长（最多 ${MAX_REPORT_LENGTH} 字）。`);
    return submitUp(c, {
      kind: 'statement',
      period: String(year),
      personId: person.id,
      title: `${person.name}${year}年度述职述安报告`,
      body: `${body}\n`,
    });
  });

  /** A submission the viewer may read: received (then answered here) or its own. */
  async function readable(viewer: Viewer, value: string) {
    const id = rowId(value);
    if (id === undefined) return undefined;
    const received = await receivedSubmission(db, viewer.tenant.id, id);
    if (received) return { row: received, canAnswer: true };
    const sent = await sentSubmission(db, viewer.tenant.id, id);
    return sent && { row: sent, canAnswer: false };
  }

  const notFound = (c: ConsoleContext) =>
    kit.notFound(c, '找不到这份材料', '本单位没有这份报送材料。', {
      link: { href: '/console/submissions', label: '返回上报材料' },
      active: 'submissions',
    });

  app.get('/console/submissions/:id', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const found = await readable(viewer, c.req.param('id'));
    if (!found) return notFound(c);
    return kit.renderWithFlash(
      c,
      submissionPage({ ...found, timeZone: viewer.tenant.timezone, csrf: viewer.session.csrf }),
      { title: found.row.submission.title, active: 'submissions' },
    );
  });

  app.post('/console/submissions/:id/ack', kit.limit, kit.post, async (c) => {
    const { viewer, form } = c.var;
    const { tenant } = viewer;
    const id = rowId(c.req.param('id'));
    const row = id === undefined ? undefined : await receivedSubmission(db, tenant.id, id);
    if (!row) return notFound(c);
    const comment = trimmedField(1000).parse(form.comment).replace(/\s+/g, ' ');
    if (!comment && row.submission.acknowledgedAt) {
      return kit.render(
        c,
        submissionPage({
          row,
          timeZone: tenant.timezone,
          canAnswer: true,
          csrf: viewer.session.csrf,
          error: '请填写意见。',
        }),
        { title: row.submission.title, active: 'submissions' },
        400,
      );
    }
    const now = clock();
    await db.transaction(async (tx) => {
      const updated = (await acknowledgeSubmission(
        tx,
        tenant.id,
        row.submission.id,
        byWhom(viewer),
        now,
        comment || undefined,
      ))!;
      // The sender is told: a school's office on its channels, a member of the bureau in person.
      const from = updated.tenantId;
      const words = `${tenant.name}已${comment ? `批注` : '确认收到'}：${updated.title}${comment ? `。意见：${comment}` : ''}`;
      const people =
        from === tenant.id
          ? updated.personId
            ? [updated.personId]
            : []
          : (await officeStaff(tx, from)).map((p) => p.id);
      for (const personId of people) {
        await enqueue(
          tx,
          { to: { kind: 'person', personId }, body: { kind: 'text', text: words } },
          { tenantId: from, channels: kit.channels },
        );
      }
    });
    kit.onOutbox?.();
    log.info('console submission answered', {
      tenant: tenant.code,
      admin: actor(viewer),
      submission: row.submission.id,
    });
    kit.setFlash(c, {
      kind: 'success',
      text: `${comment ? '已批注' : '已确认收到'}：${row.fromName} ${SUBMISSION_LABEL[row.submission.kind]}（${row.submission.period}）。`,
    });
    return c.redirect(`/console/submissions/${row.submission.id}`, 303);
  });

  return app;
}
