/**
 * An in-memory AgentRuntime for the fast test tier: turns are answered by the test (at once, or
 * held until the test releases them), and restarts are one call. The real-codex tests
 * (test/integration/*) cover CodexRuntime itself; this drives the layers above it in milliseconds.
 *
 * Session threads as CodexRuntime keeps them: `openThread` resumes the record's thread id (or
 * starts `fresh-thread-<n>`; ids in `failResume` fail to resume and are replaced), persisting as
 * the real one does; open threads are forgotten on `restart()`. One turn per thread; a steer
 * lands in the unsettled turn's `steered` list.
 */
import {
  RuntimeNotReadyError,
  type AgentRuntime,
  type ReadyEvent,
  type SessionOpenResult,
  type SessionThread,
  type StartResult,
  type SteerResult,
  type ThreadRecordStore,
  type TurnHooks,
} from '../../src/codex/agent-runtime.js';
import type { ThreadOpenResult } from '../../src/codex/handshake.js';
import type { InjectedMessageItem } from '../../src/codex/protocol.js';
import type { TurnOutcome } from '../../src/codex/turn-runner.js';
import type { RuntimeStatus } from '../../src/state/types.js';

/** One turn the runtime was asked to run. */
export interface FakeTurn {
  text: string;
  turnId: string;
  /** The session key it runs on; undefined: the runtime's own thread. */
  session: string | undefined;
  hooks: TurnHooks;
  /** Texts steered into this turn (`steerTurn`), in order. */
  steered: string[];
  /** Settles the turn (default: completed with `echo: <text>`). */
  settle(outcome?: Partial<TurnOutcome> & { status?: TurnOutcome['status'] }): void;
  /** True once settled. */
  settled: boolean;
}

/** The turn-map key of the own thread (session keys are never empty). */
const OWN = '';

export class FakeRuntime implements AgentRuntime {
  status: RuntimeStatus = 'declared';
  threadId: string | null = null;
  pid: number | undefined = undefined;
  loginNeeded: string | null = null;
  /** Every turn asked for, in order. */
  readonly turns: FakeTurn[] = [];
  /** Every injectItems call's items, in order (`injections` says on which thread). */
  readonly injected: InjectedMessageItem[][] = [];
  /** Every injectItems call, in order, with its session (undefined: the own thread). */
  readonly injections: Array<{ session: string | undefined; items: InjectedMessageItem[] }> = [];
  /** Every unloadThread call that unloaded an open thread: session key and thread id, in order. */
  readonly unloaded: Array<{ session: string; threadId: string }> = [];
  /** Thread ids whose resume fails (openThread replaces them with a fresh thread). */
  readonly failResume = new Set<string>();
  /** When true (default), turns complete at once with `echo: <text>`; else the test settles them. */
  autoAnswer = true;
  /** What the first start opens (default a fresh thread). */
  firstThread: ReadyEvent['thread'] = { status: 'started', threadId: 'thread-1' };
  private readonly readyListeners = new Set<(e: ReadyEvent) => void>();
  private readyWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  /** Unsettled turns by thread: session key, or OWN. */
  private readonly running = new Map<string, FakeTurn>();
  /** Open session threads: key → thread id and record. */
  private readonly open = new Map<string, { threadId: string; record: ThreadRecordStore }>();
  private starts = 0;
  private freshThreads = 0;

  onReady(listener: (e: ReadyEvent) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  async start(): Promise<StartResult> {
    if (this.status !== 'declared' && this.status !== 'stopped') throw new Error(`fake runtime already started (${this.status})`);
    this.becomeReady(this.firstThread);
    return { status: 'ready' };
  }

  /**
   * The runtime goes away (running turns end `disconnected`, open session threads are forgotten)
   * and comes back with `thread`.
   */
  restart(thread: ReadyEvent['thread'] = { status: 'resumed', threadId: this.threadId ?? 'thread-1' }): void {
    this.status = 'degraded';
    for (const turn of [...this.running.values()]) turn.settle({ status: 'disconnected', error: 'app-server exited (fake)' });
    this.open.clear();
    this.becomeReady(thread);
  }

  async stop(): Promise<void> {
    this.status = 'stopped';
    this.open.clear();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new Error('fake runtime was stopped'));
  }

