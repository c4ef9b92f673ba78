// `/console/rosters`: 值班表 upload (as `npm run roster:import` reads it) and the next 7 days.
import { shiftIdsBetween, shiftViews } from '../../../db/queries/shifts.ts';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { RosterFileError } from '../../../handlers/roster-file.ts';
import { importRosterFile } from '../../../handlers/roster-import.ts';
import { addDays } from '../../../handlers/shift-rules.ts';
import { UPLOAD_LIMITS } from '../../../handlers/upload-limits.ts';
import { uploadForm } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { type RosterErrors, rosterSummaryText, rostersPage } from './page.ts';

/** The heaviest roster file an upload may carry. */
export const MAX_ROSTER_MEGABYTES = UPLOAD_LIMITS.rosterBytes / 2 ** 20;

export function rostersRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();
  const upload = kit.limitTo(
    MAX_ROSTER_MEGABYTES * 1024 * 1024,
    `文件过大：值班表文件最大 ${MAX_ROSTER_MEGABYTES} MB。`,
  );

  async function rostersBody(viewer: Viewer, error?: RosterErrors | string) {
    const { tenant } = viewer;
    const now = clock();
    const from = isoDateIn(now, tenant.timezone);
    const to = addDays(from, 6);
    return rostersPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      now,
      from,
      to,
      shifts: await shiftViews(db, tenant.id, await shiftIdsBetween(db, tenant.id, from, to)),
      error,
      maxMegabytes: MAX_ROSTER_MEGABYTES,
    });
  }

  app.get('/console/rosters', kit.viewer, async (c) =>
    kit.renderWithFlash(c, await rostersBody(c.var.viewer), { title: '值班表', active: 'rosters' }),
  );

  const rosterUpload = uploadForm(
    {
      kind: '值班表',
      accepted: /\.(xlsx|csv)$/i,
      missing: '请选择要导入的值班表文件（.xlsx 或 .csv），文件不能为空。',
      refused: (name) =>
        `只能导入 .xlsx 或 .csv 文件，“${name}”不是（旧版 .xls 请在 Excel 中另存为 .xlsx）。`,
    },
    async (c: ConsoleContext, message) =>
      kit.render(c, await rostersBody(c.var.viewer, message), { title: '值班表', active: 'rosters' }, 400),
  );

  app.post('/console/rosters', upload, kit.post, rosterUpload, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const refuse = async (error: RosterErrors | string) =>
      kit.render(c, await rostersBody(viewer, error), { title: '值班表', active: 'rosters' }, 400);
    // The form checked there is a file (uploadForm).
    const { name, file } = c.req.valid('form').file!;
    const bytes = new Uint8Array(await file.arrayBuffer());
    let summary: Awaited<ReturnType<typeof importRosterFile>>;
    try {
      summary = await importRosterFile(db, tenant.id, name, bytes, clock(), viewer.account?.id ?? null);
    } catch (error) {
      if (error instanceof RosterFileError) {
        return refuse({ file: name, problems: error.problems, omitted: error.omitted });
      }
      throw error;
    }
    log.info('console roster import', {
      tenant: tenant.code,
      admin: actor(viewer),
      file: name,
      created: summary.created,
      replaced: summary.replaced,
    });
    kit.setFlash(c, { kind: 'success', text: rosterSummaryText(name, summary) });
    return c.redirect('/console/rosters', 303);
  });

  return app;
}
