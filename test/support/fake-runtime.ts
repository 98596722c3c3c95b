/**
 * An in-memory AgentRuntime for the fast test tier: turns are answered by the test (at once, or
 * held until the test releases them), and restarts are one call. The real-codex tests
 * (test/integration/*) cover CodexRuntime itself; this drives the layers above it in milliseconds.
 */
import {
  RuntimeNotReadyError,
  type AgentRuntime,
  type ReadyEvent,
  type SessionOpenResult,
  type SessionThread,
  type StartResult,
  type SteerResult,
  type TurnHooks,
} from '../../src/codex/agent-runtime.js';
import type { InjectedMessageItem } from '../../src/codex/protocol.js';
import type { TurnOutcome } from '../../src/codex/turn-runner.js';
import type { RuntimeStatus } from '../../src/state/types.js';

/** One turn the runtime was asked to run. */
export interface FakeTurn {
  text: string;
  turnId: string;
  hooks: TurnHooks;
  /** Settles the turn (default: completed with `echo: <text>`). */
  settle(outcome?: Partial<TurnOutcome> & { status?: TurnOutcome['status'] }): void;
  /** True once settled. */
  settled: boolean;
}

export class FakeRuntime implements AgentRuntime {
  status: RuntimeStatus = 'declared';
  threadId: string | null = null;
  pid: number | undefined = undefined;
  loginNeeded: string | null = null;
  /** Every turn asked for, in order. */
  readonly turns: FakeTurn[] = [];
  /** Every injectItems call, in order. */
  readonly injected: InjectedMessageItem[][] = [];
  /** When true (default), turns complete at once with `echo: <text>`; else the test settles them. */
  autoAnswer = true;
  /** What the first start opens (default a fresh thread). */
  firstThread: ReadyEvent['thread'] = { status: 'started', threadId: 'thread-1' };
  private readonly readyListeners = new Set<(e: ReadyEvent) => void>();
  private readyWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  private current: FakeTurn | null = null;
  private starts = 0;

  onReady(listener: (e: ReadyEvent) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  async start(): Promise<StartResult> {
    if (this.status !== 'declared' && this.status !== 'stopped') throw new Error(`fake runtime already started (${this.status})`);
    this.becomeReady(this.firstThread);
    return { status: 'ready' };
  }

  /** The runtime goes away (a running turn ends `disconnected`) and comes back with `thread`. */
  restart(thread: ReadyEvent['thread'] = { status: 'resumed', threadId: this.threadId ?? 'thread-1' }): void {
    this.status = 'degraded';
    this.current?.settle({ status: 'disconnected', error: 'app-server exited (fake)' });
    this.becomeReady(thread);
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new Error('fake runtime was stopped'));
  }

  whenReady(): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    if (this.status === 'stopped') return Promise.reject(new Error('fake runtime is stopped'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  runTurn(text: string, _timeoutMs: number, hooks: TurnHooks = {}): Promise<TurnOutcome> {
    if (this.status !== 'ready') throw new RuntimeNotReadyError('fake', this.status);
    if (this.current) throw new Error('fake runtime already runs a turn');
    const turnId = `turn-${this.turns.length + 1}`;
    return new Promise<TurnOutcome>((resolve) => {
      const turn: FakeTurn = {
        text,
        turnId,
        hooks,
        settled: false,
        settle: (o = {}) => {
          if (turn.settled) return;
          turn.settled = true;
          if (this.current === turn) this.current = null;
          const status = o.status ?? 'completed';
          if (status === 'completed') resolve({ status, turnId, text: 'text' in o && typeof o.text === 'string' ? o.text : `echo: ${text}` });
          else if (status === 'interrupted') resolve({ status, turnId, reason: 'reason' in o && o.reason ? o.reason : 'requested' });
          else resolve({ status, turnId, error: 'error' in o && typeof o.error === 'string' ? o.error : 'fake failure' });
        },
      };
      this.current = turn;
      this.turns.push(turn);
      hooks.onTurnId?.(turnId);
      if (this.autoAnswer) queueMicrotask(() => turn.settle());
    });
  }

  async interruptTurn(): Promise<boolean> {
    if (!this.current) return false;
    this.current.settle({ status: 'interrupted', reason: 'requested' });
    return true;
  }

  async injectItems(items: InjectedMessageItem[]): Promise<void> {
    if (this.status !== 'ready') throw new RuntimeNotReadyError('fake', this.status);
    this.injected.push(items);
  }

  private becomeReady(thread: ReadyEvent['thread']): void {
    this.status = 'ready';
    this.threadId = thread.threadId;
    const event: ReadyEvent = { thread, skills: 'applied', firstStart: this.starts === 0 };
    this.starts++;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
    for (const l of this.readyListeners) l(event);
  }
  // TODO(sessions): implemented on the runtime branch.
  steerTurn(_text: string, _session?: string): Promise<SteerResult> {
    return Promise.resolve({ status: 'notSteerable', reason: 'not implemented' });
  }
  openThread(_session: SessionThread): Promise<SessionOpenResult> {
    return Promise.reject(new Error('not implemented'));
  }
  unloadThread(_session: string): Promise<void> {
    return Promise.reject(new Error('not implemented'));
  }
  startFreshThread(_session?: string): Promise<string> {
    return Promise.reject(new Error('not implemented'));
  }
  openSessions(): readonly string[] {
    return [];
  }
}
