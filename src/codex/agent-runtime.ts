/**
 * The port the dispatcher and teammates drive a Codex runtime through: start/stop, one turn at a
 * time, thread injection, readiness. `CodexRuntime` (./runtime.ts) implements it on a real
 * `codex app-server` child; tests of the layers above may implement it in memory.
 */
import type { RuntimeStatus } from '../state/types.js';
import type { ThreadOpenResult } from './handshake.js';
import type { InjectedMessageItem } from './protocol.js';
import type { TurnOutcome, TurnRunOptions } from './turn-runner.js';

/** What one successful start produced. */
export interface ReadyEvent {
  thread: ThreadOpenResult;
  skills: 'applied' | 'unsupported';
  /** True for the first successful start of this runtime object (service start), false after restarts. */
  firstStart: boolean;
}

export type StartResult = { status: 'ready' } | { status: 'failed'; error: string } | { status: 'stopped' };

/** Thrown by operations that need a ready runtime. */
export class RuntimeNotReadyError extends Error {
  constructor(id: string, status: RuntimeStatus) {
    super(`runtime ${id} is ${status}, not ready`);
    this.name = 'RuntimeNotReadyError';
  }
}

/** Hooks of one turn: codex retries (`error` with `willRetry`), the turn id once known, the live `TurnEvent`s, and its server requests (approvals, questions). */
export type TurnHooks = Pick<TurnRunOptions, 'onRetry' | 'onTurnId' | 'onEvent' | 'onServerRequest'>;

export interface AgentRuntime {
  /** Lifecycle state (declared → starting → ready → degraded → stopping → stopped). */
  readonly status: RuntimeStatus;
  /** The thread's id, once one was opened (persisted across restarts), else null. */
  readonly threadId: string | null;
  /** Pid of the app-server child while one runs. */
  readonly pid: number | undefined;
  /** Null when codex can reach its model; else the one-line fix for missing credentials. */
  readonly loginNeeded: string | null;
  /** Called after every successful start (the first and each restart); returns its unsubscribe. */
  onReady(listener: (e: ReadyEvent) => void): () => void;
  /** First start; a failed attempt keeps retrying with backoff. @throws Error when already started. */
  start(): Promise<StartResult>;
  /** Stops for good (no restart); idempotent. */
  stop(): Promise<void>;
  /** Resolves when ready; rejects when stopped first. */
  whenReady(): Promise<void>;
  /**
   * Runs one turn; its outcome never rejects.
   * @throws RuntimeNotReadyError when not ready; Error when a turn already runs.
   */
  runTurn(text: string, timeoutMs: number, hooks?: TurnHooks): Promise<TurnOutcome>;
  /** Interrupts the running turn; false when none runs. */
  interruptTurn(): Promise<boolean>;
  /** Appends model-visible items to the thread without a turn. @throws RuntimeNotReadyError | RpcError */
  injectItems(items: InjectedMessageItem[]): Promise<void>;
}
