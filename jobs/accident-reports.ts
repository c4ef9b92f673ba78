// An accident not reported to the level above by its due time (settings `accident_report_hours`): the
// office and the 第一责任人 are told, once per accident and person (jobs/reminders.ts), until the office
// records the report in the console.
import { nextTurn } from '../bot/core/next-turn.ts';
import { unreportedPastDue } from '../db/queries/accidents.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { officeStaff, tenantById } from '../db/queries/org.ts';
import { ACCIDENT_KIND_LABELS } from '../handlers/accident-rules.ts';
import { formatDateTime } from '../handlers/time.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { eachPersonOnce, inDigest, remindOnce } from './reminders.ts';

async function runAccidentReportsOnce(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  let sent = 0;
  for (const accident of await unreportedPastDue(db, now)) {
    await nextTurn();
    sent += await db.transaction(async (tx) => {
      const tenant = await tenantById(tx, accident.tenantId);
      if (!tenant) return 0;
      const to = [...(await officeStaff(tx, tenant.id)), ...(await holdersAtLevel(tx, tenant.id, ['first']))];
      const text = `【提醒】事故/事件 ${accident.code}（${ACCIDENT_KIND_LABELS[accident.kind]}，${formatDateTime(accident.occurredAt, tenant.timezone)} ${accident.place}）应于 ${formatDateTime(accident.reportDueAt, tenant.timezone)} 前报上级，尚未记录上报。${tenant.parentId === null ? '请尽快上报，并在管理后台“事故登记”中记录。' : '请尽快上报：可在管理后台该事故页面直接报送上级教育局。'}`;
      return eachPersonOnce(to, (person) =>
        remindOnce(
          tx,
          {
            tenantId: tenant.id,
            subject: `accident:${accident.id}`,
            period: accident.reportDueAt.toISOString(),
            step: 'report-overdue',
            personId: person.id,
          },
          { body: { kind: 'text', text }, subject: `accident:${accident.id}`, line: text },
          { channels: context.channels, now },
        ),
      );
    });
  }
  if (sent > 0) context.log.info('accident report reminders', { sent });
  return { sent };
}

export const runAccidentReports = inDigest(runAccidentReportsOnce);
