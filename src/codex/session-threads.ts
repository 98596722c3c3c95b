/**
 * The threads one app-server child (one generation of a CodexRuntime) has open besides the
 * runtime's own: session key → thread id, and opening a thread against its persisted record.
 *
 * Semantics: a thread is "open" from a successful `thread/resume` | `thread/start` on this child
 * until `thread/unsubscribe` or the child's end (codex app-server v2: a thread is loaded per
 * app-server process; a new process must resume it). Concurrent opens of one key share one
 * request; an open waits for an unload of the same key in flight, so the two never cross.
 */
import type { Logger } from '../log.js';
import { RuntimeNotReadyError, type SessionOpenResult, type SessionThread, type ThreadRecordStore } from './agent-runtime.js';
import type { RuntimeStatus } from '../state/types.js';
import { openThread, type ThreadOpenResult } from './handshake.js';
import type { ThreadSettings } from './protocol.js';
import type { RpcClient } from './rpc-client.js';

/** The turn-map key of a runtime's own thread (session keys are never empty). */
export const OWN_THREAD = '';

/** Thrown by turn calls naming a session whose thread is not open on the running app-server (call openThread). */
export class SessionNotOpenError extends RuntimeNotReadyError {
  constructor(runtimeId: string, session: string, status: RuntimeStatus) {
    super(runtimeId, status);
    this.message = `session ${session} of runtime ${runtimeId} has no open thread on this app-server (runtime ${status}); open it first`;
    this.name = 'SessionNotOpenError';
  }
}

/**
 * Resumes `record`'s thread, else starts one, and persists the outcome: the thread id as soon as
 * the thread exists (a crash right after still resumes it); a failed resume of a thread with
 * history is `replaced`, recording `lastLostThreadId` and `pendingLostThreadWarning: true`; a
 * thread without history that fails to resume counts as `started` (codex writes the rollout with
 * the first turn, so nothing was lost).
 * @throws errors of `thread/start` and of `record.patch`
 */
export async function openRecordedThread(rpc: RpcClient, record: ThreadRecordStore, settings: ThreadSettings, logger: Logger): Promise<ThreadOpenResult> {
  const rec = record.load();
  let thread = await openThread(rpc, rec?.threadId ?? null, settings, logger);
  if (thread.status === 'replaced' && rec?.threadHasHistory !== true) thread = { status: 'started', threadId: thread.threadId };
  if (thread.status === 'replaced') {
    await record.patch({ threadId: thread.threadId, threadHasHistory: false, lastLostThreadId: thread.lostThreadId, pendingLostThreadWarning: true });
  } else if (thread.status === 'started') {
    await record.patch({ threadId: thread.threadId, threadHasHistory: false });
  }
  return thread;
}

/** An open session thread: its id on this app-server and the session it serves. */
export interface OpenThread {
  threadId: string;
  session: SessionThread;
}

/** The session threads open on one app-server child. */
export class OpenThreads {
  private readonly threads = new Map<string, OpenThread>();
  private readonly pending = new Map<string, Promise<ThreadOpenResult>>();
  private readonly unloading = new Map<string, Promise<unknown>>();

  get(key: string): OpenThread | undefined {
    return this.threads.get(key);
  }

  keys(): string[] {
    return [...this.threads.keys()];
  }

  /** Sets (or replaces) the thread of `session`. */
  set(session: SessionThread, threadId: string): void {
    this.threads.set(session.key, { threadId, session });
  }

  /** The open of `key` in flight, if any (settles whatever its outcome; never rejects). */
  opening(key: string): Promise<void> | undefined {
    return this.pending.get(key)?.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Opens `session` with `open` unless it is open or opening: open already → `resumed` with its
   * id, `opened: false`; opening → that request's result with `opened: false`.
   * @throws what `open` throws
   */
  async open(session: SessionThread, open: () => Promise<ThreadOpenResult>): Promise<SessionOpenResult> {
    const { key } = session;
    await this.unloading.get(key);
    const inFlight = this.pending.get(key);
    if (inFlight) return { ...(await inFlight), opened: false };
    const known = this.threads.get(key);
    if (known) return { status: 'resumed', threadId: known.threadId, opened: false };
    const request = open().then((thread) => {
      this.set(session, thread.threadId);
      return thread;
    });
    this.pending.set(key, request);
    try {
      return { ...(await request), opened: true };
    } finally {
      this.pending.delete(key);
    }
  }

  /**
   * Forgets `key` at once and runs `unload` (e.g. `thread/unsubscribe`); opens of `key` wait for it.
   * Resolves with `unload`'s promise.
   */
  unload<T>(key: string, unload: () => Promise<T>): Promise<T> {
    this.threads.delete(key);
    const request = unload();
    const done = request
      .catch(() => undefined)
      .finally(() => {
        if (this.unloading.get(key) === done) this.unloading.delete(key);
      });
    this.unloading.set(key, done);
    return request;
  }
}
