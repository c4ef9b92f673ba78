// The bureau's console (issue 19): `/console/bureau` compares its schools, `/console/bureau/schools/:id`
// switches into one of them (its pages, read only, until the bureau's pages are opened again), and
// `/console/bureau/meeting` (+ .xlsx) is the quarterly 调度会 pack. Only a bureau's admin (or the demo of a
// bureau) has them; a school's is answered 404, as is a school that is not the bureau's.
//
// The switch is a link (GET): it changes only which of the admin's own schools the console shows, never
// data, and while a school is shown its forms are refused (kit.post).
import { schoolOfBureau } from '../../../db/queries/bureau.ts';
import { compareOrderOf, compareSchools } from '../../../handlers/bureau-compare.ts';
import { meetingPack, writeMeetingPackXlsx } from '../../../handlers/meeting-pack.ts';
import { currentQuarter } from '../../../handlers/reports.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { writeSession } from '../auth.ts';
import { type ConsoleKit, type ConsoleMiddleware, consoleApp, download, XLSX_TYPE } from '../kit.ts';
import { REPORT_PRINT_CSS } from '../reports/page.ts';
import { comparePage, meetingPage } from './page.ts';

export function bureauRoutes(kit: ConsoleKit) {
  const { db, clock } = kit;
  const app = consoleApp();

  const notBureau = (c: Parameters<ConsoleMiddleware>[0]) =>
    kit.notFound(c, '找不到', '只有教育局的账号可以查看所辖学校。', {
      link: { href: '/console/dashboard', label: '返回工作看板' },
    });

  /** The bureau's own pages: a viewer who is a bureau, back from any school it was viewing. */
  const asBureau: ConsoleMiddleware = async (c, next) => {
    const viewer = c.var.viewer;
    const own = viewer.actingTenant ?? viewer.tenant;
    if (own.kind !== 'bureau') return notBureau(c);
    if (viewer.viewingAs) {
      const { viewing: _, ...session } = viewer.session;
      writeSession(c, c.var.key, session, clock());
      c.set('viewer', { tenant: own, session, ...(viewer.account ? { account: viewer.account } : {}) });
    }
    return next();
  };

  app.get('/console/bureau', kit.viewer, asBureau, async (c) => {
    const { tenant } = c.var.viewer;
    const order = compareOrderOf(c.req.query('sort'));
    const data = await compareSchools(db, tenant, clock(), order);
    return kit.renderWithFlash(c, comparePage({ bureauName: tenant.name, data, order }), {
      title: '所辖学校对比',
      active: 'bureau',
    });
  });

  app.get('/console/bureau/schools/:id', kit.viewer, asBureau, async (c) => {
    const { viewer } = c.var;
    const asked = c.req.param('id');
    const school = /^\d{1,9}$/.test(asked)
      ? await schoolOfBureau(db, viewer.tenant.id, Number(asked))
      : undefined;
    if (!school) {
      return kit.notFound(c, '找不到这所学校', '这所学校不是本局所辖学校，或已不存在。', {
        link: { href: '/console/bureau', label: '返回所辖学校' },
      });
    }
    const session = { ...viewer.session, viewing: school.id };
    writeSession(c, c.var.key, session, clock());
    kit.log.info('console views school', {
      bureau: viewer.tenant.code,
      school: school.code,
      admin: viewer.account?.username ?? '(demo)',
    });
    return c.redirect('/console/dashboard', 302);
  });

  const quarterOf = (asked: string | undefined, timeZone: string) =>
    (asked ?? '').trim() || currentQuarter(clock(), timeZone);

  app.get('/console/bureau/meeting', kit.viewer, asBureau, async (c) => {
    const { tenant } = c.var.viewer;
    const asked = quarterOf(c.req.query('quarter'), tenant.timezone);
    const now = clock();
    const pack = await meetingPack(db, tenant, asked, now);
    const shown = pack ?? (await meetingPack(db, tenant, currentQuarter(now, tenant.timezone), now))!;
    return kit.render(
      c,
      meetingPage({
        pack: shown,
        quarter: pack ? asked : shown.key,
        timeZone: tenant.timezone,
        error: pack ? undefined : `季度“${asked}”无效：请写成 2026-Q4 的形式。`,
      }),
      { title: '调度会材料', active: 'meeting', style: REPORT_PRINT_CSS },
      pack ? 200 : 400,
    );
  });

  app.get('/console/bureau/meeting.xlsx', kit.viewer, asBureau, async (c) => {
    const { tenant } = c.var.viewer;
    const asked = quarterOf(c.req.query('quarter'), tenant.timezone);
    const now = clock();
    const pack = await meetingPack(db, tenant, asked, now);
    if (!pack) return c.text(`季度“${asked}”无效：请写成 2026-Q4 的形式。`, 400);
    const file = await writeMeetingPackXlsx(
      pack,
      `统计期 ${pack.start} 至 ${pack.end}；生成于 ${formatDateTime(now, tenant.timezone)}`,
    );
    return download(
      c,
      XLSX_TYPE,
      `meeting_${tenant.code}_${pack.key}.xlsx`,
      `调度会材料_${tenant.name}_${pack.key}.xlsx`,
      file,
    );
  });

  return app;
}
