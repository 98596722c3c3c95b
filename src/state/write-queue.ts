/**
 * Write coalescing for the state files: mutations of one tick share one file
 * replace, writes of a file are serialized, and all files share one lane. A
 * failed write is reported to the store's `StorageHealth` and retried with
 * backoff until one succeeds.
 */
import { backoffDelay, type BackoffPolicy } from '../codex/backoff.js';
import type { Clock } from '../clock.js';
import { StateWriteError, type StorageHealth } from './health.js';

/** Retry delays after a failed write: 200 ms doubling to 5 s (writes are cheap; recovery should be quick). */
export const DEFAULT_WRITE_RETRY: BackoffPolicy = { baseMs: 200, maxMs: 5000 };

/** Where a writer reports and how it retries. */
export interface WriterHealth {
  /** The file's name in reports (its path). */
  file: string;
  health: StorageHealth;
  clock: Clock;
  retry: BackoffPolicy;
}

/** Mutations sharing one write. */
interface Batch {
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Coalesces and serializes the writes of one file. `write` must take its
 * snapshot synchronously (lowdb's does: it serializes before its first await).
 *
 * - A batch is written one `setImmediate` (at the earliest) after its first
 *   `persist()`, so every mutation of the same tick (including follow-ups in
 *   microtasks, e.g. a message and the queue entry it causes) shares one file
 *   replace.
 * - While a write is in flight, new mutations collect in the next batch, which
 *   waits for the lane again: two renames never race and snapshots reach the
 *   disk in order.
 * - A failed write rejects its batch with a `StateWriteError` and is reported to
 *   the health; the in-memory document still holds the changes, so the writer
 *   writes it again after `backoffDelay(failures, retry)` (sooner when a new
 *   mutation comes), until a write succeeds.
 */
export class CoalescingWriter {
  /** Mutations not yet in a snapshot. */
  #next: Batch | null = null;
  /** The write in flight (never rejects), if any. */
  #writing: Promise<void> | null = null;
  /** Consecutive failed writes (0: the latest write succeeded). */
  #failures = 0;
  #retryTimer: { cancel(): void } | null = null;
  #closed = false;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly lane: WriteLane,
    readonly preferred: boolean,
    private readonly health: WriterHealth,
  ) {}

  /** True while the latest write of this file failed (its in-memory changes are not on disk). */
  get failing(): boolean {
    return this.#failures > 0;
  }

  /** A batch waits and this file is not being written. */
  get ready(): boolean {
    return this.#next !== null && this.#writing === null;
  }

  /**
   * Adds the current in-memory changes to the next batch; resolves when a
   * snapshot including them is on disk, rejects when that write fails.
   */
  persist(): Promise<void> {
    if (this.#next) return this.#next.done;
    const batch = newBatch();
    this.#next = batch;
    this.lane.request(this);
    return batch.done;
  }

  /**
   * Stops retrying: after one last write when the latest failed (so changes made while the disk
   * was unwritable reach it if it is back), resolves once nothing is pending (failures included).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#retryTimer?.cancel();
    this.#retryTimer = null;
    if (this.#failures > 0 && !this.#next) void this.persist().catch(() => undefined);
    await this.drain();
  }

  /** Resolves once no batch is pending or being written (failures included). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#next) await this.#next.done.catch(() => undefined);
      else if (this.#writing) await this.#writing;
      else return;
    }
  }

  /** Writes the waiting batch (only the lane calls this, when `ready`); never rejects. */
  flush(): Promise<void> {
    const batch = this.#next!;
    this.#next = null;
    let writing: Promise<void>;
    try {
      writing = this.write();
    } catch (err) {
      writing = Promise.reject(err);
    }
    const settle = (failed: boolean, err?: unknown): void => {
      this.#writing = null;
      const { health, file } = this.health;
      if (failed) {
        this.#failures++;
        const error = new StateWriteError(file, err);
        health.report(file, error);
        this.#scheduleRetry();
        if (this.#next) this.lane.request(this);
        batch.reject(error);
        return;
      }
      this.#failures = 0;
      this.#retryTimer?.cancel();
      this.#retryTimer = null;
      health.report(file, null);
      if (this.#next) this.lane.request(this);
      batch.resolve();
    };
    this.#writing = writing.then(
      () => settle(false),
      (err: unknown) => settle(true, err),
    );
    return this.#writing;
  }

  /** After a failure: rewrite the in-memory document later, unless a batch is due anyway. */
  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer) return;
    const delay = backoffDelay(this.#failures, this.health.retry);
    this.#retryTimer = this.health.clock.setTimeout(() => {
      this.#retryTimer = null;
      if (this.#closed || this.#failures === 0) return;
      // Rejections are the health's business (reported in flush); nobody awaits a retry.
      this.persist().catch(() => undefined);
    }, delay);
  }
}

/**
 * Runs the writes of all files one at a time. A due write starts one
 * `setImmediate` after it was requested (or after the previous write ended),
 * so batches fill up first. The preferred file (`state.json`, whose queue
 * writes gate turns) is picked first, but a file passed over once goes next.
 */
export class WriteLane {
  #busy = false;
  #scheduled = false;
  /** Writers waiting for the lane → whether they were already passed over once. */
  #waiting = new Map<CoalescingWriter, boolean>();

  request(w: CoalescingWriter): void {
    if (!this.#waiting.has(w)) this.#waiting.set(w, false);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#busy) return;
    const ready = [...this.#waiting.keys()].filter((w) => w.ready);
    if (ready.length === 0) return;
    // The preferred file goes first, unless another one was already passed over.
    const starving = ready.find((w) => this.#waiting.get(w) === true);
    const pick = starving ?? ready.find((w) => w.preferred) ?? ready[0]!;
    this.#waiting.delete(pick);
    for (const w of ready) if (w !== pick) this.#waiting.set(w, true);
    this.#busy = true;
    void pick.flush().then(() => {
      this.#busy = false;
      if (this.#waiting.size > 0) this.#schedule();
    });
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { done, resolve, reject };
}
