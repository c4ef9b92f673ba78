// Task cards. Views: `assignee` (确认收到 / 完成), `assigner` (progress), `leader` (escalations).

import type { TaskView } from '../db/queries/tasks.ts';
import { withEstimate } from '../handlers/deadlines.ts';
import { formatDateTime } from '../handlers/time.ts';
import { actions, button, type Card, card, fields, note } from './model.ts';

export type { TaskView };

export const TASK_KIND_LABEL = {
  plain: '工作任务',
  rectification_notice: '整改通知书',
  interview_followup: '约谈整改',
  campaign: '专项行动',
} as const;
export const TASK_STATUS_LABEL = {
  assigned: '待确认',
  acknowledged: '已确认收到',
  done: '已完成',
  cancelled: '已取消',
} as const;

export const taskSubject = (taskId: number) => `task:${taskId}`;
export type TaskAudience = 'assignee' | 'assigner' | 'leader';

export function taskCard(view: TaskView, timeZone: string, audience: TaskAudience, now: Date): Card {
  const { task } = view;
  const at = (date: Date | null) => (date ? formatDateTime(date, timeZone) : undefined);
  const open = task.status === 'assigned' || task.status === 'acknowledged';
  const overdue = open && task.dueAt < now;
  const id = { id: String(task.id) };
  return card(
    `${TASK_KIND_LABEL[task.kind]} ${task.code}`,
    overdue ? 'red' : task.status === 'done' ? 'green' : 'blue',
    [
      fields([
        ['内容', task.content],
        ['派发人', view.assignerName],
        ['承办', view.assigneeName],
        ['截止', `${withEstimate(at(task.dueAt), task.dueEstimated)}${overdue ? '（已超期）' : ''}`],
        ['状态', TASK_STATUS_LABEL[task.status]],
        ['确认收到', view.acknowledgedByName && `${view.acknowledgedByName}（${at(task.acknowledgedAt)}）`],
        ['完成', view.completedByName && `${view.completedByName}（${at(task.completedAt)}）`],
        ['完成情况', task.completionNote],
      ]),
      audience === 'assignee' &&
        task.status === 'assigned' &&
        actions(button('确认收到', 'task.ack', id, 'primary')),
      audience === 'assignee' &&
        open && {
          kind: 'form',
          name: 'done',
          inputs: [
            {
              name: 'note',
              label: '完成情况',
              placeholder: '做了什么、结果如何',
              required: true,
              multiline: true,
            },
          ],
          submit: button('完成', 'task.done', id, task.status === 'acknowledged' ? 'primary' : 'default'),
        },
      audience === 'assignee' && open && note(`也可发送：收到 ${task.code}；完成 ${task.code} <完成情况>`),
    ],
  );
}
