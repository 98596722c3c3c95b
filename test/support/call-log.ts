/**
 * A record of calls a fake platform answered, with a wait for a matching call.
 * The fakes (Slack, Feishu) add their own matching (by method, by route).
 */
export class RecordLog<T> {
  readonly calls: T[] = [];
  private readonly waiters = new Set<(call: T) => void>();

  record(call: T): void {
    this.calls.push(call);
    for (const w of [...this.waiters]) w(call);
  }

  /**
   * Resolves with the first call (already recorded or future) that `matches`; rejects after
   * `timeoutMs` with `miss()` (which should summarise what was called instead).
   */
  waitFor(matches: (call: T) => boolean, timeoutMs: number, miss: () => string): Promise<T> {
    const existing = this.calls.find(matches);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter = (c: T): void => {
        if (!matches(c)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(c);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(miss()));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.calls.length = 0;
  }
}
