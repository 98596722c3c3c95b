/**
 * TurnScheduler: which queued turns of a dispatcher run now. The queue is one durable FIFO per
 * dispatcher whose entries name their session (`QueuedBase.session`, absent = the dispatcher's
 * own thread); this picks, in queue order, the head entry of every session that runs nothing,
 * until `limit` turns run (the dispatcher's `maxConcurrentTurns`).
 *
 * - Turns of one session run one at a time in arrival order; different sessions overlap.
 *   With `limit` 1 the dispatcher is one FIFO across all its sessions.
 * - Nothing starts while `runnable()` is false (runtime restarting, restart notice pending); with
 *   something queued the scheduler waits for `whenRunnable()` and looks again.
 * - An entry `held()` (a message being steered into the running turn) is not started; its session
 *   waits for it. A run that throws (e.g. the state file cannot be written) holds its session back
 *   for `retryMs`, so a failing entry is not retried in a hot loop; other sessions go on.
 * - A run that returns leaves its entry in the queue or not; either way the session's next head
 *   is looked at again at once.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { QueuedTurn } from '../state/types.js';
import { DISPATCHER_SESSION } from './sessions/key.js';

/** The session key of a queue entry. */
export function sessionKeyOf(entry: QueuedTurn): string {
  return entry.session ?? DISPATCHER_SESSION;
}

export interface TurnSchedulerOptions {
  /** The dispatcher's queue, in arrival order. */
  list(): readonly QueuedTurn[];
  /** Turns that may run at once, ≥ 1. */
  limit: number;
  /** True when turns may start now. */
  runnable(): boolean;
  /** Resolves when turns may start again; rejects when they never will (stopped). */
  whenRunnable(): Promise<void>;
  /** True while `entry` must not start (see the module header). */
  held(entry: QueuedTurn): boolean;
  /** Runs entry (session `key`'s head) to its end; may throw. */
  run(key: string, entry: QueuedTurn): Promise<void>;
  /** True once the owner stops taking work. */
  halted(): boolean;
  /** Called whenever nothing runs and nothing is queued. */
  onIdle(): void;
  /** Hold-back of a session after a crashed run, ms. */
  retryMs: number;
  clock: Clock;
  logger: Logger;
}

export class TurnScheduler {
  /** Running entries by session key. */
  private readonly runs = new Map<string, { done: Promise<void> }>();
  private readonly backedOff = new Set<string>();
  private waiting = false;

  constructor(private readonly opts: TurnSchedulerOptions) {}

  /** Resolves when every run in progress has ended (a stopping owner awaits it). */
  async settled(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  /** True when nothing runs and nothing is queued. */
  get idle(): boolean {
    return this.runs.size === 0 && this.opts.list().length === 0;
  }

  /** Starts what may start now (see the module header). Cheap; call it after any change. */
  schedule(): void {
    const o = this.opts;
    if (o.halted()) {
      if (this.runs.size === 0) o.onIdle();
      return;
    }
    // Waiting for the runtime only when something is queued: an idle runtime (lazy start, idle
    // stop) starts on that wait, so an empty queue must not wake it. A later accept schedules again.
    if (!o.runnable()) return o.list().length > 0 ? this.waitRunnable() : undefined;
    const looked = new Set<string>();
    for (const entry of o.list()) {
      if (this.runs.size >= o.limit) break;
      const key = sessionKeyOf(entry);
      if (looked.has(key)) continue;
      looked.add(key);
      if (this.runs.has(key) || this.backedOff.has(key) || o.held(entry)) continue;
      this.start(key, entry);
    }
    if (this.idle) o.onIdle();
  }

  private start(key: string, entry: QueuedTurn): void {
    const o = this.opts;
    let crashed = false;
    // Recorded before the run starts, so a schedule() from inside it never starts the session twice.
    const slot = { done: Promise.resolve() };
    this.runs.set(key, slot);
    slot.done = Promise.resolve()
      .then(() => o.run(key, entry))
      .catch((err: unknown) => {
        crashed = true;
        o.logger.error({ err, session: key, entry: entry.id }, `dispatcher turn crashed; its session retries in ${o.retryMs} ms`);
      })
      .finally(() => {
        this.runs.delete(key);
        if (crashed) {
          this.backedOff.add(key);
          o.clock.setTimeout(() => {
            this.backedOff.delete(key);
            this.schedule();
          }, o.retryMs);
        }
        this.schedule();
      });
  }

  private waitRunnable(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.opts.whenRunnable().then(
      () => {
        this.waiting = false;
        this.schedule();
      },
      () => {
        this.waiting = false;
      },
    );
  }
}
