// The accident's 快报 to the level above in the system (002 §四(一); DOMAIN §6): where the school has a
// bureau here, the office sends it from the accident's page — to the bureau's office and the school's 分包
// members, at once, without the confidential fields (the injured's names, the handling) — and the report is
// recorded (reported_at, reported_to: the bureau) in the same transaction. Sent once: a reported accident
// is refused. A school without a bureau here records its phone or written report by hand.
import type { Context } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import { type Accident, markReported } from '../db/queries/accidents.ts';
import { bureauOf, contractMembers } from '../db/queries/bureau.ts';
import { officeStaff, type Person } from '../db/queries/org.ts';
import { ACCIDENT_KIND_LABELS, ACCIDENT_SEVERITY_LABELS } from './accident-rules.ts';
import { formatDateTime } from './time.ts';

/** The 快报's text: what happened, where, to how many; nothing confidential. */
export function accidentFlash(accident: Accident, school: { name: string; timezone: string }) {
  const counts = [
    accident.students > 0 ? `学生 ${accident.students} 人` : '',
    accident.staff > 0 ? `教职工 ${accident.staff} 人` : '',
  ].filter(Boolean);
  const harm = [
    accident.injured > 0 ? `受伤 ${accident.injured} 人` : '',
    accident.deaths > 0 ? `死亡 ${accident.deaths} 人` : '',
  ].filter(Boolean);
  return [
    `【事故快报】${school.name} ${accident.code}`,
    `${formatDateTime(accident.occurredAt, school.timezone)} 在${accident.place}发生${ACCIDENT_KIND_LABELS[accident.kind]}（${ACCIDENT_SEVERITY_LABELS[accident.severity]}）：${accident.summary}。`,
    `${counts.length > 0 ? `涉及${counts.join('、')}` : '涉及人数未填'}${harm.length > 0 ? `，${harm.join('、')}` : '，无人员伤亡'}${accident.responsible ? '；属责任事故' : ''}。`,
    `报送：${school.name}安全工作领导小组办公室。后续处置情况另行报告。`,
  ].join('\n');
}

/** Sends the 快报 and records the report; the bureau's name, or a Refusal saying why not (nothing sent). */
export async function reportAccidentUp(
  ctx: Pick<Context, 'db' | 'tenant' | 'now' | 'send'>,
  accident: Accident,
  who: { by: string; accountId: number | null },
): Promise<string> {
  const { db, tenant: school, now } = ctx;
  if (accident.reportedAt)
    throw new Refusal(
      `${accident.code} 已于 ${formatDateTime(accident.reportedAt, school.timezone)} 报${accident.reportedTo ?? '上级'}。`,
    );
  const bureau = await bureauOf(db, school.id);
  if (!bureau)
    throw new Refusal('本校的上级教育局未接入本系统：请按规定电话或书面上报，再在下方记录上报时间和对象。');
  const people: Person[] = [];
  for (const person of [
    ...(await officeStaff(db, bureau.id)),
    ...(await contractMembers(db, bureau.id, school.id)),
  ])
    if (!people.some((other) => other.id === person.id)) people.push(person);
  if (people.length === 0)
    throw new Refusal(
      `${bureau.name}在本系统中没有可接收的办公室人员或分包人员：请电话或书面上报后在下方记录。`,
    );
  const text = accidentFlash(accident, school);
  const subject = `accident:${accident.id}`;
  for (const person of people)
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'text', text },
      subject,
      tenantId: school.id,
    });
  await markReported(db, school.id, accident.id, { at: now, to: bureau.name, ...who });
  return bureau.name;
}
