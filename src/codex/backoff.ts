/**
 * Restart backoff: `min(maxMs, baseMs · 2^(attempt-1))` for attempt = 1, 2, …
 * (defaults 1 s doubling to 30 s).
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before restart `attempt` (1-based), ms.
 * @throws RangeError when attempt < 1.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  // Cap the exponent so 2^n never overflows into Infinity for long outages.
  const exp = Math.min(attempt - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}
