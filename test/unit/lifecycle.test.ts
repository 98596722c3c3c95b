/**
 * StartStopGate (src/channels/lifecycle.ts), the start/stop sequencing of every channel adapter:
 * one start at a time — also two starts called in the same tick —, stop idempotent and waiting for
 * a start in progress, start again after a stop.
 */
import { describe, expect, it } from 'vitest';
import { StartStopGate } from '../../src/channels/lifecycle.js';

/** A gate guarding a flag, counting how often start and stop really ran. */
function guarded() {
  const gate = new StartStopGate('test channel "t"');
  const state = { running: false, starts: 0, stops: 0 };
  const waiting: Array<() => void> = [];
  const start = (): Promise<void> =>
    gate.start(state.running, async () => {
      state.starts++;
      await new Promise<void>((r) => waiting.push(r));
      state.running = true;
    });
  const stop = (): Promise<void> =>
    gate.stop(async () => {
      state.stops++;
      state.running = false;
    });
  return {
    state,
    start,
    stop,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
  };
}

describe('StartStopGate', () => {
  it('a second start in the same tick throws and does not run', async () => {
    const g = guarded();
    const both = Promise.allSettled([g.start(), g.start()]);
    await new Promise((r) => setImmediate(r));
    g.release();
    const [first, second] = await both;
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' ? String(second.reason) : 'fulfilled').toContain('test channel "t" is already started');
    expect(g.state).toMatchObject({ running: true, starts: 1 });
    await expect(g.start()).rejects.toThrow(/already started/);
  });

  it('a stop during a start waits for it, then stops; stop again is a no-op; a new start runs', async () => {
    const g = guarded();
    const first = g.start();
    const stopped = g.stop();
    await Promise.resolve();
    expect(g.state.stops).toBe(0);
    g.release();
    await first;
    await stopped;
    expect(g.state).toMatchObject({ running: false, starts: 1, stops: 1 });
    await g.stop();
    expect(g.state.stops).toBe(1);
    const again = g.start();
    await new Promise((r) => setImmediate(r));
    g.release();
    await again;
    expect(g.state).toMatchObject({ running: true, starts: 2 });
  });

  it('a failed start can be retried', async () => {
    const gate = new StartStopGate('x');
    await expect(gate.start(false, () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(gate.start(false, () => Promise.resolve())).resolves.toBeUndefined();
  });
});
