/**
 * Runs one turn on a thread and settles it exactly once.
 *
 * codex app-server v2: `turn/start` → `turn/started` → `item/*` → `turn/completed`
 * `{turn:{status:'completed'|'failed'|'interrupted', items, error}}`; a fatal model
 * error arrives first as `error` `{willRetry:false}`. Every path ends the run:
 * completion, failure, interrupt (requested or timeout), or a lost connection.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ServerNotification, ThreadItem, Turn, TurnPlanStep } from './protocol.js';
import { RpcClosedError, type RpcClient } from './rpc-client.js';
import type { ServerRequest, ServerRequestReply } from './server-requests.js';
import { errorMessage } from '../errors.js';

export type TurnOutcome =
  | { status: 'completed'; turnId: string; text: string }
  | { status: 'failed'; turnId: string | null; error: string }
  | { status: 'interrupted'; turnId: string; reason: 'timeout' | 'requested' }
  /** The app-server connection was lost before the turn settled. */
  | { status: 'disconnected'; turnId: string | null; error: string };

/**
 * What `steer` did (codex app-server v2 `turn/steer` with `expectedTurnId`): `steered` into
 * the running turn `turnId`; `notSteerable` when no turn runs on the thread, its id is not known
 * yet, it is settling, or codex refused (the caller queues the text as a turn of its own).
 */
export type SteerResult = { status: 'steered'; turnId: string } | { status: 'notSteerable'; reason: string };

/**
 * What the agent does during a turn, as codex app-server v2 reports it, for live answers:
 * `item/agentMessage/delta` → `agentMessageDelta`; `item/started` / `item/completed` →
 * `itemStarted` / `itemCompleted` (all item types, agent messages included); `turn/plan/updated`
 * → `planUpdated` (the whole plan each time). Only events of this turn are passed on.
 */
export type TurnEvent =
  | { type: 'agentMessageDelta'; itemId: string; delta: string }
  | { type: 'itemStarted'; item: ThreadItem }
  | { type: 'itemCompleted'; item: ThreadItem }
  | { type: 'planUpdated'; plan: TurnPlanStep[]; explanation: string | null };

/** Why a turn's server request stopped waiting for an answer (the `reason` of its abort signal). */
export type ServerRequestEnd =
  /** codex said it is settled (`serverRequest/resolved`), e.g. cleared on interrupt. */
  | 'resolved'
  /** The turn settled while the request was pending. */
  | 'turnEnded'
  /** The app-server connection was lost: no answer can reach it. */
  | 'runtimeLost';

/**
 * A server request (approval, question) of the running turn: the request, the item it is about
 * when codex announced it first (`item/started`, e.g. the `fileChange` with its diffs), and a
 * signal aborted with a {@link ServerRequestEnd} when no answer is wanted any more.
 */
export interface TurnServerRequest {
  request: ServerRequest;
  item: ThreadItem | null;
  signal: AbortSignal;
}

export interface TurnRunOptions {
  /** The turn is interrupted after this long, ms. */
  timeoutMs: number;
  /** How long to wait for `turn/completed` after an interrupt or fatal error, ms. */
  settleGraceMs?: number;
  logger: Logger;
  /** Time source of the turn timeout and the settle grace. */
  clock: Clock;
  /** Called for each retryable error codex reports during the turn (`error` with `willRetry:true`), with `message (additionalDetails)`. */
  onRetry?: (message: string) => void;
  /** Called once with the turn id when `turn/start` answered. */
  onTurnId?: (turnId: string) => void;
  /** Called for each {@link TurnEvent} until the turn settles; a throw is logged and ignored. */
  onEvent?: (event: TurnEvent) => void;
  /**
   * Answers a server request of this turn (approval, question); resolves with the answer whenever
   * one is decided, or after the signal aborted (then the answer is not sent if the connection is
   * gone). Absent: the turn's requests are declined at once.
   */
  onServerRequest?: (request: TurnServerRequest) => Promise<ServerRequestReply>;
}

/** Final agent message of a turn: the last `agentMessage` item's text. */
export function finalAgentText(items: readonly ThreadItem[]): string | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item && item.type === 'agentMessage' && typeof item.text === 'string') return item.text;
  }
  return null;
}

