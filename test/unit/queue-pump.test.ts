/**
 * QueuePump (src/dispatch/queue-pump.ts), the drain loop the Dispatcher and each Teammate share:
 * one drain at a time, again at once while work is left, after `retryMs` on the clock after a crash.
 */
import { describe, expect, it } from 'vitest';
import { QueuePump } from '../../src/dispatch/queue-pump.js';
import { silentLogger } from '../../src/log.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';

function pumpOver(queue: string[], opts: { failFirst?: number } = {}) {
  const clock = new FakeClock();
  const drained: string[] = [];
  let failures = opts.failFirst ?? 0;
  let halted = false;
  let idle = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const pump = new QueuePump({
    drain: async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await Promise.resolve();
      concurrent--;
      if (failures > 0) {
        failures--;
        throw new Error('state file not writable');
      }
      // One entry per drain, so "work left" restarts it.
      const next = queue.shift();
      if (next !== undefined) drained.push(next);
    },
    hasWork: () => queue.length > 0,
    halted: () => halted,
    onIdle: () => idle++,
    retryMs: 1000,
    clock,
    logger: silentLogger(),
    what: 'test queue',
  });
  return { pump, clock, drained, halt: () => (halted = true), idle: () => idle, maxConcurrent: () => maxConcurrent };
}

describe('QueuePump', () => {
  it('drains again at once while work is left, one drain at a time, then reports idle', async () => {
    const t = pumpOver(['a', 'b', 'c']);
    t.pump.kick();
    t.pump.kick();
    await waitFor(() => t.idle() === 1, 5_000, 'idle');
    expect(t.drained).toEqual(['a', 'b', 'c']);
    expect(t.maxConcurrent()).toBe(1);
    expect(t.clock.pending()).toEqual([]);
    expect(t.pump.running).toBeNull();
  });

  it('after a crash waits retryMs on the clock before the next drain', async () => {
    const t = pumpOver(['a'], { failFirst: 2 });
    t.pump.kick();
    await waitFor(() => t.clock.pending().length === 1 && t.pump.running === null, 5_000, 'the retry timer');
    expect(t.drained).toEqual([]);
    expect(t.clock.fireNext()).toBe(1000);
    await waitFor(() => t.clock.pending().length === 1 && t.pump.running === null, 5_000, 'the second retry timer');
    expect(t.clock.fireNext()).toBe(1000);
    await waitFor(() => t.idle() === 1, 5_000, 'idle');
    expect(t.drained).toEqual(['a']);
  });

  it('does not start while halted', async () => {
    const t = pumpOver(['a']);
    t.halt();
    t.pump.kick();
    expect(t.pump.running).toBeNull();
    expect(t.drained).toEqual([]);
  });
});
