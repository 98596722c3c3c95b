/**
 * `StateStore` on an embedded lowdb JSON file. lowdb's JSONFile (steno) writes
 * each snapshot to `.<name>.tmp` and renames it over the file, so a crash
 * leaves either the old or the new document, never a torn one.
 *
 * Mutations apply to the in-memory document synchronously, then join one
 * serialized write chain; the returned promise resolves once a snapshot that
 * includes the change is on disk. Arrays and records are replaced, never
 * mutated in place, so values handed out by reads do not change under callers.
 */
import type { Low } from 'lowdb';
import type { Clock } from '../clock.js';
import type {
  DispatcherRecord, EnqueueResult, QueuedTurn, StateData, StateStore, WebMessage,
} from './types.js';

/** Raised for unusable state files and for use of a closed store. */
export class StateError extends Error {
  override readonly name = 'StateError';
}

export interface LowdbStoreOptions {
  /** Dedup keys kept per dispatcher (oldest dropped first). */
  seenLimit: number;
  clock: Clock;
}

export class LowdbStateStore implements StateStore {
  #db: Low<StateData>;
  #opts: LowdbStoreOptions;
  /** Tail of the write chain; never rejects. */
  #chain: Promise<void> = Promise.resolve();
  /** A write scheduled but not yet started; later mutations ride on it. */
  #queued: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  /** `db.data` must already be valid; see `openStateStore`. */
  constructor(db: Low<StateData>, readonly location: string, opts: LowdbStoreOptions) {
    this.#db = db;
    this.#opts = opts;
  }

  get #data(): StateData {
    if (this.#closing) throw new StateError(`state store ${this.location} is closed`);
    return this.#db.data;
  }

  /** Schedules a write of the current document; resolves when it is on disk. */
  #persist(): Promise<void> {
    if (this.#queued) return this.#queued;
    const write = this.#chain.then(() => {
      this.#queued = null; // the snapshot is taken now; later changes need another write
      return this.#db.write();
    });
    this.#queued = write;
    this.#chain = write.catch(() => undefined);
    return write;
  }

  /** Runs `fn` against the live document and persists; rejects if closed. */
  #mutate<T>(fn: (data: StateData) => T): Promise<T> {
    try {
      const result = fn(this.#data);
      return this.#persist().then(() => result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  getDispatcher(id: string): DispatcherRecord | undefined {
    return own(this.#data.dispatchers, id);
  }

  /** Also stamps `statusChangedAt` when `status` changes and the patch does not set it. */
  patchDispatcher(id: string, patch: Partial<DispatcherRecord>): Promise<DispatcherRecord> {
    return this.#mutate((data) => {
      const now = this.#opts.clock.now();
      const prev = own(data.dispatchers, id) ?? defaultDispatcher(now);
      const next: DispatcherRecord = { ...prev, ...patch };
      if (patch.status !== undefined && patch.status !== prev.status && patch.statusChangedAt === undefined) {
        next.statusChangedAt = now;
      }
      data.dispatchers = { ...data.dispatchers, [id]: next };
      return next;
    });
  }

  /** `accepted.position` is 1-based (1 = head of the queue). */
  enqueue(dispatcherId: string, entry: QueuedTurn, limit: number): Promise<EnqueueResult> {
    let result: EnqueueResult;
    try {
      const data = this.#data;
      const queue = own(data.queue, dispatcherId) ?? [];
      const seen = own(data.seen, dispatcherId) ?? [];
      if (seen.includes(entry.dedupKey) || queue.some((q) => q.dedupKey === entry.dedupKey)) {
        return Promise.resolve({ status: 'duplicate' });
      }
      if (queue.length >= limit) return Promise.resolve({ status: 'full', limit });
      const stored = { ...entry };
      data.queue = { ...data.queue, [dispatcherId]: [...queue, stored] };
      data.seen = { ...data.seen, [dispatcherId]: [...seen, entry.dedupKey].slice(-this.#opts.seenLimit) };
      result = { status: 'accepted', position: queue.length + 1, entry: stored };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist().then(() => result);
  }

  listQueue(dispatcherId: string): readonly QueuedTurn[] {
    return own(this.#data.queue, dispatcherId) ?? [];
  }

  /** No-op (no write) when the entry is absent; `id` cannot be changed. */
  updateQueued(dispatcherId: string, entryId: string, patch: Partial<QueuedTurn>): Promise<void> {
    return this.#mutateQueue(dispatcherId, entryId, (queue) =>
      queue.map((q) => (q.id === entryId ? { ...q, ...patch, id: q.id } : q)));
  }

  removeQueued(dispatcherId: string, entryId: string): Promise<void> {
    return this.#mutateQueue(dispatcherId, entryId, (queue) => queue.filter((q) => q.id !== entryId));
  }

  #mutateQueue(dispatcherId: string, entryId: string, fn: (q: QueuedTurn[]) => QueuedTurn[]): Promise<void> {
    try {
      const data = this.#data;
      const queue = own(data.queue, dispatcherId) ?? [];
      if (!queue.some((q) => q.id === entryId)) return Promise.resolve();
      data.queue = { ...data.queue, [dispatcherId]: fn(queue) };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist();
  }

  /** Keeps the newest `limit` messages of the conversation. */
  appendWebMessage(channelId: string, conversation: string, message: WebMessage, limit: number): Promise<void> {
    return this.#mutate((data) => {
      const channel = own(data.web, channelId) ?? {};
      const list = [...(own(channel, conversation) ?? []), { ...message }].slice(-Math.max(1, limit));
      data.web = { ...data.web, [channelId]: { ...channel, [conversation]: list } };
    });
  }

  listWebMessages(channelId: string, conversation: string): readonly WebMessage[] {
    const channel = own(this.#data.web, channelId);
    return (channel && own(channel, conversation)) ?? [];
  }

  listWebConversations(channelId: string): string[] {
    return Object.keys(own(this.#data.web, channelId) ?? {});
  }

  close(): Promise<void> {
    this.#closing ??= this.#chain;
    return this.#closing;
  }
}

function defaultDispatcher(now: number): DispatcherRecord {
  return {
    status: 'declared',
    statusChangedAt: now,
    threadId: null,
    lastLostThreadId: null,
    pendingLostThreadWarning: false,
    threadHasHistory: false,
    lastError: null,
    lastStartedAt: null,
    lastReadyAt: null,
    restartAttempts: 0,
    restartCount: 0,
  };
}

/** Own-property lookup: ids such as `constructor` or `__proto__` must not reach Object.prototype. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
