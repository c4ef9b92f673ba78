// The console's operations: `/console/tasks` (派任务 and the task list), `/console/rosters` (值班表 upload
// and the next 7 days) and `/console/letters` (发起责任书 and the signing progress).
//
// Every page and post goes through the console's viewer (login, or demo mode) and every post through its
// CSRF check; every query takes the viewer's tenant. Tasks and rounds are created by the functions the
// chat commands use, acting as a member the admin picks among those allowed (actAs), so the cards that go
// out are the chat's. Bad input answers 400 with the form and a precise message; nothing is written.
import { basename } from 'node:path';
import { desc, eq } from 'drizzle-orm';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { leadersLabel, progressByUnit } from '../../cards/letter.ts';
import type { Db } from '../../db/client.ts';
import { accountLabel } from '../../db/queries/accounts.ts';
import { letterStatus, roundByYear } from '../../db/queries/letters.ts';
import { unitHeads } from '../../db/queries/org.ts';
import { shiftViews } from '../../db/queries/shifts.ts';
import { letterRounds } from '../../db/schema.ts';
import { isoDateIn } from '../../handlers/calendar.ts';
import { roundRunners, roundStarterName, startLetterRound } from '../../handlers/letters.ts';
import { RosterFileError } from '../../handlers/roster-file.ts';
import { importRosterFile } from '../../handlers/roster-import.ts';
import { addDays } from '../../handlers/shift-rules.ts';
import { assigners, createTasks, type TaskTarget, taskTargets } from '../../handlers/tasks.ts';
import { TEXT_LIMITS } from '../../handlers/text-limits.ts';
import { yearIn } from '../../handlers/time.ts';
import { UPLOAD_LIMITS } from '../../handlers/upload-limits.ts';
import type { Acting } from '../core/context.ts';
import { Refusal } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Channel } from '../core/types.ts';
import { registerDashboard } from '../pages/dashboard.ts';
import type { Frame, Html } from '../pages/layout.ts';
import { lettersPage } from '../pages/letters.ts';
import { type RosterErrors, rosterSummaryText, rostersPage } from '../pages/rosters.ts';
import { memberLabel } from '../pages/simulator.ts';
import { type Choice, TASK_KINDS, type TaskFormValues, tasksPage } from '../pages/tasks.ts';
import { actAs } from './act.ts';
import { type Flash, setFlash, takeFlash } from './auth.ts';
import { registerCalendar } from './calendar.ts';
import { membersOf, shiftIdsBetween, TASK_FILTERS, type TaskFilter, tasksOf } from './queries.ts';
import type { Viewer } from './routes.ts';

/** What the operations need of the console: its viewer, its posts, its page frame. */
export interface ConsoleKit {
  db: Db;
  log: Logger;
  clock: () => Date;
  /** Channels that can deliver now: where the cards to people go. */
  channels: ReadonlySet<Channel>;
  /** Called after a commit that wrote outbox rows (wakes the dispatcher). */
  onOutbox?: () => void;
  /** The body limit of ordinary forms. */
  limit: MiddlewareHandler;
  /** A body limit of `maxBytes`, answered 413 with `tooLarge` (uploads); the console's deadlines apply. */
  limitTo(maxBytes: number, tooLarge: string): MiddlewareHandler;
  viewerFor(c: Context): Promise<{ viewer: Viewer; key: Buffer } | Response>;
  postFor(c: Context): Promise<{ viewer: Viewer; key: Buffer; form: Record<string, unknown> } | Response>;
  frameOf(viewer: Viewer, extra: Partial<Frame>): Promise<Omit<Frame, 'nonce'>>;
  page(
    c: Context,
    status: ContentfulStatusCode,
    frame: Omit<Frame, 'nonce'>,
    body: Html,
  ): Response | Promise<Response>;
}

