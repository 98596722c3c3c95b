/**
 * CodexRuntime: one `codex app-server` child and its threads, kept alive.
 *
 * Lifecycle (persisted with timestamps): declared → starting → ready →
 * degraded → stopping → stopped. On child exit or socket close the runtime is
 * degraded and restarts after `min(max, base·2^(n-1))` ms; the counter resets
 * after a successful start and a stop cancels a pending restart. Every start
 * runs the handshake: initialize → initialized → skill roots → thread resume|start →
 * the awaited MCP servers started (./mcp-startup.ts).
 *
 * Threads (codex app-server v2: one app-server hosts many threads): the runtime's own thread,
 * opened by each start, and session threads opened with `openThread` (./session-threads.ts),
 * forgotten with their child (a restart is a new generation: open them again, which resumes).
 * At most one turn runs per thread; turns of different threads run at once on one connection,
 * each `TurnRun` taking only its thread's notifications and server requests.
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
  type ThreadRecordStore,
  type TurnHooks,
} from './agent-runtime.js';
import { applySkillRoots, checkCredentials, initialize, type ThreadOpenResult } from './handshake.js';
import { watchMcpStartup, type McpStartupWatch } from './mcp-startup.js';
import { CodexProcess } from './process.js';
import type { ChildRegistry } from './child-registry.js';
import type { ClientMethod, ClientRequests, InjectedMessageItem, ThreadSettings } from './protocol.js';
import { RpcClient, RpcClosedError } from './rpc-client.js';
import { OWN_THREAD, OpenThreads, SessionNotOpenError, openRecordedThread } from './session-threads.js';
import { TurnRun, type TurnOutcome } from './turn-runner.js';
import type { StartGate } from './start-gate.js';
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
  /** The app-server's whole environment (./child-env.ts). */
  env: Readonly<Record<string, string>>;
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
  /** Bounds concurrent app-server starts across the service (./start-gate.ts); absent: unbounded. */
  startGate?: StartGate;
  /** The child's stdout/stderr go here (appended). */
  logFile: string;
  /** Rotate the log before a spawn when larger, bytes (config `retention.logMaxBytes`). */
  logMaxBytes?: number;
  /** The app-server's niceness (config `codex.niceness`); absent: unchanged. */
  niceness?: number;
  logger: Logger;
  clock: Clock;
  /** Records each app-server child while it runs (see CodexProcessOptions.children); none = not recorded. */
  children?: ChildRegistry;
}

export type { ReadyEvent, StartResult } from './agent-runtime.js';

interface Generation {
  n: number;
  proc: CodexProcess | null;
  rpc: RpcClient | null;
  threadId: string | null;
  /** Session threads open on this child. */
  sessions: OpenThreads;
  /** Set once the child or socket of this generation was seen gone. */
  lost?: boolean;
}

/** Where one turn goes: the thread and the record that learns it has history. */
interface ThreadTarget {
  key: string;
  threadId: string;
  record: ThreadRecordStore;
}

export class CodexRuntime implements AgentRuntime {
  private statusValue: RuntimeStatus = 'declared';
  private loginFix: string | null = null;
  private gen: Generation = { n: 0, proc: null, rpc: null, threadId: null, sessions: new OpenThreads() };
  private restartTimer: { cancel(): void } | null = null;
  /** Running turns by thread: session key, or OWN_THREAD. */
  private readonly turns = new Map<string, TurnRun>();
  /** Threads being replaced by startFreshThread (session key, or OWN_THREAD): no turn may start there meanwhile. */
  private readonly replacing = new Set<string>();
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

