// `/console/rounds` (checklists, rounds, the register of a period), `/console/rounds/:id/register` (one
// round's 排查登记表, XLSX or printable), `/console/rounds/checklists/:id` (a list's items, edited by the
// office: add, edit, archive, restore; audited).

import { activeChecklists, checklistById, itemsOf } from '../../../db/queries/checklists.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { consoleChatId } from '../../../db/queries/outbox.ts';
import { memberById, membersOf } from '../../../db/queries/people.ts';
import { roundById, roundsOf } from '../../../db/queries/rounds.ts';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { addChecklistItem, editChecklistItem } from '../../../handlers/checklists.ts';
import { ROUND_RESULTS, type RoundResult } from '../../../handlers/inspection-rules.ts';
import { ExportPeriodError, parseExportPeriod } from '../../../handlers/ledger-export.ts';
import { wholeWord } from '../../../handlers/obligation-kinds.ts';
import { type RegisterScope, registerHtml, writeRegisterXlsx } from '../../../handlers/round-register.ts';
import { enterRound } from '../../../handlers/rounds.ts';
import { Refusal } from '../../core/errors.ts';
import { runAs } from '../act.ts';
import { memberChoices } from '../fields.ts';
import { trimmedField, validForm } from '../form.ts';
import {
  attachment,
  type ConsoleContext,
  type ConsoleKit,
  consoleApp,
  text,
  type Viewer,
  XLSX_TYPE,
} from '../kit.ts';
import { checklistPage, entryPage, roundsPage } from './page.ts';

