// Tasks down (003 §五.3, issue 19): the bureau's office or a leader sends a 整改通知书 or a 约谈整改
// follow-up to a school's 第一责任人 — in chat (`整改通知 <学校> <内容> [截止 <日期>]`, `约谈整改 …`) or
// from the bureau's console account. It is a task of the school (handlers/tasks.ts): the 第一责任人
// answers with 收到 / 完成 (no one else may), the deadline job reminds and escalates, the bureau hears of
// each step and of an overdue one, and `通知进度` lists each school's state.
import type { MessageContext } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import { fields, listCard, note, text } from '../../cards/model.ts';
import { TASK_KIND_LABEL, TASK_STATUS_LABEL } from '../../cards/task.ts';
import { schoolOfBureau, tasksSentDown } from '../../db/queries/bureau.ts';
import { holdersAtLevel } from '../../db/queries/hazard-roles.ts';
import type { Tenant } from '../../db/queries/org.ts';
import type { Task } from '../../db/queries/tasks.ts';
import { childTenants } from '../../db/queries/tenants.ts';
import { withEstimate } from '../deadlines.ts';
import { createTasks } from '../tasks.ts';
import { formatDateTime } from '../time.ts';
import { type BureauContext, ONLY_BUREAU_LEADERS, schoolNamed, schoolScope, standingOf } from './access.ts';

export type NoticeKind = 'rectification_notice' | 'interview_followup';

export const NOTICE_USAGE: Record<NoticeKind, string> = {
  rectification_notice: '整改通知 <学校> <内容> [截止 <日期>]',
  interview_followup: '约谈整改 <学校> <内容> [截止 <日期>]',
};

const NO_SCHOOLS = '本单位没有所辖学校，不能下发整改通知书或约谈整改。';

/** What is sent down: its kind, its text and its due date as typed (20 working days when left out). */
export interface Notice {
  kind: NoticeKind;
  content: string;
  due?: string;
  usage?: string;
}

/** `整改通知 <学校> <内容> [截止 <日期>]` and `约谈整改 …`: the school named first. */
export const noticeCommand = (kind: NoticeKind) => async (ctx: MessageContext) => {
  const schools = await childTenants(ctx.db, ctx.tenant.id);
  if (schools.length === 0) throw new Refusal(NO_SCHOOLS);
  const standing = await standingOf(ctx);
  if (standing !== 'office' && standing !== 'leader') throw new Refusal(ONLY_BUREAU_LEADERS);
  const usage = NOTICE_USAGE[kind];
  const list = schools.map((school) => school.name).join('、');
  const [word, ...words] = ctx.args.split(/\s+/).filter(Boolean);
  if (!word) throw new Refusal(`请写明学校和内容，例如：${usage}。所辖学校：${list}`);
  const school = schoolNamed(schools, word.replace(/^学校[：:]?/, ''));
  if (!school) throw new Refusal(`“${word}”不是本单位所辖学校。所辖学校：${list}`);
  const rest = words.join(' ');
  const dueMatch = /(?:截止|期限)\s*[:：]?\s*(\S+)/.exec(rest);
  const content = (dueMatch ? rest.replace(dueMatch[0], ' ') : rest).replace(/\s+/g, ' ').trim();
  await sendDown(ctx, school, { kind, content, due: dueMatch?.[1], usage });
};

/** The console's form: the school by id, through the bureau's checked door. */
export async function sendNoticeTo(ctx: BureauContext, schoolId: number, notice: Notice) {
  const school = await schoolOfBureau(ctx.db, ctx.tenant.id, schoolId);
  if (!school) throw new Refusal('请选择本单位所辖的学校。');
  const standing = await standingOf(ctx, school.id);
  if (standing !== 'office' && standing !== 'leader') throw new Refusal(ONLY_BUREAU_LEADERS);
  return sendDown(ctx, school, notice);
}

/** One task per 第一责任人 of the school, in the school, as the bureau. */
async function sendDown(
  ctx: BureauContext,
  school: Tenant,
  notice: Notice,
): Promise<{ tasks: Task[]; text: string }> {
  const first = await holdersAtLevel(ctx.db, school.id, ['first']);
  if (first.length === 0) throw new Refusal(`${school.name}未登记第一责任人（校长），无法下发。`);
  const { tasks, text: answer } = await createTasks(schoolScope(ctx, school), {
    targets: first.map((person) => ({ kind: 'person', person })),
    content: notice.content,
    kind: notice.kind,
    due: notice.due,
    usage: notice.usage,
    levelAbove: ctx.tenant,
  });
  return { tasks, text: answer };
}

/** `通知进度`: the state of what the bureau sent down, school by school. */
export async function noticeProgress(ctx: MessageContext): Promise<void> {
  const schools = await childTenants(ctx.db, ctx.tenant.id);
  if (schools.length === 0) throw new Refusal(NO_SCHOOLS);
  const standing = await standingOf(ctx);
  if (standing !== 'office' && standing !== 'leader') throw new Refusal(ONLY_BUREAU_LEADERS);
  const rows = await tasksSentDown(ctx.db, ctx.tenant.id);
  const bySchool = new Map<string, string[]>();
  let open = 0;
  let overdue = 0;
  for (const { task, schoolName, assigneeName } of rows) {
    const isOpen = task.status === 'assigned' || task.status === 'acknowledged';
    const late = isOpen && task.dueAt < ctx.now;
    if (isOpen) open++;
    if (late) overdue++;
    const due = withEstimate(formatDateTime(task.dueAt, ctx.tenant.timezone).slice(0, 10), task.dueEstimated);
    const line = `${task.code}｜${TASK_KIND_LABEL[task.kind]}｜${assigneeName ?? ''}｜${TASK_STATUS_LABEL[task.status]}｜截止 ${due}${late ? '（已超期）' : ''}｜${brief(task.content)}`;
    bySchool.set(schoolName, [...(bySchool.get(schoolName) ?? []), line]);
  }
  ctx.reply({
    kind: 'card',
    card: listCard('下发学校的通知办理情况', overdue > 0 ? 'red' : 'blue', [
      fields([
        ['共', `${rows.length} 件`],
        ['未办结', `${open} 件`],
        ['已超期', overdue > 0 ? `${overdue} 件` : '无'],
      ]),
      text(
        rows.length > 0
          ? [...bySchool].map(([school, lines]) => `${school}：\n${lines.join('\n')}`).join('\n\n')
          : '尚未向所辖学校下发整改通知书或约谈整改。',
      ),
      note(`下发：${NOTICE_USAGE.rectification_notice}；${NOTICE_USAGE.interview_followup}`),
    ]),
  });
}

const brief = (value: string) =>
  Array.from(value).length > 20 ? `${Array.from(value).slice(0, 20).join('')}…` : value;
