// 我的职责 (my duties) and 我的待办 (my to-do): what my posts require of me (一岗双责: the business duty and
// the safety duty inside it), how far this period's recurring duties are, and what is open in my name.

import type { MessageContext } from '../bot/core/context.ts';
import { type Block, divider, fields, listCard, note, text } from '../cards/model.ts';
import { TASK_STATUS_LABEL } from '../cards/task.ts';
import { contractedSchoolCounts } from '../db/queries/bureau.ts';
import {
  hazardsInNameOf,
  lateTaskCounts,
  openHazardCounts,
  postsHeldBy,
  shiftsInNameOf,
  tasksInNameOf,
  unitsUnderPosts,
  unmetPeriods,
} from '../db/queries/duties.ts';
import { progressOf } from '../db/queries/obligations.ts';
import { officeStaff } from '../db/queries/org.ts';
import { isoDateIn } from './calendar.ts';
import { holidayGap } from './deadlines.ts';
import { STATUS_LABEL } from './hazard-rules.ts';
import { wholeWord } from './obligation-kinds.ts';
import { addDays, CADENCE_LABEL } from './periods.ts';
import { semestersOf, tenantSettings } from './settings.ts';
import { formatDateTime } from './time.ts';

const LEVEL_LABEL = { first: '第一责任人', direct: '直接责任人', post: '岗位责任人' } as const;
const OPEN_HAZARD = ['reported', 'accepted', 'rectifying', 'pending_review'] as const;

const myPosts = (ctx: MessageContext) => postsHeldBy(ctx.db, ctx.actor.id);

/** Units a person heads. */
const headedUnitIds = (list: Awaited<ReturnType<typeof myPosts>>) =>
  list.filter(({ post }) => post.isUnitHead && post.unitId !== null).map(({ post }) => post.unitId!);

async function notInOrganization(ctx: MessageContext) {
  const office = await officeStaff(ctx.db, ctx.tenant.id);
  const contact = office[0]
    ? `安全办公室（${office.map((person) => person.name).join('、')}）`
    : '安全办公室';
  ctx.reply({
    kind: 'text',
    text: `你还不在${ctx.tenant.name}的组织名单中，所以没有登记的岗位和职责。请联系${contact}，把你的姓名、岗位和账号加入组织文件（npm run org:import）。上报隐患不受影响。`,
  });
}

/** Open items in my name: hazards, tasks and shifts, as text lines. */
async function openItems(ctx: MessageContext, unitIds: number[]) {
  const { db, tenant, actor, now } = ctx;
  const today = isoDateIn(now, tenant.timezone);
  const mine = await hazardsInNameOf(db, tenant.id, actor.id, unitIds, OPEN_HAZARD);
  const myTasks = await tasksInNameOf(db, tenant.id, actor.id, unitIds);
  const myShifts = await shiftsInNameOf(db, tenant.id, actor.id, today, addDays(today, 7));
  const at = (date: Date) => formatDateTime(date, tenant.timezone);
  const hazardLines = mine.map((hazard) => {
    const role =
      hazard.rectifierId === actor.id ? '整改' : hazard.reporterId === actor.id ? '我上报的' : '待受理';
    const overdue = hazard.deadline && hazard.deadline < now && hazard.status !== 'pending_review';
    return `${hazard.code} ${STATUS_LABEL[hazard.status]}（${role}）${hazard.deadline ? ` 期限 ${at(hazard.deadline)}` : ''}${overdue ? ' 已超期' : ''}`;
  });
  const taskLines = myTasks.map(
    (task) =>
      `${task.code} ${TASK_STATUS_LABEL[task.status]} 截止 ${at(task.dueAt)}${task.dueAt < now ? ' 已超期' : ''} ${Array.from(task.content).slice(0, 20).join('')}`,
  );
  const shiftLines = myShifts.map(
    ({ shift, confirmedAt }) =>
      `${shift.date} ${shift.name} ${at(shift.startsAt).slice(11)}-${at(shift.endsAt).slice(11)}${shift.place ? ` ${shift.place}` : ''}${confirmedAt ? ' 已到岗' : ''}`,
  );
  return { hazardLines, taskLines, shiftLines };
}

