// Task deadlines (DOMAIN §5, §6): remind the assignee the day before; a task not acknowledged within a
// day goes to the assignee's 直接责任人; an overdue one to the 直接责任人 and the assigner, and a day later
// to the 第一责任人 and the office. Each step once per task, deadline, person (jobs/reminders.ts).
import { nextTurn } from '../bot/core/next-turn.ts';
import { note } from '../cards/model.ts';
import { type TaskAudience, taskCard, taskSubject } from '../cards/task.ts';
import { directLeaders, holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { officeStaff, type Person, tenantById } from '../db/queries/org.ts';
import { openTaskRefs, taskById, taskView, unitsOf } from '../db/queries/tasks.ts';
import { assigneesOf, assignersOf } from '../handlers/tasks.ts';
import { formatDateTime } from '../handlers/time.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

const HOUR_MS = 3600 * 1000;
const REMIND_BEFORE_MS = 24 * HOUR_MS;
const ACK_WITHIN_MS = 24 * HOUR_MS;
const ESCALATE_AFTER_MS = 24 * HOUR_MS;

async function runTaskDeadlinesOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  const open = await openTaskRefs(db);
  let sent = 0;
  for (const { id, tenantId } of open) {
    await nextTurn();
    sent += await db.transaction(async (tx) => {
      const task = await taskById(tx, tenantId, id);
      if (!task || (task.status !== 'assigned' && task.status !== 'acknowledged')) return 0;
      const tenant = await tenantById(tx, task.tenantId);
      const view = await taskView(tx, task.tenantId, task.id);
      if (!tenant || !view) return 0;
      const assignees = await assigneesOf({ db: tx }, task);
      const unitIds = task.assigneeUnitId
        ? [task.assigneeUnitId]
        : task.assigneeId
          ? await unitsOf(tx, task.assigneeId)
          : [];
      const direct = (await Promise.all(unitIds.map((unitId) => directLeaders(tx, unitId)))).flat();
      const assigners = await assignersOf(tx, task);
      const due = formatDateTime(task.dueAt, tenant.timezone);
      const steps: { step: string; to: Person[]; audience: TaskAudience; message: string }[] = [];
      const t = now.getTime();
      if (t >= task.dueAt.getTime() - REMIND_BEFORE_MS && now < task.dueAt) {
        steps.push({
          step: 'due-soon',
          to: assignees,
          audience: 'assignee',
          message: `任务 ${task.code} 将于 ${due} 截止。`,
        });
      }
      if (task.status === 'assigned' && t >= task.createdAt.getTime() + ACK_WITHIN_MS) {
        steps.push({
          step: 'unacknowledged',
          to: [...assignees, ...direct],
          audience: 'leader',
          message: `任务 ${task.code} 派发已超过一天，承办人尚未确认收到。`,
        });
      }
      if (now > task.dueAt) {
        steps.push({
          step: 'overdue',
          to: [...direct, ...assigners],
          audience: 'leader',
          message: `任务 ${task.code} 已超过截止时间（${due}），尚未完成。`,
        });
      }
      if (t > task.dueAt.getTime() + ESCALATE_AFTER_MS) {
        steps.push({
          step: 'overdue-escalated',
          to: [...(await holdersAtLevel(tx, tenant.id, ['first'])), ...(await officeStaff(tx, tenant.id))],
          audience: 'leader',
          message: `任务 ${task.code} 超期未完成（截止 ${due}），已逐级上报。`,
        });
      }
      let count = 0;
      for (const step of steps) {
        count += await eachPersonOnce(step.to, (person) => {
          const card = taskCard(
            view,
            tenant.timezone,
            assignees.some((a) => a.id === person.id) ? 'assignee' : step.audience,
            now,
          );
          const withNote = {
            ...card,
            title: `【提醒】${card.title}`,
            blocks: [note(step.message), ...card.blocks],
          };
          return remindOnce(
            tx,
            {
              tenantId: tenant.id,
              subject: taskSubject(task.id),
              period: task.dueAt.toISOString(),
              step: step.step,
              personId: person.id,
            },
            { body: { kind: 'card', card: withNote }, subject: taskSubject(task.id), view: step.audience },
            { channels: context.channels, now },
          );
        });
      }
      return count;
    });
  }
  if (sent > 0) context.log.info('task reminders', { sent });
  return { sent };
}

/** The run, with each person's reminder steps handed out as one message when it ends. */
export const runTaskDeadlines = inDigest(runTaskDeadlinesOnce);
