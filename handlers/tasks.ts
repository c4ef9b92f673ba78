// 派任务: the leading group or the office assigns work to a person or a unit (DOMAIN §5); the assignee
// acknowledges (确认收到) and reports it done (完成) with a note; the assigner sees both.
import {
  type Acting,
  type ActionContext,
  type Context,
  type MessageContext,
  trailActor,
} from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { TASK_KIND_LABEL, type TaskAudience, taskCard, taskSubject } from '../cards/task.ts';
import type { Queryable } from '../db/client.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { nextSequence } from '../db/queries/hazards.ts';
import { officeStaff, type Person, personById, type Tenant, unitHeads } from '../db/queries/org.ts';
import {
  insertTask,
  type Task,
  taskByCode,
  taskById,
  taskTargets,
  taskView,
  updateTaskFrom,
} from '../db/queries/tasks.ts';
import { mentionedMember, namesakesText } from './colleagues.ts';
import { computeDeadline, parseDateInput, pastDeadline, withEstimate, workCalendar } from './deadlines.ts';
import { rowOfButton } from './row-of-button.ts';
import { tenantSettings } from './settings.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';
import { formatDateTime, yearIn } from './time.ts';

type Kind = Task['kind'];

/** 003 §五.3: after a 约谈 or a 整改通知书 the unit reports in writing within 20 working days. */
const WRITTEN_REPORT_DAYS = 20;

function kindOf(content: string): Kind {
  if (content.includes('整改通知书')) return 'rectification_notice';
  if (content.includes('约谈')) return 'interview_followup';
  if (content.includes('专项')) return 'campaign';
  return 'plain';
}

/** Leaders (第一责任人, 直接责任人) and the office: who may assign work (office first, no one twice). */
export async function assigners(db: Queryable, tenantId: number): Promise<Person[]> {
  const all = [
    ...(await officeStaff(db, tenantId)),
    ...(await holdersAtLevel(db, tenantId, ['first', 'direct'])),
  ];
  return all.filter((person, index) => all.findIndex((other) => other.id === person.id) === index);
}

/** Leaders (第一责任人, 直接责任人) and the office (its members, or its console account) may assign work. */
export async function mayAssign(ctx: Pick<Context, 'db' | 'tenant'> & Acting): Promise<boolean> {
  const { actor } = ctx;
  if (!actor) return true;
  return (await assigners(ctx.db, ctx.tenant.id)).some((person) => person.id === actor.id);
}

/**
 * Who hears of a task's progress: its assigner, or the office's members when the office's account
 * assigned it (the level above's office, for a task the level above sent).
 */
export async function assignersOf(db: Queryable, task: Task): Promise<Person[]> {
  // Sent by the level above (a bureau's 整改通知书): its person, or its office when its account sent it.
  const from = task.assignerTenantId ?? task.tenantId;
  if (task.assignerId === null) return officeStaff(db, from);
  const person = await personById(db, from, task.assignerId);
  return person ? [person] : [];
}

export { taskTargets } from '../db/queries/tasks.ts';

export type TaskTarget = { kind: 'person'; person: Person } | { kind: 'unit'; unitId: number; name: string };

/** `@总务处` and `@张三` written in the text, and the platform's own @-mentions. */
async function targetsOf(
  ctx: MessageContext,
  text: string,
): Promise<{ targets: TaskTarget[]; rest: string }> {
  const targets: TaskTarget[] = [];
  for (const mention of ctx.event.mentions) {
    const person = await mentionedMember(ctx, mention);
    if (person) targets.push({ kind: 'person', person });
  }
  const { units: unitRows, people: personRows } = await taskTargets(ctx.db, ctx.tenant.id);
  const unknown: string[] = [];
  const namesakes: string[] = [];
  const rest = text.replace(/@(\S+)/g, (_match, name: string) => {
    const unit = unitRows.find((row) => row.name === name);
    const persons = personRows.filter((row) => row.name === name || row.code === name);
    if (unit) targets.push({ kind: 'unit', unitId: unit.id, name: unit.name });
    else if (persons.length > 1) namesakes.push(namesakesText(name, persons));
    else if (persons[0]) targets.push({ kind: 'person', person: persons[0] });
    else unknown.push(name);
    return ' ';
  });
  if (unknown.length > 0) throw new Refusal(`找不到“${unknown.join('、')}”：请 @ 本单位的人员或处室名称。`);
  if (namesakes.length > 0) throw new Refusal(`${namesakes.join('；')}。`);
  return { targets, rest: rest.replace(/\s+/g, ' ').trim() };
}

const USAGE = '派任务 @人或@处室 <内容> 截止 <日期>';

