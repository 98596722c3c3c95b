/**
 * Live answers in the web chat (the LiveReplies capability of src/channels/live.ts): a running
 * turn is a bubble under its question that grows in place, with the agent's activity, its plan
 * and a Stop button, pushed to the pages over the conversation's SSE stream (./live-bubbles.ts).
 *
 * - `open` shows an empty bubble (`live` event); its id and `ref` are `live-<hash of the key>`,
 *   so an `open` retried with one key shows the same bubble.
 * - `update` sends the bubble's whole state again (`live`), with the text parsed as Markdown on
 *   the server (./format/markdown-tree.ts), as stored replies are.
 * - `finish` ends the bubble (`live-end`, naming the final message's id) and then posts the final
 *   message exactly as `send()` does (WebChat.send: same id from the idempotency key, same
 *   storage), with the turn's outcome stored on it. Its SendResult is `finish`'s.
 * - `abandon`: bubbles live in memory, so a restarted process has none to close; it only tells
 *   open pages that the bubble `ref` ended (`live-end` with the note and no message).
 *
 * Local SSE has no rate limit of its own; updates are bounded at 10 a second
 * ({@link WEB_LIVE_MIN_INTERVAL_MS}) to keep pages and the Markdown parsing light.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { LiveElement, LiveEnd, LiveOpenOptions, LiveReplies, LiveView } from '../live.js';
import type { ReplyAddress, SendResult } from '../types.js';
import type { WebChat } from './chat.js';
import { IncrementalMarkdownTree } from './format/incremental-tree.js';
import { markdownTree } from './format/markdown-tree.js';
import { outboundMessageId } from './format/outbound.js';
import type { WebLiveBubble } from './live-bubbles.js';
import { errorMessage } from '../../errors.js';

/** Least time between two updates of one bubble, ms. */
export const WEB_LIVE_MIN_INTERVAL_MS = 100;

/** The bubble id (and element ref) of the turn with `key`: stable, URL- and DOM-safe. */
export function liveBubbleId(key: string): string {
  return `live-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
}

export interface WebLiveDeps {
  channelId: string;
  chat: WebChat;
  /** ms since the epoch. */
  now(): number;
  logger: Logger;
}

/** The web channel's LiveReplies. */
export function createWebLiveReplies(deps: WebLiveDeps): LiveReplies {
  return {
    minIntervalMs: WEB_LIVE_MIN_INTERVAL_MS,

    async open(to: ReplyAddress, options: LiveOpenOptions): Promise<LiveElement | null> {
      if (to.channelId !== deps.channelId) return null;
      try {
        const id = liveBubbleId(options.key);
        const bubble = deps.chat.live.get(to.conversation, id) ?? {
          id,
          replyTo: to.messageId,
          createdAt: new Date(deps.now()).toISOString(),
          text: '',
          markdown: [],
          textSeq: 0,
          activity: null,
          activityMarkdown: null,
          plan: [],
          stopActionId: options.stopActionId,
          state: 'running',
        };
        deps.chat.live.show(to.conversation, { ...bubble, stopActionId: options.stopActionId });
        return new WebLiveElement(to, id, deps);
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), messageId: to.messageId }, 'could not open a web live bubble');
        return null;
      }
    },

    async abandon(to: ReplyAddress, ref: string, note: string): Promise<void> {
      try {
        deps.chat.live.end(to.conversation, { id: ref, replyTo: to.messageId, messageId: null, outcome: 'abandoned', note });
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), ref }, 'could not close a web live bubble');
      }
    },
  };
}

class WebLiveElement implements LiveElement {
  private finished = false;
  /** The answer's tree, parsed a settled part at a time as the text grows (./format/incremental-tree.ts). */
  private readonly tree = new IncrementalMarkdownTree();

  constructor(
    private readonly to: ReplyAddress,
    readonly ref: string,
    private readonly deps: WebLiveDeps,
  ) {}

  async update(view: LiveView): Promise<boolean> {
    if (this.finished) return false;
    try {
      const { chat } = this.deps;
      const current = chat.live.get(this.to.conversation, this.ref);
      if (!current) return false; // dropped (over the bound of open bubbles)
      const next: WebLiveBubble = {
        ...current,
        text: view.text,
        markdown: this.tree.tree(view.text),
        textSeq: view.textSeq,
        activity: view.activity,
        activityMarkdown: view.activity === null ? null : markdownTree(view.activity),
        plan: view.plan.map((s) => ({ step: s.step, status: s.status })),
      };
      chat.live.show(this.to.conversation, next);
      return true;
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err), ref: this.ref }, 'web live bubble update failed');
      return false;
    }
  }

  async finish(end: LiveEnd): Promise<SendResult> {
    this.finished = true;
    const { chat } = this.deps;
    try {
      chat.live.end(this.to.conversation, {
        id: this.ref,
        replyTo: this.to.messageId,
        messageId: outboundMessageId(end.message.idempotencyKey),
        outcome: end.outcome,
      });
      return await chat.send(this.to, end.message, this.deps.now(), end.outcome);
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err), ref: this.ref }, 'web live bubble could not be finished');
      return { status: 'failed', error: `web live bubble: ${errorMessage(err)}`, retryable: true };
    }
  }
}
