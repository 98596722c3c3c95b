/** The record of HTTP calls the fake answered, with waiting helpers for tests. */
import { callMatcher, type CallPattern } from './routes.js';
import type { RecordedCall } from './types.js';

export type CallPredicate = (call: RecordedCall) => boolean;

export class CallLog {
  readonly calls: RecordedCall[] = [];
  private readonly waiters = new Set<(call: RecordedCall) => void>();

  record(call: RecordedCall): void {
    this.calls.push(call);
    for (const w of [...this.waiters]) w(call);
  }

  callsTo(pattern: CallPattern): RecordedCall[] {
    const m = callMatcher(pattern);
    return this.calls.filter(m);
  }

  /**
   * Resolves with the first call (already recorded or future) matching `pattern` and `predicate`;
   * rejects after `timeoutMs` with a summary of what was called instead.
   */
  waitForCall(pattern: CallPattern, predicate: CallPredicate = () => true, timeoutMs = 3000): Promise<RecordedCall> {
    const base = callMatcher(pattern);
    const matches = (c: RecordedCall): boolean => base(c) && predicate(c);
    const existing = this.calls.find(matches);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter = (c: RecordedCall): void => {
        if (!matches(c)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(c);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = this.calls.map((c) => `${c.route}${c.status === 200 ? '' : `(${c.status})`}`);
        reject(new Error(`fake Feishu: no matching ${String(pattern)} call within ${timeoutMs} ms; calls so far: [${seen.join(', ')}]`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.calls.length = 0;
  }
}
