/**
 * CodexRuntime: one `codex app-server` child and its thread, kept alive.
 *
 * Lifecycle (persisted with timestamps): declared → starting → ready →
 * degraded → stopping → stopped. On child exit or socket close the runtime is
 * degraded and restarts after `min(max, base·2^(n-1))` ms; the counter resets
 * after a successful start and a stop cancels a pending restart. Every start
 * runs the handshake: initialize → initialized → skill roots → thread resume|start →
 * the awaited MCP servers started (./mcp-startup.ts).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RuntimeRole } from '../config/schema.js';
import type { RuntimeRecord, RuntimeStatus } from '../state/types.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import {
  RuntimeNotReadyError,
  type AgentRuntime,
  type ReadyEvent,
  type SessionOpenResult,
  type SessionThread,
  type StartResult,
  type SteerResult,
  type TurnHooks,
} from './agent-runtime.js';
import { applySkillRoots, checkCredentials, initialize, openThread } from './handshake.js';
import { watchMcpStartup, type McpStartupWatch } from './mcp-startup.js';
import { CodexProcess } from './process.js';
import type { ClientMethod, ClientRequests, InjectedMessageItem, ThreadSettings } from './protocol.js';
import { RpcClient } from './rpc-client.js';
import { TurnRun, type TurnOutcome } from './turn-runner.js';
import { errorMessage } from '../errors.js';

/** Where a runtime persists its record (a dispatcher's or a teammate's). */
export interface RuntimeRecordStore {
  load(): RuntimeRecord | undefined;
  patch(patch: Partial<RuntimeRecord>): Promise<RuntimeRecord>;
}

export interface CodexRuntimeOptions {
  /** Dispatcher id or teammate name; used in logs. */
  id: string;
  role: RuntimeRole;
  cwd: string;
  bin: string;
  pathDirs: string[];
  codexHome?: string;
  /** `-c key=value` overrides for the app-server. */
  overrides: Record<string, string>;
  requestTimeoutMs: number;
  /** Bound on spawn + handshake + thread open, ms. */
  startTimeoutMs: number;
  backoff: BackoffPolicy;
  thread: ThreadSettings;
  /** Absolute skill root dirs for this role. */
  skillRoots: string[];
  /**
   * MCP servers (names in codex's config) whose startup each start waits for after opening the
   * thread, so the first turn is offered their tools; bounded by half of `startTimeoutMs`.
   */
  awaitMcpServers?: readonly string[];
  record: RuntimeRecordStore;
  /** The child's stdout/stderr go here (appended). */
  logFile: string;
  logger: Logger;
  clock: Clock;
}

export { RuntimeNotReadyError, type ReadyEvent, type StartResult } from './agent-runtime.js';

interface Generation {
  n: number;
  proc: CodexProcess | null;
  rpc: RpcClient | null;
  threadId: string | null;
  /** Set once the child or socket of this generation was seen gone. */
  lost?: boolean;
}

export class CodexRuntime implements AgentRuntime {
  private statusValue: RuntimeStatus = 'declared';
  private loginFix: string | null = null;
  private gen: Generation = { n: 0, proc: null, rpc: null, threadId: null };
  private restartTimer: { cancel(): void } | null = null;
  private currentTurn: TurnRun | null = null;
  private readyCount = 0;
  private stopRequested = false;
  private readonly readyListeners = new Set<(e: ReadyEvent) => void>();
  private readyWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  private readonly log: Logger;

  constructor(private readonly opts: CodexRuntimeOptions) {
    this.log = opts.logger;
  }

  /**
   * Null when codex can reach its model; else the one-line fix for missing credentials
   * (`account/read` at the last start). Turns would fail, so callers answer at once instead.
   */
  get loginNeeded(): string | null {
    return this.loginFix;
  }

  get status(): RuntimeStatus {
    return this.statusValue;
  }

  get threadId(): string | null {
    return this.gen.threadId ?? this.opts.record.load()?.threadId ?? null;
  }

  /** Pid of the running app-server child, if any. */
  get pid(): number | undefined {
    return this.gen.proc?.pid;
  }

  /** Unix socket of the running app-server, if any. */
  get socketPath(): string | undefined {
    return this.gen.proc?.socketPath;
  }

  /** The running turn, if any. */
  get runningTurn(): TurnRun | null {
    return this.currentTurn;
  }

