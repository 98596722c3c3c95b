/**
 * Dispatcher: one Codex runtime fed by a durable FIFO queue of inbound turns.
 *
 * - An inbound message is persisted (deduplicated, bounded) before the sender
 *   is acknowledged; overflow is answered in chat.
 * - Exactly one turn runs at a time, in arrival order; the next starts when the
 *   previous settles (completed, failed, interrupted, timed out, or the runtime
 *   was lost — then the turn is re-run once after the restart).
 * - The final agent message goes back to the message's own conversation/thread
 *   (through ./reply-poster.ts); the drain loop is ./queue-pump.ts.
 * - Completions queued in the same FIFO are run by ./completion-delivery.ts, whose
 *   trigger turns go through runTurnFor like any other turn.
 * - A restart notice is injected on the first start of a service that resumed a thread,
 *   unless a live message arrived first; `status()` and `interrupt()` serve operators.
 */
import { randomUUID } from 'node:crypto';
import {
  replyAddressOf,
  type AcceptResult,
  type ChannelAdapter,
  type InboundMessage,
  type OutboundMessage,
  type ProgressState,
  type ReplyAddress,
} from '../channels/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { RuntimeNotReadyError, type AgentRuntime, type ReadyEvent } from '../codex/agent-runtime.js';
import { PUMP_RETRY_MS, QueuePump } from './queue-pump.js';
import { ReplyPoster } from './reply-poster.js';
import type { TurnEvent, TurnOutcome, TurnServerRequest } from '../codex/turn-runner.js';
import { ActionRegistry } from './actions.js';
import type { ApprovalBroker } from './approvals/broker.js';
import {
  beginLiveSession,
  closeLeftoverElement,
  DEFAULT_LIVE_POLICY,
  type ChannelLivePolicy,
  type LiveSession,
  type LiveSessionDeps,
} from './live/live-session.js';
import type { EnqueueResult, QueuedMessage, QueuedTurn, RuntimeStatus, SessionScope, StateStore } from '../state/types.js';
import { CompletionDelivery } from './completion-delivery.js';
import type { CompletionInput, CompletionLimits, DeliverResult } from './completions.js';
import type { Command } from './gate.js';
import {
  commandRefusedText,
  failureText,
  liveAbandonedText,
  queueFullText,
  restartNoticeText,
  retryingText,
  statusLineText,
  stopAlreadyFinishedText,
  stoppingText,
  stopResultText,
} from './messages.js';
import { errorMessage } from '../errors.js';

/** A running turn that lost its runtime is re-run this many times in total before it is reported failed. */
const MAX_TURN_ATTEMPTS = 2;

/** One session of a dispatcher, as `switchboard status` shows it. */
export interface SessionStatus {
  /** `dispatcher` for the dispatcher's own thread; else the SessionRecord key. */
  key: string;
  scope: SessionScope;
  /** The chat place a `conversation` / `thread` session serves; null for the dispatcher's own thread. */
  place: { channelId: string; conversation: string; thread?: string } | null;
  threadId: string | null;
  /** Whether its thread is loaded in the app-server now (idle sessions are unloaded). */
  loaded: boolean;
  /** Accepted turns of this session not yet settled, the running one included. */
  queueDepth: number;
  /** Age of its running turn, ms; null when none runs. */
  runningTurnAgeMs: number | null;
  /** Last message accepted or turn settled, ms since the epoch; null when unknown (own thread before any turn). */
  lastActiveAt: number | null;
  /** Threads this session left with `new`/`reset`, oldest first. */
  previousThreadIds: string[];
}

/** One row of `switchboard status`. */
export interface DispatcherStatus {
  id: string;
  /**
   * The runtime's status; `needs_login` when it is up but codex has no credentials (see
   * lastError); `retrying` when it is up but codex keeps retrying the running turn's model
   * requests (codex app-server v2 `error` with `willRetry: true`; see turnRetries, lastError).
   */
  status: RuntimeStatus | 'needs_login' | 'retrying';
  threadId: string | null;
  /** Accepted turns not yet settled, the running one included. */
  queueDepth: number;
  /** Accepted turns waiting behind the running one (queueDepth less the running turn). */
  waitingTurns: number;
  /** Pid of the codex app-server child; null when none runs. */
  pid: number | null;
  /** Age of the running turn, ms; null when idle. */
  runningTurnAgeMs: number | null;
  restartCount: number;
  /** The runtime's last error; while `retrying`, codex's latest retry message instead. */
  lastError: string | null;
  /** Retries codex reported for the running turn so far; 0 when idle. */
  turnRetries: number;
  /** Replies that could not be posted (kept in state, newest 100). */
  failedReplies: number;
  /** Turns running now, across sessions (at most the dispatcher's maxConcurrentTurns). */
  runningTurns: number;
  /** The dispatcher's own thread first, then its other sessions, most recently active first. */
  sessions: SessionStatus[];
}

