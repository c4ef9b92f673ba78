// Duty shifts (值班带班, DOMAIN §5): who is on duty today, confirming one's post (确认到岗), the duty log
// (值班日志), the handover (交班) and swaps (换班). Rosters come in as files (handlers/roster-file.ts,
// bot/cli/roster-import.ts); the reminders and escalations before a shift are jobs/shift-checks.ts.
// Every change is appended to the audit trail under `shift:<id>`, and every card of the shift refreshes.
import type { ActionContext, Context, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { Router } from '../bot/core/router.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { shiftCard, shiftRenderer, todayText } from '../cards/shift.ts';
import type { Person } from '../db/queries/org.ts';
import { membersNamed } from '../db/queries/people.ts';
import {
  addShiftLog,
  confirmPresence,
  decideSwap,
  insertSwap,
  recordHandover,
  swapById,
  takeOverShift,
} from '../db/queries/shift-duty.ts';
import {
  appendShiftAudit,
  type ShiftView,
  shiftsForDay,
  shiftsOfPerson,
  shiftView,
} from '../db/queries/shifts.ts';
import { isoDateIn } from './calendar.ts';
import { mentionedMember, namesakesText } from './colleagues.ts';
import { rowOfButton } from './row-of-button.ts';
import {
  HANDOVER_AFTER_MS,
  type IsoDate,
  parseDayWord,
  shiftLabel,
  shiftPolicy,
  shiftSubject,
} from './shift-rules.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';
import { formatDateTime } from './time.ts';

const DAY_MS = 86_400_000;

export function registerShifts(router: Router): void {
  router
    .command({
      names: ['今天谁值班', '/onduty'],
      usage: '今天谁值班',
      summary: '查看今天的值班人员、带班领导和到岗情况',
      handler: onDutyToday,
    })
    .command({
      names: ['确认到岗', '/checkin'],
      usage: '确认到岗',
      summary: '值班人员确认已到岗',
      handler: confirmCommand,
    })
    .command({
      names: ['值班日志', '/dutylog'],
      usage: '值班日志 <情况>',
      summary: '在当前班次的值班日志中记一条',
      handler: dutyLog,
    })
    .command({
      names: ['交班', '/handover'],
      usage: '交班 <交班情况>',
      summary: '班次结束时交班，并告知带班领导',
      handler: handover,
    })
    .command({
      names: ['换班', '/swap'],
      usage: '换班 <日期或班次> @同事',
      summary: '请同事替自己值班，对方接受后生效',
      handler: requestSwap,
    })
    .action('shift.confirm', confirmButton)
    .action('shift.swap.accept', swapButton('accept'))
    .action('shift.swap.decline', swapButton('decline'));
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const onDuty = (view: ShiftView, personId: number) => view.people.some((person) => person.id === personId);
const at = (ctx: Context, date: Date) => formatDateTime(date, ctx.tenant.timezone);
const clock = (ctx: Context, date: Date) => at(ctx, date).slice(11);

function tell(ctx: Context, personId: number, text: string) {
  ctx.send({ to: { kind: 'person', personId }, body: { kind: 'text', text } });
}

/** Refreshes every card of the shift already sent, and returns its view as it now is. */
async function refresh(ctx: Context, shiftId: number): Promise<ShiftView> {
  const view = (await shiftView(ctx.db, ctx.tenant.id, shiftId))!;
  ctx.refresh(shiftSubject(shiftId), shiftRenderer(view, ctx.tenant.timezone, ctx.now));
  return view;
}

/** When the content starts with one of the shifts' names, that shift, and the rest of the content. */
function pickByName(views: ShiftView[], content: string): { view?: ShiftView; rest: string } {
  const named = views
    .filter((view) => content.startsWith(view.shift.name))
    .sort((a, b) => b.shift.name.length - a.shift.name.length)[0];
  if (!named) return { rest: content };
  return { view: named, rest: content.slice(named.shift.name.length).replace(/^[\s:：,，]+/, '') };
}

const listOf = (views: ShiftView[]) => views.map((view) => shiftLabel(view.shift)).join('；');

// ---------------------------------------------------------------------------------------------------
// 今天谁值班

async function onDutyToday(ctx: MessageContext): Promise<void> {
  const today = isoDateIn(ctx.now, ctx.tenant.timezone);
  const views = await shiftsForDay(ctx.db, ctx.tenant.id, today, ctx.now);
  ctx.reply({ kind: 'text', text: todayText(today, views, ctx.tenant.timezone, ctx.now) });
}

// ---------------------------------------------------------------------------------------------------
// 确认到岗

async function confirm(ctx: Context, view: ShiftView): Promise<string> {
  const { shift } = view;
  const me = view.people.find((person) => person.id === ctx.actor.id);
  const label = shiftLabel(shift);
  if (!me) {
    throw new Refusal(
      `您不在 ${label} 的值班名单上，无需确认到岗。${view.leaderName ? `如有疑问请联系带班领导 ${view.leaderName}。` : ''}`,
    );
  }
  if (me.confirmedAt) return `您已于 ${at(ctx, me.confirmedAt)} 确认到岗。`;
  if (shift.endsAt <= ctx.now) throw new Refusal(`${label} 已于 ${at(ctx, shift.endsAt)} 结束。`);
  const policy = shiftPolicy(ctx.tenant.settings);
  const opens = new Date(shift.startsAt.getTime() - policy.leadMs);
  if (ctx.now < opens) {
    throw new Refusal(`${label} ${at(ctx, shift.startsAt)} 开始，请到岗后（${at(ctx, opens)} 起）再确认。`);
  }
  if (!(await confirmPresence(ctx.db, shift.id, ctx.actor.id, ctx.now))) return '您已确认到岗。';
  const late = ctx.now.getTime() > shift.startsAt.getTime() + policy.graceMs;
  await appendShiftAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    shiftId: shift.id,
    actorId: ctx.actor.id,
    action: 'confirm',
    fromStatus: 'unconfirmed',
    toStatus: 'confirmed',
    note: late
      ? `迟于开始时间 ${Math.round((ctx.now.getTime() - shift.startsAt.getTime()) / 60_000)} 分钟确认`
      : null,
    at: ctx.now,
  });
  await refresh(ctx, shift.id);
  return `已确认到岗（${clock(ctx, ctx.now)}），${label}。`;
}

