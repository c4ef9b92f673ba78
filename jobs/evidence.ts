// Downloads on arrival: the photos of hazards and records written `pending` by the handlers are fetched
// from their platform by the channel's FileFetcher and kept in the evidence store, after the event was
// answered (a webhook's answer never waits for a download). A try that fails is retried with backoff
// within the platform's window (WeCom: 3 days); a file that cannot be had, or is refused by the limits,
// is marked failed, noted on the hazard's trail and the sender is told why, to send it again.

import { enqueue } from '../bot/core/enqueue.ts';
import { EvidenceRefused, type EvidenceStore, FetchFailure, type FileFetcher } from '../bot/core/evidence.ts';
import type { Logger } from '../bot/core/log.ts';
import { nextTurn } from '../bot/core/next-turn.ts';
import { createPump, type Pump } from '../bot/core/pump.ts';
import { refreshCards } from '../bot/core/refresh.ts';
import type { Channel } from '../bot/core/types.ts';
import { hazardRenderer, hazardSubject } from '../cards/hazard.ts';
import type { Db } from '../db/client.ts';
import { type DuePhoto, duePhotos, hazardPhotoTotals, markPhoto } from '../db/queries/evidence.ts';
import { appendHazardEvent, hazardById, hazardView } from '../db/queries/hazards.ts';
import { tenantById } from '../db/queries/org.ts';
import { EVIDENCE_LIMITS, fetchBackoffMs } from '../handlers/evidence-rules.ts';

export interface DownloadsOptions {
  db: Db;
  store: EvidenceStore;
  /** The download of each open channel that fetches files after the event (Feishu, WeCom). */
  fetchers: ReadonlyMap<Channel, FileFetcher>;
  /** Channels that can deliver now (the sender's note goes out on one of them). */
  channels: ReadonlySet<Channel>;
  log: Logger;
  clock?: () => Date;
  /** Outbox rows were written (the notes to senders). */
  onOutbox?(): void;
}

export interface Downloads {
  /** Wakes on `kick` (a handler wrote photos) and polls for retries that came due. */
  pump: Pump;
  /** Tries every download that is due now, once; how many were tried. */
  runOnce(): Promise<number>;
}

