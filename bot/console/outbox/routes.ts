// `/console/outbox`: the viewer's tenant's messages that could not be delivered.

import { failedMessages } from '../../../db/queries/outbox.ts';
import { type ConsoleKit, consoleApp } from '../kit.ts';
import { outboxPage } from './page.ts';

export function outboxRoutes(kit: ConsoleKit) {
  const app = consoleApp();
  app.get('/console/outbox', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const rows = await failedMessages(kit.db, tenant.id);
    return kit.render(c, outboxPage({ rows, timeZone: tenant.timezone }), {
      title: '发送失败的消息',
      active: 'outbox',
    });
  });
  return app;
}
