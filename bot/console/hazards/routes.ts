// `/console/hazards`: the open hazards, and 挂牌督办: the office's account in its own name, or in demo
// mode a chosen leader. 挂牌督办 goes through the very step of the chat command (listHazard), through
// actAs: a refusal writes nothing.
import { accountLabels } from '../../../db/queries/accounts.ts';
import { hazardPhotoById, listHazardPhotos } from '../../../db/queries/evidence.ts';
import { holdersAtLevel } from '../../../db/queries/hazard-roles.ts';
import { openHazards } from '../../../db/queries/hazards.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { memberById, membersOf } from '../../../db/queries/people.ts';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { listHazard } from '../../../handlers/hazards/index.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import { TEXT_LIMITS } from '../../../handlers/text-limits.ts';
import { actingOf, inTheNameOf, runAs } from '../act.ts';
import { memberChoices } from '../fields.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { hazardsPage, type ListFormValues, type OpenHazard } from './page.ts';

const MAX_MATTER = TEXT_LIMITS.matter;

export function hazardsRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  async function hazardsBody(viewer: Viewer, values?: ListFormValues, error?: string) {
    const { tenant } = viewer;
    const rows = await openHazards(db, tenant.id);
    const accounts = await accountLabels(
      db,
      rows.map((row) => row.listedByAccountId),
    );
    const photos = await listHazardPhotos(
      db,
      tenant.id,
      rows.map((row) => row.id),
    );
    const items: OpenHazard[] = rows.map(({ listedByAccountId, listedByName, ...row }) => ({
      ...row,
      listedBy: listedByName ?? accounts.get(listedByAccountId ?? 0) ?? null,
      photos: photos.filter((photo) => photo.hazardId === row.id),
    }));
    return hazardsPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      now: clock(),
      items,
      leaders: viewer.account
        ? []
        : memberChoices(
            await membersOf(db, tenant.id),
            await holdersAtLevel(db, tenant.id, ['first', 'direct']),
          ),
      actingAs: viewer.account && accountLabel(viewer.account),
      values,
      error,
    });
  }

  app.get('/console/hazards', kit.viewer, async (c) =>
    kit.renderWithFlash(c, await hazardsBody(c.var.viewer), { title: '隐患督办', active: 'hazards' }),
  );

  // A photo of a hazard of the viewer's tenant: another tenant's id, or one not kept, is not found. `/thumb`
  // is its kept thumbnail (a few KB, what the page shows at 64 px), or the photo while it has none.
  const photo = (thumb: boolean) => async (c: ConsoleContext) => {
    const { tenant } = c.var.viewer;
    const photoId = rowId(c.req.param('id'));
    const row = photoId === undefined ? undefined : await hazardPhotoById(db, tenant.id, photoId);
    const small =
      thumb && row?.fileId
        ? await kit.evidence?.thumbnail(tenant.id, row.fileId, { make: false })
        : undefined;
    const file =
      small?.kind === 'made'
        ? { bytes: small.bytes, contentType: 'image/jpeg' }
        : row?.fileId && (await kit.evidence?.read(tenant.id, row.fileId));
    if (!file) return c.text('照片不存在或尚未保存。', 404);
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': file.contentType,
      'cache-control': 'private, max-age=86400',
      'content-security-policy': "default-src 'none'; sandbox",
    });
  };
  app.get('/console/hazards/photos/:id', kit.viewer, photo(false));
  app.get('/console/hazards/photos/:id/thumb', kit.viewer, photo(true));

  const refuseList = async (c: ConsoleContext, values: ListFormValues, error: string) =>
    kit.render(
      c,
      await hazardsBody(c.var.viewer, values, error),
      { title: '隐患督办', active: 'hazards' },
      400,
    );
  // The hazard chosen is checked here; who lists it and the rest in the route, against the tenant's rows.
  const listForm = validForm(
    {
      hazard: trimmedField(20),
      actor: trimmedField(20),
      matter: textField.transform((matter) => matter.slice(0, MAX_MATTER * 2)),
      deadline: trimmedField(40),
    },
    {
      checks: [(values) => (rowId(values.hazard) === undefined ? '请选择要挂牌督办的隐患。' : undefined)],
      refuse: refuseList,
    },
  );

  app.post('/console/hazards/list', kit.limit, kit.post, listForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const values: ListFormValues = c.req.valid('form');
    const again = (error: string) => refuseList(c, values, error);
    const now = clock();
    const hazardId = rowId(values.hazard)!;
    // Outside demo mode the office's account lists in its own name (DOMAIN §8), acting as nobody else.
    const acting = await actingOf(viewer, values.actor, {
      missing: '请选择督办人：以哪位学校领导（第一责任人、直接责任人）的名义挂牌督办。',
      find: (id) => memberById(db, tenant.id, Number(id)),
      notAllowed: '所选督办人不是本单位的成员。',
    });
    if (typeof acting === 'string') return again(acting);
    const matter = values.matter.replace(/\s+/g, ' ').trim();
    if (!matter) return again('请填写督办事项。');
    if ([...matter].length > MAX_MATTER) return again(`督办事项太长：最多 ${MAX_MATTER} 字。`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.deadline)) {
      return again(`督办期限“${values.deadline}”无效：请选择日期，如 2026-12-31。`);
    }
    const today = isoDateIn(now, tenant.timezone);
    if (values.deadline < today) return again(`督办期限 ${values.deadline} 已过：不能早于今天（${today}）。`);
    const listed = await runAs(kit, viewer, acting, now, (ctx) =>
      listHazard(ctx, hazardId, { matter, deadline: values.deadline }),
    );
    if ('refused' in listed) return again(listed.refused);
    log.info('console hazard listed', {
      tenant: tenant.code,
      admin: actor(viewer),
      person: acting.actor?.id,
      hazard: hazardId,
    });
    kit.setFlash(c, { kind: 'success', text: listed.result + inTheNameOf(acting) });
    return c.redirect('/console/hazards', 303);
  });

  return app;
}
