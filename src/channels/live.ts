/**
 * Live answers: the optional channel capabilities that show a running turn while it runs
 * (the answer being written, what the agent does, its plan, a Stop button) and the
 * interactivity that buttons need.
 *
 * One live element per turn. The dispatcher folds codex's turn events into a {@link LiveView}
 * (src/dispatch/live/turn-view.ts) and pushes it with {@link LiveElement.update} no more often
 * than {@link LiveReplies.minIntervalMs}, one call at a time, the newest view only. When the
 * turn ends, {@link LiveElement.finish} settles the element into the final message: exactly the
 * text the non-streaming `send()` would have posted. If the element cannot show it, `finish`
 * answers `failed` and the dispatcher posts with `send()` under the same idempotency key, so a
 * platform failure while streaming never loses the answer and never shows it twice.
 *
 * An element's `ref` is persisted with the turn: a service that restarts while a turn ran
 * closes what the previous process left open with {@link LiveReplies.abandon}.
 */
import type { OutboundMessage, ReplyAddress, SendResult } from './reply.js';

/** One step of the agent's plan (codex app-server v2 `turn/plan/updated` `TurnPlanStep`). */
export interface LivePlanStep {
  step: string;
  status: 'pending' | 'inProgress' | 'completed';
}

/** What a running turn shows now. */
export interface LiveView {
  /** The agent message being written, Markdown; '' until the agent writes. */
  text: string;
  /**
   * Counts the agent messages of the turn so far (0 before the first). When it grows, `text`
   * is a new message that replaces the previous one (append-only platforms start a new paragraph).
   */
  textSeq: number;
  /** One line of what the agent does now, Markdown (e.g. "running `npm test`"); null when idle. */
  activity: string | null;
  /** The agent's plan, the whole of it; [] when it published none. */
  plan: readonly LivePlanStep[];
}

/** How a live element ends, with the final message. */
export interface LiveEnd {
  /**
   * completed: `message` is the answer; failed: the error report; interrupted: the stop notice;
   * abandoned: the service lost the turn (restart) and `message` says so.
   */
  outcome: 'completed' | 'failed' | 'interrupted' | 'abandoned';
  /** Exactly what `send()` would post on the non-streaming path (same idempotency key). */
  message: OutboundMessage;
}

export interface LiveOpenOptions {
  /** Stable key of the turn (its queue entry id); an `open` retried with one key may reuse the element. */
  key: string;
  /** The opaque id of this turn's Stop action, issued by the service; a press reaches `onAction`. */
  stopActionId: string;
  /** Platform user id of the message's sender (Slack streams in channels need `recipient_user_id`). */
  recipientUserId: string;
}

/** A live element a turn is shown in (a streaming Slack message, a Feishu card, a web chat bubble). */
export interface LiveElement {
  /** Serializable reference to the element (platform ids), persisted with the turn. */
  readonly ref: string;
  /**
   * Shows `view`. Called at most every `minIntervalMs`, never concurrently, with the newest view.
   * Never throws: false means the element is gone or refused (deleted, withdrawn, rate-limited
   * for good), and the dispatcher stops updating it.
   */
  update(view: LiveView): Promise<boolean>;
  /**
   * Settles the element into the final message and removes the Stop button and activity line.
   * `sent`: the final message is shown (in the element, or in posts that follow it); `failed`:
   * no final message was shown and the caller posts it with `send()`. Never throws.
   */
  finish(end: LiveEnd): Promise<SendResult>;
}

/** The live-answer capability of a channel adapter. */
export interface LiveReplies {
  /** Least time between two `update`s of one element, ms (the platform's rate limit). */
  readonly minIntervalMs: number;
  /** Opens the live element answering `to`; null when the platform cannot now (then the turn is answered with `send()`). Never throws. */
  open(to: ReplyAddress, options: LiveOpenOptions): Promise<LiveElement | null>;
  /** Closes an element a previous process left open (`ref` as persisted): streaming ends, `note` shows. Never throws. */
  abandon(to: ReplyAddress, ref: string, note: string): Promise<void>;
}

/** A button press on an element the service issued an action id for. */
export interface ActionEvent {
  /** Config channel id the press arrived on. */
  channelId: string;
  /** The opaque id the service issued (e.g. {@link LiveOpenOptions.stopActionId}). */
  actionId: string;
  /** Who pressed (platform user id). */
  user: { id: string; name?: string };
  /** Platform conversation the element is in. */
  conversation: string;
}

/** What became of a press; `text` is what the presser is told (ephemeral / toast where the platform has one). */
export type ActionResult =
  | { status: 'done'; text: string }
  /** The presser may not do this (not the sender, not a channel admin). */
  | { status: 'refused'; text: string }
  /** The id is unknown or its turn already ended ("already finished"). */
  | { status: 'stale'; text: string };

/** Called by an adapter for each press; resolves with what to tell the presser. Never rejects. */
export type ActionHandler = (event: ActionEvent) => Promise<ActionResult>;
