import { defineConfig } from 'vitest/config';
import { LaneSequencer } from './test/helpers/sequencer.ts';

// Three lanes (vitest projects); `vitest run` runs them all, `--project pure` only the first.
// - pure: no database and no process of its own — rules, parsers, crypto, renderers, router, env.
// - db: PGlite (or the PostgreSQL server named by TEST_DATABASE_URL). Files share their worker process
//   and its modules (isolate: false), so a worker opens and migrates PGlite once and hands it from file to
//   file (test/helpers/db.ts), and evaluates the project's modules once: evaluating them afresh for each
//   file (vi.resetModules) cost about 30 s of CPU in the lane, and no file depends on it.
// - slow: a browser, workerd (wrangler), spawned processes, PostgreSQL servers stopped and started. Its
//   files share their worker process as the db lane's do.
const pure = [
  'test/accident-rules.test.ts',
  'test/architecture.test.ts',
  'test/bureau-compare.test.ts',
  'test/calendar.test.ts',
  'test/console-html.test.ts',
  'test/env-example.test.ts',
  'test/env.test.ts',
  'test/event-schema.test.ts',
  'test/fake-feishu-callback.test.ts',
  'test/fake-feishu.test.ts',
  'test/fake-wecom.test.ts',
  'test/feishu-bot-info.test.ts',
  'test/feishu-crypto.test.ts',
  'test/feishu-photos.test.ts',
  'test/hazard-rules.test.ts',
  'test/hazard-steps.test.ts',
  'test/metrics-log.test.ts',
  'test/holiday-notice.test.ts',
  'test/outbox-parts.test.ts',
  'test/packaging.test.ts',
  'test/pump.test.ts',
  'test/router.test.ts',
  'test/thumbnail.test.ts',
  'test/wecom-crypto.test.ts',
  'test/wecom-render.test.ts',
];
const slow = [
  // db:backup/restore/move on PGlite folders and a PostgreSQL server, and beside a running service (spawned).
  'test/cli-backup.test.ts',
  // The built command-line tools as processes (`node dist/cli/…`, built once): --help, exit codes, one
  // real import. Their behaviour is tested in process in the db lane (test/tools-*.test.ts).
  'test/cli-process.test.ts',
  'test/console-browser.test.ts',
  'test/faults-kill.test.ts',
  'test/faults-pg.test.ts',
  'test/pglite-thread.test.ts',
  'test/start.test.ts',
  'test/worker.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Generous: on a busy 2-core machine a hook that opens PGlite or starts a service waits for the CPU.
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time, whatever the machine (vitest's default is one fewer than the cores: one on
    // the 2-core machines): while one waits on the processes and servers it started, the other computes.
    maxWorkers: 2,
    sequence: { sequencer: LaneSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'pure',
          include: pure,
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['test/**/*.test.ts'],
          exclude: [...pure, ...slow],
          isolate: false,
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: slow,
          // A new worker process for each file cost seconds between files, with one worker idle meanwhile.
          isolate: false,
          globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/build-setup.ts'],
        },
      },
    ],
  },
});
