/**
 * SessionBook: a dispatcher's sessions of scope `conversation` / `thread` — their records, which
 * of their threads are loaded in the dispatcher's one app-server, and how they are let go.
 *
 * - `enter` creates a session's record on its first message (durable before the message is
 *   queued) and marks it active; `settled` marks it active again after a turn.
 * - `open` loads its thread (`AgentRuntime.openThread`: resume, else start) before a turn; when
 *   `maxLoaded` threads are loaded already, the least recently active idle one is unloaded first.
 * - An idle session (no queued or running turn) is unloaded after `idleUnloadMs` without activity
 *   (`thread/unsubscribe`; its thread id stays in its record, the next message resumes it).
 * - `fresh` (`new`/`reset` in chat) replaces a session's thread and records the old id.
 *
 * The dispatcher's own thread (key {@link DISPATCHER_SESSION}) is the runtime's: always loaded
 * while the runtime runs, kept in the dispatcher's RuntimeRecord.
 */
import type { AgentRuntime, SessionOpenResult, ThreadRecord, ThreadRecordStore } from '../../codex/agent-runtime.js';
import type { Clock } from '../../clock.js';
import type { SessionsConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { PreviousThread, SessionRecord, StateStore } from '../../state/types.js';
import { errorMessage } from '../../errors.js';
import { DISPATCHER_SESSION, type SessionPlace } from './key.js';
import { keptInMemory } from '../../state/health.js';

/** Previous threads kept per session (newest). */
export const PREVIOUS_THREADS_KEPT = 10;

/** How often idle sessions are looked for, at most, ms. */
const SWEEP_MAX_MS = 60_000;

export interface SessionBookOptions {
  dispatcherId: string;
  store: StateStore;
  runtime: AgentRuntime;
  config: SessionsConfig;
  /** True while the session has a queued or running turn (it is never unloaded then). */
  busy(key: string): boolean;
  /** Extra thread config of a session's thread (codex `thread/start` `config`), if any. */
  threadConfig?: (key: string) => Record<string, unknown> | undefined;
  clock: Clock;
  logger: Logger;
}

export class SessionBook {
  private sweepTimer: { cancel(): void } | null = null;
  private stopped = false;

  constructor(private readonly opts: SessionBookOptions) {}

  /** Where `key`'s thread id is persisted (the dispatcher's record for its own thread). */
  threadRecord(key: string): ThreadRecordStore {
    const { store, dispatcherId } = this.opts;
    // A failed write is kept in memory and written later (src/state/health.ts): no reason to fail the thread's opening.
    if (key === DISPATCHER_SESSION) {
      return {
        load: () => store.getDispatcher(dispatcherId),
        patch: (p) => keptInMemory(store.patchDispatcher(dispatcherId, p), () => store.getDispatcher(dispatcherId)!),
      };
    }
    return {
      load: () => store.getSession(dispatcherId, key),
      patch: (p) => keptInMemory(store.patchSession(dispatcherId, key, p), () => store.getSession(dispatcherId, key)!),
    };
  }

  /** The thread fields of `key`'s record, if it has one. */
  thread(key: string): ThreadRecord | undefined {
    return this.threadRecord(key).load();
  }

  /**
   * Records a message for session `key` (creating its record on the first one) before it is
   * queued. @throws store write errors.
   */
  async enter(key: string, scope: 'conversation' | 'thread', place: SessionPlace): Promise<void> {
    const { store, dispatcherId, clock } = this.opts;
    const now = clock.now();
    const known = store.getSession(dispatcherId, key);
    if (known) {
      await store.patchSession(dispatcherId, key, { lastActiveAt: now });
      return;
    }
    const record: SessionRecord = {
      key,
      scope,
      place,
      threadId: null,
      threadHasHistory: false,
      lastLostThreadId: null,
      pendingLostThreadWarning: false,
      previousThreads: [],
      createdAt: now,
      lastActiveAt: now,
    };
    await store.putSession(dispatcherId, record, this.opts.config.keep);
    this.opts.logger.info({ session: key, scope }, 'session created');
    this.armSweep();
  }

  /** Marks `key` active after one of its turns settled; never throws. */
  async settled(key: string): Promise<void> {
    if (key === DISPATCHER_SESSION || !this.opts.store.getSession(this.opts.dispatcherId, key)) return;
    await this.opts.store.patchSession(this.opts.dispatcherId, key, { lastActiveAt: this.opts.clock.now() }).catch((err: unknown) => {
      this.opts.logger.warn({ session: key, err: errorMessage(err) }, 'could not record session activity');
    });
    this.armSweep();
  }

  /**
   * Loads `key`'s thread for a turn (see the module header). Null for the dispatcher's own thread
   * (the runtime opened it). @throws RuntimeNotReadyError | RpcError | store errors.
   */
  async open(key: string): Promise<SessionOpenResult | null> {
    if (key === DISPATCHER_SESSION) return null;
    const { runtime } = this.opts;
    if (!runtime.openSessions().includes(key)) await this.makeRoom(key);
    const config = this.opts.threadConfig?.(key);
    return runtime.openThread({ key, record: this.threadRecord(key), ...(config ? { config } : {}) });
  }

  /**
   * Starts a fresh Codex thread for `key` (chat `new`/`reset`); the old thread id goes to the
   * record's `previousThreads`. Resolves with the old and new ids (new: null when the thread
   * starts with the session's next turn). @throws RuntimeNotReadyError | RpcError | store errors;
   * Error when a turn runs in the session.
   */
  async fresh(key: string): Promise<{ previous: string | null; threadId: string | null }> {
    const { runtime, clock, store, dispatcherId } = this.opts;
    const rec = this.threadRecord(key);
    const previous = rec.load()?.threadId ?? null;
    let threadId: string | null = null;
    if (key === DISPATCHER_SESSION || runtime.openSessions().includes(key)) {
      threadId = await runtime.startFreshThread(key === DISPATCHER_SESSION ? undefined : key);
    } else {
      await rec.patch({ threadId: null, threadHasHistory: false, pendingLostThreadWarning: false });
    }
    if (previous !== null) {
      const kept =
        key === DISPATCHER_SESSION ? (store.getDispatcher(dispatcherId)?.previousThreads ?? []) : (store.getSession(dispatcherId, key)?.previousThreads ?? []);
      const previousThreads: PreviousThread[] = [...kept, { threadId: previous, endedAt: clock.now(), reason: 'new' as const }].slice(-PREVIOUS_THREADS_KEPT);
      if (key === DISPATCHER_SESSION) await store.patchDispatcher(dispatcherId, { previousThreads });
      else await store.patchSession(dispatcherId, key, { previousThreads });
    }
    this.opts.logger.info({ session: key, previous, threadId }, 'session starts a fresh thread');
    return { previous, threadId };
  }

  /** Unloads idle sessions now due (see the module header); never throws. */
  async sweep(): Promise<void> {
    const { runtime, store, dispatcherId, clock, config } = this.opts;
    const now = clock.now();
    for (const key of runtime.openSessions()) {
      const rec = store.getSession(dispatcherId, key);
      if (this.opts.busy(key) || (rec && now - rec.lastActiveAt < config.idleUnloadMs)) continue;
      await this.unload(key, 'idle');
    }
  }

  /** Stops the idle sweep. */
  stop(): void {
    this.stopped = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
  }

  /** Unloads the least recently active idle session while `maxLoaded` are loaded. */
  private async makeRoom(key: string): Promise<void> {
    const { runtime, store, dispatcherId, config } = this.opts;
    const loaded = runtime.openSessions().filter((k) => k !== key);
    if (loaded.length < config.maxLoaded) return;
    const idle = loaded
      .filter((k) => !this.opts.busy(k))
      .map((k) => ({ k, at: store.getSession(dispatcherId, k)?.lastActiveAt ?? 0 }))
      .sort((a, b) => a.at - b.at);
    for (const { k } of idle.slice(0, loaded.length - config.maxLoaded + 1)) await this.unload(k, 'evicted');
  }

  private async unload(key: string, why: 'idle' | 'evicted'): Promise<void> {
    try {
      await this.opts.runtime.unloadThread(key);
      this.opts.logger.info({ session: key, why }, 'session thread unloaded');
    } catch (err) {
      this.opts.logger.warn({ session: key, err: errorMessage(err) }, 'could not unload a session thread');
    }
  }

  /** Schedules the next sweep (one timer at a time) while sessions are loaded. */
  private armSweep(): void {
    if (this.stopped || this.sweepTimer) return;
    const every = Math.min(this.opts.config.idleUnloadMs, SWEEP_MAX_MS);
    this.sweepTimer = this.opts.clock.setTimeout(() => {
      this.sweepTimer = null;
      void this.sweep().finally(() => {
        if (this.opts.runtime.openSessions().length > 0) this.armSweep();
      });
    }, every);
  }
}
