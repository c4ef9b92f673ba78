// GET /console/dashboard: login (or demo mode) as every console page; the viewer's tenant only.
import { html } from 'hono/html';
import { proposalsOf, unreportedPastDue } from '../../../db/queries/accidents.ts';
import { dashboardData } from '../../../handlers/dashboard.ts';
import { holidayGap } from '../../../handlers/deadlines.ts';
import { yearSpan } from '../../../handlers/reports.ts';
import { tenantSettings } from '../../../handlers/settings.ts';
import { targetOverview } from '../../../handlers/targets.ts';
import { yearIn } from '../../../handlers/time.ts';
import { accidentsPanel } from '../accidents/page.ts';
import { type ConsoleKit, consoleApp } from '../kit.ts';
import { dashboardPage } from './page.ts';

export function dashboardRoutes(kit: ConsoleKit) {
  const app = consoleApp();
  app.get('/console/dashboard', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const data = await dashboardData(kit.db, tenant.id, kit.clock(), tenant.timezone);
    const pending = await proposalsOf(kit.db, tenant.id, { status: 'pending' });
    const unreported = await unreportedPastDue(kit.db, kit.clock(), tenant.id);
    // The targets are signed for the year: this year's accidents count against them.
    const year = yearIn(kit.clock(), tenant.timezone);
    const targets = { year, ...(await targetOverview(kit.db, tenant.id, yearSpan(year, tenant.timezone))) };
    return kit.render(
      c,
      html`${accidentsPanel(pending, unreported)}${dashboardPage(data, holidayGap(tenantSettings(tenant.settings), kit.clock(), tenant.timezone), targets)}`,
      { title: '工作看板', active: 'dashboard', page: 'dashboard' },
    );
  });
  return app;
}