  /** The running turn of the own thread, if any. */
  get runningTurn(): TurnRun | null {
    return this.turns.get(OWN_THREAD) ?? null;
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
   * Runs one turn on the own thread, or on the open session thread `session`. At most one turn
   * runs per thread. A settled turn marks its record `threadHasHistory`.
   * @throws RuntimeNotReadyError when not ready or `session` is not open on this app-server;
   *   Error when a turn already runs on that thread.
   */
  runTurn(text: string, timeoutMs: number, hooks: TurnHooks = {}, session?: string): Promise<TurnOutcome> {
    const { rpc, target } = this.target(session);
    const running = this.turns.get(target.key);
    if (running) throw new Error(`runtime ${this.opts.id} already runs turn ${running.id ?? '(starting)'} on ${this.describe(session)}`);
    if (this.replacing.has(target.key)) throw new Error(`runtime ${this.opts.id} is replacing the thread of ${this.describe(session)}`);
    const run = new TurnRun(rpc, target.threadId, text, { ...hooks, timeoutMs, logger: this.log, clock: this.opts.clock });
    this.turns.set(target.key, run);
    return run.outcome.then(async (outcome) => {
      if (this.turns.get(target.key) === run) this.turns.delete(target.key);
      // codex writes a thread's rollout lazily: only a turn it settled surely left history behind.
      // (A first turn cut off by a crash leaves none, and its replacement thread is no loss.)
      if (outcome.status !== 'disconnected' && outcome.turnId) await this.markHistory(target.record);
      return outcome;
    });
  }

  /** Interrupts the running turn of the own thread or of `session`; false when none runs there. */
  async interruptTurn(session?: string): Promise<boolean> {
    const run = this.turns.get(session ?? OWN_THREAD);
    if (!run) return false;
    await run.interrupt('requested');
    return true;
  }

  /**
   * Adds `text` to the running turn of the own thread or of `session` (`TurnRun.steer`:
   * codex app-server v2 `turn/steer`); `notSteerable` when none runs there. Never throws.
   */
  async steerTurn(text: string, session?: string): Promise<SteerResult> {
    const run = this.turns.get(session ?? OWN_THREAD);
    if (!run) return { status: 'notSteerable', reason: `no turn runs on ${this.describe(session)}` };
    return run.steer(text);
  }

  /**
   * Appends model-visible items to the own thread or `session`'s without a turn
   * (`thread/inject_items`), and marks its record `threadHasHistory`.
   * @throws RuntimeNotReadyError (also when `session` is not open) | RpcError
   */
  async injectItems(items: InjectedMessageItem[], session?: string): Promise<void> {
    const { rpc, target } = this.target(session);
    await rpc.request('thread/inject_items', { threadId: target.threadId, items });
    await this.markHistory(target.record);
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

  /**
   * Opens `session`'s thread on the running app-server unless open (see OpenThreads.open):
   * resumes its record's thread, else starts one, with the runtime's thread settings plus
   * `session.config`, persisting as the own thread does; waits for the awaited MCP servers of
   * the thread like a start does.
   * @throws RuntimeNotReadyError when not ready (or the app-server went away meanwhile); RpcError
   *   when `thread/start` fails.
   */
  async openThread(session: SessionThread): Promise<SessionOpenResult> {
    if (session.key === OWN_THREAD) throw new Error('a session key must not be empty');
    const gen = this.gen;
    const rpc = this.readyRpc();
    return this.notReadyOnClose(() =>
      gen.sessions.open(session, () => this.withMcpStartup(rpc, () => openRecordedThread(rpc, session.record, this.threadSettings(session.config), this.log))),
    );
  }

  /**
   * Unloads `session`'s thread (codex app-server v2 `thread/unsubscribe` `{threadId}` →
   * `{status}`) and forgets it; a failed request is logged (the thread is forgotten anyway, a
   * later openThread resumes it). No-op when not open or not ready.
   * @throws Error when a turn runs on it or it is being replaced.
   */
  async unloadThread(session: string): Promise<void> {
    const gen = this.gen;
    if (this.statusValue !== 'ready' || !gen.rpc) return;
    const opening = gen.sessions.opening(session);
    if (opening) await opening;
    const open = gen.sessions.get(session);
    if (!open || this.gen !== gen) return;
    if (this.turns.has(session)) throw new Error(`runtime ${this.opts.id} runs a turn on session ${session}; not unloading its thread`);
    if (this.replacing.has(session)) throw new Error(`runtime ${this.opts.id} is replacing the thread of session ${session}; not unloading it`);
    const rpc = gen.rpc;
    await gen.sessions.unload(session, async () => {
      try {
        const res = await rpc.request('thread/unsubscribe', { threadId: open.threadId });
        this.log.info({ session, threadId: open.threadId, status: res.status }, 'session thread unloaded');
      } catch (err) {
        this.log.warn({ session, threadId: open.threadId, err: errorMessage(err) }, 'thread/unsubscribe failed; forgetting the thread anyway');
      }
    });
  }

  /**
   * Replaces the own thread or open session `session`'s with a fresh one (`thread/start`, same
   * settings and config), unloads the old one (`thread/unsubscribe`, failures ignored), and
   * persists `{threadId: new, threadHasHistory: false}` to the thread's record. Resolves with
   * the new thread id. The caller keeps the old id (e.g. in `previousThreads`).
   * While it runs, turns on that thread are refused (Error), as is a second replacement.
   * @throws RuntimeNotReadyError when not ready or `session` is not open; RpcError when
   *   `thread/start` fails; Error when a turn runs on that thread or it is being replaced.
   */
  async startFreshThread(session?: string): Promise<string> {
    const gen = this.gen;
    const key = session ?? OWN_THREAD;
    // Checks and the `replacing` mark happen in one synchronous step, so no turn slips in between.
    const opening = session === undefined ? undefined : gen.sessions.opening(session);
    if (opening) await opening;
    const { rpc, target } = this.target(session);
    if (this.turns.has(key)) throw new Error(`runtime ${this.opts.id} runs a turn on ${this.describe(session)}; not replacing its thread`);
    if (this.replacing.has(key)) throw new Error(`runtime ${this.opts.id} is replacing the thread of ${this.describe(session)} already`);
    this.replacing.add(key);
    try {
      const open = session === undefined ? undefined : gen.sessions.get(session);
      const thread = await this.notReadyOnClose(() =>
        this.withMcpStartup(rpc, async (): Promise<ThreadOpenResult> => {
          const res = await rpc.request('thread/start', this.threadSettings(open?.session.config));
          return { status: 'started', threadId: res.thread.id };
        }),
      );
      if (this.gen !== gen) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
      if (open) gen.sessions.set(open.session, thread.threadId);
      else gen.threadId = thread.threadId;
      await target.record.patch({ threadId: thread.threadId, threadHasHistory: false });
      await rpc.request('thread/unsubscribe', { threadId: target.threadId }).catch((err: unknown) => {
        this.log.warn({ threadId: target.threadId, err: errorMessage(err) }, 'thread/unsubscribe of the replaced thread failed');
      });
      this.log.info({ session, threadId: thread.threadId, previous: target.threadId }, 'fresh thread started');
      return thread.threadId;
    } finally {
      this.replacing.delete(key);
    }
  }

  /** Keys of the session threads open on the running app-server. */
  openSessions(): readonly string[] {
    return this.gen.sessions.keys();
  }

  /** The live connection when ready. @throws RuntimeNotReadyError */
  private readyRpc(): RpcClient {
    const { rpc } = this.gen;
    if (this.statusValue !== 'ready' || !rpc || rpc.closed !== null) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
    return rpc;
  }

  /** The connection and thread of the own thread or open session `session`. @throws RuntimeNotReadyError */
  private target(session: string | undefined): { rpc: RpcClient; target: ThreadTarget } {
    const rpc = this.readyRpc();
    if (session === undefined) {
      const { threadId } = this.gen;
      if (!threadId) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
      return { rpc, target: { key: OWN_THREAD, threadId, record: this.opts.record } };
    }
    const open = this.gen.sessions.get(session);
    if (!open) throw new SessionNotOpenError(this.opts.id, session, this.statusValue);
    return { rpc, target: { key: session, threadId: open.threadId, record: open.session.record } };
  }

  private describe(session: string | undefined): string {
    return session === undefined ? 'its own thread' : `session ${session}`;
  }

  private async markHistory(record: ThreadRecordStore): Promise<void> {
    if (record.load()?.threadHasHistory !== true) await record.patch({ threadHasHistory: true });
  }

  /** `thread/start` / `thread/resume` settings: the runtime's, its cwd, and `config` merged over the runtime's. */
  private threadSettings(config?: Record<string, unknown>): ThreadSettings {
    const o = this.opts;
    const merged = config || o.thread.config ? { ...o.thread.config, ...config } : undefined;
    return { ...o.thread, cwd: o.cwd, ...(merged ? { config: merged } : {}) };
  }

  /** Runs `fn`; a lost connection becomes RuntimeNotReadyError. */
  private async notReadyOnClose<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RpcClosedError) throw new RuntimeNotReadyError(this.opts.id, this.statusValue);
      throw err;
    }
  }

  /**
   * Opens a thread with `open`, then waits (at most half of `startTimeoutMs`) for its awaited MCP
   * servers, so its first turn is offered their tools; those that did not start are logged.
   */
  private async withMcpStartup(rpc: RpcClient, open: () => Promise<ThreadOpenResult>): Promise<ThreadOpenResult> {
    const o = this.opts;
    const mcp = o.awaitMcpServers?.length ? watchMcpStartup(rpc, o.awaitMcpServers, o.clock) : null;
    try {
      const thread = await open();
      if (mcp) await this.logMcpStartup(mcp, thread.threadId);
      return thread;
    } finally {
      mcp?.dispose();
    }
  }

  private async logMcpStartup(mcp: McpStartupWatch, threadId: string): Promise<void> {
    for (const server of await mcp.settled(threadId, Math.floor(this.opts.startTimeoutMs / 2))) {
      if (server.status === 'ready') continue;
      this.log.warn(
        { server: server.name, status: server.status, err: server.error, threadId },
        'MCP server did not start; turns go without its tools until it does',
      );
    }
  }

  /** Stops the child, cancels a pending restart; leaves no process or socket. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopRequested && (this.statusValue === 'stopped' || this.statusValue === 'stopping')) return;
    this.stopRequested = true;
    this.restartTimer?.cancel();
    this.restartTimer = null;
    await this.setStatus('stopping');
    const gen = this.gen;
    this.gen = { n: gen.n + 1, proc: null, rpc: null, threadId: gen.threadId, sessions: new OpenThreads() };
    await this.teardown(gen);
    await this.setStatus('stopped');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new Error(`runtime ${this.opts.id} was stopped`));
  }

  /** One start attempt, when the service's start gate has a slot (the start timeout runs from then). */
  private attempt(): Promise<StartResult> {
    if (this.stopRequested) return Promise.resolve({ status: 'stopped' });
    return this.opts.startGate ? this.opts.startGate(() => this.attemptNow()) : this.attemptNow();
  }

  private async attemptNow(): Promise<StartResult> {
    if (this.stopRequested) return { status: 'stopped' };
    const n = this.gen.n + 1;
    const gen: Generation = { n, proc: null, rpc: null, threadId: null, sessions: new OpenThreads() };
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
      {
        bin: o.bin,
        pathDirs: o.pathDirs,
        overrides: o.overrides,
        codexHome: o.codexHome,
        env: o.env,
        cwd: o.cwd,
        logFile: o.logFile,
        ...(o.logMaxBytes !== undefined ? { logMaxBytes: o.logMaxBytes } : {}),
        ...(o.niceness !== undefined ? { niceness: o.niceness } : {}),
        logger: this.log,
        ...(o.children ? { children: o.children } : {}),
      },
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
    // The API-key variables codex sees are the ones of its own environment.
    this.loginFix = await checkCredentials(rpc, o.env, o.requestTimeoutMs);
    if (this.loginFix) this.log.warn({ codexHome: init.codexHome }, this.loginFix);
    const skills = await applySkillRoots(rpc, o.skillRoots, this.log);
    const thread = await openRecordedThread(rpc, o.record, this.threadSettings(), this.log);
    gen.threadId = thread.threadId;
    if (mcp) await this.logMcpStartup(mcp, thread.threadId);
    return { thread, skills };
  }

  private async markReady(gen: Generation, ready: Omit<ReadyEvent, 'firstStart'>): Promise<void> {
    // Nothing may escape into an unhandled rejection: that would end the whole service.
    const watch = (reason: string): void =>
      void this.onLost(gen, reason).catch((err: unknown) => this.log.error({ err }, 'handling the lost codex runtime failed'));
    gen.rpc?.onClose((r) => watch(`app-server connection closed: ${r}`));
    void gen.proc?.exited.then((e) => watch(`app-server exited (code ${e.code}, signal ${e.signal})`));
    const event: ReadyEvent = { ...ready, firstStart: this.readyCount === 0 };
    this.readyCount++;
    // The status reads 'ready' as soon as setStatus starts its write; the listeners run in that same
    // step, before anything else can see it, so a dispatcher holds its turns until it prepared the
    // thread (e.g. injected the restart notice) instead of racing a turn in during the write.
    const persisted = this.setStatus('ready', { lastReadyAt: this.opts.clock.now(), restartAttempts: 0, lastError: this.loginFix });
    for (const l of this.readyListeners) l(event);
    await persisted;
    this.log.info({ threadId: gen.threadId, thread: ready.thread.status, skills: ready.skills }, 'codex runtime ready');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
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
      if (this.gen === gen && !this.stopRequested) void this.attempt().catch((err: unknown) => this.log.error({ err }, 'codex runtime restart failed'));
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
