/**
 * TeammateManager: every teammate of the service. Spawns (record + runtime +
 * first task), forwards follow-up tasks, reports status, closes, and restarts
 * open teammates after a service restart (threads resumed).
 *
 * Callers are checked here (`authorize`): dispatchers manage their own
 * teammates, teammates may only look, operators may look and close.
 */
import { OnDemandRuntime } from '../codex/on-demand-runtime.js';
import type { AgentRuntime } from '../codex/agent-runtime.js';
import { runtimeOptions, type RuntimeSpec } from '../codex/runtime-options.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { CodexLaunch } from '../codex/child-env.js';
import { CodexRuntime } from '../codex/runtime.js';
import type { Config, DispatcherConfig } from '../config/schema.js';
import type { ApprovalBroker } from '../dispatch/approvals/broker.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { DISPATCHER_SESSION } from '../dispatch/sessions/key.js';
import type { Logger } from '../log.js';
import type { McpEndpoint } from '../mcp/registration.js';
import { freshRuntimeRecord } from '../state/types.js';
import type { StateStore, TeammateRecord, TeammateTask } from '../state/types.js';
import type { ReplyAddress } from '../channels/types.js';
import type { Caller, CloseAnswer, SendAnswer, SpawnAnswer, TeammateStatus } from './api.js';
import { authorize, checkName, checkTaskText, resolveTeammateCwd, TeammateError, type TeammateAction } from './rules.js';
import { newTask, statusOfRecord, Teammate } from './teammate.js';
import { keptInMemory, StateWriteError } from '../state/health.js';

type TaskRequester = NonNullable<TeammateTask['requester']> | null;

/** Open teammates per service (each is a codex app-server process). */
export const MAX_OPEN_TEAMMATES = 16;

/** Queued tasks per teammate, the running one included. */
export const MAX_TEAMMATE_TASKS = 20;

/** Closed teammate records kept for operators (newest first). */
export const CLOSED_TEAMMATES_KEPT = 20;

export interface TeammateManagerOptions {
  config: Config;
  store: StateStore;
  dispatchers: ReadonlyMap<string, Dispatcher>;
  /** How to launch codex (binary, PATH dirs, the child environment). */
  codex: CodexLaunch;
  /** Where `codex-teammate-<name>.log` files go. */
  logDir: string;
  /** Switchboard's MCP endpoint for the teammates' own app-servers. */
  mcp: McpEndpoint;
  /** Asks teammates' approvals in the conversation of the dispatcher turn that gave the task; absent: declined at once. */
  approvals?: ApprovalBroker;
  logger: Logger;
  clock: Clock;
}

export class TeammateManager {
  private readonly open = new Map<string, Teammate>();
  /** Names being spawned right now (reserved before the first await). */
  private readonly spawning = new Set<string>();
  private readonly closing = new Map<string, Promise<CloseAnswer>>();
  private stopping = false;
  private readonly log: Logger;

  constructor(private readonly opts: TeammateManagerOptions) {
    this.log = opts.logger.child({ component: 'teammates' });
  }

  /**
   * Starts every teammate that was not closed (threads resumed). A task that
   * was running when the service stopped is reported as an `interrupted`
   * completion. Teammates of a dispatcher that is no longer configured are closed.
   */
  async start(): Promise<void> {
    const starts: Array<Promise<unknown>> = [];
    for (const rec of this.opts.store.listTeammates()) {
      if (rec.closed) continue;
      if (!this.opts.dispatchers.has(rec.dispatcher)) {
        this.log.warn({ teammate: rec.name, dispatcher: rec.dispatcher }, 'teammate belongs to a dispatcher that is no longer configured; closing it');
        await this.opts.store.patchTeammate(rec.name, {
          closed: true,
          closedAt: this.opts.clock.now(),
          tasks: [],
          lastError: `dispatcher "${rec.dispatcher}" is no longer configured`,
        });
        continue;
      }
      const t = this.build(rec);
      this.open.set(rec.name, t);
      starts.push(t.start());
    }
    await Promise.all(starts);
    if (starts.length > 0) this.log.info({ teammates: [...this.open.keys()] }, 'teammates restarted');
  }