export class TurnRun {
  /** Settles once with the turn's outcome; never rejects. */
  readonly outcome: Promise<TurnOutcome>;
  private turnId: string | null = null;
  /** `turn/started` seen: codex drops a `turn/interrupt` that arrives before it (0.169, measured). */
  private started = false;
  private interruptReason: 'timeout' | 'requested' | null = null;
  private fatalError: string | null = null;
  private readonly agentItems: ThreadItem[] = [];
  private settle!: (o: TurnOutcome) => void;
  private settled = false;
  private readonly cleanups: Array<() => void> = [];
  /** Items of this turn by id, as `item/started` announced them (approvals refer to them). */
  private readonly items = new Map<string, ThreadItem>();
  /** Pending server requests of this turn by JSON-RPC id. */
  private readonly pendingRequests = new Map<string, AbortController>();

  constructor(
    private readonly rpc: RpcClient,
    private readonly threadId: string,
    input: string,
    private readonly opts: TurnRunOptions,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.cleanups.push(rpc.onNotification((n) => this.onNotification(n)));
    this.cleanups.push(rpc.onServerRequest((r) => this.onServerRequest(r)));
    this.cleanups.push(rpc.onClose((reason) => this.finish({ status: 'disconnected', turnId: this.turnId, error: `app-server connection lost: ${reason}` })));
    const timer = opts.clock.setTimeout(() => void this.interrupt('timeout'), opts.timeoutMs);
    this.cleanups.push(() => timer.cancel());
    void this.begin(input);
  }

  /** The turn id once `turn/start` answered, else null. */
  get id(): string | null {
    return this.turnId;
  }

  /**
   * Asks the app-server to interrupt the turn; the outcome becomes `interrupted`
   * (or whatever settles first). Resolves when the request was sent/answered.
   */
  async interrupt(reason: 'timeout' | 'requested' = 'requested'): Promise<void> {
    if (this.settled || this.interruptReason) return;
    this.interruptReason = reason;
    this.opts.logger.info({ turnId: this.turnId, reason }, 'interrupting turn');
    this.armGrace();
    if (!this.turnId || !this.started) return; // sent on `turn/started`
    await this.sendInterrupt(this.turnId);
  }

  /**
   * Adds `text` as user input to this turn (codex app-server v2 `turn/steer` with
   * `expectedTurnId`, result `{turnId}`). Only between `turn/started` (with the id known) and
   * settling, and not once interrupting or failing; a refused or failed request is
   * `notSteerable` with its message. Never rejects.
   */
  async steer(text: string): Promise<SteerResult> {
    const notSteerable = (reason: string): SteerResult => ({ status: 'notSteerable', reason });
    if (this.settled) return notSteerable('the turn has ended');
    if (this.interruptReason) return notSteerable('the turn is being interrupted');
    if (this.fatalError !== null) return notSteerable('the turn is failing');
    if (!this.turnId || !this.started) return notSteerable('the turn has not started yet');
    try {
      const res = await this.rpc.request('turn/steer', {
        threadId: this.threadId,
        expectedTurnId: this.turnId,
        input: [{ type: 'text', text, text_elements: [] }],
      });
      return { status: 'steered', turnId: res.turnId };
    } catch (err) {
      return notSteerable(errorMessage(err));
    }
  }

  private async begin(input: string): Promise<void> {
    try {
      const res = await this.rpc.request('turn/start', {
        threadId: this.threadId,
        input: [{ type: 'text', text: input, text_elements: [] }],
      });
      this.turnId = res.turn.id;
      this.opts.onTurnId?.(res.turn.id);
      if (this.interruptReason && this.started) await this.sendInterrupt(res.turn.id);
    } catch (err) {
      const msg = errorMessage(err);
      if (err instanceof RpcClosedError) this.finish({ status: 'disconnected', turnId: null, error: msg });
      else this.finish({ status: 'failed', turnId: null, error: `turn/start failed: ${msg}` });
    }
  }

  private async sendInterrupt(turnId: string): Promise<void> {
    try {
      await this.rpc.request('turn/interrupt', { threadId: this.threadId, turnId });
    } catch (err) {
      this.opts.logger.warn({ turnId, err: errorMessage(err) }, 'turn/interrupt failed');
    }
  }

  /** After an interrupt or fatal error, settle even if `turn/completed` never comes. */
  private armGrace(): void {
    const t = this.opts.clock.setTimeout(() => {
      if (this.interruptReason) this.finish({ status: 'interrupted', turnId: this.turnId ?? '', reason: this.interruptReason });
      else this.finish({ status: 'failed', turnId: this.turnId, error: this.fatalError ?? 'turn did not settle' });
    }, this.opts.settleGraceMs ?? 10_000);
    this.cleanups.push(() => t.cancel());
  }

