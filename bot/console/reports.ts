// The console's reports (DOMAIN §7): `/console/reports/quarterly` (+ .xlsx), `/console/reports/year`
// (+ .xlsx, and the 一票否决 form), `/console/reports/statement` (+ .txt). Same viewer, CSRF and tenant
// scoping as the operations: everything is read for the viewer's tenant; an id of another tenant is 404.
import type { Context, Hono } from 'hono';
import {
  clearVetoFlag,
  leadersOf,
  setVetoFlag,
  spanReport,
  statementRecords,
  tenantUnits,
  VETO_KINDS,
  type VetoKind,
  yearAssessment,
} from '../../db/queries/reports.ts';
import {
  currentQuarter,
  quarterSpan,
  reportYear,
  statementText,
  VETO_LABEL,
  writeQuarterlyXlsx,
  writeYearXlsx,
  yearSpan,
} from '../../handlers/reports.ts';
import { formatDateTime, yearIn } from '../../handlers/time.ts';
import { errorPage } from '../pages/console.ts';
import { quarterlyPage, statementPage, yearPage } from '../pages/reports.ts';
import { setFlash, takeFlash } from './auth.ts';
import type { ConsoleKit } from './operations.ts';
import type { Viewer } from './routes.ts';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const text = (value: unknown) => (typeof value === 'string' ? value : '');
const who = (viewer: Viewer) => viewer.account?.username ?? '(demo)';

