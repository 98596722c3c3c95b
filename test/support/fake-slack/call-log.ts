/** The record of Web API calls the fake answered, with waiting helpers for tests. */
import type { RecordedCall } from './types.js';

export type CallPredicate = (call: RecordedCall) => boolean;

export class CallLog {
  readonly calls: RecordedCall[] = [];
  private readonly waiters = new Set<(call: RecordedCall) => void>();

  record(call: RecordedCall): void {
    this.calls.push(call);
    for (const w of [...this.waiters]) w(call);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the first call (already recorded or future) to `method` that satisfies
   * `predicate`; rejects after `timeoutMs` with a summary of what was called instead.
   */
  waitForCall(method: string, predicate: CallPredicate = () => true, timeoutMs = 2000): Promise<RecordedCall> {
    const matches = (c: RecordedCall): boolean => c.method === method && predicate(c);
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
        const seen = this.calls.map((c) => `${c.method}${c.response.ok === false ? `(${String(c.response.error)})` : ''}`);
        reject(new Error(`fake Slack: no matching ${method} call within ${timeoutMs} ms; calls so far: [${seen.join(', ')}]`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.calls.length = 0;
  }
}
