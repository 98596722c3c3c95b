/**
 * A manual Clock for lifecycle tests: timers fire only when the test says so.
 */
import type { Clock } from '../../src/clock.js';

export interface PendingTimer {
  dueAt: number;
  delayMs: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private nowMs = 1_700_000_000_000;
  readonly timers: PendingTimer[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t: PendingTimer = { dueAt: this.nowMs + ms, delayMs: ms, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Live (not fired, not cancelled) timers. */
  pending(): PendingTimer[] {
    return this.timers.filter((t) => !t.cancelled);
  }

  /** Advances time by `ms`, firing every timer that falls due meanwhile, in due order. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const next = this.pending()
        .filter((t) => t.dueAt <= until)
        .sort((a, b) => a.dueAt - b.dueAt)[0];
      if (!next) break;
      next.cancelled = true;
      this.nowMs = next.dueAt;
      next.fn();
    }
    this.nowMs = until;
  }

  /** Advances time to the earliest pending timer and fires it; returns its delay. */
  fireNext(): number {
    const next = this.pending().sort((a, b) => a.dueAt - b.dueAt)[0];
    if (!next) throw new Error('FakeClock: no pending timer');
    next.cancelled = true;
    this.nowMs = next.dueAt;
    next.fn();
    return next.delayMs;
  }
}

/** Polls `cond` every 10 ms until true or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