  /**
   * Spawns a teammate for the calling dispatcher and queues `task` as its first
   * turn. Waits for the runtime's first start attempt (a failed one keeps
   * retrying with backoff and is reported in the answer). The completion goes
   * to the conversation of the dispatcher's running turn, if any.
   * @throws TeammateError
   */
  /**
   * Where the answer of the dispatcher turn that made a tool call goes: the running turn of the
   * caller's session (named by its thread's caller token; absent: the dispatcher's own thread),
   * else the one running turn of the dispatcher (a codex that ignored the thread's MCP config). Null for
   * other callers, or when no such turn runs. `requester` is who sent that turn's chat message
   * (they may answer the task's approvals there).
   */
  private callerOrigin(caller: Caller): { origin: ReplyAddress; requester: TaskRequester } | null {
    if (caller.role !== 'dispatcher') return null;
    const d = this.opts.dispatchers.get(caller.id);
    if (!d) return null;
    for (const session of [caller.session ?? DISPATCHER_SESSION, undefined]) {
      const origin = d.runningAddress(session);
      if (origin) return { origin, requester: d.runningRequester(session) };
    }
    return null;
  }

  async spawn(caller: Caller, req: { name: string; task: string; cwd?: string | undefined }): Promise<SpawnAnswer> {
    authorize(caller, 'spawn');
    if (caller.role !== 'dispatcher') throw new TeammateError('refused', 'refused: only a dispatcher can spawn teammates'); // authorize() said so already
    const dispatcher = this.callerDispatcher(caller);
    const name = checkName(req.name);
    const task = checkTaskText(req.task, 'task');
    if (this.stopping) throw new TeammateError('stopped', 'the service is stopping');
    const existing = this.opts.store.getTeammate(name);
    if (this.spawning.has(name) || this.open.has(name) || (existing && !existing.closed)) {
      const owner = existing && !existing.closed ? ` (dispatcher ${existing.dispatcher}, ${this.statusOf(name)?.status ?? existing.status})` : '';
      throw new TeammateError('duplicate', `a teammate named "${name}" already exists${owner}; pick another name, or use teammate_send to give it more work`);
    }
    if (this.open.size + this.spawning.size >= MAX_OPEN_TEAMMATES) {
      throw new TeammateError('limit', `${MAX_OPEN_TEAMMATES} teammates are open already; close one first (teammate_close)`);
    }
    this.spawning.add(name);
    try {
      const dcfg = this.dispatcherConfig(dispatcher);
      const cwd = await resolveTeammateCwd(dcfg.cwd, name, req.cwd);
      await mkdir(cwd, { recursive: true });
      const from = this.callerOrigin(caller);
      const origin = from?.origin ?? null;
      const now = this.opts.clock.now();
      const rec: TeammateRecord = {
        ...freshRuntimeRecord(now),
        name,
        dispatcher,
        cwd,
        origin,
        createdAt: now,
        closed: false,
        closedAt: null,
        tasks: [newTask(task, origin, now, from?.requester ?? null)],
        lastCompletionId: null,
      };
      if (existing) this.log.info({ teammate: name }, 'reusing the name of a closed teammate (fresh thread)');
      if (this.stopping) throw new TeammateError('stopped', 'the service is stopping');
      try {
        await this.opts.store.putTeammate(rec, CLOSED_TEAMMATES_KEPT);
      } catch (err) {
        // Refused means never run: the record the store keeps in memory (and writes later) is closed, so no start picks it up.
        if (err instanceof StateWriteError) await keptInMemory(this.opts.store.patchTeammate(name, { closed: true, closedAt: now, tasks: [] }), () => rec);
        throw err;
      }
      // Stopping meanwhile: the record is saved, so the teammate starts with the next service start.
      if (this.stopping) throw new TeammateError('stopped', 'the service is stopping; the teammate starts with the service next time');
      const t = this.build(rec);
      this.open.set(name, t);
      this.log.info({ teammate: name, dispatcher, cwd, origin: origin && `${origin.channelId}/${origin.conversation}` }, 'teammate spawned');
      const started = await t.start();
      const answer: SpawnAnswer = {
        status: 'spawned',
        name,
        cwd,
        runtime: t.runtime.status,
        threadId: t.runtime.threadId,
        origin: origin ? { channel: origin.channelId, conversation: origin.conversation } : null,
      };
      if (started.status === 'failed') answer.startError = started.error;
      return answer;
    } finally {
      this.spawning.delete(name);
    }
  }

