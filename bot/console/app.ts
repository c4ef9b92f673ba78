// The web console (DESIGN.md §5: `/` and below): the chat simulator at `/`, `/login`, `/logout`, and
// `/console/...` (the dashboard, reports, tasks, hazards, rosters, letters, calendar, ledger export,
// organization, failed messages, 运行状态). Server-rendered HTML, plain forms, POST → redirect.
//
// One Hono sub-app made by one factory (kit.ts: typed bindings, the session, CSRF and viewer middleware,
// the layout); one folder per page with its routes and its rendering. bot/app.ts mounts it at `/`.

import { consoleSecureHeaders } from '../secure-headers.ts';
import { accidentsRoutes } from './accidents/routes.ts';
import { bureauRoutes } from './bureau/routes.ts';
import { calendarRoutes } from './calendar/routes.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { hazardsRoutes } from './hazards/routes.ts';
import { type ConsoleOptions, consoleApp, createKit } from './kit.ts';
import { ledgerRoutes } from './ledger/routes.ts';
import { lettersRoutes } from './letters/routes.ts';
import { loginRoutes } from './login/routes.ts';
import { orgRoutes } from './org/routes.ts';
import { outboxRoutes } from './outbox/routes.ts';
import { photosRoutes } from './photos/routes.ts';
import { recordsRoutes } from './records/routes.ts';
import { reportsRoutes } from './reports/routes.ts';
import { rostersRoutes } from './rosters/routes.ts';
import { roundsRoutes } from './rounds/routes.ts';
import { simulatorRoutes } from './simulator/routes.ts';
import { statusRoutes } from './status/routes.ts';
import { CONSOLE_CSS } from './style.ts';
import { submissionsRoutes } from './submissions/routes.ts';
import { supervisionRoutes } from './supervision/routes.ts';
import { tasksRoutes } from './tasks/routes.ts';

export { CONSOLE_BODY_DEADLINES, type ConsoleOptions, type Viewer } from './kit.ts';

/** The console's one stylesheet; its address carries its version (style.ts), so it is cached for good. */
const STYLESHEET_ROUTE = '/console/style.css';

export function createConsole(options: ConsoleOptions) {
  const kit = createKit(options);
  const app = consoleApp();
  // First: every answer of the console carries them, and the page's nonce is drawn before its handler runs.
  app.use('*', consoleSecureHeaders);

  app.get(STYLESHEET_ROUTE, (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(CONSOLE_CSS);
  });

  app.get('/console', (c) => c.redirect('/', 302));

  for (const routes of [
    loginRoutes,
    simulatorRoutes,
    dashboardRoutes,
    bureauRoutes,
    reportsRoutes,
    accidentsRoutes,
    tasksRoutes,
    hazardsRoutes,
    supervisionRoutes,
    recordsRoutes,
    submissionsRoutes,
    roundsRoutes,
    rostersRoutes,
    lettersRoutes,
    calendarRoutes,
    ledgerRoutes,
    photosRoutes,
    orgRoutes,
    outboxRoutes,
    statusRoutes,
  ]) {
    app.route('/', routes(kit));
  }
  return app;
}