/** For leaders: the units under them (supervised; all for a 第一责任人) with what is open and overdue. */
async function unitsUnder(ctx: MessageContext, list: Awaited<ReturnType<typeof myPosts>>): Promise<string[]> {
  const { db, tenant, now } = ctx;
  const first = list.some(({ post }) => post.level === 'first');
  const direct = list.filter(({ post }) => post.level === 'direct').map(({ post }) => post.id);
  if (!first && direct.length === 0) return [];
  const unitRows = await unitsUnderPosts(db, tenant.id, first ? 'all' : direct);
  if (unitRows.length === 0) return [];
  const ids = unitRows.map((unit) => unit.id);
  const openRows = await openHazardCounts(db, ids, now);
  const lateTasks = await lateTaskCounts(db, ids, now);
  return unitRows.map((unit) => {
    const row = openRows.find((entry) => entry.unitId === unit.id);
    const late = lateTasks.find((entry) => entry.unitId === unit.id)?.n ?? 0;
    const parts = [
      `未销号隐患 ${row?.open ?? 0}`,
      row?.overdue ? `超期 ${row.overdue}` : '',
      row?.listed ? `挂牌 ${row.listed}` : '',
      late ? `超期任务 ${late}` : '',
    ].filter(Boolean);
    return `${unit.name}：${parts.join('，')}`;
  });
}