async function confirmButton(ctx: ActionContext): Promise<ActionResult> {
  const view = await rowOfButton(ctx, shiftView, '找不到这个班次，可能已重新排班。请发送“今天谁值班”查看。');
  const already = view.people.find((person) => person.id === ctx.actor.id)?.confirmedAt;
  const text = await confirm(ctx, view);
  return { toast: { kind: already ? 'info' : 'success', text } };
}

/** `确认到岗`: the sender's shift that is open for confirmation now (the earliest, if several). */
async function confirmCommand(ctx: MessageContext): Promise<void> {
  const policy = shiftPolicy(ctx.tenant.settings);
  const views = (
    await shiftsOfPerson(ctx.db, ctx.tenant.id, ctx.actor.id, {
      from: ctx.now,
      to: new Date(ctx.now.getTime() + policy.leadMs),
    })
  ).filter((view) => onDuty(view, ctx.actor.id) && view.shift.endsAt > ctx.now);
  const open = views.find((view) => !view.people.find((person) => person.id === ctx.actor.id)?.confirmedAt);
  const view = open ?? views[0];
  if (!view) {
    const [next] = (
      await shiftsOfPerson(ctx.db, ctx.tenant.id, ctx.actor.id, {
        from: ctx.now,
        to: new Date(ctx.now.getTime() + 31 * DAY_MS),
      })
    ).filter((candidate) => onDuty(candidate, ctx.actor.id));
    throw new Refusal(
      next
        ? `现在没有需要您确认到岗的班次。您的下一个班次是 ${shiftLabel(next.shift)}（${at(ctx, next.shift.startsAt)} 开始）。`
        : '现在没有需要您确认到岗的班次。',
    );
  }
  ctx.reply({ kind: 'text', text: await confirm(ctx, view) });
}

