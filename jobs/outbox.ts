// The outbox dispatcher: claims due rows (SKIP LOCKED, so instances never send the same row at once),
// delivers them through the channel senders within the platforms' send limits, retries with backoff, and
// gives up after a bound (the row is kept as failed, with its reason, for the console). The same message
// to many recipients goes out in one call where the sender can batch (WeCom touser lists).
//
// Limits (jobs/rate-limit.ts): just before a call the dispatcher takes the sender's limit keys for its
// rows. A row whose key is exhausted is not sent: it goes back to pending, due when its turn comes on the
// key, without counting an attempt (attempts count real tries; the bound is about the platform refusing,
// not about waiting our turn). A batch sends the rows whose keys allow it and puts the others back. Rows
// after a waiting row (put back, or retried after a failure) to the same recipient wait for it, so
// messages to one chat or person stay in order. A platform's own "too many" (429 and its kin) is retried
// no sooner than the wait it names, and blocks the key it concerns meanwhile, so the run stops knocking.
//
// Throughput: a claim takes up to 1000 rows (one full WeCom touser call; 50 made WeCom batches of 50) and
// at most `concurrency` (16) calls are under way at once. A run sends only what the limits allow now
// and puts the rest back at its end, so it stays well inside the 60 s lease; as a guard, a call is only
// started in the first half of its rows' lease, else the rows are put back due at once. `drain()` goes on
// while rows are due and waits for rows held back a short while (up to `holdWaitMs`), so a broadcast to
// 300 Feishu users goes out at the platform's rate in one drain; longer waits (Feishu's minute, WeCom's
// per-member minute) end the drain, and once started the dispatcher sets a timer for when they come due.
// Waiting is a timer, never a blocked process, and a kick (new rows) or stop cuts it short.
//
// The entry of the dispatcher; its parts live in jobs/outbox/: `dispatcher.ts` (runs, drain, timers),
// `order.ts` (per-recipient order, units), `deliver.ts` (a unit through its sender), `limits.ts` (send
// limits around a call), `settle.ts` (marking rows), `policy.ts` (retry and backoff), `pool.ts`
// (concurrency); its rows are read and written in db/queries/outbox.ts.
import type { Db } from '../db/client.ts';
import { releaseOutboxClaims } from '../db/queries/outbox.ts';

export { createDispatcher } from './outbox/dispatcher.ts';
export { backoffMs } from './outbox/policy.ts';
export type { Dispatcher, DispatcherOptions, DispatchStats } from './outbox/types.ts';

/**
 * Rows claimed by a process that is gone (it crashed between claiming and marking them) come due at once
 * instead of when their lease runs out. Only for a database no other instance can be sending from: the
 * embedded PGlite of the Node entry, at start-up. On a shared server a claim may be a live instance's, so
 * there the lease decides. A row it sent before the crash goes again with the same idempotency key.
 */
export function releaseClaims(db: Db, now: Date): Promise<number> {
  return releaseOutboxClaims(db, now);
}
