/** Failure injection: queued answers that pre-empt the next call(s) to a Web API method. */
import type { InjectedFailure } from './types.js';

export interface PlannedFailure {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export class FailurePlan {
  private readonly queues = new Map<string, InjectedFailure[]>();

  /** Queues `times` (default 1) failures for `method`, behind any already queued for it. */
  add(method: string, failure: InjectedFailure = {}): void {
    const times = Math.max(1, failure.times ?? 1);
    const queue = this.queues.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.queues.set(method, queue);
  }

  /** Takes the next planned failure for `method`, if any. */
  take(method: string): PlannedFailure | undefined {
    const queue = this.queues.get(method);
    const next = queue?.shift();
    if (!next) return undefined;
    const status = next.status ?? 200;
    const headers: Record<string, string> = {};
    const retryAfter = next.retryAfterSec ?? (status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    const error = next.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
    return { status, headers, body: { ok: false, error } };
  }

  /** Number of failures still queued for `method` (or in total). */
  pending(method?: string): number {
    if (method !== undefined) return this.queues.get(method)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  clear(): void {
    this.queues.clear();
  }
}