// ---------------------------------------------------------------------------------------------------
// 值班日志

async function dutyLog(ctx: MessageContext): Promise<void> {
  const content = ctx.args.trim();
  if (!content) throw new Refusal('请在“值班日志”后写明情况，例如：值班日志 22:10 巡查宿舍楼，一切正常');
  capped(content, TEXT_LIMITS.dutyLog, '值班日志');
  const current = (
    await shiftsOfPerson(ctx.db, ctx.tenant.id, ctx.actor.id, { from: ctx.now, to: ctx.now })
  ).filter((view) => view.shift.startsAt <= ctx.now && ctx.now < view.shift.endsAt);
  if (current.length === 0) {
    throw new Refusal(
      '您现在不在值班时间内，值班日志只能记在正在进行、且您值班或带班的班次上。发送“今天谁值班”可查看今天的安排。',
    );
  }
  // On duty beats leading; among several, the content may start with the shift's name.
  const mine = current.filter((view) => onDuty(view, ctx.actor.id));
  const candidates = mine.length > 0 ? mine : current;
  let view = candidates.length === 1 ? candidates[0] : undefined;
  let entry = content;
  if (!view) {
    const picked = pickByName(candidates, content);
    if (!picked.view) {
      throw new Refusal(
        `您现在同时在多个班次上（${candidates.map((candidate) => candidate.shift.name).join('、')}），请写明班次，例如：值班日志 ${candidates[0]!.shift.name} <情况>`,
      );
    }
    view = picked.view;
    entry = picked.rest;
    if (!entry) throw new Refusal(`请在班次名后写明情况，例如：值班日志 ${view.shift.name} <情况>`);
  }
  await addShiftLog(ctx.db, {
    tenantId: ctx.tenant.id,
    shiftId: view.shift.id,
    personId: ctx.actor.id,
    text: entry,
    at: ctx.now,
  });
  await refresh(ctx, view.shift.id);
  ctx.reply({
    kind: 'text',
    text: `已记入 ${shiftLabel(view.shift)} 的值班日志（第 ${view.logCount + 1} 条，${clock(ctx, ctx.now)}）。`,
  });
}

// ---------------------------------------------------------------------------------------------------
// 交班

async function handover(ctx: MessageContext): Promise<void> {
  const content = ctx.args.trim();
  if (!content) throw new Refusal('请在“交班”后写明交班情况，例如：交班 夜间巡查 3 次，无异常，钥匙已交接');
  capped(content, TEXT_LIMITS.dutyLog, '交班情况');
  const candidates = (
    await shiftsOfPerson(ctx.db, ctx.tenant.id, ctx.actor.id, {
      from: new Date(ctx.now.getTime() - HANDOVER_AFTER_MS),
      to: ctx.now,
    })
  ).filter(
    (view) =>
      onDuty(view, ctx.actor.id) &&
      view.shift.startsAt <= ctx.now &&
      ctx.now.getTime() <= view.shift.endsAt.getTime() + HANDOVER_AFTER_MS,
  );
  if (candidates.length === 0) {
    throw new Refusal('您现在没有可以交班的班次：交班须在您值班的班次开始后、结束后 2 小时内。');
  }
  const open = candidates
    .filter((view) => view.shift.handoverAt === null)
    .sort((a, b) => a.shift.endsAt.getTime() - b.shift.endsAt.getTime());
  let view = open[0];
  let note = content;
  if (open.length > 1) {
    const picked = pickByName(open, content);
    if (picked.view && picked.rest) {
      view = picked.view;
      note = picked.rest;
    }
  }
  if (!view) {
    const done = candidates[0]!;
    throw new Refusal(
      `${shiftLabel(done.shift)} 已由 ${done.handoverByName ?? '值班人员'} 于 ${at(ctx, done.shift.handoverAt!)} 交班；补充情况请发送：值班日志 <情况>`,
    );
  }
  const handedOver = await recordHandover(ctx.db, view.shift.id, { note, byId: ctx.actor.id, at: ctx.now });
  if (!handedOver) throw new Refusal(`${shiftLabel(view.shift)} 刚刚已由他人交班。`);
  await appendShiftAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    shiftId: view.shift.id,
    actorId: ctx.actor.id,
    action: 'handover',
    fromStatus: 'on_duty',
    toStatus: 'handed_over',
    note,
    at: ctx.now,
  });
  await refresh(ctx, view.shift.id);
  const label = shiftLabel(view.shift);
  const leaderId = view.shift.leaderId;
  if (leaderId && leaderId !== ctx.actor.id) {
    tell(ctx, leaderId, `${ctx.actor.name} 已交班：${label}（${at(ctx, ctx.now)}）\n交班情况：${note}`);
  }
  ctx.reply({
    kind: 'text',
    text: `已交班：${label}。${leaderId && leaderId !== ctx.actor.id ? `已告知带班领导 ${view.leaderName}。` : ''}`,
  });
}

