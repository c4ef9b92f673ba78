// The console's accident register (issue 20 §4): `/console/accidents` (+ .xlsx, and the form posting to it),
// `/console/accidents/:id` (+ `/report`), `/console/accidents/proposals/:id` (the office confirms or
// dismisses a 一票否决 proposal with a reason). Everything is read and written for the viewer's tenant: an
// id of another tenant is 404. The confidential fields are shown to the office's logged-in accounts only
// (a demo visitor has none).
import { z } from 'zod';
import {
  accidentById,
  decideProposal,
  markReported,
  partiesOf,
  postsWithHolders,
  proposalsOf,
} from '../../../db/queries/accidents.ts';
import { bureauOf } from '../../../db/queries/bureau.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { officeStaff } from '../../../db/queries/org.ts';
import { tenantUnits } from '../../../db/queries/units.ts';
import { reportAccidentUp } from '../../../handlers/accident-report-up.ts';
import { ACCIDENT_KINDS, ACCIDENT_SEVERITIES } from '../../../handlers/accident-rules.ts';
import {
  parseLocalDateTime,
  registerAccident,
  writeAccidentsXlsx,
  yearRegister,
} from '../../../handlers/accidents.ts';
import { reportYear } from '../../../handlers/reports.ts';
import { yearIn } from '../../../handlers/time.ts';
import { runAs } from '../act.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import {
  actor,
  type ConsoleContext,
  type ConsoleKit,
  consoleApp,
  download,
  seesConfidential,
  type Viewer,
  XLSX_TYPE,
} from '../kit.ts';
import { REPORT_PRINT_CSS } from '../reports/page.ts';
import { type AccidentFormValues, accidentPage, registerPage } from './page.ts';

/** A multiple select: every chosen value ('' and files left out). */
const choicesField = z
  .unknown()
  .optional()
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .transform((values) =>
    values.filter((value): value is string => typeof value === 'string' && value !== ''),
  );
const countField = trimmedField(6);