  /** Takes the requests of this thread (one turn runs per thread) when a hook answers them. */
  private onServerRequest(request: ServerRequest): Promise<ServerRequestReply> | null {
    if (request.params.threadId !== this.threadId || this.settled || !this.opts.onServerRequest) return null;
    const key = String(request.id);
    const controller = new AbortController();
    this.pendingRequests.set(key, controller);
    const itemId = 'itemId' in request.params ? request.params.itemId : null;
    const item = itemId ? (this.items.get(itemId) ?? null) : null;
    this.opts.logger.info({ method: request.method, requestId: key, turnId: this.turnId }, 'app-server asks during the turn');
    return this.opts.onServerRequest({ request, item, signal: controller.signal }).finally(() => this.pendingRequests.delete(key));
  }

  private endPendingRequests(reason: ServerRequestEnd): void {
    for (const c of this.pendingRequests.values()) c.abort(reason);
    this.pendingRequests.clear();
  }

  private onNotification(n: ServerNotification): void {
    if (n.params.threadId !== this.threadId) return;
    switch (n.method) {
      case 'turn/started': {
        const { turn } = n.params;
        if (!this.belongs(turn.id) || this.started) return;
        this.started = true;
        this.turnId ??= turn.id;
        if (this.interruptReason) void this.sendInterrupt(turn.id);
        return;
      }
      case 'item/completed': {
        const { turnId, item } = n.params;
        if (!this.belongs(turnId)) return;
        if (item.type === 'agentMessage') this.agentItems.push(item);
        this.emit({ type: 'itemCompleted', item });
        return;
      }
      case 'item/started':
        if (!this.belongs(n.params.turnId)) return;
        this.items.set(n.params.item.id, n.params.item);
        this.emit({ type: 'itemStarted', item: n.params.item });
        return;
      case 'serverRequest/resolved': {
        const key = String(n.params.requestId);
        this.pendingRequests.get(key)?.abort('resolved' satisfies ServerRequestEnd);
        this.pendingRequests.delete(key);
        return;
      }
      case 'item/agentMessage/delta': {
        const { turnId, itemId, delta } = n.params;
        if (this.belongs(turnId)) this.emit({ type: 'agentMessageDelta', itemId, delta });
        return;
      }
      case 'turn/plan/updated': {
        const { turnId, plan, explanation } = n.params;
        if (this.belongs(turnId)) this.emit({ type: 'planUpdated', plan, explanation: explanation ?? null });
        return;
      }
      case 'error': {
        const { turnId, error, willRetry } = n.params;
        if (!this.belongs(turnId)) return;
        if (willRetry) {
          // codex 0.169 puts the progress in `message` ("Reconnecting... 2/5") and the cause in `additionalDetails`.
          const text = error.additionalDetails ? `${error.message} (${error.additionalDetails})` : error.message;
          this.opts.logger.warn({ turnId, err: text }, 'codex reports an error and retries');
          this.opts.onRetry?.(text);
          return;
        }
        this.fatalError = error.message;
        this.armGrace();
        return;
      }
      case 'turn/completed':
        if (this.belongs(n.params.turn.id)) this.onCompleted(n.params.turn);
        return;
      case 'mcpServer/startupStatus/updated':
        return;
    }
  }

  private emit(event: TurnEvent): void {
    if (this.settled || !this.opts.onEvent) return;
    try {
      this.opts.onEvent(event);
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err), event: event.type }, 'a turn event listener threw');
    }
  }

  /** Notifications may precede the `turn/start` answer; one turn runs per thread, so accept those. */
  private belongs(turnId: string | undefined): boolean {
    return this.turnId === null || turnId === this.turnId;
  }

  private onCompleted(turn: Turn): void {
    this.turnId ??= turn.id;
    if (turn.status === 'completed') {
      const text = finalAgentText(turn.items) ?? finalAgentText(this.agentItems) ?? '';
      this.finish({ status: 'completed', turnId: turn.id, text });
    } else if (turn.status === 'interrupted') {
      this.finish({ status: 'interrupted', turnId: turn.id, reason: this.interruptReason ?? 'requested' });
    } else {
      const error = turn.error?.message ?? this.fatalError ?? `turn ended with status ${turn.status}`;
      this.finish({ status: 'failed', turnId: turn.id, error });
    }
  }

  private finish(outcome: TurnOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.endPendingRequests(outcome.status === 'disconnected' ? 'runtimeLost' : 'turnEnded');
    for (const c of this.cleanups) c();
    this.settle(outcome);
  }
}