export async function assignTask(ctx: MessageContext): Promise<void> {
  if (!(await mayAssign(ctx))) throw new Refusal(NOT_ALLOWED);
  const { targets, rest } = await targetsOf(ctx, ctx.args);
  const dueMatch = /(?:截止|期限)\s*[:：]?\s*(\S+)/.exec(rest);
  const content = (dueMatch ? rest.replace(dueMatch[0], ' ') : rest).replace(/\s+/g, ' ').trim();
  await createTasks(ctx, { targets, content, due: dueMatch?.[1], usage: USAGE });
}

const NOT_ALLOWED = '只有学校领导或安全办公室可以派任务。';

/** What is needed to assign: the chat command's context, or the web console (a member, or the office). */
export type AssignContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'reply'> & Acting;

export interface NewTasks {
  /** One task per target (a person, or a unit whose heads answer for it). */
  targets: TaskTarget[];
  content: string;
  /** The kind; when left out, read from the content (整改通知书, 约谈, 专项). */
  kind?: Kind;
  /** The due date as typed (2026-12-31, 12月31日); optional for 整改通知书 and 约谈整改 (20 working days). */
  due?: string;
  /** The command's usage, quoted in the refusals of the chat command. */
  usage?: string;
  /**
   * Sent by the level above (a bureau to a school's 第一责任人, issue 19): the caller checked who may send
   * it; the actor is the level above's person or account, `ctx.tenant` the school.
   */
  levelAbove?: Tenant;
}

/**
 * Creates one task per target, as the actor: the audit row, the assignee's card (确认收到 / 完成) to
 * each person who answers for it, and the assigner's card and a summary as replies. Refuses (before
 * writing anything) when the actor may not assign or the input is incomplete. The chat command 派任务
 * and the web console both assign through here.
 */
export async function createTasks(
  ctx: AssignContext,
  input: NewTasks,
): Promise<{ tasks: Task[]; dueAt: Date; text: string }> {
  if (!input.levelAbove && !(await mayAssign(ctx))) throw new Refusal(NOT_ALLOWED);
  const { db, tenant, now } = ctx;
  const ask = (what: string, hint: string) =>
    new Refusal(input.usage ? `请${what}，例如：${input.usage}` : `请${what}${hint}。`);
  const { targets } = input;
  if (targets.length === 0) {
    throw input.usage
      ? new Refusal(`请 @ 承办人或处室，例如：${input.usage}`)
      : new Refusal('请选择承办处室或人员。');
  }
  const content = input.content.replace(/\s+/g, ' ').trim();
  if (!content) throw ask('写明任务内容', '');
  capped(content, TEXT_LIMITS.task, '任务内容');
  const kind = input.kind ?? kindOf(content);
  let dueAt: Date | undefined;
  let dueEstimated = false;
  if (input.due?.trim()) {
    dueAt = parseDateInput(input.due, tenant.timezone, now);
    if (!dueAt) throw new Refusal('截止日期请写成 2026-12-31 或 12月31日。');
    const past = pastDeadline('截止日期', dueAt, now, tenant.timezone);
    if (past) throw new Refusal(past);
  } else if (kind === 'rectification_notice' || kind === 'interview_followup') {
    const calendar = workCalendar(tenantSettings(tenant.settings).calendar);
    ({ at: dueAt, estimated: dueEstimated } = computeDeadline(
      now,
      { days: WRITTEN_REPORT_DAYS, unit: 'working' },
      tenant.timezone,
      calendar,
    ));
  } else {
    throw ask(
      '写明截止日期',
      `：${TASK_KIND_LABEL[kind]}须有截止日期（只有整改通知书、约谈整改可不填，默认为 ${WRITTEN_REPORT_DAYS} 个工作日后）`,
    );
  }
  const year = yearIn(now, tenant.timezone);
  const created: string[] = [];
  const rows: Task[] = [];
  for (const target of targets) {
    const sequence = await nextSequence(db, tenant.id, `task:${year}`);
    const task = await insertTask(db, {
      tenantId: tenant.id,
      code: `RW-${year}-${String(sequence).padStart(4, '0')}`,
      kind,
      content,
      assignerId: ctx.actor?.id ?? null,
      assignerAccountId: ctx.account?.id ?? null,
      assignerTenantId: input.levelAbove?.id ?? null,
      assigneeId: target.kind === 'person' ? target.person.id : null,
      assigneeUnitId: target.kind === 'unit' ? target.unitId : null,
      dueAt,
      dueEstimated,
      createdAt: now,
    });
    await appendAudit(db, {
      tenantId: tenant.id,
      subject: taskSubject(task.id),
      ...trailActor(ctx),
      action: 'assign',
      toStatus: 'assigned',
      note: content,
      at: now,
    });
    const view = (await taskView(db, tenant.id, task.id))!;
    for (const person of await assigneesOf(ctx, task)) {
      ctx.send({
        to: { kind: 'person', personId: person.id },
        body: { kind: 'card', card: taskCard(view, tenant.timezone, 'assignee', now) },
        subject: taskSubject(task.id),
        view: 'assignee',
      });
    }
    ctx.reply(
      { kind: 'card', card: taskCard(view, tenant.timezone, 'assigner', now) },
      { subject: taskSubject(task.id), view: 'assigner' },
    );
    created.push(`${task.code}（${view.assigneeName}）`);
    rows.push(task);
  }
  const text = `${input.levelAbove ? `已向${tenant.name}下发` : '已派发'} ${created.join('、')}，截止 ${withEstimate(formatDateTime(dueAt, tenant.timezone), dueEstimated)}。`;
  ctx.reply({ kind: 'text', text });
  return { tasks: rows, dueAt, text };
}