// ---------------------------------------------------------------------------------------------------
// 换班

/** The colleague named by an @-mention (any channel) or by `@姓名` typed in the text. */
async function colleagueOf(ctx: MessageContext, args: string): Promise<{ person?: Person; rest: string }> {
  const mention = ctx.event.mentions[0];
  if (mention) {
    const found = await mentionedMember(ctx, mention);
    if (!found) throw new Refusal(`${mention.name ?? '被 @ 的人'}不在本单位的人员名单上。`);
    return { person: found, rest: args };
  }
  const typed = /@\s*([^\s@,，、]+)/.exec(args);
  if (!typed) return { rest: args };
  const word = typed[1]!;
  const matches = await membersNamed(ctx.db, ctx.tenant.id, word);
  if (matches.length === 0) throw new Refusal(`找不到“${word}”，请 @ 本单位的同事。`);
  if (matches.length > 1) throw new Refusal(namesakesText(word, matches));
  return { person: matches[0], rest: args.replace(typed[0], ' ') };
}

const DAY_PREFIX =
  /^(今天|今日|明天|明日|后天|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}[-/.月]\d{1,2}[日号]?|(?:星期|周)[一二三四五六日天])(.+)$/;

/** `12-03 夜班`, `明天`, `夜班`, `12月3日夜班`: the day and/or the shift name. */
function shiftWords(ctx: Context, text: string): { date?: IsoDate; name?: string; bad?: string } {
  let date: IsoDate | undefined;
  const names: string[] = [];
  for (const token of text.split(/\s+/).filter(Boolean)) {
    const day = parseDayWord(token, ctx.tenant.timezone, ctx.now);
    if (day && !date) {
      date = day;
      continue;
    }
    const split = DAY_PREFIX.exec(token);
    const prefixed = split ? parseDayWord(split[1]!, ctx.tenant.timezone, ctx.now) : undefined;
    if (split && prefixed && !date) {
      date = prefixed;
      names.push(split[2]!);
      continue;
    }
    if (/^\d{1,4}\s*[-/.年月]/.test(token)) return { bad: token };
    names.push(token);
  }
  return { date, name: names.join(' ') || undefined };
}

/** Whether the person is on duty in another shift overlapping this one. */
async function clash(ctx: Context, personId: number, view: ShiftView): Promise<ShiftView | undefined> {
  const { shift } = view;
  return (
    await shiftsOfPerson(ctx.db, ctx.tenant.id, personId, { from: shift.startsAt, to: shift.endsAt })
  ).find(
    (other) =>
      other.shift.id !== shift.id &&
      onDuty(other, personId) &&
      other.shift.startsAt < shift.endsAt &&
      other.shift.endsAt > shift.startsAt,
  );
}

