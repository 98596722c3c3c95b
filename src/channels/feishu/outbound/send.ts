/**
 * Posting replies: one `im.v1.message.reply` per rendered part, in order, each replying to the
 * source message (`reply_in_thread: true` when the source was in a topic thread, i.e. the address's
 * thread is a `thread_id` — they start with `omt_`; a `root_id` thread is a plain reply chain, and
 * Feishu keeps a reply to a threaded message in its thread anyway).
 *
 * Idempotent per `idempotencyKey`, twice over:
 * - in memory through {@link SendLedger}: a repeat of a sent reply returns the first result
 *   without a call; a repeat after a failure posts only the parts that are not out yet;
 * - on Feishu's side: every part carries `uuid` = hash(key) + part number, and Feishu sends at most
 *   one message per uuid within an hour — so a send repeated after a restart, or a retry of a
 *   request whose answer was lost, does not post twice.
 *
 * Never throws. Token expiry, rate limits and transient errors are handled in ../api/call.ts; what
 * is left becomes `sendFailed(failure)` (../../platform-failure.ts). A withdrawn / deleted source message (230011 /
 * 231003) is logged and not retryable.
 */
import { createHash } from 'node:crypto';
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';
import type { OutboundMessage, ReplyAddress, SendResult } from '../../types.js';
import type { CallContext } from '../api/call.js';
import { reply } from '../api/messages.js';
import { failureFields, sendFailed } from '../../platform-failure.js';
import { renderPostParts, type PartLimits } from '../format/post.js';
import { SendLedger } from '../../outbound/send-ledger.js';

export interface FeishuSenderOptions {
  client: lark.Client;
  ctx: CallContext;
  logger: Logger;
  limits?: PartLimits;
}

/** Feishu's `uuid` for part `part` of the reply keyed `key` (≤ 50 characters, as the API requires). */
export function replyUuid(key: string, part: number): string {
  return `sb-${createHash('sha256').update(key).digest('hex').slice(0, 32)}-${part}`;
}

/** True when `thread` is a topic thread id (replies then go into the thread). */
export function isTopicThread(thread: string | undefined): boolean {
  return thread?.startsWith('omt_') ?? false;
}

export class FeishuSender {
  private readonly ledger = new SendLedger();

  constructor(private readonly opts: FeishuSenderOptions) {}

  send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
    return this.ledger.send(message.idempotencyKey, (posted) => this.post(to, message, posted));
  }

  /** Posts the parts after `posted` (message_ids of the parts already out), appending each new id. */
  private async post(to: ReplyAddress, message: OutboundMessage, posted: string[]): Promise<SendResult> {
    const parts = renderPostParts(message, this.opts.limits);
    const inThread = isTopicThread(to.thread);
    for (let i = posted.length; i < parts.length; i++) {
      const res = await reply(this.opts.client, this.opts.ctx, {
        messageId: to.messageId,
        msgType: 'post',
        content: parts[i]!,
        inThread,
        uuid: replyUuid(message.idempotencyKey, i),
      });
      if (!res.ok) {
        const fields = { conversation: to.conversation, messageId: to.messageId, part: i + 1, parts: parts.length, ...failureFields(res) };
        if (res.kind === 'not_found') {
          this.opts.logger.warn(fields, 'feishu reply not posted: the source message was withdrawn or no longer exists');
        } else {
          this.opts.logger.warn(fields, 'feishu reply not posted');
        }
        return sendFailed(res);
      }
      posted.push(res.value.messageId);
    }
    return { status: 'sent', messageIds: [...posted] };
  }
}
