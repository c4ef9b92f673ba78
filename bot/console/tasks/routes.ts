// `/console/tasks`: 派任务 and the task list. Tasks are created by the function the chat command uses,
// acting as the office's account or (demo mode) a member the admin picks among those allowed (actAs),
// so the cards that go out are the chat's. Bad input answers 400 with the form and a precise message;
// nothing is written.
import { unitHeads } from '../../../db/queries/org.ts';
import { membersOf } from '../../../db/queries/people.ts';
import { TASK_FILTERS, type TaskFilter, tasksOf } from '../../../db/queries/tasks.ts';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import { assigners, createTasks, type TaskTarget, taskTargets } from '../../../handlers/tasks.ts';
import { TEXT_LIMITS } from '../../../handlers/text-limits.ts';
import type { Acting } from '../../core/context.ts';
import { actingOf, inTheNameOf, runAs } from '../act.ts';
import { type Choice, memberChoices } from '../fields.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import { actor, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { TASK_KINDS, type TaskFormValues, tasksPage } from './page.ts';

/** The longest task content the form takes: what 派任务 takes in chat. */
export const MAX_TASK_CONTENT = TEXT_LIMITS.task;
/** Working days a 整改通知书 or 约谈整改 gets when no due date is given (as in chat). */
const DEFAULT_WRITTEN_REPORT_DAYS = 20;

const EMPTY_TASK: TaskFormValues = { assigner: '', assignee: '', kind: 'plain', content: '', due: '' };

export function tasksRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  async function tasksBody(viewer: Viewer, filter: TaskFilter, values: TaskFormValues, error?: string) {
    const tenantId = viewer.tenant.id;
    const now = clock();
    const members = await membersOf(db, tenantId);
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
      assigners: viewer.account ? [] : memberChoices(members, await assigners(db, tenantId)),
      actingAs: viewer.account && accountLabel(viewer.account),
      units,
      people: memberChoices(members, targets.people).map((choice) => ({
        ...choice,
        value: `person:${choice.value}`,
      })),
      values,
      error,
      defaultDays: DEFAULT_WRITTEN_REPORT_DAYS,
    });
  }

  app.get('/console/tasks', kit.viewer, async (c) => {
    const asked = c.req.query('status') ?? 'all';
    const filter = (TASK_FILTERS as readonly string[]).includes(asked) ? (asked as TaskFilter) : 'all';
    return kit.renderWithFlash(c, await tasksBody(c.var.viewer, filter, EMPTY_TASK), {
      title: '任务督办',
      active: 'tasks',
    });
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

  // Who assigns and to whom are checked against the tenant's rows first, then the rest: all in the route.
  const taskForm = validForm({
    assigner: trimmedField(),
    assignee: trimmedField(),
    kind: trimmedField().transform((kind) => kind || 'plain'),
    content: textField.transform((content) => content.slice(0, MAX_TASK_CONTENT * 2)),
    due: trimmedField(40),
  });

  app.post('/console/tasks', kit.limit, kit.post, taskForm, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const values: TaskFormValues = c.req.valid('form');
    const again = async (error: string) =>
      kit.render(
        c,
        await tasksBody(viewer, 'all', values, error),
        { title: '任务督办', active: 'tasks' },
        400,
      );
    const now = clock();
    const acting: Acting | string = await actingOf(viewer, values.assigner, {
      missing: '请选择派发人：以哪位学校领导或安全办公室成员的名义派发。',
      find: async (id) => (await assigners(db, tenant.id)).find((person) => String(person.id) === id),
      notAllowed: '所选派发人不是本单位的学校领导或安全办公室成员，不能派任务。',
    });
    if (typeof acting === 'string') return again(acting);
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
    const created = await runAs(kit, viewer, acting, now, (ctx) =>
      createTasks(ctx, { targets: [target], content, kind, due: values.due || undefined }),
    );
    if ('refused' in created) return again(created.refused);
    log.info('console task assigned', {
      tenant: tenant.code,
      admin: actor(viewer),
      person: acting.actor?.id,
      tasks: created.result.tasks.map((task) => task.code).join(','),
    });
    kit.setFlash(c, { kind: 'success', text: created.result.text + inTheNameOf(acting) });
    return c.redirect('/console/tasks', 303);
  });

  return app;
}