  /**
   * Queues another task for a teammate (FIFO behind its current one). Its
   * completion goes to the conversation of the caller's running turn, else
   * to the conversation the teammate was spawned from.
   * @throws TeammateError
   */
  async send(caller: Caller, req: { name: string; text: string }): Promise<SendAnswer> {
    authorize(caller, 'send');
    const { rec, teammate } = this.target(caller, req.name, 'send');
    const text = checkTaskText(req.text, 'text');
    if (this.stopping) throw new TeammateError('stopped', 'the service is stopping');
    if (rec.tasks.length >= MAX_TEAMMATE_TASKS) {
      throw new TeammateError(
        'limit',
        `teammate "${rec.name}" has ${rec.tasks.length} tasks queued already (limit ${MAX_TEAMMATE_TASKS}); wait for its completions`,
      );
    }
    // Sent outside a chat turn: the answer goes where the teammate was spawned from; nobody in particular asked.
    const from = this.callerOrigin(caller);
    const position = await teammate.enqueue(text, from?.origin ?? rec.origin, from?.requester ?? null);
    return { status: 'queued', name: rec.name, position };
  }

  /**
   * Teammates the caller may see (a dispatcher or teammate: those of its
   * dispatcher; an operator: all), or one by name.
   * @throws TeammateError for an unknown or foreign name
   */
  status(caller: Caller, name?: string): TeammateStatus[] {
    authorize(caller, 'status');
    if (name !== undefined) return [this.statusOf(this.target(caller, name, 'status', true).rec.name)!];
    const scope = caller.role === 'operator' ? null : this.callerDispatcher(caller);
    return this.opts.store
      .listTeammates()
      .filter((r) => scope === null || r.dispatcher === scope)
      .map((r) => this.statusOf(r.name)!);
  }

  /** Every teammate record (operators' `switchboard status`). */
  all(): TeammateStatus[] {
    return this.opts.store.listTeammates().map((r) => this.statusOf(r.name)!);
  }

  /**
   * Closes a teammate: its runtime stops for good, a running task is reported
   * as an `interrupted` completion, queued tasks are dropped. Closing a closed
   * teammate answers `already_closed`.
   * @throws TeammateError
   */
  async close(caller: Caller, name: string): Promise<CloseAnswer> {
    authorize(caller, 'close');
    const { rec } = this.target(caller, name, 'close', true);
    if (rec.closed) return { status: 'already_closed', name: rec.name, interruptedTask: false, droppedTasks: 0 };
    const pending = this.closing.get(rec.name);
    if (pending) return pending;
    const teammate = this.open.get(rec.name);
    const p = (async (): Promise<CloseAnswer> => {
      let res = { interruptedTask: false, droppedTasks: rec.tasks.length };
      if (teammate) res = await teammate.close();
      else await this.opts.store.patchTeammate(rec.name, { closed: true, closedAt: this.opts.clock.now(), tasks: [] });
      this.open.delete(rec.name);
      this.log.info({ teammate: rec.name, by: caller.role === 'operator' ? 'operator' : `${caller.role}:${caller.id}` }, 'teammate closed');
      return { status: 'closed', name: rec.name, ...res };
    })().finally(() => this.closing.delete(rec.name));
    this.closing.set(rec.name, p);
    return p;
  }

  /** Service stop: stops every runtime; open teammates start again with the service. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.closing.values()]);
    await Promise.allSettled([...this.open.values()].map((t) => t.stop()));
  }

  private statusOf(name: string): TeammateStatus | undefined {
    const live = this.open.get(name);
    if (live) return live.status();
    const rec = this.opts.store.getTeammate(name);
    return rec ? statusOfRecord(rec) : undefined;
  }

  /** The dispatcher a caller acts for. @throws TeammateError('refused') for an unknown caller. */
  private callerDispatcher(caller: Exclude<Caller, { role: 'operator' }>): string {
    if (caller.role === 'dispatcher') {
      if (!this.opts.dispatchers.has(caller.id)) throw new TeammateError('refused', `refused: unknown dispatcher "${caller.id}"`);
      return caller.id;
    }
    const rec = this.opts.store.getTeammate(caller.id);
    if (!rec || rec.closed) throw new TeammateError('refused', `refused: "${caller.id}" is not an open teammate`);
    return rec.dispatcher;
  }

