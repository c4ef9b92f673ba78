// The scheduled jobs, declared once for both runners: node-cron in the Node process (Beijing time) and
// the Workers `scheduled()` handler (its cron triggers, in UTC, are in wrangler.toml). Every job is safe
// to run twice, to overlap with itself and to run on several instances: what it sends is keyed.
import { runAccidentReports } from './accident-reports.ts';
import { type JobContext, runHazardDeadlines } from './hazard-deadlines.ts';
import { runLetterRounds } from './letters.ts';
import { runObligations } from './obligations.ts';
import { runShiftChecks } from './shift-checks.ts';
import { runSubmissions } from './submissions.ts';
import { runTaskDeadlines } from './task-deadlines.ts';
import { runWeeklyDigest } from './weekly-digest.ts';

export interface Job {
  name: string;
  /** When it runs, as a cron expression in Asia/Shanghai. */
  cron: string;
  run(context: JobContext): Promise<unknown>;
}

export const JOBS: Job[] = [
  { name: 'hazard-deadlines', cron: '*/10 * * * *', run: runHazardDeadlines },
  { name: 'task-deadlines', cron: '*/10 * * * *', run: runTaskDeadlines },
  { name: 'accident-reports', cron: '*/10 * * * *', run: runAccidentReports },
  // Daily at 08:00 Beijing (UTC 00:00): period starts, reminders and missed periods are day-grained.
  { name: 'obligations', cron: '0 8 * * *', run: runObligations },
  // Daily at 08:15: reports due upward on the 10th (述职述安 by 1月10日), reminded before, noted after.
  { name: 'submissions', cron: '15 8 * * *', run: runSubmissions },
  { name: 'letters', cron: '5 8-20 * * *', run: runLetterRounds },
  { name: 'shift-checks', cron: '*/5 * * * *', run: runShiftChecks },
  // Monday 08:00 in each tenant's own time zone: the job looks every quarter hour and sends once a week.
  { name: 'weekly-digest', cron: '*/15 * * * *', run: runWeeklyDigest },
];

export type { JobContext };
