// Thumbnails of photos kept without one: those kept before thumbnails existed (an install upgraded from a
// version without them), and those whose making in the background was cut short (a restart while photos
// waited their turn, a thread that failed). Made one at a time on the thumbnailer's thread, each kept at
// once, so that a ledger export finds them instead of making them in its own time (THUMBNAILS.makeMs).
import type { EvidenceStore } from '../bot/core/evidence.ts';
import type { Logger } from '../bot/core/log.ts';
import { createPump, type Pump } from '../bot/core/pump.ts';
import type { Db } from '../db/client.ts';
import { filesWithoutThumbnail } from '../db/queries/evidence.ts';
import { THUMBNAIL_SOURCES } from '../handlers/evidence-rules.ts';

export const THUMBNAIL_CATCH_UP = {
  /** After the start: the service takes its first events and connections before photos are read. */
  delayMs: 60_000,
  /** Then once a day (a photo whose thread failed is tried again). */
  everyMs: 24 * 3600_000,
  /** A file kept more recently than this is left to the background making that follows its arrival. */
  settleMs: 10 * 60_000,
  batch: 20,
} as const;

export interface ThumbnailCatchUpOptions {
  db: Db;
  store: EvidenceStore;
  log: Logger;
  clock?: () => Date;
}

export interface ThumbnailCatchUp {
  /** Runs after `THUMBNAIL_CATCH_UP.delayMs`, then daily. */
  start(): void;
  /** Makes what is missing now, to the end; how many were made or found not to be makeable. */
  runOnce(): Promise<{ made: number; refused: number }>;
  /** Ends the run under way after its photo, and the schedule. */
  stop(): Promise<void>;
}

export function createThumbnailCatchUp(options: ThumbnailCatchUpOptions): ThumbnailCatchUp {
  const { db, store, log } = options;
  const clock = options.clock ?? (() => new Date());
  let delay: ReturnType<typeof setTimeout> | undefined;
  let last = { made: 0, refused: 0 };

  async function drain() {
    const createdBefore = new Date(clock().getTime() - THUMBNAIL_CATCH_UP.settleMs);
    const counts = { made: 0, refused: 0 };
    let afterId = 0;
    while (!pump.stopping) {
      const files = await filesWithoutThumbnail(db, {
        afterId,
        createdBefore,
        contentTypes: [...THUMBNAIL_SOURCES],
        limit: THUMBNAIL_CATCH_UP.batch,
      });
      if (files.length === 0) break;
      for (const file of files) {
        if (pump.stopping) break;
        afterId = file.id;
        // `none` (the thread failed), `missing` (the bucket lost it) and a failed read are left for the
        // next run; the photos after it go on.
        try {
          const found = await store.thumbnail(file.tenantId, file.id, { make: true });
          if (found.kind === 'made') counts.made++;
          if (found.kind === 'refused') counts.refused++;
        } catch (error) {
          log.warn('thumbnail not made', { file: file.id, error: String(error) });
        }
      }
    }
    if (counts.made + counts.refused > 0) log.info('thumbnails made for photos kept without one', counts);
    last = counts;
  }

  const pump: Pump = createPump(drain, {
    onError: (error) => log.warn('thumbnail catch-up failed', { error: String(error) }),
  });

  return {
    start() {
      delay = setTimeout(() => pump.start(THUMBNAIL_CATCH_UP.everyMs), THUMBNAIL_CATCH_UP.delayMs);
      delay.unref();
    },
    async runOnce() {
      await pump.idle();
      pump.kick();
      await pump.idle();
      return last;
    },
    async stop() {
      clearTimeout(delay);
      await pump.stop();
    },
  };
}
