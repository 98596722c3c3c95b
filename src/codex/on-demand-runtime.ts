/**
 * Lazy start and idle stop of a runtime (issue 15 §1): an AgentRuntime around another one that
 * - with `lazyStart`, does not start the app-server at `start()` but on first demand;
 * - with `idleStopMs`, stops the app-server cleanly once, for that long, no turn ran, nothing
 *   waited for it and `busy()` (the owner's queue, pending approvals) said no;
 * - while stopped that way reports status `idle`, and starts it again on demand: `whenReady()`
 *   (the queue pump waiting to run a turn), or any call that needs the app-server (`injectItems`,
 *   `openThread`, `startFreshThread`), which waits for ready first.
 *
 * A start out of idle is an ordinary restart of the inner runtime: its thread is resumed, skill
 * roots applied, session threads opened again on use, and `onReady` fires with `firstStart: false`
 * (so no restart notice is injected: nothing was lost). Timers run on the injected clock.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import {
  RuntimeNotReadyError,
  type AgentRuntime,
  type AgentStatus,
  type ReadyEvent,
  type SessionOpenResult,
  type SessionThread,
  type StartResult,
  type SteerResult,
  type TurnHooks,
} from './agent-runtime.js';
import type { InjectedMessageItem } from './protocol.js';
import type { TurnOutcome } from './turn-runner.js';

export interface OnDemandOptions {
  id: string;
  /** Start the app-server on first demand instead of at start(). */
  lazyStart: boolean;
  /** Stop it after this long without use, ms; null: never. */
  idleStopMs: number | null;
  /** True while the owner has work that needs the runtime soon (queued turns, pending approvals). */
  busy(): boolean;
  clock: Clock;
  logger: Logger;
}

export class OnDemandRuntime implements AgentRuntime {
  private idle = false;
  private stopped = false;
  private waking: Promise<StartResult> | null = null;
  private stopping: Promise<void> | null = null;
  private running = 0;
  private lastUsed: number;
  private timer: { cancel(): void } | null = null;

  constructor(
    private readonly inner: AgentRuntime,
    private readonly opts: OnDemandOptions,
  ) {
    this.lastUsed = opts.clock.now();
  }

  /** `idle` while stopped for want of use; else the inner runtime's status. */
  get status(): AgentStatus {
    return this.idle ? 'idle' : this.inner.status;
  }

  /** When the runtime was last used (a turn settled, a call needed it), ms since the epoch. */
  get lastUsedAt(): number {
    return this.lastUsed;
  }

  get threadId(): string | null {
    return this.inner.threadId;
  }

  get pid(): number | undefined {
    return this.idle ? undefined : this.inner.pid;
  }

  get loginNeeded(): string | null {
    return this.inner.loginNeeded;
  }

  onReady(listener: (e: ReadyEvent) => void): () => void {
    return this.inner.onReady(listener);
  }

  /** Starts the inner runtime, or with `lazyStart` only marks the runtime idle (`{status: 'idle'}`). */
  async start(): Promise<StartResult> {
    this.stopped = false;
    if (this.opts.lazyStart) {
      this.idle = true;
      this.opts.logger.info('runtime starts on its first use (lazyStart)');
      return { status: 'idle' };
    }
    const res = await this.inner.start();
    this.arm();
    return res;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.stopping;
    this.idle = false;
    await this.inner.stop();
  }

  /** Resolves when ready, starting the inner runtime first when idle. */
  async whenReady(): Promise<void> {
    await this.wake();
    return this.inner.whenReady();
  }

  runTurn(text: string, timeoutMs: number, hooks?: TurnHooks, session?: string): Promise<TurnOutcome> {
    if (this.idle) throw new RuntimeNotReadyError(this.opts.id, 'idle');
    const outcome = this.inner.runTurn(text, timeoutMs, hooks, session);
    this.running++;
    this.touch();
    return outcome.finally(() => {
      this.running--;
      this.touch();
    });
  }

  interruptTurn(session?: string): Promise<boolean> {
    return this.idle ? Promise.resolve(false) : this.inner.interruptTurn(session);
  }

  steerTurn(text: string, session?: string): Promise<SteerResult> {
    if (this.idle) return Promise.resolve({ status: 'notSteerable', reason: 'the runtime is idle: no turn runs' });
    return this.inner.steerTurn(text, session);
  }

  async injectItems(items: InjectedMessageItem[], session?: string): Promise<void> {
    await this.whenReady();
    this.touch();
    return this.inner.injectItems(items, session);
  }

  async openThread(session: SessionThread): Promise<SessionOpenResult> {
    await this.whenReady();
    this.touch();
    return this.inner.openThread(session);
  }

  unloadThread(session: string): Promise<void> {
    return this.idle ? Promise.resolve() : this.inner.unloadThread(session);
  }

  async startFreshThread(session?: string): Promise<string> {
    await this.whenReady();
    this.touch();
    return this.inner.startFreshThread(session);
  }

  openSessions(): readonly string[] {
    return this.idle ? [] : this.inner.openSessions();
  }

  /** Starts the inner runtime out of idle (once, however many callers wait). */
  private async wake(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (!this.idle || this.stopped) return;
    if (!this.waking) {
      this.opts.logger.info({ idleForMs: this.opts.clock.now() - this.lastUsed }, 'runtime starting on demand');
      this.waking = this.inner.start().finally(() => {
        this.idle = false;
        this.waking = null;
        this.touch();
      });
    }
    await this.waking;
  }

  private touch(): void {
    this.lastUsed = this.opts.clock.now();
    this.arm();
  }

  /** (Re)schedules the idle check for `idleStopMs` after the last use. */
  private arm(): void {
    const ms = this.opts.idleStopMs;
    if (ms === null || this.stopped || this.idle) return;
    this.timer?.cancel();
    this.timer = this.opts.clock.setTimeout(() => void this.checkIdle(), Math.max(0, this.lastUsed + ms - this.opts.clock.now()));
  }

  private async checkIdle(): Promise<void> {
    this.timer = null;
    const ms = this.opts.idleStopMs;
    if (ms === null || this.stopped || this.idle || this.waking) return;
    if (this.opts.clock.now() - this.lastUsed < ms) return this.arm();
    if (this.running > 0 || this.opts.busy() || this.inner.status !== 'ready') {
      this.touch();
      return;
    }
    this.opts.logger.info(
      { idleMs: this.opts.clock.now() - this.lastUsed },
      'runtime stopped after being idle (idleStopMs); it starts again on the next message',
    );
    this.idle = true;
    this.stopping = this.inner.stop().finally(() => (this.stopping = null));
    await this.stopping;
  }
}
