/**
 * The port the dispatcher and teammates drive a Codex runtime through: start/stop, turns, thread
 * injection, readiness. `CodexRuntime` (./runtime.ts) implements it on a real `codex app-server`
 * child; tests of the layers above may implement it in memory.
 *
 * One app-server hosts many threads (codex app-server v2). Every runtime has its own thread,
 * opened by each start (the dispatcher's `dispatcher`-scope session, a teammate's thread); a
 * dispatcher's other sessions open theirs with `openThread` and name them by `session` key in
 * the turn calls. At most one turn runs per thread; turns of different threads may overlap.
 */
import type { RuntimeRecord, RuntimeStatus } from '../state/types.js';
import type { ThreadOpenResult } from './handshake.js';
import type { InjectedMessageItem } from './protocol.js';
import type { SteerResult, TurnOutcome, TurnRunOptions } from './turn-runner.js';

/** What one successful start produced. */
export interface ReadyEvent {
  thread: ThreadOpenResult;
  skills: 'applied' | 'unsupported';
  /** True for the first successful start of this runtime object (service start), false after restarts. */
  firstStart: boolean;
}

/** `idle`: not started because the runtime starts on first use (./on-demand-runtime.ts). */
export type StartResult = { status: 'ready' } | { status: 'failed'; error: string } | { status: 'stopped' } | { status: 'idle' };

/** A runtime's status as its users see it: the persisted lifecycle, or `idle` (stopped for want of use; starts on demand). */
export type AgentStatus = RuntimeStatus | 'idle';

/** Thrown by operations that need a ready runtime. */
export class RuntimeNotReadyError extends Error {
  constructor(id: string, status: AgentStatus) {
    super(`runtime ${id} is ${status}, not ready`);
    this.name = 'RuntimeNotReadyError';
  }
}

/** Hooks of one turn: codex retries (`error` with `willRetry`), the turn id once known, the live `TurnEvent`s, and its server requests (approvals, questions). */
export type TurnHooks = Pick<TurnRunOptions, 'onRetry' | 'onTurnId' | 'onEvent' | 'onServerRequest'>;

/** The thread fields of a persisted record (a runtime's own thread, or a session's). */
export type ThreadRecord = Pick<RuntimeRecord, 'threadId' | 'threadHasHistory' | 'lastLostThreadId' | 'pendingLostThreadWarning'>;

/** Where a session keeps its thread id across restarts. */
export interface ThreadRecordStore {
  load(): ThreadRecord | undefined;
  patch(patch: Partial<ThreadRecord>): Promise<unknown>;
}

/**
 * A session thread the runtime opens on demand (see `openThread`): its key (unique within the
 * runtime; never the empty string), where its thread id is persisted, and extra thread config
 * (`config` of codex app-server v2 `thread/start` / `thread/resume`, dotted keys as with `-c`).
 */
export interface SessionThread {
  key: string;
  record: ThreadRecordStore;
  config?: Record<string, unknown>;
}

/** What `openThread` did: the thread open result, and whether this call opened it (false: it was loaded already). */
export type SessionOpenResult = ThreadOpenResult & { opened: boolean };

/** What `steerTurn` did (defined with `TurnRun.steer`, ./turn-runner.ts). */
export type { SteerResult } from './turn-runner.js';

export interface AgentRuntime {
  /** Lifecycle state (declared → starting → ready → degraded → stopping → stopped), or `idle`. */
  readonly status: AgentStatus;
  /** The thread's id, once one was opened (persisted across restarts), else null. */
  readonly threadId: string | null;
  /** Pid of the app-server child while one runs. */
  readonly pid: number | undefined;
  /** Null when codex can reach its model; else the one-line fix for missing credentials. */
  readonly loginNeeded: string | null;
  /** When the runtime was last used, ms since the epoch, where it keeps track (lazy start / idle stop). */
  readonly lastUsedAt?: number;
  /**
   * Called after every successful start (the first and each restart), in the same step as the status
   * turns `ready` and before `whenReady` waiters resume; returns its unsubscribe.
   */
  onReady(listener: (e: ReadyEvent) => void): () => void;
  /** First start; a failed attempt keeps retrying with backoff. @throws Error when already started. */
  start(): Promise<StartResult>;
  /** Stops for good (no restart); idempotent. */
  stop(): Promise<void>;
  /** Resolves when ready; rejects when stopped first. */
  whenReady(): Promise<void>;
  /**
   * Runs one turn on the runtime's own thread, or on the open session thread `session`; its
   * outcome never rejects.
   * @throws RuntimeNotReadyError when not ready (or the session's thread is not open on this
   *   app-server: call openThread again); Error when a turn already runs on that thread.
   */
  runTurn(text: string, timeoutMs: number, hooks?: TurnHooks, session?: string): Promise<TurnOutcome>;
  /** Interrupts the running turn of the own thread or of `session`; false when none runs there. */
  interruptTurn(session?: string): Promise<boolean>;
  /** Adds `text` as user input to the running turn of the own thread or of `session`; never throws. */
  steerTurn(text: string, session?: string): Promise<SteerResult>;
  /** Appends model-visible items to the own thread or `session`'s, without a turn. @throws RuntimeNotReadyError | RpcError */
  injectItems(items: InjectedMessageItem[], session?: string): Promise<void>;
  /**
   * Opens a session's thread on the running app-server unless it is open already: resumes the
   * record's thread id, else starts a thread (a failed resume starts a fresh one, `replaced`, and
   * records the lost id with the pending warning, as for the own thread). Open threads are
   * forgotten when the app-server restarts; open them again then.
   * @throws RuntimeNotReadyError when not ready; RpcError when `thread/start` fails.
   */
  openThread(session: SessionThread): Promise<SessionOpenResult>;
  /**
   * Unloads a session's thread from the app-server (codex app-server v2 `thread/unsubscribe`; its
   * rollout stays, a later openThread resumes it). No-op when not open or the runtime is not ready.
   * @throws Error when a turn runs on it.
   */
  unloadThread(session: string): Promise<void>;
  /**
   * Replaces the own thread or `session`'s with a fresh one (`thread/start`; the old thread is
   * unloaded, its rollout stays) and persists the new id; resolves with it.
   * @throws RuntimeNotReadyError when not ready; RpcError; Error when a turn runs on it.
   */
  startFreshThread(session?: string): Promise<string>;
  /** Keys of the session threads open on the running app-server. */
  openSessions(): readonly string[];
}
