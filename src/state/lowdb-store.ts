/**
 * `StateStore` on files in the state directory:
 *
 * - `state.json` (lowdb): dispatchers, queues and seen keys, session records, completions,
 *   teammates and approvals (its `web` object stays empty; older files that
 *   still carry history are migrated on open). Each snapshot is written 0600 to
 *   `.state.json.tmp` and renamed over the file (./private-files.ts `PrivateJsonFile`), so a
 *   crash leaves either the old or the new document, never a torn one;
 * - `web-<channel>.jsonl`: the local web chat history of one web channel, an append-only
 *   journal (./web-journal.ts), so neither queue writes (on a turn's critical path) nor history
 *   writes rewrite up to `historyLimit` messages per conversation.
 *
 * Mutations apply to the in-memory document synchronously and join the next
 * *batch* of their file; the returned promise settles once a snapshot that
 * includes the change is on disk (or rejects with a `StateWriteError`, together
 * with every other mutation of that batch, when that write fails). A failed
 * write keeps its changes in memory, is reported to `health` and is retried
 * with backoff until it succeeds (./write-queue.ts), except a new queue entry
 * (`enqueue`, `acceptCompletion`): it is undone, so a turn whose sender was
 * told "not stored" never runs. A new entry stays out of `listQueue` until it
 * is on disk, so no turn starts on an entry that may still be undone. Writes of one file are
 * coalesced and serialized (`CoalescingWriter`); all files share one
 * `WriteLane`, so one write runs at a time and `state.json` goes first when
 * several are due (parallel renames measured slower than one after another).
 *
 * Arrays and records are replaced, never mutated in place, so values handed out
 * by reads do not change under callers.
 */
import type { Low } from 'lowdb';
import type { BackoffPolicy } from '../codex/backoff.js';
import type { Clock } from '../clock.js';
import { StorageHealth, type StorageHealthSource } from './health.js';
import { StateError } from './state-error.js';
import type { WebJournal } from './web-journal.js';
import { CoalescingWriter, DEFAULT_WRITE_RETRY, WriteLane, type WriterHealth } from './write-queue.js';
import type {
  ApprovalRecord,
  CompletionRecord,
  RuntimeRecord,
  EnqueueResult,
  FailedReply,
  QueuedPatch,
  QueuedTurn,
  QuarantinedEntry,
  StateData,
  StateStore,
  TeammateRecord,
  WebMessage,
  QueueLimits,
  SessionRecord,
} from './types.js';
import { freshRuntimeRecord } from './types.js';

export { StateError };

export interface LowdbStoreOptions {
  /** Dedup keys kept per dispatcher (oldest dropped first). */
  seenLimit: number;
  clock: Clock;
  /** Web history journals found on open (or migrated), by channel id. */
  webJournals: Map<string, WebJournal>;
  /** Creates the (not yet existing) history journal of a channel; written on its first append. */
  createWebJournal(channelId: string): WebJournal;
  /** Delays between rewrites of a file whose write failed; default `DEFAULT_WRITE_RETRY` (200 ms doubling to 5 s). */
  writeRetry?: BackoffPolicy;
}

interface WebFile {
  journal: WebJournal;
  writer: CoalescingWriter;
}

export class LowdbStateStore implements StateStore {
  #db: Low<StateData>;
  #opts: LowdbStoreOptions;
  #writer: CoalescingWriter;
  #web = new Map<string, WebFile>();
  /** One write at a time across all files; state.json first. */
  #lane = new WriteLane();
  #closing: Promise<void> | null = null;
  #health: StorageHealth;
  /** Queue entries (`<dispatcher>\u0000<entry id>`) not yet on disk: hidden from listQueue, undone if their write fails. */
  #tentative = new Set<string>();

