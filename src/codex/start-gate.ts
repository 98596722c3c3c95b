/**
 * Bounded app-server start-up: at most `concurrency` codex app-servers are being spawned and
 * handshaken at once across the service (dispatchers, teammates, restarts), so N runtimes are ready
 * in about ⌈N / concurrency⌉ start times instead of all of them thrashing a small machine at once.
 * A queued start waits for a slot before its start timeout begins. Uses p-limit (a well-kept
 * concurrency limiter) rather than a hand-rolled semaphore.
 */
import pLimit from 'p-limit';

/** Runs `start` when a start slot is free; resolves or rejects with its result. */
export type StartGate = <T>(start: () => Promise<T>) => Promise<T>;

/** A gate of `concurrency` slots (≥ 1), shared by every runtime of a service. */
export function startGate(concurrency: number): StartGate {
  const limit = pLimit(concurrency);
  return (start) => limit(start);
}