function attachment(fallback: string, name: string): string {
  const encoded = encodeURIComponent(name).replace(
    /['()*!]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function download(c: Context, type: string, fallback: string, name: string, body: Uint8Array | string) {
  c.header('Content-Type', type);
  c.header('Content-Disposition', attachment(fallback, name));
  c.header('Cache-Control', 'no-store');
  c.header('X-Content-Type-Options', 'nosniff');
  return c.body(typeof body === 'string' ? body : new Uint8Array(body));
}

export function registerReports(app: Hono, kit: ConsoleKit): void {
  const { db, log, clock } = kit;

  const notFound = async (c: Context, viewer: Viewer, message: string) =>
    kit.page(
      c,
      404,
      await kit.frameOf(viewer, { title: '找不到' }),
      errorPage('找不到', message, { href: '/console/reports/quarterly', label: '返回报表' }),
    );

  // ---------------------------------------------------------------------------------------------
  // Quarterly

  async function quarterOf(c: Context, viewer: Viewer) {
    const { timezone } = viewer.tenant;
    const asked = (c.req.query('quarter') ?? '').trim() || currentQuarter(clock(), timezone);
    return { asked, span: quarterSpan(asked, timezone) };
  }

  app.get('/console/reports', (c) => c.redirect('/console/reports/quarterly', 302));

  app.get('/console/reports/quarterly', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const { tenant } = viewer;
    const { asked, span } = await quarterOf(c, viewer);
    const now = clock();
    const fallback = quarterSpan(currentQuarter(now, tenant.timezone), tenant.timezone)!;
    const shown = span ?? fallback;
    return kit.page(
      c,
      span ? 200 : 400,
      await kit.frameOf(viewer, { title: '季度安全工作统计', flash: takeFlash(c, key) }),
      quarterlyPage({
        tenantName: tenant.name,
        quarter: span ? asked : shown.key,
        label: shown.label,
        report: await spanReport(db, tenant.id, shown, now),
        timeZone: tenant.timezone,
        error: span ? undefined : `季度“${asked}”无效：请写成 2026-Q4 的形式。`,
      }),
    );
  });

  app.get('/console/reports/quarterly.xlsx', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { tenant } = resolved.viewer;
    const { asked, span } = await quarterOf(c, resolved.viewer);
    if (!span) return c.text(`季度“${asked}”无效：请写成 2026-Q4 的形式。`, 400);
    const now = clock();
    const report = await spanReport(db, tenant.id, span, now);
    const file = await writeQuarterlyXlsx(report, {
      tenantName: tenant.name,
      label: span.label,
      footer: `统计期 ${span.start} 至 ${span.end}；生成于 ${formatDateTime(now, tenant.timezone)}`,
    });
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

  const yearOf = (c: Context, viewer: Viewer, value?: string) => {
    const asked = (value ?? c.req.query('year') ?? '').trim();
    return reportYear(asked) ?? yearIn(clock(), viewer.tenant.timezone);
  };

  async function yearBody(viewer: Viewer, year: number, error?: string) {
    const { tenant } = viewer;
    const { rows } = await yearAssessment(db, tenant.id, year, yearSpan(year, tenant.timezone), clock());
    return yearPage({ tenantName: tenant.name, year, rows, csrf: viewer.session.csrf, error });
  }

  app.get('/console/reports/year', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const year = yearOf(c, viewer);
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '年度安全工作考核', flash: takeFlash(c, key) }),
      await yearBody(viewer, year),
    );
  });

  app.get('/console/reports/year.xlsx', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { tenant } = resolved.viewer;
    const year = yearOf(c, resolved.viewer);
    const now = clock();
    const { rows } = await yearAssessment(db, tenant.id, year, yearSpan(year, tenant.timezone), now);
    const file = await writeYearXlsx(rows, {
      tenantName: tenant.name,
      year,
      footer: `生成于 ${formatDateTime(now, tenant.timezone)}`,
    });
    return download(
      c,
      XLSX_TYPE,
      `assessment_${tenant.code}_${year}.xlsx`,
      `年度安全工作考核_${tenant.name}_${year}.xlsx`,
      file,
    );
  });

  app.post('/console/reports/year/veto', kit.limit, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const year = yearOf(c, viewer, text(form.year));
    const again = async (status: 400 | 404, error: string) =>
      kit.page(
        c,
        status,
        await kit.frameOf(viewer, { title: '年度安全工作考核' }),
        await yearBody(viewer, year, error),
      );
    if (reportYear(text(form.year).trim()) === undefined) return again(400, '请填写年度，如 2026。');
    const unit = (await tenantUnits(db, tenant.id)).find((row) => String(row.id) === text(form.unit).trim());
    if (!unit) return again(404, '所选处室不属于本单位。');
    const kind = VETO_KINDS.find((candidate) => candidate === text(form.kind)) as VetoKind | undefined;
    if (!kind) return again(400, '请选择一票否决事项。');
    const action = text(form.action) === 'clear' ? 'clear' : 'set';
    const reason = text(form.reason).replace(/\s+/g, ' ').trim().slice(0, 500);
    if (action === 'set') {
      if (!reason) return again(400, '请填写设定一票否决的理由。');
      await setVetoFlag(db, tenant.id, {
        unitId: unit.id,
        year,
        kind,
        reason,
        setBy: who(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      });
    } else {
      await clearVetoFlag(db, tenant.id, {
        unitId: unit.id,
        year,
        kind,
        clearedBy: who(viewer),
        at: clock(),
        accountId: viewer.account?.id ?? null,
      });
    }
    log.info('console veto flag', {
      tenant: tenant.code,
      admin: who(viewer),
      unit: unit.id,
      year,
      kind,
      action,
    });
    setFlash(c, key, {
      kind: 'success',
      text: `${action === 'set' ? '已设定' : '已撤销'}：${unit.name} ${year}年度 一票否决事项“${VETO_LABEL[kind]}”。`,
    });
    return c.redirect(`/console/reports/year?year=${year}`, 303);
  });

  // ---------------------------------------------------------------------------------------------
  // 述职述安

  async function draftOf(viewer: Viewer, personValue: string, year: number) {
    const { tenant } = viewer;
    const leaders = await leadersOf(db, tenant.id);
    const person = leaders.find((leader) => String(leader.id) === personValue);
    if (!person) return { leaders, person: undefined, text: undefined };
    const records = await statementRecords(db, tenant.id, person.id, yearSpan(year, tenant.timezone));
    return { leaders, person, text: statementText(person, year, records, tenant.timezone) };
  }

  app.get('/console/reports/statement', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const year = yearOf(c, viewer);
    const asked = (c.req.query('person') ?? '').trim();
    const draft = await draftOf(viewer, asked, year);
    if (asked && !draft.person)
      return notFound(c, viewer, '找不到这位领导：本单位没有此人，或其不担任第一、直接责任人岗位。');
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '述职述安报告草稿', flash: takeFlash(c, key) }),
      statementPage({
        year,
        leaders: draft.leaders,
        person: draft.person,
        text: draft.text,
        csrf: viewer.session.csrf,
      }),
    );
  });

  app.get('/console/reports/statement.txt', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer } = resolved;
    const year = yearOf(c, viewer);
    const draft = await draftOf(viewer, (c.req.query('person') ?? '').trim(), year);
    if (!draft.person || draft.text === undefined) return notFound(c, viewer, '找不到这位领导。');
    return download(
      c,
      'text/plain; charset=utf-8',
      `statement_${draft.person.id}_${year}.txt`,
      `述职述安_${draft.person.name}_${year}.txt`,
      draft.text,
    );
  });

  app.post('/console/reports/statement.txt', kit.limit, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, form } = posted;
    const year = yearOf(c, viewer, text(form.year));
    const leaders = await leadersOf(db, viewer.tenant.id);
    const person = leaders.find((leader) => String(leader.id) === text(form.person).trim());
    if (!person) return notFound(c, viewer, '找不到这位领导。');
    const body = text(form.text).replace(/\r\n/g, '\n');
    return download(
      c,
      'text/plain; charset=utf-8',
      `statement_${person.id}_${year}.txt`,
      `述职述安_${person.name}_${year}.txt`,
      body.endsWith('\n') ? body : `${body}\n`,
    );
  });
}