  /** `db.data` must already be valid; see `openStateStore`. */
  constructor(
    db: Low<StateData>,
    readonly location: string,
    opts: LowdbStoreOptions,
  ) {
    this.#db = db;
    this.#opts = opts;
    this.#health = new StorageHealth(() => opts.clock.now());
    this.#writer = new CoalescingWriter(() => db.write(), this.#lane, true, this.#writerHealth(location));
    for (const [channelId, journal] of opts.webJournals) this.#addWebFile(channelId, journal);
  }

  /** Whether the state files can be written now (see ./health.ts). */
  get health(): StorageHealthSource {
    return this.#health;
  }

  #writerHealth(file: string): WriterHealth {
    return { file, health: this.#health, clock: this.#opts.clock, retry: this.#opts.writeRetry ?? DEFAULT_WRITE_RETRY };
  }

  #addWebFile(channelId: string, journal: WebJournal): WebFile {
    const health = this.#writerHealth(`web history of ${JSON.stringify(channelId)}`);
    const file = { journal, writer: new CoalescingWriter(() => journal.write(), this.#lane, false, health) };
    this.#web.set(channelId, file);
    return file;
  }

  get #data(): StateData {
    this.#checkOpen();
    return this.#db.data;
  }

  #checkOpen(): void {
    if (this.#closing) throw new StateError(`state store ${this.location} is closed`);
  }

  #persist(): Promise<void> {
    return this.#writer.persist();
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

