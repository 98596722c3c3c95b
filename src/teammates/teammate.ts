/**
 * One teammate: a `CodexRuntime` (role `teammate`) and its durable FIFO of
 * tasks, run one turn at a time. Every task that starts ends in exactly one
 * completion handed to the owning dispatcher (`Dispatcher.deliverCompletion`),
 * id `<name>:<turn id>`:
 *
 * - completed / failed / interrupted (turn timeout) → that status and the final
 *   agent message (or the error);
 * - the runtime was lost mid-turn, the teammate was closed, or the service
 *   stopped during the turn (seen at the next start) → `interrupted`, not re-run:
 *   the task may have had partial effects, and the dispatcher decides.
 *
 * The settled result is persisted on the task before it is handed over and the
 * task is removed only after the dispatcher accepted it, so a crash in between
 * hands it over again (the completion id makes that a duplicate, not a repeat).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { RuntimeNotReadyError, type AgentRuntime, type StartResult, type TurnHooks } from '../codex/agent-runtime.js';
import { PUMP_RETRY_MS, QueuePump } from '../dispatch/queue-pump.js';
import type { TurnOutcome } from '../codex/turn-runner.js';
import type { ApprovalBroker, ApprovalContext } from '../dispatch/approvals/broker.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Logger } from '../log.js';
import type { StateStore, TeammateRecord, TeammateTask } from '../state/types.js';
import type { ReplyAddress } from '../channels/types.js';
import type { TeammateStatus } from './api.js';
import { keptInMemory, StateWriteError } from '../state/health.js';

type TaskResult = NonNullable<TeammateTask['result']>;

export interface TeammateOptions {
  name: string;
  runtime: AgentRuntime;
  store: StateStore;
  /** The owning dispatcher: completions go to it. */
  dispatcher: Dispatcher;
  turnTimeoutMs: number;
  /** Asks the task's approvals in its origin conversation; absent: codex's requests are declined at once. */
  approvals?: ApprovalBroker;
  logger: Logger;
  clock: Clock;
}

/** Completion id of a task: `<name>:<turn id>`, or `<name>:task-<task id>` when the turn never got an id. */
export function completionIdFor(name: string, task: Pick<TeammateTask, 'id' | 'turnId'>): string {
  return `${name}:${task.turnId ?? `task-${task.id}`}`;
}