  onReady(listener: (e: ReadyEvent) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Starts the runtime. Resolves with the first attempt's result; a failed
   * attempt leaves the runtime degraded with a restart scheduled.
   */
  async start(): Promise<StartResult> {
    if (this.statusValue !== 'declared' && this.statusValue !== 'stopped') {
      throw new Error(`runtime ${this.opts.id} already started (${this.statusValue})`);
    }
    this.stopRequested = false;
    return this.attempt();
  }

  /** Resolves when the runtime is ready; rejects when it is stopped first. */
  whenReady(): Promise<void> {
    if (this.statusValue === 'ready') return Promise.resolve();
    if (this.stopRequested) return Promise.reject(new Error(`runtime ${this.opts.id} is stopped`));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * Runs one turn on the thread. At most one turn runs at a time.
   * @throws RuntimeNotReadyError when not ready; Error when a turn is already running.
   */
  runTurn(text: string, timeoutMs: number, hooks: TurnHooks = {}): Promise<TurnOutcome> {
    const { rpc, threadId } = this.gen;
    if (this.statusValue !== 'ready' || !rpc || !threadId || rpc.closed !== null) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
    if (this.currentTurn) throw new Error(`runtime ${this.opts.id} already runs turn ${this.currentTurn.id ?? '(starting)'}`);
    const run = new TurnRun(rpc, threadId, text, { ...hooks, timeoutMs, logger: this.log, clock: this.opts.clock });
    this.currentTurn = run;
    return run.outcome.then(async (outcome) => {
      if (this.currentTurn === run) this.currentTurn = null;
      // codex writes a thread's rollout lazily: only a turn it settled surely left history behind.
      // (A first turn cut off by a crash leaves none, and its replacement thread is no loss.)
      if (outcome.status !== 'disconnected' && outcome.turnId && this.opts.record.load()?.threadHasHistory !== true) {
        await this.opts.record.patch({ threadHasHistory: true });
      }
      return outcome;
    });
  }

  /** Interrupts the running turn; false when none runs. */
  async interruptTurn(): Promise<boolean> {
    const run = this.currentTurn;
    if (!run) return false;
    await run.interrupt('requested');
    return true;
  }

  /**
   * Appends model-visible items to the thread without a turn (`thread/inject_items`).
   * @throws RuntimeNotReadyError | RpcError
   */
  async injectItems(items: InjectedMessageItem[]): Promise<void> {
    const { rpc, threadId } = this.gen;
    if (this.statusValue !== 'ready' || !rpc || !threadId) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
    await rpc.request('thread/inject_items', { threadId, items });
    if (this.opts.record.load()?.threadHasHistory !== true) await this.opts.record.patch({ threadHasHistory: true });
  }

  /**
   * Typed request on the live connection (e.g. `skills/list`).
   * @throws RuntimeNotReadyError | RpcError | RpcTimeoutError
   */
  request<M extends ClientMethod>(method: M, params: ClientRequests[M]['params']): Promise<ClientRequests[M]['result']> {
    const { rpc } = this.gen;
    if (this.statusValue !== 'ready' || !rpc) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
    return rpc.request(method, params);
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

  /** Stops the child, cancels a pending restart; leaves no process or socket. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopRequested && (this.statusValue === 'stopped' || this.statusValue === 'stopping')) return;
    this.stopRequested = true;
    this.restartTimer?.cancel();
    this.restartTimer = null;
    await this.setStatus('stopping');
    const gen = this.gen;
    this.gen = { n: gen.n + 1, proc: null, rpc: null, threadId: gen.threadId };
    await this.teardown(gen);
    await this.setStatus('stopped');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new Error(`runtime ${this.opts.id} was stopped`));
  }

  private async attempt(): Promise<StartResult> {
    if (this.stopRequested) return { status: 'stopped' };
    const n = this.gen.n + 1;
    const gen: Generation = { n, proc: null, rpc: null, threadId: null };
    this.gen = gen;
    await this.setStatus('starting', { lastStartedAt: this.opts.clock.now() });
    let timer: { cancel(): void } | undefined;
    try {
      const ready = await Promise.race([
        this.handshake(gen),
        new Promise<never>((_, reject) => {
          timer = this.opts.clock.setTimeout(() => reject(new Error(`start did not finish within ${this.opts.startTimeoutMs} ms`)), this.opts.startTimeoutMs);
        }),
      ]);
      timer?.cancel();
      if (this.gen !== gen) {
        await this.teardown(gen);
        return { status: 'stopped' };
      }
      await this.markReady(gen, ready);
      return { status: 'ready' };
    } catch (err) {
      timer?.cancel();
      const error = errorMessage(err);
      await this.teardown(gen);
      if (this.gen !== gen || this.stopRequested) return { status: 'stopped' };
      this.log.error({ err: error }, 'codex runtime start failed');
      await this.degrade(gen, `start failed: ${error}`);
      return { status: 'failed', error };
    }
  }

  private async handshake(gen: Generation): Promise<Omit<ReadyEvent, 'firstStart'>> {
    const o = this.opts;
    gen.proc = await CodexProcess.spawn(
      { bin: o.bin, pathDirs: o.pathDirs, overrides: o.overrides, codexHome: o.codexHome, cwd: o.cwd, logFile: o.logFile, logger: this.log },
      o.startTimeoutMs,
    );
    gen.rpc = await RpcClient.connect(gen.proc.socketPath, {
      logger: this.log,
      requestTimeoutMs: o.requestTimeoutMs,
      timeoutMs: o.startTimeoutMs,
      clock: o.clock,
    });
    const mcp = o.awaitMcpServers?.length ? watchMcpStartup(gen.rpc, o.awaitMcpServers, o.clock) : null;
    try {
      return await this.openSession(gen, gen.rpc, mcp);
    } finally {
      mcp?.dispose();
    }
  }

  /** The handshake on a connected app-server, from `initialize` to an open thread with its MCP servers started. */
  private async openSession(gen: Generation, rpc: RpcClient, mcp: McpStartupWatch | null): Promise<Omit<ReadyEvent, 'firstStart'>> {
    const o = this.opts;
    const init = await initialize(rpc, o.requestTimeoutMs);
    this.log.info({ pid: gen.proc?.pid, userAgent: init.userAgent }, 'codex app-server initialized');
    // The child inherits the service's environment, so codex sees the same API-key variables.
    this.loginFix = await checkCredentials(rpc, process.env, o.requestTimeoutMs);
    if (this.loginFix) this.log.warn({ codexHome: init.codexHome }, this.loginFix);
    const skills = await applySkillRoots(rpc, o.skillRoots, this.log);
    const rec = o.record.load();
    let thread = await openThread(rpc, rec?.threadId ?? null, { ...o.thread, cwd: o.cwd }, this.log);
    // codex writes a thread's rollout with its first turn: a thread that never ran one cannot be
    // resumed, but nothing was lost either, so no warning.
    if (thread.status === 'replaced' && rec?.threadHasHistory !== true) thread = { status: 'started', threadId: thread.threadId };
    gen.threadId = thread.threadId;
    // Persist the thread id as soon as the thread exists, so a crash right after still resumes it.
    if (thread.status === 'replaced') {
      await o.record.patch({ threadId: thread.threadId, threadHasHistory: false, lastLostThreadId: thread.lostThreadId, pendingLostThreadWarning: true });
    } else if (thread.status === 'started') {
      await o.record.patch({ threadId: thread.threadId, threadHasHistory: false });
    }
    if (mcp) {
      for (const server of await mcp.settled(thread.threadId, Math.floor(o.startTimeoutMs / 2))) {
        if (server.status === 'ready') continue;
        this.log.warn({ server: server.name, status: server.status, err: server.error }, 'MCP server did not start; turns go without its tools until it does');
      }
    }
    return { thread, skills };
  }

  private async markReady(gen: Generation, ready: Omit<ReadyEvent, 'firstStart'>): Promise<void> {
    const watch = (reason: string): void => void this.onLost(gen, reason);
    gen.rpc?.onClose((r) => watch(`app-server connection closed: ${r}`));
    void gen.proc?.exited.then((e) => watch(`app-server exited (code ${e.code}, signal ${e.signal})`));
    await this.setStatus('ready', { lastReadyAt: this.opts.clock.now(), restartAttempts: 0, lastError: this.loginFix });
    this.log.info({ threadId: gen.threadId, thread: ready.thread.status, skills: ready.skills }, 'codex runtime ready');
    const event: ReadyEvent = { ...ready, firstStart: this.readyCount === 0 };
    this.readyCount++;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
    for (const l of this.readyListeners) l(event);
  }

  private async onLost(gen: Generation, reason: string): Promise<void> {
    if (this.gen !== gen || this.stopRequested || gen.lost) return;
    gen.lost = true;
    // Not ready from this instant: the queue must wait for the restart, not race the teardown.
    this.statusValue = 'degraded';
    this.log.warn({ reason }, 'codex runtime lost');
    await this.teardown(gen);
    await this.degrade(gen, reason);
  }

  private async degrade(gen: Generation, reason: string): Promise<void> {
    if (this.gen !== gen || this.stopRequested) return;
    const rec = this.opts.record.load();
    const attempt = (rec?.restartAttempts ?? 0) + 1;
    const delay = backoffDelay(attempt, this.opts.backoff);
    await this.setStatus('degraded', { lastError: reason, restartAttempts: attempt, restartCount: (rec?.restartCount ?? 0) + 1 });
    this.log.info({ attempt, delayMs: delay }, 'codex runtime restart scheduled');
    this.restartTimer = this.opts.clock.setTimeout(() => {
      this.restartTimer = null;
      if (this.gen === gen && !this.stopRequested) void this.attempt();
    }, delay);
  }

  private async teardown(gen: Generation): Promise<void> {
    await gen.rpc?.close().catch(() => undefined);
    await gen.proc?.kill().catch((err: unknown) => this.log.warn({ err }, 'killing codex app-server failed'));
  }

  private async setStatus(status: RuntimeStatus, patch: Partial<RuntimeRecord> = {}): Promise<void> {
    this.statusValue = status;
    await this.opts.record.patch({ ...patch, status, statusChangedAt: this.opts.clock.now() });
  }
}