async function requestSwap(ctx: MessageContext): Promise<void> {
  const usage = '换班 <日期或班次> @同事，例如：换班 12-03 夜班 @张丽';
  const { person: colleague, rest } = await colleagueOf(ctx, ctx.args);
  if (!colleague) throw new Refusal(`请 @ 要替您值班的同事：${usage}`);
  if (colleague.id === ctx.actor.id) throw new Refusal('不能和自己换班，请 @ 另一位同事。');
  if (colleague.isOutside || colleague.archived) {
    throw new Refusal(`${colleague.name} 不在本单位的在岗人员名单上。`);
  }
  const words = shiftWords(ctx, rest);
  if (words.bad) throw new Refusal(`看不懂日期“${words.bad}”。${usage}`);
  if (!words.date && !words.name) throw new Refusal(`请写明要换的班次的日期或班次名：${usage}`);

  const upcoming = (
    await shiftsOfPerson(ctx.db, ctx.tenant.id, ctx.actor.id, {
      from: ctx.now,
      to: new Date(ctx.now.getTime() + 366 * DAY_MS),
    })
  ).filter((view) => onDuty(view, ctx.actor.id));
  const matching = upcoming.filter(
    (view) =>
      (!words.date || view.shift.date === words.date) &&
      (!words.name || view.shift.name.includes(words.name) || words.name.includes(view.shift.name)),
  );
  const what = [words.date, words.name].filter(Boolean).join(' ');
  if (matching.length === 0) {
    const next = upcoming.filter((view) => view.shift.startsAt > ctx.now).slice(0, 5);
    throw new Refusal(
      `没有找到您 ${what} 的班次。${next.length > 0 ? `您接下来的班次：${listOf(next)}` : '您近期没有排班。'}`,
    );
  }
  if (matching.length > 1) {
    throw new Refusal(`您有多个班次符合“${what}”：${listOf(matching)}。请同时写明日期和班次名。`);
  }
  const view = matching[0]!;
  const { shift } = view;
  const label = shiftLabel(shift);
  if (shift.startsAt <= ctx.now) {
    throw new Refusal(
      `${label} 已经开始，不能再换班${view.leaderName ? `；如需调整请联系带班领导 ${view.leaderName}` : ''}。`,
    );
  }
  if (onDuty(view, colleague.id)) throw new Refusal(`${colleague.name} 已在 ${label} 的值班名单上。`);
  const busy = await clash(ctx, colleague.id, view);
  if (busy)
    throw new Refusal(`${colleague.name} 在该时段已有班次（${shiftLabel(busy.shift)}），不能替您值班。`);
  const pending = view.swaps.find((swap) => swap.status === 'pending' && swap.fromPersonId === ctx.actor.id);
  if (pending) {
    throw new Refusal(`您已就 ${label} 向 ${pending.toName} 发出换班请求，正在等待对方答复。`);
  }

  const swap = await insertSwap(ctx.db, {
    tenantId: ctx.tenant.id,
    shiftId: shift.id,
    fromPersonId: ctx.actor.id,
    toPersonId: colleague.id,
    createdAt: ctx.now,
  });
  await appendShiftAudit(ctx.db, {
    tenantId: ctx.tenant.id,
    shiftId: shift.id,
    actorId: ctx.actor.id,
    action: 'swap.request',
    toStatus: 'pending',
    note: `${ctx.actor.name} 请 ${colleague.name} 代班`,
    data: { swap: swap.id, from: ctx.actor.id, to: colleague.id },
    at: ctx.now,
  });
  const fresh = (await shiftView(ctx.db, ctx.tenant.id, shift.id))!;
  const audience = `swap:${swap.id}`;
  ctx.send({
    to: { kind: 'person', personId: colleague.id },
    body: { kind: 'card', card: shiftCard(fresh, ctx.tenant.timezone, audience, ctx.now)! },
    subject: shiftSubject(shift.id),
    view: audience,
  });
  ctx.reply({
    kind: 'text',
    text: `已请 ${colleague.name} 替您值 ${label}，等待对方答复。对方接受后才生效。`,
  });
}