/** A fresh task. */
export function newTask(text: string, origin: ReplyAddress | null, now: number, requester: TeammateTask['requester'] = null): TeammateTask {
  return { id: randomUUID(), text, origin, requester: requester ?? null, acceptedAt: now, startedAt: null, turnId: null, result: null };
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export class Teammate {
  private readonly queue: QueuePump;
  /** The service is stopping: leave a running task as started (reported after the next start). */
  private stopping = false;
  /** close() was called: a running task ends as `interrupted` (closed). */
  private closing = false;
  private closedRunningTask = false;
  private runningSince: number | null = null;
  /** The running task's turn id once codex named it. */
  private runningTurnId: string | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: TeammateOptions) {
    this.log = opts.logger;
    this.queue = new QueuePump({
      drain: () => this.pump(),
      // A task not started yet, or one whose result still waits to be handed over.
      hasWork: () => this.opts.store.getTeammate(this.opts.name)?.tasks.some((t) => t.startedAt === null || t.result) ?? false,
      halted: () => this.stopping || this.closing,
      retryMs: PUMP_RETRY_MS,
      clock: opts.clock,
      logger: opts.logger,
      what: 'teammate task',
    });
  }

  get name(): string {
    return this.opts.name;
  }

  get runtime(): AgentRuntime {
    return this.opts.runtime;
  }

  private record(): TeammateRecord {
    const rec = this.opts.store.getTeammate(this.opts.name);
    if (!rec) throw new Error(`teammate ${this.opts.name} has no record`);
    return rec;
  }

  /**
   * Starts the runtime (a failed first start keeps retrying with backoff) and the task queue.
   * A task that was running when the service stopped is settled as `interrupted` first.
   */
  async start(): Promise<StartResult> {
    await this.settleCutOffTask();
    // Stopped or closed meanwhile: a runtime started now would outlive the service.
    if (this.stopping || this.closing) return { status: 'stopped' };
    const res = await this.opts.runtime.start();
    if (res.status === 'failed') this.log.error({ err: res.error }, 'teammate runtime failed to start; retrying with backoff');
    this.kick();
    return res;
  }

  /** Appends a task; resolves with its 1-based position once persisted. */
  async enqueue(text: string, origin: ReplyAddress | null, requester: TeammateTask['requester'] = null): Promise<number> {
    const rec = this.record();
    const task = newTask(text, origin, this.opts.clock.now(), requester);
    const tasks = [...rec.tasks, task];
    try {
      await this.opts.store.patchTeammate(this.opts.name, { tasks });
    } catch (err) {
      // Refused means never run: the task leaves the record the store keeps in memory (and writes later).
      if (err instanceof StateWriteError) {
        const left = this.record().tasks.filter((t) => t.id !== task.id);
        await keptInMemory(this.opts.store.patchTeammate(this.opts.name, { tasks: left }), () => this.record());
      }
      throw err;
    }
    this.log.info({ task: task.id, position: tasks.length }, 'teammate task queued');
    this.kick();
    return tasks.length;
  }

  /**
   * Closes for good: stops the runtime (a running task ends as an `interrupted`
   * completion), drops queued tasks, marks the record closed.
   */
  async close(): Promise<{ interruptedTask: boolean; droppedTasks: number }> {
    this.closing = true;
    await this.opts.runtime.stop();
    await this.queue.running;
    const left = this.opts.store.getTeammate(this.opts.name)?.tasks ?? [];
    // Results not yet handed over (the dispatcher is stopping) are handed over here once more.
    for (const t of left) if (t.result) await this.handOver(t, t.result);
    const dropped = (this.opts.store.getTeammate(this.opts.name)?.tasks ?? []).filter((t) => !t.result).length;
    await this.opts.store.patchTeammate(this.opts.name, { closed: true, closedAt: this.opts.clock.now(), tasks: [] });
    this.log.info({ interruptedTask: this.closedRunningTask, droppedTasks: dropped }, 'teammate closed');
    return { interruptedTask: this.closedRunningTask, droppedTasks: dropped };
  }

  /** Service stop: stops the runtime; tasks stay persisted for the next start. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.opts.runtime.stop();
    await this.queue.running;
  }

  status(): TeammateStatus {
    const rec = this.record();
    return {
      ...statusOfRecord(rec),
      status: rec.closed ? 'closed' : this.opts.runtime.status,
      threadId: this.opts.runtime.threadId,
      pid: this.opts.runtime.pid ?? null,
      runningTurnAgeMs: this.runningSince === null ? null : this.opts.clock.now() - this.runningSince,
      runningTurnId: this.runningSince === null ? null : this.runningTurnId,
    };
  }

  private kick(): void {
    this.queue.kick();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopping || this.closing) return;
      const task = this.record().tasks[0];
      if (!task) return;
      if (task.result) {
        if (!(await this.handOver(task, task.result))) return;
        continue;
      }
      try {
        await this.opts.runtime.whenReady();
      } catch {
        return; // stopped or closed
      }
      if (this.stopping || this.closing) return;
      const result = await this.runTask(task);
      if (!result) continue; // never reached the app-server: run again once ready
      if (result === 'leave') return;
      const done = { ...task, result: result.result, turnId: result.turnId };
      await this.patchTask(task.id, { result: result.result, turnId: result.turnId });
      if (!(await this.handOver(done, result.result))) return;
    }
  }

  /**
   * Runs the task's turn. Returns its result; null when the turn never reached
   * the app-server (run again after the restart); `leave` when the service
   * stops mid-turn (the task stays started and is reported after the next start).
   */
  private async runTask(task: TeammateTask): Promise<{ result: TaskResult; turnId: string | null } | null | 'leave'> {
    const rec = this.record();
    // Persisted before turn/start: a task found started after a service restart was cut off.
    await this.patchTask(task.id, { startedAt: this.opts.clock.now() });
    let outcome: TurnOutcome;
    try {
      const turn = this.opts.runtime.runTurn(`[Switchboard task from dispatcher ${rec.dispatcher}]\n${task.text}`, this.opts.turnTimeoutMs, {
        // Persisted as soon as known, so a task cut off by a restart is still reported as `<name>:<turn id>`.
        onTurnId: (turnId) => {
          this.runningTurnId = turnId;
          void this.patchTask(task.id, { turnId }).catch((err: unknown) => this.log.warn({ err }, 'could not record the turn id'));
        },
        ...this.askIn(task, rec.dispatcher),
      });
      this.runningSince = this.opts.clock.now();
      this.log.info({ task: task.id }, 'teammate task started');
      outcome = await turn;
    } catch (err) {
      if (!(err instanceof RuntimeNotReadyError)) throw err;
      await this.patchTask(task.id, { startedAt: null });
      return null;
    } finally {
      this.runningSince = null;
      this.runningTurnId = null;
    }
    this.log.info({ task: task.id, status: outcome.status, turnId: outcome.turnId }, 'teammate task settled');
    const turnId = outcome.turnId;
    const settled = (status: TaskResult['status'], text: string): { result: TaskResult; turnId: string | null } => ({
      result: { completionId: completionIdFor(this.opts.name, { id: task.id, turnId }), status, text },
      turnId,
    });
    switch (outcome.status) {
      case 'completed':
        return settled('completed', outcome.text.trim() || '(the teammate finished without a message)');
      case 'failed':
        return settled('failed', `The teammate's turn failed: ${outcome.error}`);
      case 'interrupted':
        return settled(
          'interrupted',
          outcome.reason === 'timeout'
            ? `The teammate's turn ran longer than the turn timeout (${minutes(this.opts.turnTimeoutMs)}) and was interrupted.`
            : "The teammate's turn was interrupted on request.",
        );
      case 'disconnected':
        if (this.closing) {
          this.closedRunningTask = true;
          return settled('interrupted', 'The teammate was closed while working on this task; the task was cut off and will not be resumed.');
        }
        if (this.stopping) return 'leave';
        if (turnId === null) {
          await this.patchTask(task.id, { startedAt: null });
          return null;
        }
        return settled(
          'interrupted',
          `The teammate's codex runtime was lost mid-turn (${outcome.error}); the task was cut off and not re-run, ` +
            'it may have had partial effects. Send it again with teammate_send if it should still be done.',
        );
    }
  }

  /**
   * The task's approvals and questions are asked in the conversation of the dispatcher turn that
   * gave it (`origin`), labelled with this teammate's name; who may answer follows that channel's
   * `access.approvers` with the task's `requester`. Without a broker or an origin: none (codex's
   * requests are declined at once, src/codex/turn-runner.ts).
   */
  private askIn(task: TeammateTask, dispatcherId: string): Pick<TurnHooks, 'onServerRequest'> {
    const { approvals } = this.opts;
    const address = task.origin;
    if (!approvals || !address) return {};
    const ctx: ApprovalContext = {
      dispatcherId,
      teammate: this.opts.name,
      turnKey: `teammate:${this.opts.name}:${task.id}`,
      address,
      requester: task.requester ?? null,
    };
    return { onServerRequest: (r) => approvals.ask(ctx, r) };
  }

  /**
   * A task that was running when the service stopped: settled as `interrupted`
   * (not re-run: it may have had partial effects; the dispatcher decides).
   */
  private async settleCutOffTask(): Promise<void> {
    const task = this.record().tasks[0];
    if (!task || task.startedAt === null || task.result) return;
    const result: TaskResult = {
      completionId: completionIdFor(this.opts.name, task),
      status: 'interrupted',
      text:
        'This task was cut off by a Switchboard service restart while the teammate was working on it. It was not re-run, ' +
        'because it may have had partial effects; the teammate still has its thread. Send it again with teammate_send if it should still be done.',
    };
    this.log.warn({ task: task.id, completion: result.completionId }, 'teammate task was cut off by a service restart; reporting it interrupted');
    await this.patchTask(task.id, { result });
  }

  /**
   * Hands a settled task to the dispatcher. Returns false when the dispatcher
   * is stopping (the result stays persisted and is handed over after the next start).
   */
  private async handOver(task: TeammateTask, result: TaskResult): Promise<boolean> {
    const input = {
      id: result.completionId,
      teammate: this.opts.name,
      status: result.status,
      text: result.text,
      ...(task.turnId ? { turnId: task.turnId } : {}),
      ...(task.origin ? { origin: task.origin } : {}),
    };
    const res = await this.opts.dispatcher.deliverCompletion(input);
    if (res.status === 'stopped') return false;
    // The result stays in the task; the pump crashes and hands it over again after PUMP_RETRY_MS.
    if (res.status === 'not_stored') throw new Error(`completion ${result.completionId} not stored yet: ${res.error}`);
    if (res.status === 'failed') this.log.error({ completion: result.completionId, err: res.error }, 'teammate completion refused by the dispatcher');
    else this.log.info({ completion: result.completionId, delivery: res.status }, 'teammate completion handed to the dispatcher');
    const tasks = (this.opts.store.getTeammate(this.opts.name)?.tasks ?? []).filter((t) => t.id !== task.id);
    await this.opts.store.patchTeammate(this.opts.name, {
      tasks,
      lastCompletionId: result.completionId,
      ...(res.status === 'failed' ? { lastError: `completion ${result.completionId} refused: ${res.error}` } : {}),
    });
    return true;
  }

  private async patchTask(id: string, patch: Partial<TeammateTask>): Promise<void> {
    const tasks = this.record().tasks.map((t) => (t.id === id ? { ...t, ...patch } : t));
    await this.opts.store.patchTeammate(this.opts.name, { tasks });
  }
}

/** Status of a teammate from its record alone (closed teammates have no runtime). */
export function statusOfRecord(rec: TeammateRecord): TeammateStatus {
  return {
    name: rec.name,
    dispatcher: rec.dispatcher,
    status: rec.closed ? 'closed' : rec.status,
    threadId: rec.threadId,
    cwd: rec.cwd,
    pid: null,
    tasks: rec.tasks.length,
    runningTurnAgeMs: null,
    runningTurnId: null,
    lastCompletionId: rec.lastCompletionId,
    restartCount: rec.restartCount,
    lastError: rec.lastError,
    createdAt: rec.createdAt,
    closedAt: rec.closedAt,
  };
}
