/**
 * Completion delivery: the state machine that brings a completion (a teammate's result, or an
 * external agent's through the admin API) into its dispatcher's thread. The Dispatcher owns one
 * and hands it the `completion` entries at the head of its FIFO, so a completion never races a
 * user turn.
 *
 * - `submit`: validated, spilled to a file when large, then recorded (`accepted`) and queued in
 *   one durable write (`StateStore.acceptCompletion`; a failed write keeps neither: `not_stored`). A known id is answered `duplicate` (no second injection, no second trigger);
 *   concurrent submissions of one id share one.
 * - `runAtHead`: `injecting` is persisted, then the text is injected once as a developer item with
 *   `thread/inject_items` (codex app-server v2), then `injected`. A record found `injecting` (a
 *   crash inside the injection: it may or may not have landed) is never injected again; its
 *   trigger turn carries the text instead. An app-server without `thread/inject_items` (unknown
 *   method) gets the text in the trigger turn as well.
 * - The trigger turn's answer goes to the completion's origin (if any) → `delivered`. A failed
 *   trigger turn is retried, never re-injecting, after TRIGGER_BACKOFF, up to
 *   MAX_TRIGGER_ATTEMPTS in total → `failed`, and the origin is told.
 *
 * The pure parts (validation, item and trigger texts, spilling) are in ./completions.ts.
 */
import { randomUUID } from 'node:crypto';
import type { OutboundMessage, ReplyAddress } from '../channels/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { AgentRuntime } from '../codex/agent-runtime.js';
import { backoffDelay, type BackoffPolicy } from '../codex/backoff.js';
import { RpcError } from '../codex/rpc-client.js';
import type { TurnOutcome } from '../codex/turn-runner.js';
import type { CompletionRecord, QueuedCompletion, StateStore } from '../state/types.js';
import {
  COMPLETIONS_KEPT,
  completionItemText,
  spillIfLarge,
  triggerTurnText,
  validateCompletion,
  type CompletionInput,
  type CompletionLimits,
  type DeliverResult,
} from './completions.js';
import { failureText } from './messages.js';
import { errorMessage } from '../errors.js';
import { isStorageError } from '../state/health.js';

/** A failed trigger turn is run this many times in total before the completion is reported failed. */
export const MAX_TRIGGER_ATTEMPTS = 3;

/** Delay after failed trigger turn n (1-based): 1 s, 2 s, … capped at 10 s (see MAX_TRIGGER_ATTEMPTS). */
export const TRIGGER_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 10_000 };

export interface CompletionDeliveryOptions {
  dispatcherId: string;
  store: StateStore;
  /** The dispatcher's runtime; only `injectItems` is used (on the entry's session thread). */
  runtime: Pick<AgentRuntime, 'injectItems'>;
  /** Where completions larger than `limits.spillBytes` are written. */
  spillDir: string;
  limits: CompletionLimits;
  /** The dispatcher's turn timeout, ms (named in a failure reply). */
  turnTimeoutMs: number;
  /**
   * Runs the trigger turn through the dispatcher (which records the attempt in the entry and shows
   * the turn in status). Null: the runtime went away; the entry stays at the head and runs again.
   */
  runTurn(entry: QueuedCompletion, input: string): Promise<TurnOutcome | null>;
  /**
   * The session a completion's trigger turn belongs to: its origin's (so the answer continues
   * the conversation that delegated), its record created when new; undefined: the dispatcher's
   * own thread. @throws store write errors.
   */
  sessionOf(origin: ReplyAddress | null): Promise<string | undefined>;
  /** Posts a reply (never throws; failures are recorded by the dispatcher's ReplyPoster). */
  reply(to: ReplyAddress, message: OutboundMessage): Promise<void>;
  /** Wakes the dispatcher's queue after a completion was queued. */
  kick(): void;
  /** True once the dispatcher stops taking work. */
  stopping(): boolean;
  clock: Clock;
  logger: Logger;
}

export class CompletionDelivery {
  /** Submissions in flight, by completion id (concurrent duplicates coalesce). */
  private readonly submitting = new Map<string, Promise<DeliverResult>>();

  constructor(private readonly opts: CompletionDeliveryOptions) {}

  /**
   * Accepts a completion for delivery (see the module header). Never throws: an invalid input or a
   * failed write is `{status: 'failed', error}`; after the dispatcher stopped, `{status: 'stopped'}`.
   */
  submit(input: CompletionInput): Promise<DeliverResult> {
    const pending = this.submitting.get(input.id);
    if (pending) return pending.then((r): DeliverResult => (r.status === 'submitted' ? { status: 'duplicate', state: 'accepted' } : r));
    const p = this.record(input).finally(() => this.submitting.delete(input.id));
    this.submitting.set(input.id, p);
    return p;
  }

