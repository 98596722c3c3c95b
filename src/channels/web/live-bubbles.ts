/**
 * The web chat's open live bubbles: one per turn the dispatcher shows live (see
 * src/channels/live.ts), in memory only, and the SSE events that carry them to the pages.
 *
 * SSE events, per conversation (the stream of `GET /api/events?conversation=NAME`):
 * - `live` — {@link WebLiveBubble}: the bubble's whole state, not a delta, so a page that joins
 *   mid-turn shows it from the next event. `GET /api/conversations/:c/messages` also lists the
 *   open bubbles (`live`), so a page loaded mid-turn shows them at once.
 * - `live-end` — {@link WebLiveEnd}: the bubble is over; `messageId` names the final message
 *   (sent right after as a `message` event) that takes the bubble's place. Sent before that
 *   message, so a page knows which bubble it replaces when it arrives.
 *
 * A process that restarts has no bubbles: a page that reloads shows the stored history only.
 */
import type { LiveEnd, LivePlanStep } from '../live.js';
import type { SseHub } from './api/sse.js';
import type { MarkdownNode } from './format/markdown-tree.js';

/** Open bubbles kept at most, over all conversations (the oldest is dropped first). */
export const MAX_OPEN_BUBBLES = 1_000;

/** The `live` event's data: a running turn as the page shows it. */
export interface WebLiveBubble {
  /** `live-<hash of the turn key>`; also the element's `ref`. */
  id: string;
  /** Id of the user message the turn answers. */
  replyTo: string;
  /** When the bubble opened, ISO-8601. */
  createdAt: string;
  /** The agent message being written, Markdown ('' until the agent writes). */
  text: string;
  /** `text` parsed as Markdown (./format/markdown-tree.ts). */
  markdown: MarkdownNode[];
  /** Counts the turn's agent messages so far (see LiveView.textSeq). */
  textSeq: number;
  /** One line of what the agent does now, Markdown; null when idle. */
  activity: string | null;
  /** `activity` parsed as Markdown; null when idle. */
  activityMarkdown: MarkdownNode[] | null;
  /** The agent's plan, the whole of it. */
  plan: LivePlanStep[];
  /** The opaque id a Stop press posts to `POST /api/actions`. */
  stopActionId: string;
  state: 'running';
}

/** The `live-end` event's data. */
export interface WebLiveEnd {
  /** The bubble that ended. */
  id: string;
  /** Id of the user message the turn answered. */
  replyTo: string;
  /** Id of the final message that replaces the bubble; null when none follows (abandoned by a restart). */
  messageId: string | null;
  outcome: LiveEnd['outcome'];
  /** abandon only: the note to show. */
  note?: string;
}

export class LiveBubbles {
  /** Open bubbles by key(conversation, id), oldest first. */
  private readonly open = new Map<string, { conversation: string; bubble: WebLiveBubble }>();

  constructor(
    private readonly hub: SseHub,
    private readonly maxOpen = MAX_OPEN_BUBBLES,
  ) {}

  /** The open bubble `id` of `conversation`, if any. */
  get(conversation: string, id: string): WebLiveBubble | undefined {
    return this.open.get(key(conversation, id))?.bubble;
  }

  /** Stores `bubble` (replacing the one with its id) and broadcasts it as a `live` event. */
  show(conversation: string, bubble: WebLiveBubble): void {
    const k = key(conversation, bubble.id);
    if (!this.open.has(k) && this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
    this.open.set(k, { conversation, bubble });
    this.hub.broadcast(conversation, 'live', bubble);
  }

  /** Forgets the bubble `end.id` (if open) and broadcasts `end` as a `live-end` event. */
  end(conversation: string, end: WebLiveEnd): void {
    this.open.delete(key(conversation, end.id));
    this.hub.broadcast(conversation, 'live-end', end);
  }

  /** The open bubbles of `conversation`, oldest first. */
  list(conversation: string): WebLiveBubble[] {
    const out: WebLiveBubble[] = [];
    for (const entry of this.open.values()) if (entry.conversation === conversation) out.push(entry.bubble);
    return out;
  }
}

function key(conversation: string, id: string): string {
  return `${conversation}\u0000${id}`;
}
