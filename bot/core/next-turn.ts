// Long loops of database work give the event loop a turn between their steps. When PGlite ran on the
// JavaScript thread, each statement's promise settled as a microtask, so a loop that only awaited
// statements (a start-up catch-up over a district's 25,000 open hazards) never let the loop reach its I/O
// phase: the HTTP server could not even accept a connection until it ended. PGlite now has a thread of its
// own (db/pglite-thread.ts) and its answers arrive as events, but the turn stays a guarantee that does not
// depend on the client: one setImmediate per step (per hazard, task, shift, obligation or letter round)
// lets webhooks and /healthz in between.

// Workers have no event-loop phases to starve (and may lack setImmediate): a zero timeout there.
const defer: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? globalThis.setImmediate
    : (callback) => setTimeout(callback, 0);

export const nextTurn = () => new Promise<void>((resolve) => defer(resolve));
