// node-cron runner for the Node process. Each job also runs once at start-up, one after another: a run
// missed while the process was down catches up then (the jobs compute what is due from the clock, not from
// the schedule).
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../bot/core/log.ts';
import { metrics } from '../bot/core/metrics.ts';
import { JOBS, type Job, type JobContext } from './index.ts';

export function startJobs(
  context: Omit<JobContext, 'now'>,
  options: { clock?: () => Date; onSent?: () => void; jobs?: Job[]; log: Logger },
): { stop(): Promise<void>; runAll(): Promise<void>; caughtUp: Promise<void> } {
  const clock = options.clock ?? (() => new Date());
  const running = new Map<string, Promise<unknown>>();
  const run = (job: Job) => {
    if (running.has(job.name)) return running.get(job.name)!;
    const promise = job
      .run({ ...context, now: clock() })
      .then(() => {
        metrics.jobLastSuccess.set({ job: job.name }, clock().getTime() / 1000);
        options.onSent?.();
      })
      .catch((error) => options.log.error('job failed', { job: job.name, error: String(error) }))
      .finally(() => running.delete(job.name));
    running.set(job.name, promise);
    return promise;
  };
  const jobs = options.jobs ?? JOBS;
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.cron, () => void run(job), { timezone: 'Asia/Shanghai', name: job.name }),
  );
  const runAll = async () => {
    await Promise.all(jobs.map(run));
  };
  // The start-up runs one job after another: PGlite answers one statement at a time, and every job started
  // at once queued a statement each ahead of the first requests' (a restart's /readyz waited for them all).
  // A stop ends the catching up: the run under way finishes, the ones after it do not start.
  let stopping = false;
  const catchingUp = (async () => {
    for (const job of jobs) {
      if (stopping) return;
      await run(job);
    }
  })();
  return {
    runAll,
    /** The start-up runs done (or cut short by a stop). */
    caughtUp: catchingUp,
    async stop() {
      stopping = true;
      for (const task of tasks) await task.stop();
      await catchingUp;
      await Promise.all(running.values());
    },
  };
}
