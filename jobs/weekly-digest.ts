// The weekly digest (issue 15 §5): every Monday from 08:00 in the tenant's time zone, the 第一责任人 and
// the office director get last week's figures in one card. Once per tenant, week and person by the
// reminders natural key (subject `weekly-digest`, period = the Monday), so the job may run every few
// minutes, on every instance, and catch up after downtime within the same week. Never for a week the
// tenant was loaded in (nothing to report yet) and not for a week with nothing at all to report (that week
// is claimed silently, so it does not go out later in the week either). Tenant setting `weekly_digest`.

import { nextTurn } from '../bot/core/next-turn.ts';
import { weeklyDigestCard } from '../cards/weekly-digest.ts';
import { holdersAtLevel } from '../db/queries/hazard-roles.ts';
import { allTenants } from '../db/queries/org.ts';
import { claimReminder } from '../db/queries/reminders.ts';
import { weeklyDigestRecipients, weeklySummary } from '../db/queries/weekly-digest.ts';
import { isoDateIn, startOfDayIn } from '../handlers/calendar.ts';
import { mondayOf } from '../handlers/dashboard.ts';
import { addDays } from '../handlers/periods.ts';
import { dutiesPerUnit } from '../handlers/report-stats.ts';
import { semestersOf, tenantSettings } from '../handlers/settings.ts';
import type { JobContext } from './hazard-deadlines.ts';
import { sendOnce } from './reminders.ts';

const SUBJECT = 'weekly-digest';
const SEND_HOUR = 8;

export async function runWeeklyDigest(context: JobContext): Promise<{ sent: number }> {
  const { db, now } = context;
  let sent = 0;
  for (const tenant of await allTenants(db)) {
    await nextTurn();
    const settings = tenantSettings(tenant.settings);
    if (!settings.weekly_digest) continue;
    const monday = mondayOf(isoDateIn(now, tenant.timezone));
    const mondayStart = startOfDayIn(monday, tenant.timezone);
    if (now.getTime() < mondayStart.getTime() + SEND_HOUR * 3_600_000) continue;
    // Loaded this week (the day of loading included): the week before it is none of its business.
    if (tenant.createdAt >= mondayStart) continue;
    sent += await db.transaction(async (tx) => {
      const recipients = [
        ...(await holdersAtLevel(tx, tenant.id, ['first'])),
        ...(await weeklyDigestRecipients(tx, tenant.id)),
      ].filter((person, index, all) => all.findIndex((other) => other.id === person.id) === index);
      if (recipients.length === 0) return 0;
      const key = (personId: number) => ({
        tenantId: tenant.id,
        subject: SUBJECT,
        period: monday,
        step: 'weekly',
        personId,
      });
      const from = addDays(monday, -7);
      const summary = {
        ...(await weeklySummary(
          tx,
          tenant.id,
          { from: startOfDayIn(from, tenant.timezone), to: mondayStart },
          now,
        )),
        duties: await dutiesPerUnit(tx, tenant.id, isoDateIn(now, tenant.timezone), semestersOf(settings)),
      };
      let count = 0;
      for (const person of recipients) {
        if (!summary.active) {
          await claimReminder(tx, key(person.id), now);
          continue;
        }
        const body = {
          kind: 'card' as const,
          card: weeklyDigestCard(summary, { from, to: addDays(monday, -1) }),
        };
        if (await sendOnce(tx, key(person.id), { body }, { channels: context.channels, now })) count++;
      }
      return count;
    });
  }
  if (sent > 0) context.log.info('weekly digest', { sent });
  return { sent };
}