const BATCH = 20;
/** Channels whose cards show the photos themselves (the Feishu renderer's img elements). */
const SHOWS_PHOTOS: ReadonlySet<Channel> = new Set(['feishu']);
const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createDownloads(options: DownloadsOptions): Downloads {
  const { db, store, fetchers, log } = options;
  const clock = options.clock ?? (() => new Date());

  async function fetchAndKeep({ table, row }: DuePhoto) {
    const fetcher = fetchers.get(row.channel);
    if (!fetcher) throw new FetchFailure(`channel ${row.channel} is not open`, true);
    const kind = 'kind' in row ? row.kind : 'image';
    const bytes = await fetcher.fetchFile({ kind, key: row.fileKey, messageId: row.messageId });
    if ('hazardId' in row) {
      const totals = await hazardPhotoTotals(db, row.tenantId, row.hazardId);
      if (totals.bytes + bytes.byteLength > EVIDENCE_LIMITS.hazardBytes) {
        throw new EvidenceRefused(
          `每条隐患的照片合计不超过 ${megabytes(EVIDENCE_LIMITS.hazardBytes)}，已达上限`,
        );
      }
    }
    const { file } = await store.put(row.tenantId, bytes, { imagesOnly: table === 'hazard' });
    const stored = await markPhoto(db, table, row, { status: 'stored', fileId: file.id });
    return stored && 'hazardId' in row ? { tenantId: row.tenantId, hazardId: row.hazardId } : undefined;
  }

  /**
   * The hazard's cards were sent before its photos were kept: the cards that show photos (Feishu's img)
   * are updated to show them, once for the photos of a batch. Elsewhere a card shows a count that did
   * not change.
   */
  async function showKept({ tenantId, hazardId }: { tenantId: number; hazardId: number }) {
    const refreshed = await db.transaction(async (tx) => {
      const [tenant, view] = await Promise.all([
        tenantById(tx, tenantId),
        hazardView(tx, tenantId, hazardId),
      ]);
      if (!tenant || !view) return false;
      const render = hazardRenderer(view, tenant.timezone, clock());
      await refreshCards(
        tx,
        tenantId,
        [{ subject: hazardSubject(hazardId), render }],
        undefined,
        SHOWS_PHOTOS,
      );
      return true;
    });
    if (refreshed) options.onOutbox?.();
  }

  /** Gives a photo up: marked failed, noted on the hazard's trail, and its sender told, in one transaction. */
  async function giveUp({ table, row }: DuePhoto, error: string, reason: string) {
    const told = await db.transaction(async (tx) => {
      if (!(await markPhoto(tx, table, row, { status: 'failed', error }))) return false;
      let subject = '您发送的记录附件';
      if ('hazardId' in row) {
        const hazard = await hazardById(tx, row.tenantId, row.hazardId);
        subject = `您为隐患 ${hazard?.code ?? ''} 发送的${row.stage === 'after' ? '整改后' : ''}照片`;
        await appendHazardEvent(tx, {
          tenantId: row.tenantId,
          hazardId: row.hazardId,
          action: 'evidence_failed',
          note: reason,
          evidence: { fileKey: row.fileKey, channel: row.channel, error },
          at: clock(),
        });
      }
      if (row.addedById !== null) {
        await enqueue(
          tx,
          {
            to: { kind: 'person', personId: row.addedById },
            body: {
              kind: 'text',
              text: `${subject}未能保存：${reason}。请重新发送该${'kind' in row && row.kind === 'file' ? '文件' : '照片'}，谢谢。`,
            },
          },
          { tenantId: row.tenantId, channels: options.channels, preferred: row.channel },
        );
      }
      return row.addedById !== null;
    });
    if (told) options.onOutbox?.();
  }

  /** Tries one download; answers the hazard whose photo it kept. */
  async function attempt(due: DuePhoto) {
    const { row } = due;
    try {
      return await fetchAndKeep(due);
    } catch (error) {
      if (error instanceof EvidenceRefused) {
        await giveUp(due, error.message, error.message);
        return;
      }
      const now = clock();
      const attempts = row.fetchAttempts + 1;
      const nextAt = new Date(now.getTime() + fetchBackoffMs(attempts));
      const retryable = !(error instanceof FetchFailure) || error.retryable;
      const inWindow = row.fetchUntil === null || nextAt < row.fetchUntil;
      if (retryable && inWindow && attempts < EVIDENCE_LIMITS.attempts) {
        log.warn('evidence download failed, will retry', { photo: row.id, attempts, error: describe(error) });
        await markPhoto(db, due.table, row, { status: 'pending', nextAt, error: describe(error) });
        return;
      }
      log.warn('evidence download given up', { photo: row.id, attempts, error: describe(error) });
      const expired = row.fetchUntil !== null && now >= row.fetchUntil;
      await giveUp(
        due,
        describe(error),
        expired || (retryable && !inWindow)
          ? '平台保存该文件的期限已过，未能及时下载'
          : `从平台下载失败（已尝试 ${attempts} 次）`,
      );
    }
  }

  async function runOnce() {
    const due = await duePhotos(db, clock(), BATCH);
    const kept = new Map<string, { tenantId: number; hazardId: number }>();
    for (const item of due) {
      const hazard = await attempt(item);
      if (hazard) kept.set(`${hazard.tenantId}:${hazard.hazardId}`, hazard);
      await nextTurn();
    }
    for (const hazard of kept.values()) await showKept(hazard);
    return due.length;
  }

  const pump: Pump = createPump(
    async () => {
      // Until nothing is due now: a try that failed is due again only after its backoff.
      while (!pump.stopping && (await runOnce()) > 0) {}
    },
    { onError: (error) => log.error('evidence downloads failed', { error: describe(error) }) },
  );
  return { pump, runOnce };
}