/** The longest task content the form takes: what 派任务 takes in chat. */
export const MAX_TASK_CONTENT = TEXT_LIMITS.task;
/** The heaviest roster file an upload may carry. */
export const MAX_ROSTER_MEGABYTES = UPLOAD_LIMITS.rosterBytes / 2 ** 20;
/** Working days a 整改通知书 or 约谈整改 gets when no due date is given (as in chat). */
const DEFAULT_WRITTEN_REPORT_DAYS = 20;

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const who = (viewer: Viewer) => viewer.account?.username ?? '(demo)';
/** The flash's note of whose name the demo console acted in; the office's account acts in its own. */
export const inTheNameOf = (acting: Acting) => (acting.actor ? `（以${acting.actor.name}的名义）` : '');

export function registerOperations(app: Hono, kit: ConsoleKit): void {
  const { db, log, clock } = kit;
  registerDashboard(app, kit);
  registerCalendar(app, kit);

  const upload = kit.limitTo(
    MAX_ROSTER_MEGABYTES * 1024 * 1024,
    `文件过大：值班表文件最大 ${MAX_ROSTER_MEGABYTES} MB。`,
  );

  async function choices(tenantId: number) {
    const members = await membersOf(db, tenantId);
    const labelOf = (id: number, fallback: string) => {
      const member = members.find((candidate) => candidate.id === id);
      return member ? memberLabel(member) : fallback;
    };
    return { members, labelOf };
  }

  // -------------------------------------------------------------------------------------------------
  // Tasks

  const EMPTY_TASK: TaskFormValues = { assigner: '', assignee: '', kind: 'plain', content: '', due: '' };

  async function tasksBody(viewer: Viewer, filter: TaskFilter, values: TaskFormValues, error?: string) {
    const tenantId = viewer.tenant.id;
    const now = clock();
    const { labelOf } = await choices(tenantId);
    const targets = await taskTargets(db, tenantId);
    const units: Choice[] = [];
    for (const unit of targets.units) {
      const heads = await unitHeads(db, unit.id);
      units.push({
        value: `unit:${unit.id}`,
        label:
          heads.length > 0 ? `${unit.name}（负责人：${heads.map((p) => p.name).join('、')}）` : unit.name,
      });
    }
    return tasksPage({
      csrf: viewer.session.csrf,
      timeZone: viewer.tenant.timezone,
      now,
      filter,
      items: await tasksOf(db, tenantId, filter, now),
      assigners: viewer.account
        ? []
        : (await assigners(db, tenantId)).map((person) => ({
            value: String(person.id),
            label: labelOf(person.id, person.name),
          })),
      actingAs: viewer.account && accountLabel(viewer.account),
      units,
      people: targets.people.map((person) => ({
        value: `person:${person.id}`,
        label: labelOf(person.id, person.name),
      })),
      values,
      error,
      defaultDays: DEFAULT_WRITTEN_REPORT_DAYS,
    });
  }

  app.get('/console/tasks', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const asked = c.req.query('status') ?? 'all';
    const filter = (TASK_FILTERS as readonly string[]).includes(asked) ? (asked as TaskFilter) : 'all';
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '任务督办', active: 'tasks', flash: takeFlash(c, key) }),
      await tasksBody(viewer, filter, EMPTY_TASK),
    );
  });

  /** A unit or a member of the tenant, from the form's `unit:<id>` / `person:<id>`. */
  async function targetOf(tenantId: number, value: string): Promise<TaskTarget | undefined> {
    const match = /^(unit|person):(\d{1,12})$/.exec(value);
    if (!match) return undefined;
    const id = Number(match[2]);
    const targets = await taskTargets(db, tenantId);
    if (match[1] === 'unit') {
      const unit = targets.units.find((row) => row.id === id);
      return unit && { kind: 'unit', unitId: unit.id, name: unit.name };
    }
    const person = targets.people.find((row) => row.id === id);
    return person && { kind: 'person', person };
  }

  app.post('/console/tasks', kit.limit, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const values: TaskFormValues = {
      assigner: text(form.assigner).trim(),
      assignee: text(form.assignee).trim(),
      kind: text(form.kind).trim() || 'plain',
      content: text(form.content).slice(0, MAX_TASK_CONTENT * 2),
      due: text(form.due).trim().slice(0, 40),
    };
    const again = async (error: string) =>
      kit.page(
        c,
        400,
        await kit.frameOf(viewer, { title: '任务督办', active: 'tasks' }),
        await tasksBody(viewer, 'all', values, error),
      );
    const now = clock();
    let acting: Acting;
    if (viewer.account) acting = { account: viewer.account };
    else {
      if (!values.assigner) return again('请选择派发人：以哪位学校领导或安全办公室成员的名义派发。');
      const actor = (await assigners(db, tenant.id)).find((person) => String(person.id) === values.assigner);
      if (!actor) return again('所选派发人不是本单位的学校领导或安全办公室成员，不能派任务。');
      acting = { actor };
    }
    if (!values.assignee) return again('请选择承办处室或人员。');
    const target = await targetOf(tenant.id, values.assignee);
    if (!target) return again('所选承办处室或人员不属于本单位，请重新选择。');
    const kind = TASK_KINDS.find((candidate) => candidate === values.kind);
    if (!kind) return again('请选择任务类型：工作任务、整改通知书、约谈整改或专项行动。');
    const content = values.content.replace(/\s+/g, ' ').trim();
    if (!content) return again('请填写任务内容。');
    if ([...content].length > MAX_TASK_CONTENT) {
      return again(`任务内容太长：最多 ${MAX_TASK_CONTENT} 字，现有 ${[...content].length} 字。`);
    }
    if (values.due && !/^\d{4}-\d{2}-\d{2}$/.test(values.due)) {
      return again(`截止日期“${values.due}”无效：请选择日期，如 2026-12-31。`);
    }
    const today = isoDateIn(now, tenant.timezone);
    if (values.due && values.due < today) {
      return again(`截止日期 ${values.due} 已过：不能早于今天（${today}）。`);
    }
    let created: Awaited<ReturnType<typeof createTasks>>;
    try {
      ({ result: created } = await actAs(db, { ...acting, tenant, now, channels: kit.channels }, (ctx) =>
        createTasks(ctx, { targets: [target], content, kind, due: values.due || undefined }),
      ));
    } catch (error) {
      if (error instanceof Refusal) return again(error.userMessage);
      throw error;
    }
    kit.onOutbox?.();
    log.info('console task assigned', {
      tenant: tenant.code,
      admin: who(viewer),
      person: acting.actor?.id,
      tasks: created.tasks.map((task) => task.code).join(','),
    });
    setFlash(c, key, { kind: 'success', text: created.text + inTheNameOf(acting) });
    return c.redirect('/console/tasks', 303);
  });

  // -------------------------------------------------------------------------------------------------
  // Rosters

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

  app.get('/console/rosters', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '值班表', active: 'rosters', flash: takeFlash(c, key) }),
      await rostersBody(viewer),
    );
  });

  app.post('/console/rosters', upload, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const refuse = async (error: RosterErrors | string) =>
      kit.page(
        c,
        400,
        await kit.frameOf(viewer, { title: '值班表', active: 'rosters' }),
        await rostersBody(viewer, error),
      );
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) {
      return refuse('请选择要导入的值班表文件（.xlsx 或 .csv），文件不能为空。');
    }
    const name = basename(file.name.replaceAll('\\', '/')).slice(-120) || '值班表';
    if (!/\.(xlsx|csv)$/i.test(name)) {
      return refuse(`只能导入 .xlsx 或 .csv 文件，“${name}”不是（旧版 .xls 请在 Excel 中另存为 .xlsx）。`);
    }
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
      admin: who(viewer),
      file: name,
      created: summary.created,
      replaced: summary.replaced,
    });
    setFlash(c, key, { kind: 'success', text: rosterSummaryText(name, summary) });
    return c.redirect('/console/rosters', 303);
  });

  // -------------------------------------------------------------------------------------------------
  // Letters

  async function lettersBody(
    viewer: Viewer,
    year: number,
    values: { actor: string; year: string },
    error?: string,
  ) {
    const { tenant } = viewer;
    const current = yearIn(clock(), tenant.timezone);
    const { labelOf } = await choices(tenant.id);
    const round = await roundByYear(db, tenant.id, year);
    const rows = round ? await letterStatus(db, tenant.id, year) : [];
    const starter = round ? await roundStarterName(db, round) : undefined;
    const label = leadersLabel(tenant.kind);
    const years = await db
      .select({ year: letterRounds.year })
      .from(letterRounds)
      .where(eq(letterRounds.tenantId, tenant.id))
      .orderBy(desc(letterRounds.year));
    return lettersPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      year,
      startYears: [current, current + 1, current - 1],
      roundYears: years.map((row) => row.year),
      runners: viewer.account
        ? []
        : (await roundRunners(db, tenant.id)).map((person) => ({
            value: String(person.id),
            label: labelOf(person.id, person.name),
          })),
      actingAs: viewer.account && accountLabel(viewer.account),
      values,
      error,
      round: round && { startedAt: round.startedAt, startedByName: starter ?? null },
      units: progressByUnit(rows, label),
      rows,
      leadersLabel: label,
    });
  }

  app.get('/console/letters', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    const current = yearIn(clock(), viewer.tenant.timezone);
    const asked = c.req.query('year') ?? '';
    const year = /^\d{4}$/.test(asked) ? Number(asked) : current;
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '责任书签订', active: 'letters', flash: takeFlash(c, key) }),
      await lettersBody(viewer, year, { actor: '', year: String(year) }),
    );
  });

  app.post('/console/letters', kit.limit, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const values = { actor: text(form.actor).trim(), year: text(form.year).trim().slice(0, 10) };
    const now = clock();
    const shown = /^\d{4}$/.test(values.year) ? Number(values.year) : yearIn(now, tenant.timezone);
    const again = async (error: string) =>
      kit.page(
        c,
        400,
        await kit.frameOf(viewer, { title: '责任书签订', active: 'letters' }),
        await lettersBody(viewer, shown, values, error),
      );
    let acting: Acting;
    if (viewer.account) acting = { account: viewer.account };
    else {
      if (!values.actor) return again('请选择发起人：以哪位安全办公室成员（或第一责任人）的名义发起。');
      const actor = (await roundRunners(db, tenant.id)).find((person) => String(person.id) === values.actor);
      if (!actor) return again('所选发起人不是本单位的安全办公室成员或第一责任人，不能发起责任书签订。');
      acting = { actor };
    }
    if (!/^\d{4}$/.test(values.year)) return again('请选择年度。');
    let started: Awaited<ReturnType<typeof startLetterRound>>;
    try {
      ({ result: started } = await actAs(db, { ...acting, tenant, now, channels: kit.channels }, (ctx) =>
        startLetterRound(ctx, Number(values.year)),
      ));
    } catch (error) {
      if (error instanceof Refusal) return again(error.userMessage);
      throw error;
    }
    kit.onOutbox?.();
    log.info('console letter round', {
      tenant: tenant.code,
      admin: who(viewer),
      person: acting.actor?.id,
      year: values.year,
      issued: started.issued,
    });
    const flash: Flash = started.started
      ? { kind: 'success', text: started.text + inTheNameOf(acting) }
      : { kind: 'info', text: started.text.replace(/当前签订进度如下：$/, '签订进度见下表。') };
    setFlash(c, key, flash);
    return c.redirect(`/console/letters?year=${values.year}`, 303);
  });
}