export function accidentsRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  const yearOf = (c: ConsoleContext, viewer: Viewer) =>
    reportYear((c.req.query('year') ?? '').trim()) ?? yearIn(clock(), viewer.tenant.timezone);

  async function registerBody(viewer: Viewer, year: number, values: AccidentFormValues, error?: string) {
    const { tenant } = viewer;
    return registerPage({
      tenantName: tenant.name,
      year,
      rows: await yearRegister(db, tenant, year),
      pending: await proposalsOf(db, tenant.id, { status: 'pending' }),
      units: await tenantUnits(db, tenant.id),
      posts: await postsWithHolders(db, tenant.id),
      values,
      confidential: seesConfidential(viewer),
      now: clock(),
      timeZone: tenant.timezone,
      csrf: viewer.session.csrf,
      error,
    });
  }

  app.get('/console/accidents', kit.viewer, async (c) => {
    const { viewer } = c.var;
    return kit.renderWithFlash(c, await registerBody(viewer, yearOf(c, viewer), {}), {
      title: '事故/事件登记',
      active: 'accidents',
      style: REPORT_PRINT_CSS,
    });
  });

  app.get('/console/accidents.xlsx', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const year = yearOf(c, viewer);
    const file = await writeAccidentsXlsx(await yearRegister(db, tenant, year), {
      tenantName: tenant.name,
      year,
      now: clock(),
      timeZone: tenant.timezone,
      confidential: seesConfidential(viewer),
    });
    return download(
      c,
      XLSX_TYPE,
      `accidents_${tenant.code}_${year}.xlsx`,
      `事故事件登记_${tenant.name}_${year}.xlsx`,
      file,
    );
  });

  const refuse = async (c: ConsoleContext, values: AccidentFormValues, message: string) => {
    const { viewer } = c.var;
    return kit.render(
      c,
      await registerBody(viewer, yearIn(clock(), viewer.tenant.timezone), values, message),
      { title: '事故/事件登记', active: 'accidents', style: REPORT_PRINT_CSS },
      400,
    );
  };
  const count = (value: string) => /^\d{1,5}$/.test(value);
  const accidentForm = validForm(
    {
      kind: textField,
      severity: textField,
      occurred_at: trimmedField(20),
      place: trimmedField(100),
      summary: trimmedField(1000),
      students: countField,
      staff: countField,
      injured: countField,
      deaths: countField,
      responsible: textField,
      injured_names: trimmedField(500),
      handling: trimmedField(2000),
      follow_up: trimmedField(2000),
      reported_at: trimmedField(20),
      reported_to: trimmedField(100),
      units: choicesField,
      posts: choicesField,
    },
    {
      checks: [
        (v) => (ACCIDENT_KINDS.some((kind) => kind === v.kind) ? undefined : '请选择事故类别。'),
        (v) => (ACCIDENT_SEVERITIES.some((s) => s === v.severity) ? undefined : '请选择事故等级。'),
        (v) => (v.place ? undefined : '请填写地点。'),
        (v) => (v.summary ? undefined : '请填写概况。'),
        (v) =>
          [v.students, v.staff, v.injured, v.deaths].every((n) => n === '' || count(n))
            ? undefined
            : '人数须为 0 或正整数。',
        (v) =>
          v.responsible === 'yes' && v.units.length === 0 && v.posts.length === 0
            ? '责任事故须选择责任单位或责任岗位。'
            : undefined,
        (v) => (v.reported_at && !v.reported_to ? '已上报的，请填写上报对象。' : undefined),
      ],
      refuse: (c, values, message) => refuse(c, values, message),
    },
  );

  app.post('/console/accidents', kit.limit, kit.post, accidentForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const form = c.req.valid('form');
    const values: AccidentFormValues = { ...form };
    const now = clock();
    const occurredAt = parseLocalDateTime(form.occurred_at, tenant.timezone);
    if (!occurredAt) return refuse(c, values, '请填写发生时间，如 2026-11-03 10:30。');
    if (occurredAt > now) return refuse(c, values, '发生时间不能晚于现在。');
    const reportedAt = form.reported_at ? parseLocalDateTime(form.reported_at, tenant.timezone) : null;
    if (reportedAt === undefined) return refuse(c, values, '上报时间无效，请写成 2026-11-03 11:00。');
    if (reportedAt && (reportedAt < occurredAt || reportedAt > now))
      return refuse(c, values, '上报时间须在发生时间之后、现在之前。');
    const unitIds = new Set((await tenantUnits(db, tenant.id)).map((unit) => String(unit.id)));
    const postIds = new Set((await postsWithHolders(db, tenant.id)).map((post) => String(post.postId)));
    if (!form.units.every((id) => unitIds.has(id)) || !form.posts.every((id) => postIds.has(id)))
      return kit.notFound(c, '找不到', '所选单位或岗位不属于本单位。');
    const accident = await registerAccident(
      db,
      tenant,
      {
        kind: form.kind as (typeof ACCIDENT_KINDS)[number],
        severity: form.severity as (typeof ACCIDENT_SEVERITIES)[number],
        occurredAt,
        place: form.place,
        summary: form.summary,
        students: Number(form.students || 0),
        staff: Number(form.staff || 0),
        injured: Number(form.injured || 0),
        deaths: Number(form.deaths || 0),
        responsible: form.responsible === 'yes',
        injuredNames: form.injured_names,
        handling: form.handling,
        followUp: form.follow_up,
        reportedAt,
        reportedTo: reportedAt ? form.reported_to : null,
        unitIds: [...new Set(form.units)].map(Number),
        postIds: [...new Set(form.posts)].map(Number),
      },
      { by: actor(viewer), at: now, accountId: viewer.account?.id ?? null },
    );
    log.info('console accident recorded', {
      tenant: tenant.code,
      admin: actor(viewer),
      accident: accident.code,
    });
    kit.setFlash(c, { kind: 'success', text: `已登记事故/事件 ${accident.code}。` });
    return c.redirect(`/console/accidents/${accident.id}`, 303);
  });

  async function accidentOf(c: ConsoleContext) {
    const id = rowId(c.req.param('id'));
    if (id === undefined) return undefined;
    return accidentById(db, c.var.viewer.tenant.id, id);
  }
  const missing = (c: ConsoleContext) =>
    kit.notFound(c, '找不到', '本单位没有这条事故/事件记录。', {
      link: { href: '/console/accidents', label: '返回事故/事件登记' },
      active: 'accidents',
    });

  async function accidentBody(viewer: Viewer, id: number, error?: string) {
    const { tenant } = viewer;
    const accident = (await accidentById(db, tenant.id, id))!;
    return accidentPage({
      accident,
      parties: await partiesOf(db, tenant.id, [id]),
      proposals: await proposalsOf(db, tenant.id, { accidentId: id }),
      confidential: seesConfidential(viewer),
      now: clock(),
      timeZone: tenant.timezone,
      csrf: viewer.session.csrf,
      bureauName: (await bureauOf(db, tenant.id))?.name,
      error,
    });
  }

  app.get('/console/accidents/:id{[0-9]+}', kit.viewer, async (c) => {
    const accident = await accidentOf(c);
    if (!accident) return missing(c);
    return kit.renderWithFlash(c, await accidentBody(c.var.viewer, accident.id), {
      title: `事故/事件 ${accident.code}`,
      active: 'accidents',
      style: REPORT_PRINT_CSS,
    });
  });

  const reportForm = validForm({ reported_at: trimmedField(20), reported_to: trimmedField(100) });
  app.post('/console/accidents/:id{[0-9]+}/report', kit.limit, kit.post, reportForm, async (c) => {
    const { viewer } = c.var;
    const accident = await accidentOf(c);
    if (!accident) return missing(c);
    const form = c.req.valid('form');
    const at = parseLocalDateTime(form.reported_at, viewer.tenant.timezone);
    const again = (error: string) =>
      accidentBody(viewer, accident.id, error).then((body) =>
        kit.render(c, body, { title: `事故/事件 ${accident.code}`, active: 'accidents' }, 400),
      );
    if (!at || at < accident.occurredAt || at > clock()) return again('上报时间须在发生时间之后、现在之前。');
    if (!form.reported_to) return again('请填写上报对象。');
    await markReported(db, viewer.tenant.id, accident.id, {
      at,
      to: form.reported_to,
      by: actor(viewer),
      accountId: viewer.account?.id ?? null,
    });
    kit.setFlash(c, { kind: 'success', text: `已记录 ${accident.code} 报${form.reported_to}。` });
    return c.redirect(`/console/accidents/${accident.id}`, 303);
  });

  // The 快报 to the bureau above, where there is one in the system (handlers/accident-report-up.ts): as
  // the office's account, or in the demo as the school's office director.
  app.post('/console/accidents/:id{[0-9]+}/report-up', kit.limit, kit.post, async (c) => {
    const { viewer } = c.var;
    const accident = await accidentOf(c);
    if (!accident) return missing(c);
    const [director] = viewer.account ? [] : await officeStaff(db, viewer.tenant.id);
    const acting = viewer.account ? { account: viewer.account } : director ? { actor: director } : undefined;
    const refused = (error: string) =>
      accidentBody(viewer, accident.id, error).then((body) =>
        kit.render(c, body, { title: `事故/事件 ${accident.code}`, active: 'accidents' }, 400),
      );
    if (!acting) return refused('请登录后报送（报送记入操作日志）。');
    const outcome = await runAs(kit, viewer, acting, clock(), (ctx) =>
      reportAccidentUp(ctx, accident, { by: actor(viewer), accountId: viewer.account?.id ?? null }),
    );
    if ('refused' in outcome) return refused(outcome.refused);
    log.info('console accident reported up', { tenant: viewer.tenant.code, accident: accident.code });
    kit.setFlash(c, { kind: 'success', text: `已向${outcome.result}报送 ${accident.code} 事故快报。` });
    return c.redirect(`/console/accidents/${accident.id}`, 303);
  });

  const decisionForm = validForm({
    decision: textField,
    reason: textField.transform((reason) => reason.replace(/\s+/g, ' ').trim().slice(0, 500)),
  });
  app.post('/console/accidents/proposals/:id{[0-9]+}', kit.limit, kit.post, decisionForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const id = Number(c.req.param('id'));
    const [row] = (await proposalsOf(db, tenant.id)).filter((one) => one.proposal.id === id);
    if (!row) return kit.notFound(c, '找不到', '本单位没有这条一票否决建议。', { active: 'accidents' });
    const form = c.req.valid('form');
    const back = `/console/accidents/${row.proposal.accidentId}`;
    if (form.decision !== 'confirm' && form.decision !== 'dismiss') {
      kit.setFlash(c, { kind: 'error', text: '请选择确认或驳回。' });
      return c.redirect(back, 303);
    }
    if (!form.reason) {
      kit.setFlash(c, { kind: 'error', text: '请填写确认或驳回的理由。' });
      return c.redirect(back, 303);
    }
    const decided = await db.transaction((tx) =>
      decideProposal(tx, tenant.id, id, {
        confirm: form.decision === 'confirm',
        reason: form.reason,
        by: actor(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      }),
    );
    log.info('console veto proposal decided', {
      tenant: tenant.code,
      admin: actor(viewer),
      proposal: id,
      decision: form.decision,
    });
    kit.setFlash(
      c,
      decided
        ? {
            kind: 'success',
            text: `${form.decision === 'confirm' ? '已确认' : '已驳回'}一票否决建议（${row.code}）。`,
          }
        : { kind: 'error', text: '这条建议已有决定。' },
    );
    return c.redirect(back, 303);
  });

  return app;
}
