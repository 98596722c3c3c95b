/**
 * How a dispatcher's replies reach the chat: through the channel adapter of the address, retried
 * once when the adapter says the failure is retryable; a reply that still fails is recorded in
 * state (counted in status as failedReplies), never dropped silently. A pending lost-thread
 * warning (the thread could not be resumed) is put in front of the next answer or error, once.
 * Progress marks go through the adapter's optional `setProgress`; their failures are only logged.
 */
import type { LiveEnd } from '../channels/live.js';
import type { ChannelAdapter, OutboundMessage, ProgressState, ReplyAddress, SendResult } from '../channels/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ThreadRecordStore } from '../codex/agent-runtime.js';
import type { StateStore } from '../state/types.js';
import { lostThreadWarning } from './messages.js';
import { DISPATCHER_SESSION } from './sessions/key.js';

/** Failed replies kept per dispatcher (newest). */
export const FAILED_REPLIES_KEPT = 100;

/** A turn's live element, to be settled into the final message (see src/dispatch/live/live-session.ts). */
export interface LiveFinisher {
  outcome: LiveEnd['outcome'];
  finish(end: LiveEnd): Promise<SendResult>;
}

export interface ReplyPosterOptions {
  dispatcherId: string;
  /** Adapters by channel id. */
  channels: ReadonlyMap<string, ChannelAdapter>;
  store: StateStore;
  /** Where session `key`'s thread fields are kept (its pending lost-thread warning). */
  threadRecord(key: string): ThreadRecordStore;
  logger: Logger;
  clock: Clock;
}

export class ReplyPoster {
  constructor(private readonly opts: ReplyPosterOptions) {}

  /**
   * Posts `message` to `to`, on behalf of session `how.session` (default: the dispatcher's own
   * thread), whose pending lost-thread warning it carries. With `how.live`, the turn's live
   * element is settled into the message first (`LiveEnd` with `live.outcome`); only when it could
   * not show it is the message sent the ordinary way, under the same idempotency key. Never
   * throws; a final failure is recorded in state.
   */
  async send(to: ReplyAddress, message: OutboundMessage, how: { live?: LiveFinisher; session?: string } = {}): Promise<void> {
    const { channels } = this.opts;
    const { live } = how;
    const adapter = channels.get(to.channelId);
    if (!adapter) return this.failed(to, message, `channel ${to.channelId} is not running`);
    const threads = this.opts.threadRecord(how.session ?? DISPATCHER_SESSION);
    const rec = threads.load();
    // The lost-history warning belongs on the next answer (or failure), not on a service notice.
    const warn = rec?.pendingLostThreadWarning === true && message.kind !== 'notice';
    const text = warn ? `${lostThreadWarning(rec.lastLostThreadId)}\n\n${message.text}` : message.text;
    let res: SendResult | null = live ? await live.finish({ outcome: live.outcome, message: { ...message, text } }) : null;
    if (res?.status === 'failed')
      this.opts.logger.info({ err: res.error, channel: to.channelId }, 'the live element could not show the final message; sending it');
    if (res === null || res.status === 'failed') res = await adapter.send(to, { ...message, text });
    if (res.status === 'failed' && res.retryable) res = await adapter.send(to, { ...message, text });
    if (res.status === 'failed') return this.failed(to, { ...message, text }, res.error);
    if (warn) await threads.patch({ pendingLostThreadWarning: false });
  }

  /** Marks the source message with `state` when the adapter can; never throws. */
  async progress(to: ReplyAddress, state: ProgressState): Promise<void> {
    const adapter = this.opts.channels.get(to.channelId);
    if (!adapter?.setProgress) return;
    try {
      await adapter.setProgress(to, state);
    } catch (err) {
      this.opts.logger.debug({ err, state }, 'progress mark failed');
    }
  }

  private async failed(to: ReplyAddress, message: OutboundMessage, error: string): Promise<void> {
    const { logger, store, dispatcherId, clock } = this.opts;
    logger.error({ channel: to.channelId, conversation: to.conversation, err: error, kind: message.kind }, 'reply could not be posted; recorded as failed');
    const record = { idempotencyKey: message.idempotencyKey, address: to, kind: message.kind, text: message.text, error, failedAt: clock.now() };
    await store.recordFailedReply(dispatcherId, record, FAILED_REPLIES_KEPT).catch((err: unknown) => {
      logger.error({ err }, 'could not record the failed reply');
    });
  }
}
