// `/console/letters`: 发起责任书 and the signing progress. A round is started by the function the chat
// command uses, acting as the office's account or (demo mode) a chosen member (actAs).
import { leadersLabel, progressByUnit } from '../../../cards/letter.ts';
import { letterStatus, roundByYear, roundYears } from '../../../db/queries/letters.ts';
import { membersOf } from '../../../db/queries/people.ts';
import { roundRunners, roundStarterName, startLetterRound } from '../../../handlers/letters.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import { yearIn } from '../../../handlers/time.ts';
import { actingOf, inTheNameOf, runAs } from '../act.ts';
import type { Flash } from '../auth.ts';
import { memberChoices } from '../fields.ts';
import { trimmedField, validForm } from '../form.ts';
import { actor, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { lettersPage } from './page.ts';

export function lettersRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  async function lettersBody(
    viewer: Viewer,
    year: number,
    values: { actor: string; year: string },
    error?: string,
  ) {
    const { tenant } = viewer;
    const current = yearIn(clock(), tenant.timezone);
    const members = await membersOf(db, tenant.id);
    const round = await roundByYear(db, tenant.id, year);
    const rows = round ? await letterStatus(db, tenant.id, year) : [];
    const starter = round ? await roundStarterName(db, round) : undefined;
    const label = leadersLabel(tenant.kind);
    const years = await roundYears(db, tenant.id);
    return lettersPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      year,
      startYears: [current, current + 1, current - 1],
      roundYears: years,
      runners: viewer.account ? [] : memberChoices(members, await roundRunners(db, tenant.id)),
      actingAs: viewer.account && accountLabel(viewer.account),
      values,
      error,
      round: round && { startedAt: round.startedAt, startedByName: starter ?? null },
      units: progressByUnit(rows, label),
      rows,
      leadersLabel: label,
    });
  }

  app.get('/console/letters', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const current = yearIn(clock(), viewer.tenant.timezone);
    const asked = c.req.query('year') ?? '';
    const year = /^\d{4}$/.test(asked) ? Number(asked) : current;
    return kit.renderWithFlash(c, await lettersBody(viewer, year, { actor: '', year: String(year) }), {
      title: '责任书签订',
      active: 'letters',
    });
  });

  // Who acts is checked against the tenant's rows first, then the year: both in the route.
  const letterForm = validForm({ actor: trimmedField(), year: trimmedField(10) });

  app.post('/console/letters', kit.limit, kit.post, letterForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const values = c.req.valid('form');
    const now = clock();
    const shown = /^\d{4}$/.test(values.year) ? Number(values.year) : yearIn(now, tenant.timezone);
    const again = async (error: string) =>
      kit.render(
        c,
        await lettersBody(viewer, shown, values, error),
        { title: '责任书签订', active: 'letters' },
        400,
      );
    const acting = await actingOf(viewer, values.actor, {
      missing: '请选择发起人：以哪位安全办公室成员（或第一责任人）的名义发起。',
      find: async (id) => (await roundRunners(db, tenant.id)).find((person) => String(person.id) === id),
      notAllowed: '所选发起人不是本单位的安全办公室成员或第一责任人，不能发起责任书签订。',
    });
    if (typeof acting === 'string') return again(acting);
    if (!/^\d{4}$/.test(values.year)) return again('请选择年度。');
    const started = await runAs(kit, viewer, acting, now, (ctx) =>
      startLetterRound(ctx, Number(values.year)),
    );
    if ('refused' in started) return again(started.refused);
    const { result } = started;
    log.info('console letter round', {
      tenant: tenant.code,
      admin: actor(viewer),
      person: acting.actor?.id,
      year: values.year,
      issued: result.issued,
    });
    const flash: Flash = result.started
      ? { kind: 'success', text: result.text + inTheNameOf(acting) }
      : { kind: 'info', text: result.text.replace(/当前签订进度如下：$/, '签订进度见下表。') };
    kit.setFlash(c, flash);
    return c.redirect(`/console/letters?year=${values.year}`, 303);
  });

  return app;
}
