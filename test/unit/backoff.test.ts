import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/codex/backoff.js';

describe('backoffDelay', () => {
  const policy = { baseMs: 1000, maxMs: 30_000 };

  it('doubles from the base and caps at the max', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('stays finite for very long outages', () => {
    expect(backoffDelay(10_000, policy)).toBe(30_000);
    expect(backoffDelay(2000, { baseMs: 1, maxMs: Number.MAX_SAFE_INTEGER })).toBe(2 ** 30);
  });

  it('rejects attempts below 1 or fractional', () => {
    expect(() => backoffDelay(0, policy)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, policy)).toThrow(/integer >= 1/);
  });
});
