/** Failure injection: queued answers that pre-empt the next call(s) to a route. */
import type { InjectedFailure, RouteName } from './types.js';

export interface PlannedFailure {
  status: number;
  headers: Record<string, string>;
  body: { code: number; msg: string; data: Record<string, never> };
  delayMs: number;
}

export class FailurePlan {
  private readonly queues = new Map<RouteName, InjectedFailure[]>();

  /** Queues `times` (default 1) failures for `route`, behind any already queued for it. */
  add(route: RouteName, failure: InjectedFailure = {}): void {
    const times = Math.max(1, failure.times ?? 1);
    const queue = this.queues.get(route) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.queues.set(route, queue);
  }

  /** Takes the next planned failure for `route`, if any. */
  take(route: RouteName): PlannedFailure | undefined {
    const next = this.queues.get(route)?.shift();
    if (!next) return undefined;
    const status = next.httpStatus ?? (next.code === undefined ? 500 : 400);
    const code = next.code ?? (status === 429 ? 99991400 : 1);
    const msg = next.msg ?? (code === 99991400 ? 'request trigger frequency limit' : 'injected failure');
    const headers: Record<string, string> = { ...next.headers };
    if (status === 429) {
      headers['x-ogw-ratelimit-limit'] ??= '50';
      headers['x-ogw-ratelimit-reset'] ??= '1';
    }
    return { status, headers, body: { code, msg, data: {} }, delayMs: next.delayMs ?? 0 };
  }

  pending(route?: RouteName): number {
    if (route !== undefined) return this.queues.get(route)?.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  clear(): void {
    this.queues.clear();
  }
}
