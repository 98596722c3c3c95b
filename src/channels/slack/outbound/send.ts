/**
 * Posting replies: one `chat.postMessage` per rendered part, in order, all in the source
 * message's thread (`thread_ts` = the address's thread, else the message's own ts).
 *
 * Idempotent per `idempotencyKey` through {@link SendLedger} (in memory; a repeat after a failure
 * posts only the parts that are not out yet).
 *
 * Never throws. A failed part becomes `sendFailed(failure)` (../../platform-failure.ts): rate
 * limits, Slack 5xx and network errors are retryable (the WebClient already retried them, see
 * ../api/client.ts); `channel_not_found` / `not_in_channel` / `is_archived` and other request
 * errors are not (classification: ../api/call.ts).
 */
import type { Logger } from '../../../log.js';
import type { OutboundMessage, ReplyAddress, SendResult } from '../../types.js';
import { failureFields, sendFailed } from '../../platform-failure.js';
import { CONVERSATION_ERRORS } from '../api/call.js';
import type { SlackWebClient } from '../api/client.js';
import { postMessage } from '../api/messages.js';
import { renderSlackParts, SLACK_PART_LIMIT } from '../format/outbound.js';
import { SendLedger } from '../../outbound/send-ledger.js';

/** What became of replacing an element with the first part (see SlackSender.sendOver). */
export type ShownFirst = { status: 'shown'; ts: string } | Extract<SendResult, { status: 'failed' }>;

export interface SlackSenderOptions {
  client: SlackWebClient;
  logger: Logger;
  partLimit?: number;
}

export class SlackSender {
  private readonly ledger = new SendLedger();

  constructor(private readonly opts: SlackSenderOptions) {}

  send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
    return this.ledger.send(message.idempotencyKey, (posted) => this.post(to, message, posted));
  }

  /**
   * Like send(), under the same key, but the first part replaces a message already in the thread
   * (a live answer's element): `showFirst(part1)` edits it and answers its ts, or a failed result
   * (then nothing counts as posted and a later send() posts every part). Parts 2… are posted.
   */
  sendOver(to: ReplyAddress, message: OutboundMessage, showFirst: (part: string) => Promise<ShownFirst>): Promise<SendResult> {
    return this.ledger.send(message.idempotencyKey, async (posted) => {
      if (posted.length === 0) {
        const parts = renderSlackParts(message, this.opts.partLimit ?? SLACK_PART_LIMIT);
        const first = await showFirst(parts[0]!);
        if (first.status === 'failed') return first;
        posted.push(first.ts);
      }
      return this.post(to, message, posted);
    });
  }

  /** Posts the parts after `posted` (ts of the parts already out), appending each new ts. */
  private async post(to: ReplyAddress, message: OutboundMessage, posted: string[]): Promise<SendResult> {
    const parts = renderSlackParts(message, this.opts.partLimit ?? SLACK_PART_LIMIT);
    const threadTs = to.thread ?? to.messageId;
    for (let i = posted.length; i < parts.length; i++) {
      const res = await postMessage(this.opts, { channel: to.conversation, text: parts[i]!, threadTs });
      if (!res.ok) {
        const fields = { conversation: to.conversation, thread: threadTs, part: i + 1, parts: parts.length, ...failureFields(res) };
        if (CONVERSATION_ERRORS.has(res.code)) {
          this.opts.logger.warn(fields, 'slack reply not posted: the bot cannot post in this conversation (invite it, or check the channel id)');
        } else {
          this.opts.logger.warn(fields, 'slack reply not posted');
        }
        return sendFailed(res);
      }
      posted.push(res.ts);
    }
    return { status: 'sent', messageIds: [...posted] };
  }
}
