/**
 * The fallback live answer where Slack streaming is unavailable (no `chat.startStream` for this
 * app, token or workspace): one placeholder message posted in the thread (`chat.postMessage`) and
 * kept current with `chat.update` (Tier 3, 50+ per minute per app per workspace).
 *
 * - open: the placeholder ("working…", the Stop button) — see ./live-blocks.ts for its blocks.
 * - update: `chat.update` with the newest view, at most one per {@link FALLBACK_INTERVAL_MS}: a call
 *   that comes sooner waits for the rest of the interval first (the dispatcher's own interval is the
 *   streaming one, ../outbound/live.ts). No retries: a 429 or 5xx answers false.
 * - finish: `chat.update` to exactly the first part `send()` would post (`blocks: []` drops the
 *   Stop button), then the other parts posted, under the message's idempotency key; if the update
 *   fails, finish answers failed and the caller's send() posts the answer.
 */
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { LiveElement, LiveEnd, LiveOpenOptions, LiveView } from '../../live.js';
import type { ReplyAddress, SendResult } from '../../types.js';
import type { SlackSender } from './send.js';
import type { LiveCall } from './live-api.js';
import { placeholderBlocks, sectionText } from './live-blocks.js';
import { encodeLiveRef } from './live-ref.js';

/** Least time between two `chat.update`s of one placeholder, ms (Tier 3: 40 per minute). */
export const FALLBACK_INTERVAL_MS = 1_500;

export interface PlaceholderDeps {
  call: LiveCall;
  sender: SlackSender;
  clock: Clock;
  logger: Logger;
}

/** Posts the placeholder answering `to`; null when Slack refused it. Never throws. */
export async function openPlaceholder(deps: PlaceholderDeps, to: ReplyAddress, options: LiveOpenOptions): Promise<LiveElement | null> {
  const res = await deps.call('chat.postMessage', {
    channel: to.conversation,
    thread_ts: to.thread ?? to.messageId,
    text: sectionText(''),
    blocks: placeholderBlocks({ text: '', textSeq: 0, activity: null, plan: [] }, options.stopActionId),
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!res.ok) {
    deps.logger.warn({ conversation: to.conversation, err: res.error }, 'slack live placeholder not posted; the answer is sent when the turn ends');
    return null;
  }
  const ts = typeof res.body.ts === 'string' ? res.body.ts : '';
  return ts === '' ? null : new PlaceholderElement(deps, to, ts, options.stopActionId);
}

class PlaceholderElement implements LiveElement {
  readonly ref: string;
  private lastAt: number;
  private lastShown = '';
  private finished: Promise<SendResult> | null = null;

  constructor(
    private readonly deps: PlaceholderDeps,
    private readonly to: ReplyAddress,
    private readonly ts: string,
    private readonly stopActionId: string,
  ) {
    this.ref = encodeLiveRef({ mode: 'update', channel: to.conversation, ts });
    this.lastAt = deps.clock.now();
  }

  async update(view: LiveView): Promise<boolean> {
    if (this.finished) return false;
    const blocks = placeholderBlocks(view, this.stopActionId);
    const shown = JSON.stringify(blocks);
    if (shown === this.lastShown) return true;
    const wait = this.lastAt + FALLBACK_INTERVAL_MS - this.deps.clock.now();
    if (wait > 0) await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, wait));
    if (this.finished) return false;
    this.lastAt = this.deps.clock.now();
    const res = await this.deps.call('chat.update', { channel: this.to.conversation, ts: this.ts, text: sectionText(view.text), blocks }, { retry: false });
    if (!res.ok) {
      this.deps.logger.info(
        { conversation: this.to.conversation, ts: this.ts, err: res.error },
        'slack live placeholder update refused; it waits for the final answer',
      );
      return false;
    }
    this.lastShown = shown;
    return true;
  }

  finish(end: LiveEnd): Promise<SendResult> {
    this.finished ??= this.deps.sender.sendOver(this.to, end.message, async (part) => {
      const res = await this.deps.call('chat.update', { channel: this.to.conversation, ts: this.ts, text: part, blocks: [] });
      if (res.ok) return { status: 'shown', ts: this.ts };
      this.deps.logger.warn(
        { conversation: this.to.conversation, ts: this.ts, err: res.error },
        'slack live placeholder not settled; the answer is posted instead',
      );
      return { status: 'failed', error: res.error, retryable: res.retryable };
    });
    return this.finished;
  }
}