  getDispatcher(id: string): RuntimeRecord | undefined {
    return own(this.#data.dispatchers, id);
  }

  /** Also stamps `statusChangedAt` when `status` changes and the patch does not set it. */
  patchDispatcher(id: string, patch: Partial<RuntimeRecord>): Promise<RuntimeRecord> {
    return this.#mutate((data) => {
      const now = this.#opts.clock.now();
      const prev = own(data.dispatchers, id) ?? freshRuntimeRecord(now);
      const next: RuntimeRecord = { ...prev, ...patch };
      if (patch.status !== undefined && patch.status !== prev.status && patch.statusChangedAt === undefined) {
        next.statusChangedAt = now;
      }
      data.dispatchers = { ...data.dispatchers, [id]: next };
      return next;
    });
  }

  /**
   * Dedup is per dispatcher, across all its sessions. The dispatcher's limit is checked before the
   * session's, which applies only to an entry with a `session`. `accepted.position` is 1-based
   * among the entries of the entry's session (entries without `session` are one session).
   */
  enqueue(dispatcherId: string, entry: QueuedTurn, limits: number | QueueLimits): Promise<EnqueueResult> {
    try {
      return this.#tentatively(dispatcherId, this.#addQueued(dispatcherId, entry, limits), () => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Records `record` (as putCompletion) and queues its trigger `entry` (as enqueue, no limit) in
   * one write; both are undone when that write fails. A `duplicate` entry leaves the record unchanged.
   */
  acceptCompletion(dispatcherId: string, record: CompletionRecord, entry: QueuedTurn, limit: number): Promise<EnqueueResult> {
    try {
      const before = own(this.#data.completions ?? {}, dispatcherId)?.find((c) => c.id === record.id);
      const result = this.#addQueued(dispatcherId, entry, Number.MAX_SAFE_INTEGER);
      if (result.status !== 'accepted') return Promise.resolve(result);
      const stored = this.#putCompletionInMemory(dispatcherId, record, limit);
      return this.#tentatively(dispatcherId, result, () => {
        // Undo the record unless something replaced it meanwhile (then that change stands).
        const all = this.#db.data.completions ?? {};
        const list = own(all, dispatcherId) ?? [];
        if (!list.includes(stored)) return;
        const next = before ? list.map((c) => (c === stored ? before : c)) : list.filter((c) => c !== stored);
        this.#db.data.completions = { ...all, [dispatcherId]: next };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Adds `entry` to the in-memory queue (dedup and limits as `enqueue` documents); no write. */
  #addQueued(dispatcherId: string, entry: QueuedTurn, limits: number | QueueLimits): EnqueueResult {
    const { dispatcher: limit, session: sessionLimit } = typeof limits === 'number' ? { dispatcher: limits, session: Number.POSITIVE_INFINITY } : limits;
    const data = this.#data;
    const queue = own(data.queue, dispatcherId) ?? [];
    const seen = own(data.seen, dispatcherId) ?? [];
    if (seen.includes(entry.dedupKey) || queue.some((q) => q.dedupKey === entry.dedupKey)) return { status: 'duplicate' };
    if (queue.length >= limit) return { status: 'full', limit, scope: 'dispatcher' };
    const ahead = queue.filter((q) => q.session === entry.session).length;
    if (entry.session !== undefined && ahead >= sessionLimit) return { status: 'full', limit: sessionLimit, scope: 'session' };
    const stored = { ...entry };
    data.queue = { ...data.queue, [dispatcherId]: [...queue, stored] };
    data.seen = { ...data.seen, [dispatcherId]: [...seen, entry.dedupKey].slice(-this.#opts.seenLimit) };
    return { status: 'accepted', position: ahead + 1, entry: stored };
  }

  /**
   * Persists a just-added entry (`result`): hidden from listQueue until on disk; when the write
   * fails, the entry and its dedup key are removed again and `undo` runs, then the error rejects.
   */
  #tentatively(dispatcherId: string, result: EnqueueResult, undo: () => void): Promise<EnqueueResult> {
    if (result.status !== 'accepted') return Promise.resolve(result);
    const { entry } = result;
    const key = `${dispatcherId}\u0000${entry.id}`;
    this.#tentative.add(key);
    return this.#persist().then(
      () => {
        this.#tentative.delete(key);
        return result;
      },
      (err: unknown) => {
        this.#tentative.delete(key);
        const data = this.#db.data;
        const queue = own(data.queue, dispatcherId) ?? [];
        data.queue = { ...data.queue, [dispatcherId]: queue.filter((q) => q !== entry) };
        const seen = own(data.seen, dispatcherId) ?? [];
        const at = seen.lastIndexOf(entry.dedupKey);
        if (at !== -1) data.seen = { ...data.seen, [dispatcherId]: seen.toSpliced(at, 1) };
        undo();
        throw err;
      },
    );
  }

  getSession(dispatcherId: string, key: string): SessionRecord | undefined {
    return this.listSessions(dispatcherId).find((r) => r.key === key);
  }

  /** The stored array, kept sorted by `createdAt` (stable) by every mutation. */
  listSessions(dispatcherId: string): readonly SessionRecord[] {
    const all = this.#data.sessions;
    return (all && own(all, dispatcherId)) ?? [];
  }

  /**
   * Beyond `keep` (at least 1) records, drops the least recently active ones (`lastActiveAt`, then
   * `createdAt`) that have no queued entry, never `record` itself; sessions with queued entries
   * stay even when that leaves more than `keep`.
   */
  putSession(dispatcherId: string, record: SessionRecord, keep: number): Promise<void> {
    return this.#mutate((data) => {
      const all = data.sessions ?? {};
      const list = [...(own(all, dispatcherId) ?? []).filter((r) => r.key !== record.key), copySession(record)];
      list.sort(byCreatedAt);
      let excess = list.length - Math.max(1, keep);
      const dropped = new Set<string>();
      if (excess > 0) {
        const queued = new Set((own(data.queue, dispatcherId) ?? []).map((q) => q.session));
        const idle = list
          .filter((r) => r.key !== record.key && !queued.has(r.key))
          .sort((a, b) => a.lastActiveAt - b.lastActiveAt || a.createdAt - b.createdAt);
        for (const r of idle) {
          if (excess-- <= 0) break;
          dropped.add(r.key);
        }
      }
      data.sessions = { ...all, [dispatcherId]: dropped.size > 0 ? list.filter((r) => !dropped.has(r.key)) : list };
    });
  }

  patchSession(dispatcherId: string, key: string, patch: Partial<Omit<SessionRecord, 'key'>>): Promise<SessionRecord> {
    return this.#mutate((data) => {
      const all = data.sessions ?? {};
      const list = own(all, dispatcherId) ?? [];
      const at = list.findIndex((r) => r.key === key);
      if (at === -1) throw new StateError(`no session record "${key}" of dispatcher "${dispatcherId}"`);
      const next = copySession({ ...list[at]!, ...patch, key });
      data.sessions = { ...all, [dispatcherId]: list.with(at, next).sort(byCreatedAt) };
      return next;
    });
  }

  /** Entries not yet on disk (a pending `enqueue`) are left out. */
  listQueue(dispatcherId: string): readonly QueuedTurn[] {
    const queue = own(this.#data.queue, dispatcherId) ?? [];
    if (this.#tentative.size === 0) return queue;
    return queue.filter((q) => !this.#tentative.has(`${dispatcherId}\u0000${q.id}`));
  }

  /** No-op (no write) when the entry is absent. */
  updateQueued(dispatcherId: string, entryId: string, patch: QueuedPatch): Promise<void> {
    return this.#mutateQueue(dispatcherId, entryId, (queue) => queue.map((q) => (q.id === entryId ? patchedEntry(q, patch) : q)));
  }

  getCompletion(dispatcherId: string, id: string): CompletionRecord | undefined {
    return this.listCompletions(dispatcherId).find((c) => c.id === id);
  }

  listCompletions(dispatcherId: string): readonly CompletionRecord[] {
    const all = this.#data.completions;
    return (all && own(all, dispatcherId)) ?? [];
  }

  putCompletion(dispatcherId: string, record: CompletionRecord, limit: number): Promise<void> {
    try {
      this.#putCompletionInMemory(dispatcherId, record, limit);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist();
  }

  /** The in-memory part of putCompletion; returns the stored copy. */
  #putCompletionInMemory(dispatcherId: string, record: CompletionRecord, limit: number): CompletionRecord {
    const data = this.#data;
    const all = data.completions ?? {};
    const stored = { ...record };
    const list = (own(all, dispatcherId) ?? []).filter((c) => c.id !== record.id);
    list.push(stored);
    // Drop the oldest settled records beyond the limit; unsettled ones are still owed work.
    let excess = list.length - Math.max(1, limit);
    const kept = list.filter((c) => {
      if (excess > 0 && (c.state === 'delivered' || c.state === 'failed') && c.id !== record.id) {
        excess--;
        return false;
      }
      return true;
    });
    data.completions = { ...all, [dispatcherId]: kept };
    return stored;
  }

  listApprovals(): readonly ApprovalRecord[] {
    return this.#data.approvals ?? [];
  }

  putApproval(record: ApprovalRecord, limit: number): Promise<void> {
    try {
      const list = (this.#data.approvals ?? []).filter((a) => a.id !== record.id);
      list.push({ ...record });
      // Drop the oldest settled records beyond the limit; pending ones still have a prompt to settle.
      let excess = list.length - Math.max(1, limit);
      this.#data.approvals = list.filter((a) => {
        if (excess > 0 && a.state !== 'pending' && a.id !== record.id) {
          excess--;
          return false;
        }
        return true;
      });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist();
  }

  getTeammate(name: string): TeammateRecord | undefined {
    const all = this.#data.teammates;
    return all ? own(all, name) : undefined;
  }

  listTeammates(): readonly TeammateRecord[] {
    return Object.values(this.#data.teammates ?? {}).sort((a, b) => a.createdAt - b.createdAt);
  }

  putTeammate(record: TeammateRecord, closedKept: number): Promise<void> {
    return this.#mutate((data) => {
      const next: Record<string, TeammateRecord> = { ...(data.teammates ?? {}), [record.name]: { ...record } };
      // Closed teammates are kept for operators, newest first, up to `closedKept`.
      const closed = Object.values(next)
        .filter((t) => t.closed)
        .sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0));
      for (const t of closed.slice(Math.max(0, closedKept))) delete next[t.name];
      data.teammates = next;
    });
  }

  patchTeammate(name: string, patch: Partial<TeammateRecord>): Promise<TeammateRecord> {
    return this.#mutate((data) => {
      const prev = data.teammates ? own(data.teammates, name) : undefined;
      if (!prev) throw new StateError(`no teammate record "${name}"`);
      const now = this.#opts.clock.now();
      const next: TeammateRecord = { ...prev, ...patch, name };
      if (patch.status !== undefined && patch.status !== prev.status && patch.statusChangedAt === undefined) next.statusChangedAt = now;
      data.teammates = { ...data.teammates, [name]: next };
      return next;
    });
  }

  listQuarantine(): readonly QuarantinedEntry[] {
    return this.#data.quarantine ?? [];
  }

  markQuarantineNoticed(id: string): Promise<void> {
    try {
      const list = this.#data.quarantine ?? [];
      if (!list.some((q) => q.id === id && !q.noticed)) return Promise.resolve();
      this.#data.quarantine = list.map((q) => (q.id === id ? { ...q, noticed: true } : q));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist();
  }

  recordFailedReply(dispatcherId: string, reply: FailedReply, limit: number): Promise<void> {
    try {
      const data = this.#data;
      const all = data.failedReplies ?? {};
      const list = [...(own(all, dispatcherId) ?? []), { ...reply }].slice(-Math.max(1, limit));
      data.failedReplies = { ...all, [dispatcherId]: list };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#persist();
  }

  listFailedReplies(dispatcherId: string): readonly FailedReply[] {
    const all = this.#data.failedReplies;
    return (all && own(all, dispatcherId)) ?? [];
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

  /** Keeps the newest `limit` messages of the conversation (in the channel's own journal). */
  appendWebMessage(channelId: string, conversation: string, message: WebMessage, limit: number): Promise<void> {
    try {
      this.#checkOpen();
      const file = this.#web.get(channelId) ?? this.#addWebFile(channelId, this.#opts.createWebJournal(channelId));
      file.journal.append(conversation, message, limit);
      return file.writer.persist();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  replaceWebMessage(channelId: string, conversation: string, id: string, message: WebMessage): Promise<boolean> {
    try {
      this.#checkOpen();
      const file = this.#web.get(channelId);
      if (!file?.journal.replace(conversation, id, message)) return Promise.resolve(false);
      return file.writer.persist().then(() => true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  listWebMessages(channelId: string, conversation: string): readonly WebMessage[] {
    this.#checkOpen();
    return this.#web.get(channelId)?.journal.messages(conversation) ?? [];
  }

  listWebConversations(channelId: string): string[] {
    this.#checkOpen();
    return this.#web.get(channelId)?.journal.conversations() ?? [];
  }

  /**
   * Stops accepting calls and retrying; resolves once every pending batch was written (or
   * failed), after one last write of each file whose latest write failed.
   */
  close(): Promise<void> {
    const webFiles = [...this.#web.values()];
    this.#closing ??= Promise.all([this.#writer.close(), ...webFiles.map((f) => f.writer.close().then(() => f.journal.close()))]).then(() => undefined);
    return this.#closing;
  }
}

/** Own-property lookup: ids such as `constructor` or `__proto__` must not reach Object.prototype. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` that shares no array or object with it. */
function copySession(record: SessionRecord): SessionRecord {
  return { ...record, place: { ...record.place }, previousThreads: record.previousThreads.map((t) => ({ ...t })) };
}

/** `entry` with `patch` applied (`live: null` removes the live element). */
function patchedEntry(entry: QueuedTurn, patch: QueuedPatch): QueuedTurn {
  const next: QueuedTurn = { ...entry };
  if (patch.attempts !== undefined) next.attempts = patch.attempts;
  if (patch.live === null) delete next.live;
  else if (patch.live !== undefined) next.live = { channelId: patch.live.channelId, ref: patch.live.ref };
  if (next.kind === 'message') {
    if (patch.text !== undefined) next.text = patch.text;
    if (patch.attachments === null) delete next.attachments;
  }
  return next;
}

function byCreatedAt(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt;
}