  /**
   * The named teammate, checked against the caller's scope.
   * @throws TeammateError: invalid name, unknown, another dispatcher's, or closed (unless `allowClosed`).
   */
  private target(caller: Caller, name: string, action: TeammateAction, allowClosed = false): { rec: TeammateRecord; teammate: Teammate } {
    checkName(name);
    const scope = caller.role === 'operator' ? null : this.callerDispatcher(caller);
    const rec = this.opts.store.getTeammate(name);
    if (!rec) {
      const known = this.opts.store
        .listTeammates()
        .filter((r) => !r.closed && (scope === null || r.dispatcher === scope))
        .map((r) => r.name);
      throw new TeammateError(
        'unknown',
        `no teammate named "${name}"; ${known.length ? `open teammates: ${known.join(', ')}` : 'there are no open teammates'}`,
      );
    }
    if (scope !== null && rec.dispatcher !== scope) {
      throw new TeammateError('refused', `refused: teammate "${name}" belongs to dispatcher "${rec.dispatcher}", not to you`);
    }
    const teammate = this.open.get(name);
    if (!allowClosed && (rec.closed || !teammate)) {
      throw new TeammateError(
        'closed',
        `teammate "${name}" was closed; spawn a new one (the name may be reused) to ${action === 'send' ? 'give it work' : action}`,
      );
    }
    return { rec, teammate: teammate! };
  }

  private dispatcherConfig(id: string): DispatcherConfig {
    const d = this.opts.config.dispatchers.find((x) => x.id === id);
    if (!d) throw new TeammateError('refused', `refused: unknown dispatcher "${id}"`);
    return d;
  }

  private build(rec: TeammateRecord): Teammate {
    const { config, store, clock } = this.opts;
    const c = config.codex;
    const d = this.dispatcherConfig(rec.dispatcher);
    const dispatcher = this.opts.dispatchers.get(rec.dispatcher);
    if (!dispatcher) throw new Error(`dispatcher ${rec.dispatcher} is not running`);
    const logger = this.opts.logger.child({ teammate: rec.name, dispatcher: rec.dispatcher });
    const spec: RuntimeSpec = {
      id: rec.name,
      role: 'teammate',
      cwd: rec.cwd,
      developerInstructions:
        `You are the Switchboard teammate "${rec.name}", working for the dispatcher "${rec.dispatcher}". ` +
        'Each of your final messages is delivered to that dispatcher as a completion, not to a person.',
      // A failed write is kept in memory and written later (src/state/health.ts): no reason to fail a (re)start.
      record: { load: () => store.getTeammate(rec.name), patch: (p) => keptInMemory(store.patchTeammate(rec.name, p), () => store.getTeammate(rec.name)!) },
      logFile: path.join(this.opts.logDir, `codex-teammate-${rec.name}.log`),
    };
    if (d.model) spec.model = d.model;
    // The teammate role's policy (config `teammates`), else the owning dispatcher's: a teammate works for it.
    const approvalPolicy = config.teammates.approvalPolicy ?? d.approvalPolicy;
    const sandbox = config.teammates.sandbox ?? d.sandbox;
    if (approvalPolicy) spec.approvalPolicy = approvalPolicy;
    if (sandbox) spec.sandbox = sandbox;
    const codexRuntime = new CodexRuntime(runtimeOptions(config, spec, { codex: this.opts.codex, mcp: this.opts.mcp, logger, clock }));
    const idleStopMs = config.teammates.idleStopMs;
    const runtime: AgentRuntime =
      idleStopMs === null
        ? codexRuntime
        : new OnDemandRuntime(codexRuntime, {
            id: rec.name,
            lazyStart: false,
            idleStopMs,
            busy: () => (store.getTeammate(rec.name)?.tasks.length ?? 0) > 0,
            clock,
            logger,
          });
    return new Teammate({
      name: rec.name,
      runtime,
      store,
      dispatcher,
      turnTimeoutMs: d.turnTimeoutMs ?? c.turnTimeoutMs,
      ...(this.opts.approvals ? { approvals: this.opts.approvals } : {}),
      logger,
      clock,
    });
  }
}
