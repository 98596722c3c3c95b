/**
 * Dispatcher: one Codex runtime fed by a durable FIFO queue of inbound turns, split into sessions.
 *
 * - An inbound message is persisted (deduplicated, bounded per dispatcher and per session) before
 *   the sender is acknowledged; overflow is answered in chat. Its attachments (images/files, keys
 *   persisted with it) are fetched after that, through its channel's `fetchAttachment`
 *   (./attachments.ts); its turn waits for them, and a steer (busy policy `steer`) happens once
 *   they are there.
 * - Sessions (./sessions/): a message belongs to the session its binding's `session` scope names
 *   (`dispatcher`: the runtime's own thread; `conversation`; `thread`), each its own Codex thread
 *   on the one app-server. Turns of a session run one at a time in arrival order; up to
 *   `maxConcurrentTurns` sessions run at once (./turn-scheduler.ts). A turn that lost its runtime
 *   is re-run once after the restart.
 * - Busy policy of the binding, for a message whose session runs a turn: `queue` (wait),
 *   `steer` (added to the running turn with codex app-server v2 `turn/steer`; queued when the turn
 *   cannot take it any more), `interrupt` (the running turn is stopped, the message runs next).
 * - The final agent message goes back to the message's own conversation/thread
 *   (through ./reply-poster.ts); chat commands are ./chat-commands.ts.
 * - Completions queued in the same FIFO, in the session of their origin, are run by
 *   ./completion-delivery.ts, whose trigger turns go through runTurnFor like any other turn.
 * - A restart notice is injected on the first start of a service that resumed a thread, unless a
 *   live message arrived first (a session's thread: when it is resumed for a turn accepted before
 *   this process started); `status()` and `interrupt()` serve operators.
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
import { RuntimeNotReadyError, type AgentRuntime, type ReadyEvent, type SessionOpenResult } from '../codex/agent-runtime.js';
import { sessionsSchema, type SessionsConfig } from '../config/schema.js';
import { PUMP_RETRY_MS } from './queue-pump.js';
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
import type { EnqueueResult, QueuedMessage, QueuedTurn, StateStore } from '../state/types.js';
import { CompletionDelivery } from './completion-delivery.js';
import type { CompletionInput, CompletionLimits, DeliverResult } from './completions.js';
import type { Command } from './gate.js';
import type { Route } from './router.js';
import {
  failureText,
  liveAbandonedText,
  quarantinedText,
  queueFullText,
  restartNoticeText,
  retryingText,
  stopAlreadyFinishedText,
  stoppingText,
} from './messages.js';
import { errorMessage } from '../errors.js';
import { isStorageError, keptInMemory } from '../state/health.js';
import { DISPATCHER_SESSION, sessionOf } from './sessions/key.js';
import { SessionBook } from './sessions/book.js';
import { sessionLineText, steeredText } from './sessions/texts.js';
import type { ConversationPlace, ConversationSession } from '../channels/session-info.js';
import { sessionKeyOf, TurnScheduler } from './turn-scheduler.js';
import type { RunningTurn } from './running-turn.js';
import type { DispatcherStatus, SessionStatus } from './status.js';
import { ChatCommands } from './chat-commands.js';
import { AttachmentFetcher } from './attachments.js';

export type { DispatcherStatus } from './status.js';

/** A running turn that lost its runtime is re-run this many times in total before it is reported failed. */
const MAX_TURN_ATTEMPTS = 2;

/** A binding's session scope and busy policy (./router.ts). */
export type SessionRoute = Pick<Route, 'session' | 'busy'>;

const DEFAULT_ROUTE: SessionRoute = { session: 'dispatcher', busy: 'queue' };