export interface DispatcherOptions {
  id: string;
  runtime: AgentRuntime;
  store: StateStore;
  /** Adapters by channel id, for replies. */
  channels: ReadonlyMap<string, ChannelAdapter>;
  queueLimit: number;
  /** Where completions larger than `completionLimits.spillBytes` are written. */
  spillDir: string;
  completionLimits: CompletionLimits;
  /** Turn timeout, ms. */
  turnTimeoutMs: number;
  logger: Logger;
  clock: Clock;
  /**
   * Stop buttons' action ids; the service shares one registry across dispatchers so it can route
   * presses. Default: a registry of this dispatcher's own (presses then reach nobody).
   */
  actions?: ActionRegistry;
  /** Per channel: live answers on or off, and who besides the sender may stop a turn. Default: on, nobody. */
  policyOf?: (channelId: string) => ChannelLivePolicy;
  /** Asks approvals and questions in the turn's conversation; absent: codex's requests are declined at once. */
  approvals?: ApprovalBroker;
}

export class Dispatcher {
  private stopping = false;
  private readonly queue: QueuePump;
  private readonly replies: ReplyPoster;
  private liveMessageArrived = false;
  /**
   * The turn running now (null when idle): its queue entry, when it started (ms since the epoch),
   * where its answer goes (null for a completion without an origin), and who asked to stop it.
   */
  private running: { entryId: string; since: number; address: ReplyAddress | null; stoppedBy: string | null } | null = null;
  private readonly liveDeps: LiveSessionDeps;
  /** Retries codex reported for the running turn, and the latest message; null while none. */
  private turnRetry: { count: number; error: string } | null = null;
  /** Work to finish after each (re)start before turns run (restart notice). */
  private preparing: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];
  private readonly completions: CompletionDelivery;
  private readonly log: Logger;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.logger;
    this.liveDeps = {
      dispatcherId: opts.id,
      channels: opts.channels,
      store: opts.store,
      actions: opts.actions ?? new ActionRegistry(opts.logger),
      policyOf: opts.policyOf ?? (() => DEFAULT_LIVE_POLICY),
      clock: opts.clock,
      logger: opts.logger,
    };
    this.replies = new ReplyPoster({ dispatcherId: opts.id, channels: opts.channels, store: opts.store, logger: opts.logger, clock: opts.clock });
    this.queue = new QueuePump({
      drain: () => this.pump(),
      hasWork: () => opts.store.listQueue(opts.id).length > 0,
      halted: () => this.stopping,
      onIdle: () => this.notifyIdle(),
      retryMs: PUMP_RETRY_MS,
      clock: opts.clock,
      logger: opts.logger,
      what: 'dispatcher queue',
    });
    this.completions = new CompletionDelivery({
      dispatcherId: opts.id,
      store: opts.store,
      runtime: opts.runtime,
      spillDir: opts.spillDir,
      limits: opts.completionLimits,
      turnTimeoutMs: opts.turnTimeoutMs,
      runTurn: async (entry, input) => (await this.runTurnFor(entry, input, entry.address))?.outcome ?? null,
      reply: (to, message) => this.reply(to, message),
      kick: () => this.kick(),
      stopping: () => this.stopping,
      clock: opts.clock,
      logger: opts.logger,
    });
    opts.runtime.onReady((e) => {
      this.preparing = this.onRuntimeReady(e);
    });
  }

  get id(): string {
    return this.opts.id;
  }

  /** Starts the runtime (a failed first start keeps retrying with backoff) and the queue. */
  async start(): Promise<void> {
    const res = await this.opts.runtime.start();
    if (res.status === 'failed') this.log.error({ err: res.error }, 'dispatcher runtime failed to start; retrying with backoff');
    this.kick();
  }

  /** Stops taking turns and stops the runtime; queued turns stay persisted. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.opts.runtime.stop();
    // Let the pump record how the running turn ended before the store closes.
    await this.queue.running;
  }

  /**
   * Offers an inbound message. Resolves after it is persisted (accepted),
   * recognised as a duplicate, or refused because the queue is full (the
   * refusal is also posted to the conversation).
   */
  async accept(msg: InboundMessage): Promise<AcceptResult> {
    // A reply that answers a question the running turn asks is that answer, not a new turn.
    if (this.opts.approvals && (await this.opts.approvals.answerInThread(msg))) return { status: 'handled', command: 'answer' };
    const address = replyAddressOf(msg);
    const sender: QueuedMessage['sender'] = { id: msg.sender.id };
    if (msg.sender.name !== undefined) sender.name = msg.sender.name;
    const entry: QueuedMessage = {
      id: randomUUID(),
      // Platform message ids are only unique per conversation (Slack `ts`), so the key names both.
      dedupKey: `${msg.channelId}:${msg.conversation}:${msg.messageId}`,
      kind: 'message',
      address,
      sender,
      text: msg.text,
      acceptedAt: this.opts.clock.now(),
      attempts: 0,
    };
    let result: EnqueueResult;
    try {
      result = await this.opts.store.enqueue(this.opts.id, entry, this.opts.queueLimit);
    } catch (err) {
      const error = errorMessage(err);
      this.log.error({ err: error, conversation: msg.conversation }, 'could not persist inbound message');
      return { status: 'failed', error };
    }
    if (result.status === 'accepted') {
      this.liveMessageArrived = true;
      this.log.info({ entry: entry.id, channel: msg.channelId, conversation: msg.conversation, position: result.position }, 'inbound turn queued');
      void this.progress(address, 'queued');
      this.kick();
    } else if (result.status === 'full') {
      this.log.warn({ channel: msg.channelId, conversation: msg.conversation, limit: result.limit }, 'queue full; message refused');
      await this.reply(address, { kind: 'notice', text: queueFullText(result.limit), idempotencyKey: `full:${entry.dedupKey}` });
    } else {
      this.log.debug({ dedupKey: entry.dedupKey }, 'duplicate inbound message dropped');
    }
    return result.status === 'accepted' ? { status: 'accepted', position: result.position } : result;
  }

  /** Interrupts the running turn; false when idle. `by` (a chat user's name) is named in the turn's final mark. */
  async interrupt(by: string | null = null): Promise<boolean> {
    if (this.running && by !== null) this.running.stoppedBy ??= by;
    // Stopping a turn declines what it still asks (the prompts say who stopped it).
    if (this.running && this.opts.approvals) await this.opts.approvals.withdraw(this.running.entryId, by ?? 'an operator');
    return this.opts.runtime.interruptTurn();
  }

  /** A Stop press for entry `entryId`: interrupts that turn only; the answer is what the presser is told. */
  private async stopEntry(entryId: string, by: { id: string; name?: string }): Promise<string> {
    if (this.running?.entryId !== entryId) return stopAlreadyFinishedText();
    this.log.info({ entry: entryId, by: by.id }, 'stop pressed');
    return (await this.interrupt(by.name ?? by.id)) ? stoppingText() : stopAlreadyFinishedText();
  }

  /**
   * Runs an operator command from chat and answers it in the message's conversation; a sender
   * who is not allowed gets a polite refusal. A `stop` that interrupts a turn answered in the same
   * conversation and thread (web chat, a flat Feishu chat) posts nothing itself: the stopped turn's
   * final mark ("Stopped by …") is the one answer. In another thread (Slack) it acknowledges there.
   */
  async command(msg: InboundMessage, command: Command, allowed: boolean): Promise<AcceptResult> {
    const to = replyAddressOf(msg);
    const key = `command:${msg.channelId}:${msg.conversation}:${msg.messageId}`;
    this.log.info({ command, allowed, channel: msg.channelId, conversation: msg.conversation, sender: msg.sender.id }, 'chat command');
    let text: string;
    if (!allowed) text = commandRefusedText(command);
    else if (command === 'stop') {
      const running = this.running?.address ?? null;
      const interrupted = await this.interrupt(msg.sender.name ?? msg.sender.id);
      // Where the command's answer would land next to the stopped turn's own mark, that mark is the one answer.
      if (interrupted && running?.channelId === to.channelId && running.conversation === to.conversation && running.thread === to.thread) {
        return { status: 'handled', command };
      }
      text = stopResultText(interrupted);
    } else text = statusLineText(this.status());
    await this.reply(to, { kind: 'notice', text, idempotencyKey: key });
    return { status: 'handled', command };
  }

  status(): DispatcherStatus {
    const rec = this.opts.store.getDispatcher(this.opts.id);
    const queueDepth = this.opts.store.listQueue(this.opts.id).length;
    const rt = this.opts.runtime;
    // turnRetry is set only while a turn runs (reset when it settles).
    const retrying = rt.status === 'ready' && this.turnRetry !== null;
    return {
      id: this.opts.id,
      status: rt.status === 'ready' && rt.loginNeeded ? 'needs_login' : retrying ? 'retrying' : rt.status,
      threadId: this.opts.runtime.threadId,
      pid: this.opts.runtime.pid ?? null,
      queueDepth,
      waitingTurns: Math.max(0, queueDepth - (this.running === null ? 0 : 1)),
      runningTurnAgeMs: this.running === null ? null : this.opts.clock.now() - this.running.since,
      restartCount: rec?.restartCount ?? 0,
      lastError: retrying ? this.turnRetry!.error : (rec?.lastError ?? null),
      turnRetries: this.turnRetry?.count ?? 0,
      failedReplies: this.opts.store.listFailedReplies(this.opts.id).length,
      runningTurns: this.running === null ? 0 : 1,
      sessions: [
        {
          key: 'dispatcher',
          scope: 'dispatcher',
          place: null,
          threadId: this.opts.runtime.threadId,
          loaded: rt.status === 'ready',
          queueDepth,
          runningTurnAgeMs: this.running === null ? null : this.opts.clock.now() - this.running.since,
          lastActiveAt: null,
          previousThreadIds: (rec?.previousThreads ?? []).map((t) => t.threadId),
        },
      ],
    };
  }

  /**
   * Where the answer of the running turn goes: the conversation an agent tool
   * call made during this turn belongs to (e.g. `teammate_spawn`). Null when idle.
   */
  runningAddress(): ReplyAddress | null {
    return this.running?.address ?? null;
  }

  /** Resolves when the queue is empty and no turn runs (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.queue.running === null && this.opts.store.listQueue(this.opts.id).length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    this.queue.kick();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const entry = this.opts.store.listQueue(this.opts.id)[0];
      if (!entry) return;
      try {
        await this.opts.runtime.whenReady();
        await this.preparing;
      } catch {
        return; // stopped
      }
      await this.runEntry(entry);
    }
  }

  private async runEntry(entry: QueuedTurn): Promise<void> {
    if (entry.kind === 'completion') return this.completions.runAtHead(entry);
    const loginFix = this.opts.runtime.loginNeeded;
    if (loginFix) {
      // A turn could only fail after codex's retries; say how to fix it at once instead.
      this.log.warn({ entry: entry.id }, 'message answered without a turn: codex has no credentials');
      await this.reply(entry.address, { kind: 'error', text: `⚠️ ${loginFix}`, idempotencyKey: entry.id });
      void this.progress(entry.address, 'failed');
      await this.opts.store.removeQueued(this.opts.id, entry.id);
      return;
    }
    if (entry.live) await closeLeftoverElement(this.liveDeps, entry, liveAbandonedText());
    // The sender pressing Stop is named as the chat knows them (platforms' press payloads carry ids).
    const named = (by: { id: string; name?: string }) => (by.id === entry.sender.id && entry.sender.name ? { ...by, name: entry.sender.name } : by);
    const live = beginLiveSession(this.liveDeps, entry, (by) => this.stopEntry(entry.id, named(by)));
    const run = await this.runTurnFor(entry, this.turnInput(entry), entry.address, live);
    if (!run) {
      await live?.abandon(liveAbandonedText());
      return;
    }
    const { outcome, stoppedBy } = run;
    const reply: OutboundMessage =
      outcome.status === 'completed'
        ? { kind: 'answer', text: outcome.text.trim() || '(the agent finished without a message)', idempotencyKey: entry.id }
        : { kind: 'error', text: failureText(outcome, this.opts.turnTimeoutMs, stoppedBy), idempotencyKey: entry.id };
    if (live) {
      const liveOutcome = outcome.status === 'completed' ? 'completed' : outcome.status === 'interrupted' ? 'interrupted' : 'failed';
      await this.replies.send(entry.address, reply, { outcome: liveOutcome, finish: (end) => live.finish(end) });
      this.log.info({ entry: entry.id, ...live.stats }, 'live element settled');
    } else await this.reply(entry.address, reply);
    void this.progress(entry.address, outcome.status === 'completed' ? 'done' : 'failed');
    await this.opts.store.removeQueued(this.opts.id, entry.id);
  }

  /**
   * Runs one turn for a queue entry and records the attempt. Returns null when
   * the entry must stay at the head and run again after the runtime restarts
   * (the runtime went away before or during the turn). `live` gets the turn's events;
   * `stoppedBy` names who asked to stop it (`stop`, a Stop press), if anyone did.
   */
  private async runTurnFor(
    entry: QueuedTurn,
    input: string,
    address: ReplyAddress | null,
    live: LiveSession | null = null,
  ): Promise<{ outcome: TurnOutcome; stoppedBy: string | null } | null> {
    const q = { dispatcher: this.opts.id, entry: entry.id };
    let retryNoticed = false;
    let attemptRecorded: Promise<void>;
    let outcome: TurnOutcome;
    let stoppedBy: string | null = null;
    const { approvals } = this.opts;
    try {
      const turn = this.opts.runtime.runTurn(input, this.opts.turnTimeoutMs, {
        // One quiet notice per turn, so a chat user is not left in silence while codex retries.
        onRetry: (message) => {
          this.turnRetry = { count: (this.turnRetry?.count ?? 0) + 1, error: message };
          if (retryNoticed || !address) return;
          retryNoticed = true;
          void this.reply(address, { kind: 'notice', text: retryingText(message), idempotencyKey: `${entry.id}:retrying` });
        },
        ...(live ? { onEvent: (event: TurnEvent) => live.onEvent(event) } : {}),
        ...(approvals && address
          ? {
              onServerRequest: (r: TurnServerRequest) =>
                approvals.ask(
                  { dispatcherId: this.opts.id, teammate: null, turnKey: entry.id, address, requester: entry.kind === 'message' ? entry.sender : null },
                  r,
                ),
            }
          : {}),
      });
      this.running = { entryId: entry.id, since: this.opts.clock.now(), address, stoppedBy: null };
      if (address && entry.kind === 'message') void this.progress(address, 'running');
      // Recorded alongside turn/start, off the reply's critical path; awaited before acting on the outcome.
      attemptRecorded = this.opts.store.updateQueued(q.dispatcher, q.entry, { attempts: entry.attempts + 1 });
      outcome = await turn;
    } catch (err) {
      // The runtime went away between whenReady and turn/start: the pump waits for the restart.
      if (err instanceof RuntimeNotReadyError) return null;
      throw err;
    } finally {
      stoppedBy = this.running?.entryId === entry.id ? this.running.stoppedBy : null;
      this.running = null;
      this.turnRetry = null;
    }
    await attemptRecorded;
    this.log.info({ entry: entry.id, kind: entry.kind, status: outcome.status, turnId: outcome.turnId }, 'turn settled');
    if (outcome.status === 'disconnected') {
      if (outcome.turnId === null) {
        // turn/start never reached the app-server: not an attempt; run it after the restart.
        await this.opts.store.updateQueued(q.dispatcher, q.entry, { attempts: entry.attempts });
        return null;
      }
      // Stopping: re-run after the service restarts. Otherwise re-run once after the runtime restarts.
      if (this.stopping) return null;
      if (entry.attempts + 1 < MAX_TURN_ATTEMPTS) {
        this.log.warn({ entry: entry.id, err: outcome.error }, 'runtime lost mid-turn; the turn will re-run after restart');
        return null;
      }
    }
    return { outcome, stoppedBy };
  }

  /** The turn input carries who is talking, so the agent can tell chat users apart. */
  private turnInput(entry: QueuedMessage): string {
    const who = entry.sender.name ?? entry.sender.id;
    return `[${who} via ${entry.address.channelId}/${entry.address.conversation}]\n${entry.text}`;
  }

  /**
   * Accepts a completion for delivery through this dispatcher's FIFO (CompletionDelivery.submit:
   * validated, recorded and queued in one write; a replayed id is `duplicate`). Never throws.
   */
  deliverCompletion(input: CompletionInput): Promise<DeliverResult> {
    return this.completions.submit(input);
  }

  private async onRuntimeReady(e: ReadyEvent): Promise<void> {
    if (!(e.firstStart && e.thread.status === 'resumed' && !this.liveMessageArrived)) return;
    const queued = this.opts.store.listQueue(this.opts.id).length;
    try {
      await this.opts.runtime.injectItems([
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: restartNoticeText(new Date(this.opts.clock.now()), queued) }] },
      ]);
      this.log.info('restart notice injected');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'restart notice could not be injected');
    }
  }

  /** Posts a reply through the ReplyPoster (retry once, lost-thread warning, failures recorded). */
  private reply(to: ReplyAddress, message: OutboundMessage): Promise<void> {
    return this.replies.send(to, message);
  }

  private progress(to: ReplyAddress, state: ProgressState): Promise<void> {
    return this.replies.progress(to, state);
  }
}