/** Who answers for a task: its person, or the heads of its unit. */
export async function assigneesOf(ctx: Pick<Context, 'db'>, task: Task): Promise<Person[]> {
  if (task.assigneeId) {
    const person = await personById(ctx.db, task.tenantId, task.assigneeId);
    return person ? [person] : [];
  }
  return task.assigneeUnitId ? unitHeads(ctx.db, task.assigneeUnitId) : [];
}

async function stepTask(ctx: Context, task: Task, step: 'ack' | 'done', noteText?: string): Promise<string> {
  const { db, tenant, actor, now } = ctx;
  if (!(await assigneesOf(ctx, task)).some((person) => person.id === actor.id)) {
    throw new Refusal(`只有任务 ${task.code} 的承办人可以${step === 'ack' ? '确认收到' : '报告完成'}。`);
  }
  if (task.status === 'done' || task.status === 'cancelled')
    throw new Refusal(`任务 ${task.code} 已${task.status === 'done' ? '完成' : '取消'}。`);
  if (step === 'ack' && task.status === 'acknowledged') return `任务 ${task.code} 已确认收到。`;
  const changes: Partial<Task> =
    step === 'ack'
      ? { status: 'acknowledged', acknowledgedById: actor.id, acknowledgedAt: now }
      : {
          status: 'done',
          completedById: actor.id,
          completedAt: now,
          completionNote: noteText ?? null,
          ...(task.acknowledgedAt ? {} : { acknowledgedById: actor.id, acknowledgedAt: now }),
        };
  if (step === 'done' && !noteText?.trim()) {
    throw new Refusal(`请写明完成情况。按钮不便时可发送：完成 ${task.code} <完成情况>`);
  }
  if (noteText) capped(noteText, TEXT_LIMITS.measures, '完成情况');
  const fresh = await updateTaskFrom(db, task, changes);
  if (!fresh) throw new Refusal(`任务 ${task.code} 刚刚已被他人处理。`);
  await appendAudit(db, {
    tenantId: tenant.id,
    subject: taskSubject(task.id),
    actorId: actor.id,
    action: step,
    fromStatus: task.status,
    toStatus: fresh.status,
    note: noteText ?? null,
    at: now,
  });
  const view = (await taskView(db, tenant.id, task.id))!;
  ctx.refresh(taskSubject(task.id), (audience) =>
    ['assignee', 'assigner', 'leader'].includes(audience)
      ? taskCard(view, tenant.timezone, audience as TaskAudience, now)
      : undefined,
  );
  for (const assigner of await assignersOf(db, task)) {
    ctx.send({
      to: { kind: 'person', personId: assigner.id },
      body: {
        kind: 'text',
        text:
          step === 'ack'
            ? `${actor.name} 已确认收到任务 ${task.code}。`
            : `${actor.name} 已完成任务 ${task.code}：${noteText}`,
      },
    });
  }
  return step === 'ack' ? `已确认收到 ${task.code}` : `已完成 ${task.code}`;
}

export const taskButton =
  (step: 'ack' | 'done') =>
  async (ctx: ActionContext): Promise<ActionResult> => {
    const task = await rowOfButton(ctx, taskById, '找不到这个任务。');
    return { toast: { kind: 'success', text: await stepTask(ctx, task, step, ctx.event.form?.note) } };
  };

export const taskCommand = (step: 'ack' | 'done') => async (ctx: MessageContext) => {
  const match = /\b(RW-\d{4}-\d{1,6})\b/i.exec(ctx.args);
  if (!match)
    throw new Refusal(
      `请写明任务编号，例如：${step === 'ack' ? '收到 RW-2026-0001' : '完成 RW-2026-0001 <完成情况>'}`,
    );
  const task = await taskByCode(ctx.db, ctx.tenant.id, match[1]!.toUpperCase());
  if (!task) throw new Refusal(`没有找到任务 ${match[1]}。`);
  const rest = ctx.args.slice(match.index + match[0].length).trim();
  ctx.reply({ kind: 'text', text: await stepTask(ctx, task, step, rest || undefined) });
};
