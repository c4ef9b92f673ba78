// The cards of a duty shift (值班带班). Every copy has the subject `shift:<id>` and is refreshed when the
// shift changes (a confirmation, a swap, the handover); the view says whose copy it is:
//   duty:<personId> — a person on duty: 确认到岗 while they have not confirmed
//   leader          — the 带班领导 told of a missing confirmation      office — the office, likewise
//   swap:<swapId>   — the colleague asked to take over: 接受 / 拒绝 while the request is open
import type { ShiftView } from '../db/queries/shifts.ts';
import { formatShiftTime, shiftLabel, weekdayOf } from '../handlers/shift-rules.ts';
import { formatDateTime } from '../handlers/time.ts';
import { type Block, button, type Card, card, divider, fields, note, type Tone, text } from './model.ts';

const clock = (date: Date, timeZone: string) => formatDateTime(date, timeZone).slice(11);

/** 李国强（已到岗 07:52）、陈静（未确认） */
export function peopleLine(view: ShiftView, timeZone: string, now: Date): string {
  if (view.people.length === 0) return '（无）';
  const waiting = now >= view.shift.startsAt ? '未到岗' : '未确认';
  return view.people
    .map((person) =>
      person.confirmedAt
        ? `${person.name}（已到岗 ${clock(person.confirmedAt, timeZone)}）`
        : `${person.name}（${waiting}）`,
    )
    .join('、');
}

function toneOf(view: ShiftView, now: Date): Tone {
  if (view.shift.endsAt <= now) return 'grey';
  const missing = view.people.some((person) => !person.confirmedAt);
  if (!missing) return 'green';
  return now >= view.shift.startsAt ? 'red' : 'blue';
}

function details(view: ShiftView, timeZone: string, now: Date): Block {
  const { shift } = view;
  const handover = shift.handoverNote
    ? `${shift.handoverNote}（${view.handoverByName ?? ''} ${shift.handoverAt ? formatDateTime(shift.handoverAt, timeZone) : ''}）`
    : undefined;
  return fields([
    ['日期', `${shift.date}（${weekdayOf(shift.date)}）`],
    ['班次', shift.name],
    ['时间', formatShiftTime(shift, timeZone)],
    ['地点', shift.place],
    ['值班人员', peopleLine(view, timeZone, now)],
    ['带班领导', view.leaderName ?? '未指定'],
    ['值班日志', view.logCount > 0 ? `${view.logCount} 条` : undefined],
    ['交班', handover],
  ]);
}

function dutyBlocks(view: ShiftView, personId: number, timeZone: string, now: Date): (Block | false)[] {
  const { shift } = view;
  const me = view.people.find((person) => person.id === personId);
  if (!me) return [note('您已不在本班次的值班名单上（已换班或重新排班）。')];
  if (me.confirmedAt) {
    return [
      note(`您已于 ${formatDateTime(me.confirmedAt, timeZone)} 确认到岗。`),
      shift.endsAt > now && note('值班中可发送：值班日志 <情况>；班次结束时发送：交班 <交班情况>'),
    ];
  }
  if (shift.endsAt <= now) return [note('本班次已结束。')];
  return [
    text(`请于 ${formatDateTime(shift.startsAt, timeZone)} 前到岗，到岗后点击“确认到岗”。`),
    { kind: 'actions', buttons: [button('确认到岗', 'shift.confirm', { id: String(shift.id) }, 'primary')] },
    note('也可发送：确认到岗'),
  ];
}

function swapBlocks(view: ShiftView, swapId: number, timeZone: string): (Block | false)[] {
  const swap = view.swaps.find((candidate) => candidate.id === swapId);
  if (!swap) return [note('这个换班请求已不存在（可能已重新排班）。')];
  const asked = text(
    `${swap.fromName} 请您替 TA 值 ${shiftLabel(view.shift)}（${formatShiftTime(view.shift, timeZone)}）。`,
  );
  if (swap.status === 'accepted') return [asked, note(`您已接受，本班次改由您值班。`)];
  if (swap.status === 'declined') return [asked, note('您已拒绝这个换班请求。')];
  const id = { swap: String(swap.id) };
  return [
    asked,
    {
      kind: 'actions',
      buttons: [
        button('接受', 'shift.swap.accept', id, 'primary'),
        button('拒绝', 'shift.swap.decline', id, 'danger'),
      ],
    },
  ];
}

/** One copy of a shift's card; undefined for a view this module does not know. */
export function shiftCard(view: ShiftView, timeZone: string, audience: string, now: Date): Card | undefined {
  const label = shiftLabel(view.shift);
  const duty = /^duty:(\d+)$/.exec(audience);
  if (duty) {
    return card(`值班提醒 ${label}`, toneOf(view, now), [
      details(view, timeZone, now),
      divider(),
      ...dutyBlocks(view, Number(duty[1]), timeZone, now),
    ]);
  }
  const swap = /^swap:(\d+)$/.exec(audience);
  if (swap) {
    return card(`换班请求 ${label}`, 'orange', [
      details(view, timeZone, now),
      divider(),
      ...swapBlocks(view, Number(swap[1]), timeZone),
    ]);
  }
  if (audience === 'leader' || audience === 'office') {
    const missing = view.people.filter((person) => !person.confirmedAt);
    return card(`值班到岗情况 ${label}`, toneOf(view, now), [
      details(view, timeZone, now),
      divider(),
      missing.length > 0 && view.shift.endsAt > now
        ? note(`尚未确认到岗：${missing.map((person) => person.name).join('、')}。请联系落实。`)
        : note(missing.length === 0 ? '值班人员均已确认到岗。' : '本班次已结束。'),
    ]);
  }
  return undefined;
}

/** Re-renders every view of a shift; what `ctx.refresh` needs. */
export const shiftRenderer = (view: ShiftView, timeZone: string, now: Date) => (audience: string) =>
  shiftCard(view, timeZone, audience, now);

/**
 * 今天谁值班: the day's shifts with people, leader, place, times and confirmations. Plain text, so that a
 * busy day is shown whole on every channel (a WeCom card would cut it to a few lines).
 */
export function todayText(date: string, views: ShiftView[], timeZone: string, now: Date): string {
  const title = `今天谁值班 ${date}（${weekdayOf(date)}）`;
  if (views.length === 0) return `${title}\n今天没有排班。`;
  const lines = [title];
  views.forEach((view, index) => {
    const { shift } = view;
    const state = [
      shift.date !== date && `${shift.date} 起`,
      shift.startsAt <= now && now < shift.endsAt && '进行中',
      shift.endsAt <= now && '已结束',
    ].filter(Boolean);
    const place = shift.place ? ` · ${shift.place}` : '';
    lines.push(
      `${index + 1}. ${shift.name}${state.length > 0 ? `（${state.join('，')}）` : ''} ${formatShiftTime(shift, timeZone)}${place}`,
      `   值班：${peopleLine(view, timeZone, now)}`,
      `   带班领导：${view.leaderName ?? '未指定'}${shift.handoverNote ? `；已交班（${view.handoverByName ?? ''}）` : ''}`,
    );
  });
  lines.push('值班人员可发送：确认到岗；值班日志 <情况>；交班 <交班情况>；换班 <日期或班次> @同事');
  return lines.join('\n');
}
