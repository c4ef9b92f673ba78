// `/console/supervision`: a bureau's 挂牌督办 of its schools' hazards and its 整改通知书 / 约谈整改 to their
// 第一责任人 (issue 19), by the bureau's console account in its own name (or, in demo mode, a chosen
// leader or office member), through the very functions of the chat commands (handlers/level-flows): a
// refusal writes nothing and shows the form again with the reason. The hazards and schools offered, and
// any id posted, are the bureau's own schools' only (db/queries/bureau.ts).
import { openSchoolHazards, tasksSentDown } from '../../../db/queries/bureau.ts';
import { holdersAtLevel } from '../../../db/queries/hazard-roles.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { officeStaff } from '../../../db/queries/org.ts';
import { memberById, membersOf } from '../../../db/queries/people.ts';
import { childTenants } from '../../../db/queries/tenants.ts';
import { listSchoolHazardById } from '../../../handlers/level-flows/listing.ts';
import { sendNoticeTo } from '../../../handlers/level-flows/notices.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import { TEXT_LIMITS } from '../../../handlers/text-limits.ts';
import { actingOf, inTheNameOf, runAs } from '../act.ts';
import { memberChoices } from '../fields.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { type ListingValues, NOTICE_KINDS, type NoticeValues, supervisionPage } from './page.ts';

const FRAME = { title: '督办学校', active: 'supervision' } as const;
const EMPTY_LISTING: ListingValues = { actor: '', hazard: '', matter: '', deadline: '' };
const EMPTY_NOTICE: NoticeValues = {
  actor: '',
  school: '',
  kind: 'rectification_notice',
  content: '',
  due: '',
};
const brief = (value: string) =>
  Array.from(value).length > 24 ? `${Array.from(value).slice(0, 24).join('')}…` : value;

export function supervisionRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  async function body(
    viewer: Viewer,
    form: {
      listing?: ListingValues;
      notice?: NoticeValues;
      listingError?: string;
      noticeError?: string;
    } = {},
  ) {
    const { tenant } = viewer;
    const schools = await childTenants(db, tenant.id);
    const members = viewer.account ? [] : await membersOf(db, tenant.id);
    const leaders = [
      ...(await officeStaff(db, tenant.id)),
      ...(await holdersAtLevel(db, tenant.id, ['first', 'direct'])),
    ].filter((person, index, all) => all.findIndex((other) => other.id === person.id) === index);
    return supervisionPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      now: clock(),
      schools: schools.map((school) => ({ value: String(school.id), label: school.name })),
      hazards:
        schools.length === 0
          ? []
          : (await openSchoolHazards(db, tenant.id)).map(({ hazard, schoolName }) => ({
              value: String(hazard.id),
              label: `${schoolName} · ${hazard.code}${hazard.listed ? '【挂牌】' : ''} · ${brief(hazard.description)}`,
            })),
      sent: schools.length === 0 ? [] : await tasksSentDown(db, tenant.id),
      actors: viewer.account ? [] : memberChoices(members, leaders),
      actingAs: viewer.account && accountLabel(viewer.account),
      listing: form.listing ?? EMPTY_LISTING,
      notice: form.notice ?? EMPTY_NOTICE,
      listingError: form.listingError,
      noticeError: form.noticeError,
    });
  }

  app.get('/console/supervision', kit.viewer, async (c) =>
    kit.renderWithFlash(c, await body(c.var.viewer), FRAME),
  );

  const acting = (viewer: Viewer, chosen: string) =>
    actingOf(viewer, chosen, {
      missing: '请选择以哪位局领导或领导小组办公室成员的名义办理。',
      find: (id) => memberById(db, viewer.tenant.id, Number(id)),
      notAllowed: '所选人员不是本单位的成员。',
    });

  const refuseListing = async (c: ConsoleContext, listing: ListingValues, listingError: string) =>
    kit.render(c, await body(c.var.viewer, { listing, listingError }), FRAME, 400);
  const listingForm = validForm(
    {
      actor: trimmedField(20),
      hazard: trimmedField(20),
      matter: textField.transform((matter) =>
        matter
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, TEXT_LIMITS.matter * 2),
      ),
      deadline: trimmedField(40),
    },
    {
      checks: [
        (values) => (rowId(values.hazard) === undefined ? '请选择要挂牌督办的隐患。' : undefined),
        (values) => (values.matter ? undefined : '请填写督办事项。'),
        (values) =>
          /^\d{4}-\d{2}-\d{2}$/.test(values.deadline)
            ? undefined
            : '督办期限无效：请选择日期，如 2026-12-31。',
      ],
      refuse: refuseListing,
    },
  );

  app.post('/console/supervision/list', kit.limit, kit.post, listingForm, async (c) => {
    const { viewer } = c.var;
    const values: ListingValues = c.req.valid('form');
    const who = await acting(viewer, values.actor);
    if (typeof who === 'string') return refuseListing(c, values, who);
    const done = await runAs(kit, viewer, who, clock(), (ctx) =>
      listSchoolHazardById(ctx, rowId(values.hazard)!, { matter: values.matter, deadline: values.deadline }),
    );
    if ('refused' in done) return refuseListing(c, values, done.refused);
    log.info('console school hazard listed', {
      tenant: viewer.tenant.code,
      admin: actor(viewer),
      person: who.actor?.id,
      hazard: rowId(values.hazard),
    });
    kit.setFlash(c, { kind: 'success', text: done.result + inTheNameOf(who) });
    return c.redirect('/console/supervision', 303);
  });

  const refuseNotice = async (c: ConsoleContext, notice: NoticeValues, noticeError: string) =>
    kit.render(c, await body(c.var.viewer, { notice, noticeError }), FRAME, 400);
  const noticeForm = validForm(
    {
      actor: trimmedField(20),
      school: trimmedField(20),
      kind: trimmedField(40),
      content: textField.transform((content) => content.slice(0, TEXT_LIMITS.task * 2)),
      due: trimmedField(40),
    },
    {
      checks: [
        (values) => (rowId(values.school) === undefined ? '请选择学校。' : undefined),
        (values) =>
          (NOTICE_KINDS as readonly string[]).includes(values.kind)
            ? undefined
            : '请选择整改通知书或约谈整改。',
        (values) =>
          values.due === '' || /^\d{4}-\d{2}-\d{2}$/.test(values.due)
            ? undefined
            : '截止日期无效：请选择日期，如 2026-12-31，或不填（20 个工作日）。',
      ],
      refuse: refuseNotice,
    },
  );

  app.post('/console/supervision/notice', kit.limit, kit.post, noticeForm, async (c) => {
    const { viewer } = c.var;
    const values: NoticeValues = c.req.valid('form');
    const who = await acting(viewer, values.actor);
    if (typeof who === 'string') return refuseNotice(c, values, who);
    const kind = NOTICE_KINDS.find((candidate) => candidate === values.kind)!;
    const done = await runAs(kit, viewer, who, clock(), (ctx) =>
      sendNoticeTo(ctx, rowId(values.school)!, {
        kind,
        content: values.content,
        due: values.due || undefined,
      }),
    );
    if ('refused' in done) return refuseNotice(c, values, done.refused);
    log.info('console notice sent down', {
      tenant: viewer.tenant.code,
      admin: actor(viewer),
      person: who.actor?.id,
      school: rowId(values.school),
      tasks: done.result.tasks.map((task) => task.code),
    });
    kit.setFlash(c, { kind: 'success', text: done.result.text + inTheNameOf(who) });
    return c.redirect('/console/supervision', 303);
  });

  return app;
}
