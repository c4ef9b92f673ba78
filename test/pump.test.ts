// createPump (bot/core/pump.ts): the one wake-and-drain loop of the inbox and the outbox dispatcher.
// No database: the drain is a counter.
import { describe, expect, it } from 'vitest';
import { createPump } from '../bot/core/pump.ts';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A drain that waits for `release` before it ends, counting its runs. */
function gatedDrain() {
  const state = { runs: 0, release: () => {}, fail: false };
  const drain = () => {
    state.runs += 1;
    return new Promise<void>((resolve, reject) => {
      state.release = () => (state.fail ? reject(new Error('database away')) : resolve());
    });
  };
  return { state, drain };
}

describe('createPump', () => {
  it('coalesces the kicks of a run into one more run, and rests after it', async () => {
    const { state, drain } = gatedDrain();
    let rests = 0;
    const pump = createPump(drain, { onRest: () => (rests += 1) });
    pump.kick();
    pump.kick();
    pump.kick();
    expect(state.runs).toBe(1);
    state.release();
    await tick();
    expect(state.runs).toBe(2);
    expect(rests).toBe(0);
    state.release();
    await pump.idle();
    expect(state.runs).toBe(2);
    expect(rests).toBe(1);
  });

  it('reports a failed run and, with retryMs, runs again that much later (a kick meanwhile forgotten)', async () => {
    const { state, drain } = gatedDrain();
    const errors: string[] = [];
    const pump = createPump(drain, { onError: (error) => errors.push(String(error)), retryMs: 20 });
    state.fail = true;
    pump.kick();
    pump.kick();
    state.release();
    await pump.idle();
    expect(errors).toEqual(['Error: database away']);
    expect(state.runs).toBe(1);
    state.fail = false;
    await tick(60);
    expect(state.runs).toBe(2);
    state.release();
    await pump.idle();
  });

  it('polls once started, and stop ends the polling and waits for the run under way', async () => {
    const { state, drain } = gatedDrain();
    let stops = 0;
    const pump = createPump(drain, { onStop: () => (stops += 1) });
    expect(pump.started).toBe(false);
    pump.start(10);
    expect(pump.started).toBe(true);
    expect(state.runs).toBe(1);
    let stopped = false;
    const stopping = pump.stop().then(() => (stopped = true));
    expect(pump.stopping).toBe(true);
    expect(pump.started).toBe(false);
    expect(stops).toBe(1);
    await tick(30);
    expect(stopped).toBe(false);
    state.release();
    await stopping;
    await tick(30);
    expect(state.runs).toBe(1);
  });
});