export interface DispatcherOptions {
  id: string;
  runtime: AgentRuntime;
  store: StateStore;
  /** Adapters by channel id, for replies. */
  channels: ReadonlyMap<string, ChannelAdapter>;
  /** Accepted, unsettled turns the dispatcher holds at most (all sessions). */
  queueLimit: number;
  /** Turns that run at once across sessions, ≥ 1 (config `maxConcurrentTurns`). Default 1. */
  maxConcurrentTurns?: number;
  /** Session limits (config `sessions`). Default: the config defaults. */
  sessions?: SessionsConfig;
  /** Extra config of a session's Codex thread (codex app-server v2 `thread/start` `config`), e.g. its MCP caller token header. */
  threadConfig?: (sessionKey: string) => Record<string, unknown> | undefined;
  /** The binding of a conversation (its session scope and busy policy); null/absent: `dispatcher`, `queue`. */
  routeOf?: (channelId: string, conversation: string) => SessionRoute | null;
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
  private readonly scheduler: TurnScheduler;
  private readonly replies: ReplyPoster;
  private readonly sessions: SessionBook;
  private readonly commands: ChatCommands;
  private readonly attachments: AttachmentFetcher;
  private liveMessageArrived = false;
  private readonly startedAt: number;
  /** The turns running now, by session key. */
  private readonly active = new Map<string, RunningTurn>();
  /** Message entries being steered into their session's running turn (held back by the scheduler). */
  private readonly steering = new Set<string>();
  /** Sessions whose thread got the restart notice in this process. */
  private readonly noticed = new Set<string>();
  private readonly liveDeps: LiveSessionDeps;
  /** False while the work after a (re)start runs (restart notice); turns wait for it. */
  private prepared = true;
  /** The work after the latest (re)start; resolves when it is done. */
  private preparing: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];
  private readonly completions: CompletionDelivery;
  private readonly log: Logger;
  private readonly sessionLimits: SessionsConfig;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.logger;
    this.sessionLimits = opts.sessions ?? sessionsSchema.parse({});
    this.startedAt = opts.clock.now();
    this.liveDeps = {
      dispatcherId: opts.id,
      channels: opts.channels,
      store: opts.store,
      actions: opts.actions ?? new ActionRegistry(opts.logger),
      policyOf: opts.policyOf ?? (() => DEFAULT_LIVE_POLICY),
      clock: opts.clock,
      logger: opts.logger,
    };
    this.sessions = new SessionBook({
      dispatcherId: opts.id,
      store: opts.store,
      runtime: opts.runtime,
      config: this.sessionLimits,
      busy: (key) => this.active.has(key) || opts.store.listQueue(opts.id).some((e) => sessionKeyOf(e) === key),
      ...(opts.threadConfig ? { threadConfig: opts.threadConfig } : {}),
      clock: opts.clock,
      logger: opts.logger,
    });
    this.attachments = new AttachmentFetcher({ dispatcherId: opts.id, store: opts.store, channels: opts.channels, logger: opts.logger });
    this.replies = new ReplyPoster({
      dispatcherId: opts.id,
      channels: opts.channels,
      store: opts.store,
      threadRecord: (key) => this.sessions.threadRecord(key),
      logger: opts.logger,
      clock: opts.clock,
    });
    this.scheduler = new TurnScheduler({
      list: () => opts.store.listQueue(opts.id),
      limit: Math.max(1, opts.maxConcurrentTurns ?? 1),
      // No turn starts while the state cannot be written: its outcome could not be kept.
      runnable: () => opts.runtime.status === 'ready' && this.prepared && opts.store.health.view().writable,
      whenRunnable: async () => {
        await opts.store.health.whenWritable();
        await opts.runtime.whenReady();
        await this.preparing;
      },
      held: (entry) => this.steering.has(entry.id),
      run: (key, entry) => this.runEntry(key, entry),
      halted: () => this.stopping,
      onIdle: () => this.notifyIdle(),
      retryMs: PUMP_RETRY_MS,
      clock: opts.clock,
      logger: opts.logger,
    });
    this.completions = new CompletionDelivery({
      dispatcherId: opts.id,
      store: opts.store,
      runtime: opts.runtime,
      spillDir: opts.spillDir,
      limits: opts.completionLimits,
      turnTimeoutMs: opts.turnTimeoutMs,
      sessionOf: (origin) => this.enterSessionOf(origin),
      runTurn: async (entry, input) => (await this.runTurnFor(entry, input))?.outcome ?? null,
      reply: (to, message) => this.reply(to, message),
      kick: () => this.kick(),
      stopping: () => this.stopping,
      clock: opts.clock,
      logger: opts.logger,
    });
    this.commands = new ChatCommands({
      dispatcherId: opts.id,
      store: opts.store,
      runtime: opts.runtime,
      sessions: this.sessions,
      sessionOf: (address) => this.sessionFor(address),
      running: (key) => this.active.get(key),
      interrupt: (by, key) => this.interrupt(by, key),
      status: () => this.status(),
      reply: (to, message) => this.reply(to, message),
      cancelled: (entry) => this.cancelled(entry),
      logger: opts.logger,
      clock: opts.clock,
    });
    opts.runtime.onReady((e) => {
      this.prepared = false;
      this.preparing = this.onRuntimeReady(e).finally(() => {
        this.prepared = true;
        this.kick();
      });
    });
  }

  get id(): string {
    return this.opts.id;
  }

  /** Starts the runtime (a failed first start keeps retrying with backoff) and the queue. */
  async start(): Promise<void> {
    await this.noticeQuarantined();
    // Accepted before a restart with attachments still to fetch: fetch them now, not when their turn comes.
    for (const e of this.opts.store.listQueue(this.opts.id)) if (e.kind === 'message') this.attachments.start(e);
    const res = await this.opts.runtime.start();
    if (res.status === 'failed') this.log.error({ err: res.error }, 'dispatcher runtime failed to start; retrying with backoff');
    this.kick();
  }

  /** Stops taking turns and stops the runtime; queued turns stay persisted. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sessions.stop();
    this.attachments.stop();
    await this.opts.runtime.stop();
    // Let the running turns record how they ended before the store closes.
    await this.scheduler.settled();
  }

  /**
   * Offers an inbound message. Resolves after it is persisted (accepted), steered into the
   * running turn of its session (busy policy `steer`), recognised as a duplicate, or refused
   * because the dispatcher's or the session's queue is full (the refusal is also posted to the
   * conversation), or because the state could not be written (`not_stored`: it never runs).
   */
  async accept(msg: InboundMessage): Promise<AcceptResult> {
    // A reply that answers a question the running turn asks is that answer, not a new turn.
    if (this.opts.approvals && (await this.opts.approvals.answerInThread(msg))) return { status: 'handled', command: 'answer' };
    const address = replyAddressOf(msg);
    const route = this.routeOf(address);
    const session = this.sessionFor(address, route);
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
    if (msg.attachments?.length) entry.attachments = msg.attachments.map((a) => ({ ...a }));
    if (session.key !== DISPATCHER_SESSION) entry.session = session.key;
    let result: EnqueueResult;
    try {
      if (session.place && session.scope !== 'dispatcher') await this.sessions.enter(session.key, session.scope, session.place);
      result = await this.opts.store.enqueue(this.opts.id, entry, {
        dispatcher: this.opts.queueLimit,
        session: session.key === DISPATCHER_SESSION ? Number.MAX_SAFE_INTEGER : this.sessionLimits.queueLimit,
      });
    } catch (err) {
      const error = errorMessage(err);
      this.log.error({ err: error, conversation: msg.conversation }, 'could not persist inbound message; it was refused and will not run');
      return isStorageError(err) ? { status: 'not_stored', error } : { status: 'failed', error };
    }
    if (result.status === 'full') {
      this.log.warn({ channel: msg.channelId, conversation: msg.conversation, limit: result.limit, scope: result.scope }, 'queue full; message refused');
      await this.reply(address, { kind: 'notice', text: queueFullText(result.limit), idempotencyKey: `full:${entry.dedupKey}` });
      return { status: 'full', limit: result.limit };
    }
    if (result.status === 'duplicate') {
      this.log.debug({ dedupKey: entry.dedupKey }, 'duplicate inbound message dropped');
      return result;
    }
    this.liveMessageArrived = true;
    this.log.info(
      { entry: entry.id, channel: msg.channelId, conversation: msg.conversation, session: session.key, position: result.position },
      'inbound turn queued',
    );
    // The platform is acknowledged when this resolves; attachments are fetched after that.
    this.attachments.start(entry);
    const running = this.active.get(session.key);
    if (running && route.busy === 'steer' && this.onlyRunningAhead(entry)) {
      if (!entry.attachments) {
        if (await this.steer(running, entry)) return { status: 'steered' };
      } else this.steerWhenFetched(running, entry);
    } else if (running && route.busy === 'interrupt') {
      this.log.info({ session: session.key, entry: running.entry.id }, 'a new message interrupts the running turn (busy policy interrupt)');
      await this.interrupt(msg.sender.name ?? msg.sender.id, session.key);
    }
    void this.progress(address, 'queued');
    this.kick();
    return { status: 'accepted', position: result.position };
  }

  /**
   * Interrupts the running turn of session `key`, or every running turn when `key` is absent;
   * false when none ran. `by` (a chat user's name) is named in the turn's final mark.
   */
  async interrupt(by: string | null = null, key?: string): Promise<boolean> {
    const runs = key === undefined ? [...this.active.values()] : [this.active.get(key)].filter((r): r is RunningTurn => r !== undefined);
    const results = await Promise.all(
      runs.map(async (run) => {
        if (by !== null) run.stoppedBy ??= by;
        // The interrupt goes out first: a decline sent before it lets the model finish the turn
        // (seen on a loaded machine: the turn completed instead of stopping). Then what the turn
        // still asks is declined (the prompts say who stopped it), so codex is not left waiting.
        const interrupted = this.opts.runtime.interruptTurn(threadKey(run.key));
        if (this.opts.approvals) await this.opts.approvals.withdraw(run.entry.id, by ?? 'an operator');
        return interrupted;
      }),
    );
    return results.some(Boolean);
  }

  /** A Stop press for entry `entryId`: interrupts that turn only; the answer is what the presser is told. */
  private async stopEntry(entryId: string, by: { id: string; name?: string }): Promise<string> {
    const run = [...this.active.values()].find((r) => r.entry.id === entryId);
    if (!run) return stopAlreadyFinishedText();
    this.log.info({ entry: entryId, by: by.id }, 'stop pressed');
    return (await this.interrupt(by.name ?? by.id, run.key)) ? stoppingText() : stopAlreadyFinishedText();
  }

  /**
   * Runs a chat command (`stop`, `status`, `new`, `queue`, `cancel N`) for the session of the
   * message's conversation/thread and answers it there (./chat-commands.ts); `admin`: the sender
   * is an admin of the channel.
   */
  command(msg: InboundMessage, command: Command, admin: boolean): Promise<AcceptResult> {
    return this.commands.run(msg, command, admin);
  }

  status(): DispatcherStatus {
    const { store, runtime: rt, clock, id } = this.opts;
    const rec = store.getDispatcher(id);
    const queue = store.listQueue(id);
    const runs = [...this.active.values()];
    const retry = runs.map((r) => r.retry).find((r) => r !== null) ?? null;
    // A turn's retry count is set only while it runs (reset when it settles).
    const retrying = rt.status === 'ready' && retry !== null;
    const depths = new Map<string, number>();
    for (const e of queue) depths.set(sessionKeyOf(e), (depths.get(sessionKeyOf(e)) ?? 0) + 1);
    const depth = (key: string) => depths.get(key) ?? 0;
    const age = (key: string) => {
      const run = this.active.get(key);
      return run ? clock.now() - run.since : null;
    };
    const oldest = runs.reduce<number | null>((min, r) => (min === null || r.since < min ? r.since : min), null);
    const open = new Set(rt.openSessions());
    const own: SessionStatus = {
      key: DISPATCHER_SESSION,
      scope: 'dispatcher',
      place: null,
      threadId: rt.threadId,
      loaded: rt.status === 'ready',
      queueDepth: depth(DISPATCHER_SESSION),
      runningTurnAgeMs: age(DISPATCHER_SESSION),
      lastActiveAt: null,
      previousThreadIds: (rec?.previousThreads ?? []).map((t) => t.threadId),
    };
    const others: SessionStatus[] = [...store.listSessions(id)]
      .sort((a, b) => b.lastActiveAt - a.lastActiveAt)
      .map((s) => ({
        key: s.key,
        scope: s.scope,
        place: s.place,
        threadId: s.threadId,
        loaded: rt.status === 'ready' && open.has(s.key),
        queueDepth: depth(s.key),
        runningTurnAgeMs: age(s.key),
        lastActiveAt: s.lastActiveAt,
        previousThreadIds: s.previousThreads.map((t) => t.threadId),
      }));
    return {
      id,
      status: rt.status === 'ready' && rt.loginNeeded ? 'needs_login' : retrying ? 'retrying' : rt.status,
      threadId: rt.threadId,
      idleForMs: rt.status === 'idle' && rt.lastUsedAt !== undefined ? clock.now() - rt.lastUsedAt : null,
      pid: rt.pid ?? null,
      queueDepth: queue.length,
      waitingTurns: Math.max(0, queue.length - runs.length),
      runningTurnAgeMs: oldest === null ? null : clock.now() - oldest,
      restartCount: rec?.restartCount ?? 0,
      lastError: retrying ? retry.error : (rec?.lastError ?? null),
      turnRetries: runs.reduce((n, r) => n + (r.retry?.count ?? 0), 0),
      failedReplies: store.listFailedReplies(id).length,
      quarantined: store.listQuarantine().filter((q) => q.dispatcherId === id).length,
      runningTurns: runs.length,
      sessions: [own, ...others],
    };
  }

  /**
   * The session a message at `place` joins (the web console's header): its status row, or a
   * fresh one (no thread yet, nothing queued) when it has not spoken yet. A platform thread that
   * is absent under scope `thread` names the top-level session of the place.
   */
  sessionAt(place: ConversationPlace): ConversationSession {
    const s = this.sessionFor({ ...place, messageId: place.thread ?? '' });
    const row = this.status().sessions.find((r) => r.key === s.key);
    const view = {
      scope: s.scope,
      threadId: row?.threadId ?? null,
      queueDepth: row?.queueDepth ?? 0,
      runningTurnAgeMs: row?.runningTurnAgeMs ?? null,
      previous: row?.previousThreadIds.length ?? 0,
    };
    return {
      dispatcherId: this.id,
      scope: view.scope,
      key: s.key,
      threadId: view.threadId,
      queueDepth: view.queueDepth,
      runningTurnAgeMs: view.runningTurnAgeMs,
      previousThreads: view.previous,
      summary: sessionLineText(view),
    };
  }

  /**
   * Where the answer of a running turn goes: the conversation an agent tool call made during it
   * belongs to (e.g. `teammate_spawn`). `session` names the session; without it, the one running
   * turn's. Null when none runs, or several run and `session` is absent (the caller cannot tell).
   */
  runningAddress(session?: string): ReplyAddress | null {
    return this.runningTurn(session)?.address ?? null;
  }

  /**
   * Who sent the chat message of a running turn (chosen as `runningAddress` does): they may answer
   * approvals of work that turn delegated. Null when none runs, or the turn is a completion's.
   */
  runningRequester(session?: string): { id: string; name?: string } | null {
    const entry = this.runningTurn(session)?.entry;
    return entry?.kind === 'message' ? entry.sender : null;
  }

  private runningTurn(session?: string): RunningTurn | null {
    if (session !== undefined) return this.active.get(session) ?? null;
    const runs = [...this.active.values()];
    return runs.length === 1 ? (runs[0] ?? null) : null;
  }

  /** Resolves when the queue is empty and no turn runs (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.scheduler.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Accepts a completion for delivery through this dispatcher's FIFO (CompletionDelivery.submit:
   * validated, recorded and queued in one write; a replayed id is `duplicate`). Never throws.
   */
  deliverCompletion(input: CompletionInput): Promise<DeliverResult> {
    return this.completions.submit(input);
  }

  private kick(): void {
    this.scheduler.schedule();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** The binding of `address`'s conversation. */
  private routeOf(address: ReplyAddress): SessionRoute {
    return this.opts.routeOf?.(address.channelId, address.conversation) ?? DEFAULT_ROUTE;
  }

  /** The session a message at `address` (or a turn answering there) belongs to. */
  private sessionFor(address: ReplyAddress, route: SessionRoute = this.routeOf(address)): ReturnType<typeof sessionOf> {
    const threadless = this.opts.channels.get(address.channelId)?.type === 'web';
    return sessionOf(route.session, address, threadless);
  }

  /** The session of a completion's origin, its record created when new (undefined: the dispatcher's own). */
  private async enterSessionOf(origin: ReplyAddress | null): Promise<string | undefined> {
    if (!origin) return undefined;
    const s = this.sessionFor(origin);
    if (s.key === DISPATCHER_SESSION || !s.place || s.scope === 'dispatcher') return undefined;
    await this.sessions.enter(s.key, s.scope, s.place);
    return s.key;
  }

  /** True when every entry ahead of `entry` in its session runs or is being steered. */
  private onlyRunningAhead(entry: QueuedTurn): boolean {
    const key = sessionKeyOf(entry);
    const runningId = this.active.get(key)?.entry.id;
    for (const e of this.opts.store.listQueue(this.opts.id)) {
      if (e.id === entry.id) return true;
      if (sessionKeyOf(e) === key && e.id !== runningId && !this.steering.has(e.id)) return false;
    }
    return false;
  }

  /**
   * Steers queued message `entry` into `run` (codex app-server v2 `turn/steer`); true when codex
   * took it (the entry is removed from the queue, its sender told). False: it stays queued.
   */
  private async steer(run: RunningTurn, entry: QueuedMessage): Promise<boolean> {
    this.steering.add(entry.id);
    try {
      const res = await this.opts.runtime.steerTurn(this.turnInput(entry), threadKey(run.key));
      if (res.status === 'notSteerable') {
        this.log.info({ entry: entry.id, session: run.key, reason: res.reason }, 'message could not be steered into the running turn; queued');
        return false;
      }
      await this.kept(this.opts.store.removeQueued(this.opts.id, entry.id));
      run.steered.push(entry.address);
      this.log.info({ entry: entry.id, session: run.key, turnId: res.turnId }, 'message steered into the running turn');
      void this.progress(entry.address, 'running');
      await this.reply(entry.address, { kind: 'notice', text: steeredText(), idempotencyKey: `${entry.id}:steered` });
      return true;
    } catch (err) {
      this.log.warn({ entry: entry.id, err: errorMessage(err) }, 'steering failed; the message stays queued');
      return false;
    } finally {
      this.steering.delete(entry.id);
    }
  }

  /**
   * Steers `entry` into `run` once its attachments are fetched (held back from the scheduler
   * meanwhile); it stays queued when the turn has ended by then or cannot take it.
   */
  private steerWhenFetched(run: RunningTurn, entry: QueuedMessage): void {
    this.steering.add(entry.id);
    void this.attachments
      .ready(entry)
      .then(async (ready) => {
        this.steering.delete(entry.id);
        if (ready && this.active.get(run.key) === run && this.onlyRunningAhead(ready)) await this.steer(run, ready);
      })
      .catch((err: unknown) => this.log.warn({ entry: entry.id, err: errorMessage(err) }, 'steering after the attachments failed; the message stays queued'))
      .finally(() => {
        this.steering.delete(entry.id);
        this.kick();
      });
  }

  /** A queued message removed by `cancel N`: its progress mark says it will not run. */
  private cancelled(entry: QueuedTurn): void {
    if (entry.address) void this.progress(entry.address, 'failed');
    this.kick();
  }

  /** Runs session `key`'s head entry: opens the session's thread, then the turn. */
  private async runEntry(key: string, entry: QueuedTurn): Promise<void> {
    const run: RunningTurn = { entry, key, since: this.opts.clock.now(), address: entry.address, stoppedBy: null, retry: null, steered: [] };
    this.active.set(key, run);
    try {
      if (!(await this.openSession(key, entry))) return;
      if (entry.kind === 'completion') await this.completions.runAtHead(entry);
      else await this.runMessage(entry);
    } finally {
      this.active.delete(key);
      await this.sessions.settled(key);
    }
  }

  /** Loads a session's thread before its turn; false when the runtime went away (the entry waits). */
  private async openSession(key: string, entry: QueuedTurn): Promise<boolean> {
    let opened: SessionOpenResult | null;
    try {
      opened = await this.sessions.open(key);
    } catch (err) {
      if (err instanceof RuntimeNotReadyError) return false;
      throw err;
    }
    // A session thread resumed for a turn from before this process started hears of the restart.
    if (opened?.opened && opened.status === 'resumed' && entry.acceptedAt < this.startedAt && !this.noticed.has(key)) {
      this.noticed.add(key);
      await this.injectRestartNotice(key);
    }
    return true;
  }

  private async runMessage(queued: QueuedMessage): Promise<void> {
    const loginFix = this.opts.runtime.loginNeeded;
    // Without credentials there is no turn to fetch attachments for.
    const entry = loginFix ? queued : await this.attachments.ready(queued);
    // Stopping while the attachments were fetched: the entry runs after the next start.
    if (!entry) return;
    const key = sessionKeyOf(entry);
    if (loginFix) {
      // A turn could only fail after codex's retries; say how to fix it at once instead.
      this.log.warn({ entry: entry.id }, 'message answered without a turn: codex has no credentials');
      await this.reply(entry.address, { kind: 'error', text: `⚠️ ${loginFix}`, idempotencyKey: entry.id }, key);
      void this.progress(entry.address, 'failed');
      await this.kept(this.opts.store.removeQueued(this.opts.id, entry.id));
      return;
    }
    if (entry.live) await closeLeftoverElement(this.liveDeps, entry, liveAbandonedText());
    // The sender pressing Stop is named as the chat knows them (platforms' press payloads carry ids).
    const named = (by: { id: string; name?: string }) => (by.id === entry.sender.id && entry.sender.name ? { ...by, name: entry.sender.name } : by);
    const live = beginLiveSession(this.liveDeps, entry, (by) => this.stopEntry(entry.id, named(by)));
    const run = await this.runTurnFor(entry, this.turnInput(entry), live);
    if (!run) {
      await live?.abandon(liveAbandonedText());
      return;
    }
    const { outcome, stoppedBy, steered } = run;
    const reply: OutboundMessage =
      outcome.status === 'completed'
        ? { kind: 'answer', text: outcome.text.trim() || '(the agent finished without a message)', idempotencyKey: entry.id }
        : { kind: 'error', text: failureText(outcome, this.opts.turnTimeoutMs, stoppedBy), idempotencyKey: entry.id };
    if (live) {
      const liveOutcome = outcome.status === 'completed' ? 'completed' : outcome.status === 'interrupted' ? 'interrupted' : 'failed';
      await this.replies.send(entry.address, reply, { live: { outcome: liveOutcome, finish: (end) => live.finish(end) }, session: key });
      this.log.info({ entry: entry.id, ...live.stats }, 'live element settled');
    } else await this.reply(entry.address, reply, key);
    const mark: ProgressState = outcome.status === 'completed' ? 'done' : 'failed';
    for (const to of [entry.address, ...steered]) void this.progress(to, mark);
    await this.kept(this.opts.store.removeQueued(this.opts.id, entry.id));
  }

  /**
   * Runs one turn for the running queue entry of its session and records the attempt. Returns
   * null when the entry must stay at the head and run again after the runtime restarts (the
   * runtime went away before or during the turn). `live` gets the turn's events; `stoppedBy`
   * names who asked to stop it, `steered` where the messages steered into it came from.
   */
  private async runTurnFor(
    entry: QueuedTurn,
    input: string,
    live: LiveSession | null = null,
  ): Promise<{ outcome: TurnOutcome; stoppedBy: string | null; steered: ReplyAddress[] } | null> {
    const key = sessionKeyOf(entry);
    const run = this.active.get(key);
    if (run?.entry.id !== entry.id) throw new Error(`entry ${entry.id} is not the running turn of session ${key}`);
    const { address } = run;
    const q = { dispatcher: this.opts.id, entry: entry.id };
    let retryNoticed = false;
    let attemptRecorded: Promise<void>;
    let outcome: TurnOutcome;
    const { approvals } = this.opts;
    try {
      const turn = this.opts.runtime.runTurn(
        input,
        this.opts.turnTimeoutMs,
        {
          // One quiet notice per turn, so a chat user is not left in silence while codex retries.
          onRetry: (message) => {
            run.retry = { count: (run.retry?.count ?? 0) + 1, error: message };
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
        },
        threadKey(key),
      );
      if (address && entry.kind === 'message') void this.progress(address, 'running');
      // Recorded alongside turn/start, off the reply's critical path; awaited before acting on the outcome.
      attemptRecorded = this.kept(this.opts.store.updateQueued(q.dispatcher, q.entry, { attempts: entry.attempts + 1 }));
      outcome = await turn;
    } catch (err) {
      // The runtime went away between whenReady and turn/start: the entry waits for the restart.
      if (err instanceof RuntimeNotReadyError) return null;
      throw err;
    } finally {
      run.retry = null;
    }
    await attemptRecorded;
    this.log.info({ entry: entry.id, kind: entry.kind, session: key, status: outcome.status, turnId: outcome.turnId }, 'turn settled');
    if (outcome.status === 'disconnected') {
      if (outcome.turnId === null) {
        // turn/start never reached the app-server: not an attempt; run it after the restart.
        await this.kept(this.opts.store.updateQueued(q.dispatcher, q.entry, { attempts: entry.attempts }));
        return null;
      }
      // Stopping: re-run after the service restarts. Otherwise re-run once after the runtime restarts.
      if (this.stopping) return null;
      if (entry.attempts + 1 < MAX_TURN_ATTEMPTS) {
        this.log.warn({ entry: entry.id, err: outcome.error }, 'runtime lost mid-turn; the turn will re-run after restart');
        return null;
      }
    }
    return { outcome, stoppedBy: run.stoppedBy, steered: run.steered };
  }

  /** The turn input carries who is talking, so the agent can tell chat users apart. */
  private turnInput(entry: QueuedMessage): string {
    const who = entry.sender.name ?? entry.sender.id;
    return `[${who} via ${entry.address.channelId}/${entry.address.conversation}]\n${entry.text}`;
  }

  private async onRuntimeReady(e: ReadyEvent): Promise<void> {
    if (!(e.firstStart && e.thread.status === 'resumed' && !this.liveMessageArrived)) return;
    this.noticed.add(DISPATCHER_SESSION);
    await this.injectRestartNotice(DISPATCHER_SESSION);
  }

  /** Injects the restart notice into session `key`'s thread; never throws. */
  private async injectRestartNotice(key: string): Promise<void> {
    const queued = this.opts.store.listQueue(this.opts.id).filter((e) => sessionKeyOf(e) === key).length;
    try {
      await this.opts.runtime.injectItems(
        [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: restartNoticeText(new Date(this.opts.clock.now()), queued) }] }],
        threadKey(key),
      );
      this.log.info({ session: key }, 'restart notice injected');
    } catch (err) {
      this.log.warn({ session: key, err: errorMessage(err) }, 'restart notice could not be injected');
    }
  }

  /**
   * A bookkeeping write of a turn already run (its attempt count, its removal): a failed write is
   * no reason to stop; the store keeps the change and writes it once the state is writable again.
   */
  private kept(write: Promise<void>): Promise<void> {
    return keptInMemory(write, () => undefined);
  }

  /** Posts a reply through the ReplyPoster (retry once, the session's lost-thread warning, failures recorded). */
  /**
   * Tells each conversation whose queued message of this dispatcher was quarantined when the state
   * was opened (src/state/quarantine.ts) that it could not be processed; once per entry.
   */
  private async noticeQuarantined(): Promise<void> {
    const { store, id } = this.opts;
    for (const q of store.listQuarantine()) {
      if (q.noticed || q.dispatcherId !== id || q.noticeTo === null) continue;
      await this.reply(q.noticeTo, { kind: 'notice', text: quarantinedText(q.reason), idempotencyKey: `quarantine:${q.id}` });
      await store.markQuarantineNoticed(q.id);
    }
  }

  private reply(to: ReplyAddress, message: OutboundMessage, session?: string): Promise<void> {
    return this.replies.send(to, message, { session: session ?? this.sessionFor(to).key });
  }

  private progress(to: ReplyAddress, state: ProgressState): Promise<void> {
    return this.replies.progress(to, state);
  }
}

/** The runtime's `session` argument for session `key` (undefined: the runtime's own thread). */
function threadKey(key: string): string | undefined {
  return key === DISPATCHER_SESSION ? undefined : key;
}