export function roundsRoutes(kit: ConsoleKit) {
  const { db, clock } = kit;
  const app = consoleApp();

  async function roundsBody(viewer: Viewer, from: string, to: string, error?: string) {
    const { tenant } = viewer;
    const whole = wholeWord(tenant.kind);
    return roundsPage({
      timeZone: tenant.timezone,
      from,
      to,
      error,
      lists: (await activeChecklists(db, tenant.id)).map(({ checklist, unitName }) => ({
        id: checklist.id,
        name: checklist.name,
        kind: checklist.kind,
        unitName,
        source: checklist.source,
      })),
      rounds: (await roundsOf(db, tenant.id)).map((row) => ({
        id: row.round.id,
        code: row.round.code,
        startedAt: row.round.startedAt,
        checklistName: row.checklistName,
        scopeName: row.round.scope === 'school' ? whole : (row.unitName ?? ''),
        inspectorName: row.inspectorName,
        status: row.round.status,
      })),
    });
  }

  app.get('/console/rounds', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const today = isoDateIn(clock(), tenant.timezone);
    return kit.renderWithFlash(c, await roundsBody(c.var.viewer, `${today.slice(0, 7)}-01`, today), {
      title: '检查清单与排查登记',
      active: 'rounds',
    });
  });

  async function sendRegister(c: ConsoleContext, which: RegisterScope, name: string) {
    const { tenant } = c.var.viewer;
    c.header('Cache-Control', 'no-store');
    if (c.req.query('format') === 'html')
      return c.html(await registerHtml(db, tenant.id, which, clock(), c.var.secureHeadersNonce));
    const file = await writeRegisterXlsx(db, tenant.id, which, clock());
    c.header('Content-Type', XLSX_TYPE);
    c.header('Content-Disposition', attachment(`register_${name}.xlsx`, file.filename));
    return c.body(new Uint8Array(file.bytes));
  }

  app.get('/console/rounds/register', kit.viewer, async (c) => {
    const { viewer } = c.var;
    const from = (c.req.query('from') ?? '').trim();
    const to = (c.req.query('to') ?? '').trim();
    try {
      const period = parseExportPeriod(from, to, viewer.tenant.timezone);
      return await sendRegister(c, period, `${from}_${to}`);
    } catch (error) {
      if (!(error instanceof ExportPeriodError)) throw error;
      return kit.render(
        c,
        await roundsBody(viewer, from, to, error.message),
        { title: '检查清单与排查登记', active: 'rounds' },
        400,
      );
    }
  });

  app.get('/console/rounds/:id/register', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const id = rowId(c.req.param('id'));
    const round = id === undefined ? undefined : await roundById(db, tenant.id, id);
    if (!round) return kit.notFound(c, '检查不存在', '找不到这次检查。', { active: 'rounds' });
    return sendRegister(c, { roundId: round.id }, round.code);
  });

  async function checklistOf(viewer: Viewer, raw: string) {
    const id = rowId(raw);
    return id === undefined ? undefined : checklistById(db, viewer.tenant.id, id);
  }

  async function checklistBody(viewer: Viewer, listId: number, error?: string) {
    const list = (await checklistById(db, viewer.tenant.id, listId))!;
    return checklistPage({ csrf: viewer.session.csrf, list, items: await itemsOf(db, list.id, true), error });
  }

  app.get('/console/rounds/checklists/:id', kit.viewer, async (c) => {
    const list = await checklistOf(c.var.viewer, c.req.param('id'));
    if (!list) return kit.notFound(c, '清单不存在', '找不到这个清单。', { active: 'rounds' });
    return kit.renderWithFlash(c, await checklistBody(c.var.viewer, list.id), {
      title: list.name,
      active: 'rounds',
    });
  });

  const itemForm = validForm({
    text: trimmedField(1000),
    source: trimmedField(200),
    area: trimmedField(200),
    op: trimmedField(10),
  });

  /** Runs an edit as the logged-in office account, in one transaction; a refusal shows the page again. */
  async function edit(c: ConsoleContext, listId: number, work: Parameters<typeof db.transaction>[0]) {
    const { viewer } = c.var;
    try {
      await db.transaction(work);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return kit.render(
        c,
        await checklistBody(viewer, listId, error.userMessage),
        { title: '检查清单', active: 'rounds' },
        400,
      );
    }
    kit.setFlash(c, { kind: 'success', text: '已保存。' });
    return c.redirect(`/console/rounds/checklists/${listId}`, 303);
  }

  app.post('/console/rounds/checklists/:id/items', kit.limit, kit.post, itemForm, async (c) => {
    const { viewer } = c.var;
    const list = await checklistOf(viewer, c.req.param('id'));
    if (!list) return kit.notFound(c, '清单不存在', '找不到这个清单。', { active: 'rounds' });
    const account = viewer.account;
    if (!account)
      return kit.render(
        c,
        await checklistBody(viewer, list.id, '请登录后修改清单（修改记入操作日志）。'),
        { title: list.name, active: 'rounds' },
        403,
      );
    const values = c.req.valid('form');
    return edit(c, list.id, (tx) =>
      addChecklistItem({ db: tx, tenant: viewer.tenant, now: clock(), account }, list.id, values).then(
        () => undefined,
      ),
    );
  });

  app.post('/console/rounds/checklists/:id/items/:item', kit.limit, kit.post, itemForm, async (c) => {
    const { viewer } = c.var;
    const list = await checklistOf(viewer, c.req.param('id'));
    const itemId = rowId(c.req.param('item'));
    if (!list || itemId === undefined)
      return kit.notFound(c, '清单不存在', '找不到这个清单。', { active: 'rounds' });
    const account = viewer.account;
    if (!account)
      return kit.render(
        c,
        await checklistBody(viewer, list.id, '请登录后修改清单（修改记入操作日志）。'),
        { title: list.name, active: 'rounds' },
        403,
      );
    const { op, ...input } = c.req.valid('form');
    const change =
      op === 'archive'
        ? ({ kind: 'archive' } as const)
        : op === 'restore'
          ? ({ kind: 'restore' } as const)
          : ({ kind: 'edit', input } as const);
    return edit(c, list.id, (tx) =>
      editChecklistItem({ db: tx, tenant: viewer.tenant, now: clock(), account }, itemId, change).then(
        () => undefined,
      ),
    );
  });

  async function entryBody(viewer: Viewer, listId: number, values: Record<string, string>, error?: string) {
    const list = await checklistById(db, viewer.tenant.id, listId);
    if (!list || list.archived) return undefined;
    const members = (await membersOf(db, viewer.tenant.id)).filter((member) => !member.isOutside);
    return entryPage({
      csrf: viewer.session.csrf,
      list,
      items: await itemsOf(db, list.id),
      inspectors: memberChoices(members, members),
      values,
      error,
    });
  }

  app.get('/console/rounds/new', kit.viewer, async (c) => {
    const id = rowId(c.req.query('list') ?? '');
    const body = id === undefined ? undefined : await entryBody(c.var.viewer, id, {});
    if (!body) return kit.notFound(c, '清单不存在', '找不到这个清单。', { active: 'rounds' });
    return kit.renderWithFlash(c, body, { title: '录入检查', active: 'rounds' });
  });

  app.post('/console/rounds/new', kit.limit, kit.post, async (c) => {
    const { viewer } = c.var;
    const values = Object.fromEntries(
      Object.entries(c.var.form).map(([key, value]) => [key, text(value).trim().slice(0, 1000)]),
    );
    const listId = rowId(values.list ?? '');
    const again = async (error: string) => {
      const body = listId === undefined ? undefined : await entryBody(viewer, listId, values, error);
      if (!body) return kit.notFound(c, '清单不存在', '找不到这个清单。', { active: 'rounds' });
      return kit.render(c, body, { title: '录入检查', active: 'rounds' }, 400);
    };
    if (listId === undefined) return again('找不到这个清单。');
    const inspectorId = rowId(values.inspector ?? '');
    const inspector =
      inspectorId === undefined ? undefined : await memberById(db, viewer.tenant.id, inspectorId);
    if (!inspector) return again('请选择检查人。');
    const results = new Map<number, { result: RoundResult; note: string }>();
    for (const [key, value] of Object.entries(values)) {
      const itemId = /^r(\d+)$/.exec(key)?.[1];
      if (itemId && (ROUND_RESULTS as readonly string[]).includes(value))
        results.set(Number(itemId), { result: value as RoundResult, note: values[`n${itemId}`] ?? '' });
    }
    const entered = await runAs(kit, viewer, { actor: inspector }, clock(), (ctx) =>
      enterRound(
        { ...ctx, actor: inspector },
        { checklistId: listId, area: values.area ?? '', results, chatId: consoleChatId(inspector.id) },
      ),
    );
    if ('refused' in entered) return again(entered.refused);
    kit.setFlash(c, { kind: 'success', text: entered.result.text });
    return c.redirect('/console/rounds', 303);
  });

  return app;
}