  whenReady(): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    if (this.status === 'stopped') return Promise.reject(new Error('fake runtime is stopped'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** The unsettled turn of the own thread or `session`, if any. */
  runningTurn(session?: string): FakeTurn | undefined {
    return this.running.get(session ?? OWN);
  }

  runTurn(text: string, _timeoutMs: number, hooks: TurnHooks = {}, session?: string): Promise<TurnOutcome> {
    const record = this.recordOf(session);
    const key = session ?? OWN;
    if (this.running.has(key)) throw new Error(`fake runtime already runs a turn on ${session ?? 'its own thread'}`);
    const turnId = `turn-${this.turns.length + 1}`;
    return new Promise<TurnOutcome>((resolve) => {
      const turn: FakeTurn = {
        text,
        turnId,
        session,
        hooks,
        steered: [],
        settled: false,
        settle: (o = {}) => {
          if (turn.settled) return;
          turn.settled = true;
          if (this.running.get(key) === turn) this.running.delete(key);
          const status = o.status ?? 'completed';
          let outcome: TurnOutcome;
          if (status === 'completed') outcome = { status, turnId, text: 'text' in o && typeof o.text === 'string' ? o.text : `echo: ${text}` };
          else if (status === 'interrupted') outcome = { status, turnId, reason: 'reason' in o && o.reason ? o.reason : 'requested' };
          else outcome = { status, turnId, error: 'error' in o && typeof o.error === 'string' ? o.error : 'fake failure' };
          // As CodexRuntime: a settled turn marks its session's record, before the outcome resolves.
          const marked = status !== 'disconnected' && record && record.load()?.threadHasHistory !== true ? record.patch({ threadHasHistory: true }) : undefined;
          if (marked)
            void marked.then(
              () => resolve(outcome),
              () => resolve(outcome),
            );
          else resolve(outcome);
        },
      };
      this.running.set(key, turn);
      this.turns.push(turn);
      hooks.onTurnId?.(turnId);
      if (this.autoAnswer) queueMicrotask(() => turn.settle());
    });
  }

  async interruptTurn(session?: string): Promise<boolean> {
    const turn = this.running.get(session ?? OWN);
    if (!turn) return false;
    turn.settle({ status: 'interrupted', reason: 'requested' });
    return true;
  }

  async steerTurn(text: string, session?: string): Promise<SteerResult> {
    const turn = this.running.get(session ?? OWN);
    if (!turn || turn.settled) return { status: 'notSteerable', reason: `no turn runs on ${session ?? 'its own thread'}` };
    turn.steered.push(text);
    return { status: 'steered', turnId: turn.turnId };
  }

  async injectItems(items: InjectedMessageItem[], session?: string): Promise<void> {
    const record = this.recordOf(session);
    this.injected.push(items);
    this.injections.push({ session, items });
    if (record && record.load()?.threadHasHistory !== true) await record.patch({ threadHasHistory: true });
  }

  async openThread(session: SessionThread): Promise<SessionOpenResult> {
    if (this.status !== 'ready') throw new RuntimeNotReadyError('fake', this.status);
    const known = this.open.get(session.key);
    if (known) return { status: 'resumed', threadId: known.threadId, opened: false };
    const rec = session.record.load();
    const previous = rec?.threadId ?? null;
    let thread: ThreadOpenResult;
    if (previous && !this.failResume.has(previous)) thread = { status: 'resumed', threadId: previous };
    else if (previous && rec?.threadHasHistory === true) {
      thread = { status: 'replaced', threadId: this.freshThreadId(), lostThreadId: previous, resumeError: 'fake: no rollout' };
    } else thread = { status: 'started', threadId: this.freshThreadId() };
    this.open.set(session.key, { threadId: thread.threadId, record: session.record });
    if (thread.status === 'replaced') {
      await session.record.patch({ threadId: thread.threadId, threadHasHistory: false, lastLostThreadId: thread.lostThreadId, pendingLostThreadWarning: true });
    } else if (thread.status === 'started') {
      await session.record.patch({ threadId: thread.threadId, threadHasHistory: false });
    }
    return { ...thread, opened: true };
  }

  async unloadThread(session: string): Promise<void> {
    const open = this.open.get(session);
    if (this.status !== 'ready' || !open) return;
    if (this.running.has(session)) throw new Error(`fake runtime runs a turn on session ${session}`);
    this.open.delete(session);
    this.unloaded.push({ session, threadId: open.threadId });
  }

  async startFreshThread(session?: string): Promise<string> {
    const record = this.recordOf(session);
    if (this.running.has(session ?? OWN)) throw new Error(`fake runtime runs a turn on ${session ?? 'its own thread'}`);
    const threadId = this.freshThreadId();
    if (session !== undefined && record) {
      this.open.set(session, { threadId, record });
      await record.patch({ threadId, threadHasHistory: false });
    } else this.threadId = threadId;
    return threadId;
  }

  openSessions(): readonly string[] {
    return [...this.open.keys()];
  }

  /** The record of open `session` (undefined for the own thread, which the fake does not persist). @throws RuntimeNotReadyError */
  private recordOf(session: string | undefined): ThreadRecordStore | undefined {
    if (this.status !== 'ready') throw new RuntimeNotReadyError('fake', this.status);
    if (session === undefined) return undefined;
    const open = this.open.get(session);
    if (!open) throw new RuntimeNotReadyError(`fake (session ${session} not open)`, this.status);
    return open.record;
  }

  private freshThreadId(): string {
    return `fresh-thread-${++this.freshThreads}`;
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
}
