// `/console/status` (运行状态): for the tenant's office admin only — it tells how the service is set up.

import { type ConsoleKit, consoleApp } from '../kit.ts';
import { errorPage } from '../layout.ts';
import { statusPage } from './page.ts';

export function statusRoutes(kit: ConsoleKit) {
  const app = consoleApp();
  app.get('/console/status', kit.viewer, async (c) => {
    const { tenant, account } = c.var.viewer;
    if (!account) {
      // Demo mode lets anyone in as a member; the installation's state is the office's.
      return kit.render(
        c,
        errorPage('仅限安全办公室', '运行状态仅供本单位安全办公室的管理员登录后查看。', {
          href: `/login?next=${encodeURIComponent('/console/status')}`,
          label: '管理员登录',
        }),
        { title: '运行状态', active: 'status' },
        403,
      );
    }
    const rows = kit.status ? await kit.status(tenant.id) : [];
    return kit.render(c, statusPage(rows, kit.clock(), tenant.timezone), {
      title: '运行状态',
      active: 'status',
    });
  });
  return app;
}
