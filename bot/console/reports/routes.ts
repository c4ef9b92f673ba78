// The console's reports (DOMAIN §7): `/console/reports/quarterly` (+ .xlsx), `/console/reports/year`
// (+ .xlsx, and the 一票否决 form), `/console/reports/statement` (+ .txt, .docx, /print;
// /save and /discard of the edited version). Same viewer, CSRF and tenant
// scoping as the operations: everything is read for the viewer's tenant; an id of another tenant is 404.
import { adjustCell } from '../../../db/queries/assessment.ts';
import { bureauOf, visitsAtSchool } from '../../../db/queries/bureau.ts';
import {
  clearVetoFlag,
  leadersOf,
  setVetoFlag,
  VETO_KINDS,
  type VetoKind,
} from '../../../db/queries/reports.ts';
import { discardStatementDraft, saveStatementDraft } from '../../../db/queries/statements.ts';
import { childTenants, type Tenant } from '../../../db/queries/tenants.ts';
import { tenantUnits } from '../../../db/queries/units.ts';
import { archiveFiles, archiveZip } from '../../../handlers/archive-pack.ts';
import { scoredYear, scoredYearXlsx } from '../../../handlers/assessment.ts';
import { spanReport } from '../../../handlers/report-stats.ts';
import {
  currentQuarter,
  quarterlyXlsx,
  quarterSpan,
  reportYear,
  VETO_LABEL,
  yearSpan,
} from '../../../handlers/reports.ts';
import { tenantSettings } from '../../../handlers/settings.ts';
import { statementDocx } from '../../../handlers/statement-docx.ts';
import { statementFor } from '../../../handlers/statement-draft.ts';
import { formatDateTime, yearIn } from '../../../handlers/time.ts';
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
import {
  quarterlyPage,
  REPORT_PRINT_CSS,
  STATEMENT_PRINT_CSS,
  statementPage,
  statementPrintPage,
  yearPage,
} from './page.ts';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export function reportsRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  const notFound = (c: ConsoleContext, message: string) =>
    kit.notFound(c, '找不到', message, { link: { href: '/console/reports/quarterly', label: '返回报表' } });

  // ---------------------------------------------------------------------------------------------
  // Quarterly

  async function quarterOf(c: ConsoleContext, viewer: Viewer) {
    const { timezone } = viewer.tenant;
    const asked = (c.req.query('quarter') ?? '').trim() || currentQuarter(clock(), timezone);
    return { asked, span: quarterSpan(asked, timezone) };
  }

  app.get('/console/reports', (c) => c.redirect('/console/reports/quarterly', 302));

  app.get('/console/reports/quarterly', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const { asked, span } = await quarterOf(c, viewer);
    const now = clock();
    const fallback = quarterSpan(currentQuarter(now, tenant.timezone), tenant.timezone)!;
    const shown = span ?? fallback;
    const flash = kit.takeFlash(c);
    const bureau = await bureauOf(db, tenant.id);
    return kit.render(
      c,
      quarterlyPage({
        visits: await visitsAtSchool(db, tenant.id, shown),
        upward: bureau && span ? { bureauName: bureau.name, csrf: viewer.session.csrf } : undefined,
        tenantName: tenant.name,
        quarter: span ? asked : shown.key,
        label: shown.label,
        report: await spanReport(db, tenant.id, shown, now),
        timeZone: tenant.timezone,
        error: span ? undefined : `季度“${asked}”无效：请写成 2026-Q4 的形式。`,
      }),
      { title: '季度安全工作统计', flash, style: REPORT_PRINT_CSS },
      span ? 200 : 400,
    );
  });

  app.get('/console/reports/quarterly.xlsx', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const { asked, span } = await quarterOf(c, viewer);
    if (!span) return c.text(`季度“${asked}”无效：请写成 2026-Q4 的形式。`, 400);
    const file = await quarterlyXlsx(db, tenant, span, clock());
    return download(
      c,
      XLSX_TYPE,
      `quarterly_${tenant.code}_${span.key}.xlsx`,
      `季度安全工作统计_${tenant.name}_${span.key}.xlsx`,
      file,
    );
  });

  // ---------------------------------------------------------------------------------------------
  // Year-end assessment and 一票否决

  const yearOf = (c: ConsoleContext, viewer: Viewer, value?: string) => {
    const asked = (value ?? c.req.query('year') ?? '').trim();
    return reportYear(asked) ?? yearIn(clock(), viewer.tenant.timezone);
  };

  /** The school of the viewer's bureau asked for (`school`), or the viewer's own tenant; null: not theirs. */
  async function assessedOf(c: ConsoleContext, viewer: Viewer) {
    const schools = await childTenants(db, viewer.tenant.id);
    const asked = (c.req.query('school') ?? '').trim();
    if (!asked) return { tenant: viewer.tenant, schools, school: undefined };
    const school = schools.find((one) => String(one.id) === asked);
    return school ? { tenant: school, schools, school } : null;
  }

  async function yearBody(
    viewer: Viewer,
    year: number,
    error?: string,
    view: { tenant: Tenant; schools: Tenant[]; school?: Tenant } = { tenant: viewer.tenant, schools: [] },
  ) {
    const { tenant } = view;
    const scored = await scoredYear(db, tenant, year, yearSpan(year, tenant.timezone), clock());
    return yearPage({
      tenantName: viewer.tenant.name,
      year,
      ...scored,
      csrf: viewer.session.csrf,
      schools: view.schools.map((one) => ({ id: one.id, name: one.name })),
      ...(view.school ? { school: { id: view.school.id, name: view.school.name } } : {}),
      error,
    });
  }

  const noSchool = (c: ConsoleContext) =>
    kit.notFound(c, '找不到', '这所学校不是本局所辖学校。', {
      link: { href: '/console/reports/year', label: '返回年度考核' },
    });

  app.get('/console/reports/year', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const year = yearOf(c, viewer);
    const view = await assessedOf(c, viewer);
    if (!view) return noSchool(c);
    const flash = kit.takeFlash(c);
    return kit.render(c, await yearBody(viewer, year, undefined, view), {
      title: '年度安全工作考核',
      flash,
      style: REPORT_PRINT_CSS,
    });
  });

  app.get('/console/reports/year.xlsx', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const year = yearOf(c, viewer);
    const view = await assessedOf(c, viewer);
    if (!view) return noSchool(c);
    const { tenant } = view;
    const now = clock();
    const scored = await scoredYear(db, tenant, year, yearSpan(year, tenant.timezone), now);
    const file = await scoredYearXlsx(scored, {
      tenantName: tenant.name,
      year,
      now,
      timeZone: viewer.tenant.timezone,
    });
    return download(
      c,
      XLSX_TYPE,
      `assessment_${tenant.code}_${year}.xlsx`,
      `年度安全工作考核_${tenant.name}_${year}.xlsx`,
      file,
    );
  });

  const adjustForm = validForm(
    {
      year: textField,
      unit: trimmedField(),
      item: trimmedField(40),
      points: trimmedField(6),
      reason: textField.transform((reason) => reason.replace(/\s+/g, ' ').trim().slice(0, 500)),
    },
    {
      checks: [
        (values) => (reportYear(values.year.trim()) === undefined ? '请填写年度，如 2026。' : undefined),
        (values) => (values.reason ? undefined : '请填写调整的理由。'),
        (values) =>
          values.points === '' || /^\d{1,3}$/.test(values.points) ? undefined : '调整后的分数须为整数。',
      ],
      refuse: (c, values, message) => refuseVeto(c, yearOf(c, c.var.viewer, values.year), 400, message),
    },
  );

  app.post('/console/reports/year/adjust', kit.limit, kit.post, adjustForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const form = c.req.valid('form');
    const year = yearOf(c, viewer, form.year);
    const unit = (await tenantUnits(db, tenant.id)).find((row) => String(row.id) === form.unit);
    if (!unit) return refuseVeto(c, year, 404, '所选处室不属于本单位。');
    const item = tenantSettings(tenant.settings).assessment.items.find((one) => one.key === form.item);
    if (!item) return refuseVeto(c, year, 400, '请选择考核项目。');
    const points = form.points === '' ? null : Number(form.points);
    if (points !== null && points > item.weight)
      return refuseVeto(c, year, 400, `“${item.name}”满分 ${item.weight} 分，调整后的分数不能超过满分。`);
    await db.transaction((tx) =>
      adjustCell(tx, tenant.id, {
        year,
        unitId: unit.id,
        item: item.key,
        points,
        reason: form.reason,
        by: actor(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      }),
    );
    log.info('console assessment adjusted', {
      tenant: tenant.code,
      admin: actor(viewer),
      unit: unit.id,
      year,
    });
    kit.setFlash(c, {
      kind: 'success',
      text:
        points === null
          ? `已撤销调整：${unit.name} ${item.name}。`
          : `已调整：${unit.name} ${item.name} 为 ${points} 分。`,
    });
    return c.redirect(`/console/reports/year?year=${year}`, 303);
  });

  const refuseVeto = async (c: ConsoleContext, year: number, status: 400 | 404, error: string) =>
    kit.render(
      c,
      await yearBody(c.var.viewer, year, error),
      { title: '年度安全工作考核', style: REPORT_PRINT_CSS },
      status,
    );
  // The year is checked here; the unit against the tenant's rows, then the rest, in the route.
  const vetoForm = validForm(
    {
      year: textField,
      unit: trimmedField(),
      kind: textField,
      action: textField.transform((action) => (action === 'clear' ? 'clear' : 'set')),
      reason: textField.transform((reason) => reason.replace(/\s+/g, ' ').trim().slice(0, 500)),
    },
    {
      checks: [
        (values) => (reportYear(values.year.trim()) === undefined ? '请填写年度，如 2026。' : undefined),
      ],
      refuse: (c, values, message) => refuseVeto(c, yearOf(c, c.var.viewer, values.year), 400, message),
    },
  );

  app.post('/console/reports/year/veto', kit.limit, kit.post, vetoForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const form = c.req.valid('form');
    const year = yearOf(c, viewer, form.year);
    const again = (status: 400 | 404, error: string) => refuseVeto(c, year, status, error);
    const unit = (await tenantUnits(db, tenant.id)).find((row) => String(row.id) === form.unit);
    if (!unit) return again(404, '所选处室不属于本单位。');
    const kind = VETO_KINDS.find((candidate) => candidate === form.kind) as VetoKind | undefined;
    if (!kind) return again(400, '请选择一票否决事项。');
    const { action, reason } = form;
    if (action === 'set') {
      if (!reason) return again(400, '请填写设定一票否决的理由。');
      await setVetoFlag(db, tenant.id, {
        unitId: unit.id,
        year,
        kind,
        reason,
        setBy: actor(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      });
    } else {
      await clearVetoFlag(db, tenant.id, {
        unitId: unit.id,
        year,
        kind,
        clearedBy: actor(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      });
    }
    log.info('console veto flag', {
      tenant: tenant.code,
      admin: actor(viewer),
      unit: unit.id,
      year,
      kind,
      action,
    });
    kit.setFlash(c, {
      kind: 'success',
      text: `${action === 'set' ? '已设定' : '已撤销'}：${unit.name} ${year}年度 一票否决事项“${VETO_LABEL[kind]}”。`,
    });
    return c.redirect(`/console/reports/year?year=${year}`, 303);
  });

  // ---------------------------------------------------------------------------------------------
  // 述职述安: every leader and 部门负责人 (003 §四.2); the draft from the records, or the version saved

  const STATEMENT_MAX = 30_000;
  const statementLink = (personId: number, year: number) =>
    `/console/reports/statement?person=${personId}&year=${year}`;

  /** The person's report for the year: the saved version when there is one, else the draft. */
  async function draftOf(viewer: Viewer, personValue: string, year: number) {
    const { tenant } = viewer;
    const leaders = await leadersOf(db, tenant.id);
    const person = leaders.find((leader) => String(leader.id) === personValue);
    if (!person)
      return { leaders, person: undefined, generated: undefined, saved: undefined, text: undefined };
    return { leaders, person, ...(await statementFor(db, tenant, person, year, clock())) };
  }

  /** The person and year of a statement's query (GET) or form (POST), checked within the tenant. */
  async function statementOf(c: ConsoleContext, person: string, yearValue?: string) {
    const year = yearOf(c, c.var.viewer, yearValue);
    return { year, ...(await draftOf(c.var.viewer, person.trim(), year)) };
  }
  const NOT_A_LEADER = '找不到此人：本单位没有此人，或其不担任第一、直接责任人或部门负责人岗位。';

  app.get('/console/reports/statement', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const asked = (c.req.query('person') ?? '').trim();
    const draft = await statementOf(c, asked);
    if (asked && !draft.person) return notFound(c, NOT_A_LEADER);
    const flash = kit.takeFlash(c);
    return kit.render(
      c,
      statementPage({
        year: draft.year,
        leaders: draft.leaders,
        person: draft.person,
        text: draft.text,
        generated: draft.generated,
        saved: draft.saved && {
          by: draft.saved.editedBy,
          at: formatDateTime(draft.saved.editedAt, viewer.tenant.timezone),
        },
        csrf: viewer.session.csrf,
        bureauName: (await bureauOf(db, viewer.tenant.id))?.name,
      }),
      { title: '述职述安报告', flash, style: REPORT_PRINT_CSS },
    );
  });

  const fileName = (person: { id: number; name: string }, year: number, extension: string) => ({
    fallback: `statement_${person.id}_${year}.${extension}`,
    name: `述职述安_${person.name}_${year}.${extension}`,
  });

  app.get('/console/reports/statement.txt', kit.viewer, async (c) => {
    const draft = await statementOf(c, c.req.query('person') ?? '');
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    const file = fileName(draft.person, draft.year, 'txt');
    return download(c, 'text/plain; charset=utf-8', file.fallback, file.name, draft.text);
  });

  app.get('/console/reports/statement.docx', kit.viewer, async (c) => {
    const draft = await statementOf(c, c.req.query('person') ?? '');
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    const file = fileName(draft.person, draft.year, 'docx');
    return download(
      c,
      DOCX_TYPE,
      file.fallback,
      file.name,
      await statementDocx(draft.text, { author: draft.person.name }),
    );
  });

  app.get('/console/reports/statement/print', kit.viewer, async (c) => {
    const draft = await statementOf(c, c.req.query('person') ?? '');
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    return kit.render(c, statementPrintPage(draft.text, statementLink(draft.person.id, draft.year)), {
      title: `述职述安报告：${draft.person.name}`,
      style: STATEMENT_PRINT_CSS,
    });
  });

  // The year's archive for an inspection (handlers/archive-pack.ts): the viewer's own organization (or the
  // school a bureau is viewing), the accident register's confidential fields for logged-in accounts only.
  app.get('/console/reports/archive.zip', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const year = yearOf(c, viewer);
    const now = clock();
    const files = await archiveFiles(db, tenant, year, now, {
      readPhoto: kit.evidence.read,
      readThumbnail: kit.evidence.thumbnail,
      confidential: seesConfidential(viewer),
    });
    return download(
      c,
      'application/zip',
      `archive_${tenant.code}_${year}.zip`,
      `安全管理档案_${tenant.name}_${year}.zip`,
      archiveZip(files, { tenantName: tenant.name, year, now, timeZone: tenant.timezone }),
    );
  });

  const statementForm = validForm({
    year: textField,
    person: trimmedField(),
    text: textField.transform((body) => body.replace(/\r\n/g, '\n')),
    confirm: textField,
  });

  // The edited text back as a download, unsaved.
  app.post('/console/reports/statement.txt', kit.limit, kit.post, statementForm, async (c) => {
    const form = c.req.valid('form');
    const draft = await statementOf(c, form.person, form.year);
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    const body = form.text;
    const file = fileName(draft.person, draft.year, 'txt');
    return download(
      c,
      'text/plain; charset=utf-8',
      file.fallback,
      file.name,
      body.endsWith('\n') ? body : `${body}\n`,
    );
  });

  app.post('/console/reports/statement/save', kit.limit, kit.post, statementForm, async (c) => {
    const { viewer } = c.var;
    const form = c.req.valid('form');
    const draft = await statementOf(c, form.person, form.year);
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    const text = form.text.trim();
    const refuse = (message: string) => {
      kit.setFlash(c, { kind: 'error', text: message });
      return c.redirect(statementLink(draft.person.id, draft.year), 303);
    };
    if (!text) return refuse('报告内容为空，未保存。');
    if (text.length > STATEMENT_MAX) return refuse(`报告超过 ${STATEMENT_MAX} 字，未保存；请精简后再保存。`);
    await saveStatementDraft(db, viewer.tenant.id, {
      personId: draft.person.id,
      year: draft.year,
      text: `${text}\n`,
      editedBy: actor(viewer),
      accountId: viewer.account?.id ?? null,
      at: clock(),
    });
    log.info('console statement saved', {
      tenant: viewer.tenant.code,
      admin: actor(viewer),
      person: draft.person.id,
      year: draft.year,
    });
    kit.setFlash(c, {
      kind: 'success',
      text: `已保存 ${draft.person.name} ${draft.year}年度述职述安报告的修改稿；重新生成不会覆盖它。`,
    });
    return c.redirect(statementLink(draft.person.id, draft.year), 303);
  });

  app.post('/console/reports/statement/discard', kit.limit, kit.post, statementForm, async (c) => {
    const { viewer } = c.var;
    const form = c.req.valid('form');
    const draft = await statementOf(c, form.person, form.year);
    if (!draft.person) return notFound(c, NOT_A_LEADER);
    if (form.confirm !== 'yes') {
      kit.setFlash(c, { kind: 'error', text: '请勾选“放弃已保存的修改稿”后再重新生成。' });
      return c.redirect(statementLink(draft.person.id, draft.year), 303);
    }
    const removed = await discardStatementDraft(db, viewer.tenant.id, draft.person.id, draft.year, {
      editedBy: actor(viewer),
      accountId: viewer.account?.id ?? null,
      at: clock(),
    });
    kit.setFlash(c, {
      kind: 'success',
      text:
        removed > 0 ? '已放弃修改稿，报告按最新记录重新生成。' : '没有已保存的修改稿，报告即按最新记录生成。',
    });
    return c.redirect(statementLink(draft.person.id, draft.year), 303);
  });

  return app;
}