export async function myDuties(ctx: MessageContext): Promise<void> {
  const list = await myPosts(ctx);
  if (ctx.actor.isOutside || list.length === 0) return notInOrganization(ctx);
  const { tenant, now } = ctx;
  const today = isoDateIn(now, tenant.timezone);
  const progress = await progressOf(
    ctx.db,
    ctx.actor.id,
    today,
    semestersOf(tenantSettings(tenant.settings)),
  );
  const blocks: (Block | false)[] = [];
  // The office answers for the calendar: it is told while deadlines may be estimates (issue 15 §6).
  if ((await officeStaff(ctx.db, tenant.id)).some((person) => person.id === ctx.actor.id)) {
    const gap = holidayGap(tenantSettings(tenant.settings), now, tenant.timezone);
    if (gap) blocks.push(note(gap));
  }
  const unitsShown = new Set<number>();
  for (const { post, unitName, unitDuties } of list) {
    blocks.push(
      fields([
        ['岗位', `${post.title}${unitName ? `（${unitName}）` : ''}`],
        ['责任层级', LEVEL_LABEL[post.level]],
      ]),
      post.businessDuties.length > 0 &&
        text(`业务职责：\n${post.businessDuties.map((duty) => `· ${duty}`).join('\n')}`),
      text(
        post.safetyDuties.length > 0
          ? `安全职责：\n${post.safetyDuties.map((duty) => `· ${duty}`).join('\n')}`
          : '安全职责：未登记（请安全办公室补充）',
      ),
    );
    // The unit's own duties (units.safety_duties): the head answers for them, members work within them.
    if (post.unitId !== null && unitDuties && unitDuties.length > 0 && !unitsShown.has(post.unitId)) {
      unitsShown.add(post.unitId);
      const head = list.some((entry) => entry.post.isUnitHead && entry.post.unitId === post.unitId);
      blocks.push(
        text(
          `${head ? `处室安全职责（${unitName}，由本人负责落实）` : `本处室职责（${unitName}）`}：\n${unitDuties.map((duty) => `· ${duty}`).join('\n')}`,
        ),
      );
    }
    const mine = progress.filter((entry) => entry.obligation.postId === post.id);
    if (mine.length > 0) {
      blocks.push(
        text(
          `常规职责（本期进度）：\n${mine
            .map((entry) => {
              const schools = entry.perSchool
                ? `（${entry.perSchool.map((s) => `${s.school} ${s.done}`).join('、')}）`
                : '';
              const scope = entry.obligation.scope === 'school' ? `（${wholeWord(tenant.kind)}）` : '';
              const state = entry.met
                ? ' ✓'
                : entry.exempt
                  ? ` 不考核（${entry.exempt}）`
                  : ` 截止 ${entry.period.end}`;
              return `· ${entry.period.label} ${entry.obligation.title}${scope} ${entry.done}/${entry.needed}${schools}${state}（${CADENCE_LABEL[entry.obligation.cadence]}）`;
            })
            .join('\n')}`,
        ),
      );
    }
    blocks.push(divider());
  }
  const { hazardLines, taskLines, shiftLines } = await openItems(ctx, headedUnitIds(list));
  blocks.push(
    text(
      [
        `我的待办：隐患 ${hazardLines.length} 项，任务 ${taskLines.length} 项，近 7 天值班 ${shiftLines.length} 次`,
        ...hazardLines.slice(0, 5),
        ...taskLines.slice(0, 5),
        ...shiftLines.slice(0, 3),
      ].join('\n'),
    ),
  );
  // 未履职 and 不考核 are told apart: a period not assessed is no failing (issue 15 §2).
  const closed = await unmetPeriods(ctx.db, ctx.actor.id);
  const missed = closed.filter(({ period }) => period.met === false).slice(0, 5);
  const exempt = closed.filter(({ period }) => period.met === null).slice(0, 5);
  const span = ({ period }: (typeof closed)[number]) => `${period.periodStart}至${period.periodEnd}`;
  if (missed.length > 0) {
    blocks.push(
      text(
        `未履职记录：\n${missed
          .map((row) => `· ${span(row)} ${row.title} ${row.period.done}/${row.period.needed}`)
          .join('\n')}`,
      ),
    );
  }
  if (exempt.length > 0) {
    blocks.push(
      note(
        `不考核（不计为未履职）：\n${exempt
          .map((row) => `· ${span(row)} ${row.title}：${row.period.exemptReason}`)
          .join('\n')}`,
      ),
    );
  }
  const contracted = await contractedSchoolCounts(ctx.db, tenant.id, ctx.actor.id, now);
  if (contracted.length > 0) {
    const visits = progress.filter((entry) => entry.obligation.kind === 'supervision' && entry.perSchool);
    blocks.push(
      divider(),
      text(
        `分包学校：\n${contracted
          .map((school) => {
            const visit = visits
              .map((entry) => {
                const done = entry.perSchool!.find((one) => one.school === school.name)?.done;
                return done === undefined
                  ? ''
                  : `；${entry.period.label}督查 ${done}/${entry.obligation.minCount}`;
              })
              .find(Boolean);
            return `· ${school.name}：未销号隐患 ${school.open} 项，超期 ${school.overdue} 项，挂牌督办 ${school.listed} 项${visit ?? ''}`;
          })
          .join('\n')}`,
      ),
    );
  }
  const under = await unitsUnder(ctx, list);
  if (under.length > 0) blocks.push(divider(), text(`分管处室：\n${under.join('\n')}`));
  blocks.push(note('详情发送“我的待办”；记录已完成的职责：记录 会议|检查|督查|演练 <说明>'));
  ctx.reply({ kind: 'card', card: listCard(`${ctx.actor.name}的职责（一岗双责）`, 'blue', blocks) });
}

export async function myTodo(ctx: MessageContext): Promise<void> {
  const list = await myPosts(ctx);
  const { hazardLines, taskLines, shiftLines } = await openItems(ctx, headedUnitIds(list));
  const empty = hazardLines.length + taskLines.length + shiftLines.length === 0;
  ctx.reply({
    kind: 'card',
    card: listCard(`${ctx.actor.name}的待办`, empty ? 'green' : 'blue', [
      empty && text('没有待办事项。'),
      hazardLines.length > 0 && text(`隐患：\n${hazardLines.join('\n')}`),
      taskLines.length > 0 && text(`任务：\n${taskLines.join('\n')}`),
      shiftLines.length > 0 && text(`近 7 天值班：\n${shiftLines.join('\n')}`),
      note('查看隐患：隐患 YH-…；确认任务：收到 RW-…；完成任务：完成 RW-… <完成情况>'),
    ]),
  });
}