const swapButton =
  (decision: 'accept' | 'decline') =>
  async (ctx: ActionContext): Promise<ActionResult> => {
    const gone = '找不到这个换班请求，可能已重新排班。';
    const swap = await rowOfButton(ctx, swapById, gone, 'swap');
    const view = await shiftView(ctx.db, ctx.tenant.id, swap.shiftId);
    if (!view) throw new Refusal(gone);
    const request = view.swaps.find((candidate) => candidate.id === swap.id)!;
    if (ctx.actor.id !== swap.toPersonId) {
      throw new Refusal(
        `这个换班请求是 ${request.fromName} 发给 ${request.toName} 的，只有 ${request.toName} 可以答复。`,
      );
    }
    const label = shiftLabel(view.shift);
    if (swap.status !== 'pending') {
      throw new Refusal(`您已${swap.status === 'accepted' ? '接受' : '拒绝'}过这个换班请求。`);
    }
    if (decision === 'accept') {
      if (view.shift.startsAt <= ctx.now) {
        throw new Refusal(`${label} 已经开始，不能再换班；请联系带班领导 ${view.leaderName ?? ''}。`);
      }
      if (!onDuty(view, swap.fromPersonId)) {
        throw new Refusal(`${request.fromName} 已不在 ${label} 的值班名单上（可能已重新排班），无需换班。`);
      }
      if (onDuty(view, ctx.actor.id)) throw new Refusal(`您已在 ${label} 的值班名单上。`);
      const busy = await clash(ctx, ctx.actor.id, view);
      if (busy) throw new Refusal(`您在该时段已有班次（${shiftLabel(busy.shift)}），不能接受。`);
    }
    const decided = await decideSwap(
      ctx.db,
      swap.id,
      decision === 'accept' ? 'accepted' : 'declined',
      ctx.now,
    );
    if (!decided) throw new Refusal('这个换班请求刚刚已答复。');
    if (decision === 'accept') {
      await takeOverShift(ctx.db, view.shift.id, swap.fromPersonId, ctx.actor.id);
    }
    await appendShiftAudit(ctx.db, {
      tenantId: ctx.tenant.id,
      shiftId: view.shift.id,
      actorId: ctx.actor.id,
      action: decision === 'accept' ? 'swap.accept' : 'swap.decline',
      fromStatus: decision === 'accept' ? request.fromName : 'pending',
      toStatus: decision === 'accept' ? request.toName : 'declined',
      note:
        decision === 'accept'
          ? `值班人员由 ${request.fromName} 改为 ${request.toName}`
          : `${request.toName} 拒绝代班`,
      data: { swap: swap.id, from: swap.fromPersonId, to: swap.toPersonId },
      at: ctx.now,
    });
    await refresh(ctx, view.shift.id);
    if (decision === 'accept') {
      tell(
        ctx,
        swap.fromPersonId,
        `${request.toName} 已接受您的换班请求：${label} 改由 ${request.toName} 值班。`,
      );
      if (view.shift.leaderId && view.shift.leaderId !== ctx.actor.id) {
        tell(
          ctx,
          view.shift.leaderId,
          `换班：${label}（${at(ctx, view.shift.startsAt)} 开始）的值班人员由 ${request.fromName} 改为 ${request.toName}。`,
        );
      }
      return { toast: { kind: 'success', text: `已接受，${label} 改由您值班。` } };
    }
    tell(ctx, swap.fromPersonId, `${request.toName} 未接受您的换班请求（${label}），该班次仍由您值班。`);
    return { toast: { kind: 'info', text: '已拒绝这个换班请求，已告知对方。' } };
  };
