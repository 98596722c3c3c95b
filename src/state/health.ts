/**
 * Storage health: whether the state files can be written now. Every write of the store goes
 * through one `CoalescingWriter` per file (./write-queue.ts), which reports each outcome here, so
 * this is the one place that knows the state is not writable, since when, and why.
 *
 * A failed write never loses the in-memory state: the store keeps the changes and its writers
 * rewrite the file with backoff until a write succeeds (except the acceptance of a new turn,
 * which is undone: see `StateStore.enqueue`). The service refuses new messages, runs no new
 * turns and reports `degraded: state not writable` meanwhile.
 */

/** A failed write of a state file. `code` is the I/O error's (`ENOSPC`, `EROFS`, `EACCES`, `EISDIR`, …). */
export class StateWriteError extends Error {
  override readonly name = 'StateWriteError';
  readonly code: string | undefined;
  /** The I/O error's message, e.g. `ENOSPC: no space left on device, write`. */
  readonly detail: string;

  constructor(
    /** The file whose write failed (absolute path, or a `memory:` name). */
    readonly file: string,
    override readonly cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`state not writable (${detail})`);
    this.detail = detail;
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** What `StorageHealth.view()` reports. */
export interface StorageHealthView {
  /** False while the latest write of some state file failed. */
  writable: boolean;
  /** The latest write's I/O error (`StateWriteError.detail`, e.g. `ENOSPC: …`) while not writable; null when writable. */
  error: string | null;
  /** When the state became unwritable, ms since the epoch; null when writable. */
  since: number | null;
}

/** Read side of the health, as the store exposes it (`StateStore.health`). */
export interface StorageHealthSource {
  view(): StorageHealthView;
  /** Resolves at once when writable, else when the next write succeeds. */
  whenWritable(): Promise<void>;
  /** Called on each change between writable and not writable; returns an unsubscribe function. */
  onChange(listener: (view: StorageHealthView) => void): () => void;
}

/** Health of all files of one store: unwritable while the latest write of any file failed. */
export class StorageHealth implements StorageHealthSource {
  /** file → its latest write error (files whose latest write succeeded are absent). */
  #failing = new Map<string, StateWriteError>();
  #since: number | null = null;
  #listeners = new Set<(view: StorageHealthView) => void>();
  #waiters: Array<() => void> = [];

  constructor(private readonly now: () => number) {}

  /** Records the outcome of a write of `file`: null = it succeeded. */
  report(file: string, error: StateWriteError | null): void {
    const wasWritable = this.#failing.size === 0;
    if (error) this.#failing.set(file, error);
    else this.#failing.delete(file);
    const writable = this.#failing.size === 0;
    if (writable === wasWritable) return;
    this.#since = writable ? null : this.now();
    const view = this.view();
    for (const l of this.#listeners) l(view);
    if (writable) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }

  view(): StorageHealthView {
    const latest = [...this.#failing.values()].at(-1);
    return { writable: latest === undefined, error: latest?.detail ?? null, since: this.#since };
  }

  whenWritable(): Promise<void> {
    if (this.#failing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  onChange(listener: (view: StorageHealthView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * For bookkeeping writes whose caller can do nothing about a failed write (a runtime's status, a
 * session's thread id): a `StateWriteError` resolves with `current()` (the in-memory value, which
 * the store keeps and rewrites once writable; the health reports the failure), any other error
 * rejects as it is.
 */
export function keptInMemory<T>(write: Promise<T>, current: () => T): Promise<T> {
  return write.catch((err: unknown) => {
    if (err instanceof StateWriteError) return current();
    throw err;
  });
}

/** True for a failed state write and for other file-system errors (`code` `E…`, e.g. a spill file on a full disk). */
export function isStorageError(err: unknown): boolean {
  if (err instanceof StateWriteError) return true;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
