// Long loops of database work give the event loop a turn between their steps. On PGlite the database
// runs on the JavaScript thread and each statement's promise settles as a microtask, so a loop that only
// awaits statements (a start-up catch-up over a district's 25,000 open hazards) never lets the loop reach
// its I/O phase: the HTTP server could not even accept a connection until it ended. One setImmediate per
// step (per hazard, task, shift, obligation or letter round) lets webhooks and /healthz in between.

// Workers have no event-loop phases to starve (and may lack setImmediate): a zero timeout there.
const defer: (callback: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? globalThis.setImmediate
    : (callback) => setTimeout(callback, 0);

export const nextTurn = () => new Promise<void>((resolve) => defer(resolve));