  private async record(input: CompletionInput): Promise<DeliverResult> {
    const { store, dispatcherId, clock, logger } = this.opts;
    const invalid = validateCompletion(input, this.opts.limits);
    if (invalid) return { status: 'failed', error: invalid };
    if (this.opts.stopping()) return { status: 'stopped' };
    const known = store.getCompletion(dispatcherId, input.id);
    if (known) return { status: 'duplicate', state: known.state };
    try {
      const { text, spillPath } = await spillIfLarge(input.id, input.text, this.opts.spillDir, this.opts.limits.spillBytes);
      const now = clock.now();
      const record: CompletionRecord = {
        id: input.id,
        teammate: input.teammate ?? null,
        status: input.status ?? 'completed',
        text,
        spillPath,
        turnId: input.turnId ?? null,
        origin: input.origin ?? null,
        state: 'accepted',
        deliveredAsTurn: false,
        acceptedAt: now,
        injectedAt: null,
        settledAt: null,
        answer: null,
        lastError: null,
      };
      const entry: QueuedCompletion = {
        id: randomUUID(),
        dedupKey: `completion:${input.id}`,
        kind: 'completion',
        completionId: input.id,
        address: input.origin ?? null,
        acceptedAt: now,
        attempts: 0,
      };
      const session = await this.opts.sessionOf(entry.address);
      if (session !== undefined) entry.session = session;
      // One write, undone as a whole when it fails; completions are never refused for a full queue.
      const queued = await store.acceptCompletion(dispatcherId, record, entry, COMPLETIONS_KEPT);
      logger.info({ completion: input.id, teammate: record.teammate, spilled: spillPath !== null }, 'completion accepted');
      this.opts.kick();
      return queued.status === 'accepted' ? { status: 'submitted', position: queued.position } : { status: 'duplicate', state: 'accepted' };
    } catch (err) {
      const error = errorMessage(err);
      logger.error({ completion: input.id, err: error }, 'could not accept completion');
      // A disk that refused the spill file or the state write: nothing was kept, the sender may resend.
      return isStorageError(err) ? { status: 'not_stored', error } : { status: 'failed', error };
    }
  }

  /**
   * Runs the completion entry at the head of its session's queue (its thread open): inject once (recorded before
   * moving on), then the trigger turn. Resolves when the entry is done (removed from the queue) or
   * must run again (left at the head; after a failed trigger turn, once TRIGGER_BACKOFF elapsed).
   * @throws store write errors (the dispatcher's queue pump retries the head).
   */
  async runAtHead(entry: QueuedCompletion): Promise<void> {
    const { store, dispatcherId, clock, logger } = this.opts;
    const found = store.getCompletion(dispatcherId, entry.completionId);
    if (!found || found.state === 'delivered' || found.state === 'failed') {
      await store.removeQueued(dispatcherId, entry.id);
      return;
    }
    let rec: CompletionRecord = found;
    const save = async (patch: Partial<CompletionRecord>): Promise<void> => {
      rec = { ...rec, ...patch };
      await store.putCompletion(dispatcherId, rec, COMPLETIONS_KEPT);
    };
    // After a crash inside the injection we cannot know whether it landed: never inject twice,
    // let the trigger turn carry the text instead.
    let bodyInTurn = rec.state === 'injecting' || rec.deliveredAsTurn;
    if (rec.state === 'accepted') {
      await save({ state: 'injecting' });
      try {
        await this.opts.runtime.injectItems(
          [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: completionItemText(rec) }] }],
          entry.session,
        );
        await save({ state: 'injected', injectedAt: clock.now() });
      } catch (err) {
        if (err instanceof RpcError && err.isUnknownMethod) {
          logger.warn(
            { completion: rec.id },
            'this codex app-server has no thread/inject_items (the @openai/codex 0.169 this release pins has it); delivering the completion as a plain turn',
          );
          await save({ state: 'injected', deliveredAsTurn: true });
          bodyInTurn = true;
        } else {
          // The injection did not happen (runtime not ready, request refused): start over at the head.
          await save({ state: 'accepted', lastError: errorMessage(err) });
          return;
        }
      }
    }
    const outcome = await this.opts.runTurn(entry, triggerTurnText(rec, bodyInTurn));
    if (!outcome) return;
    if (outcome.status === 'completed') {
      const answer = outcome.text.trim() || '(the agent finished without a message)';
      if (entry.address) await this.opts.reply(entry.address, { kind: 'answer', text: answer, idempotencyKey: entry.id });
      await save({ state: 'delivered', settledAt: clock.now(), answer });
      await store.removeQueued(dispatcherId, entry.id);
      return;
    }
    const error = outcome.status === 'failed' ? outcome.error : `trigger turn ${outcome.status}`;
    const attempts = entry.attempts + 1;
    if (this.opts.stopping()) return;
    if (attempts < MAX_TRIGGER_ATTEMPTS) {
      const delay = backoffDelay(attempts, TRIGGER_BACKOFF);
      logger.warn({ completion: rec.id, attempts, delayMs: delay, err: error }, 'completion trigger turn failed; retrying without re-injecting');
      await save({ lastError: error });
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      return;
    }
    logger.error({ completion: rec.id, err: error }, 'completion trigger turn failed for good');
    if (entry.address) await this.opts.reply(entry.address, { kind: 'error', text: failureText(outcome, this.opts.turnTimeoutMs), idempotencyKey: entry.id });
    await save({ state: 'failed', settledAt: clock.now(), lastError: error });
    await store.removeQueued(dispatcherId, entry.id);
  }
}
