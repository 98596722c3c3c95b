/**
 * Posting replies: one `chat.postMessage` per rendered part, in order, all in the source
 * message's thread (`thread_ts` = the address's thread, else the message's own ts).
 *
 * Idempotent per `idempotencyKey`, in memory (the newest {@link MAX_REMEMBERED} keys): a repeat of a
 * sent reply returns the first result without posting; a repeat while the first is still posting
 * waits for it; a repeat after a failure posts only the parts that are not out yet. Nothing
 * survives a restart (the dispatcher's delivery is at-least-once).
 *
 * Never throws. Errors become `{status:'failed', retryable}`: rate limits, Slack 5xx and network
 * errors are retryable (the WebClient already retried them, see ../api/client.ts);
 * `channel_not_found` / `not_in_channel` / `is_archived` and other request errors are not.
 */
import type { Logger } from '../../../log.js';
import type { ReplyAddress } from '../../../state/types.js';
import type { OutboundMessage, SendResult } from '../../types.js';
import { CONVERSATION_ERRORS, type SlackWebClient } from '../api/client.js';
import { postMessage } from '../api/messages.js';
import { renderSlackParts, SLACK_PART_LIMIT } from '../format/outbound.js';

/** Idempotency keys remembered. */
export const MAX_REMEMBERED = 1_000;

interface SendRecord {
  /** ts of the parts posted so far, in order. */
  posted: string[];
  result?: SendResult;
  inFlight?: Promise<SendResult>;
}

export interface SlackSenderOptions {
  client: SlackWebClient;
  logger: Logger;
  partLimit?: number;
}

export class SlackSender {
  private readonly records = new Map<string, SendRecord>();

  constructor(private readonly opts: SlackSenderOptions) {}

  send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult> {
    const key = message.idempotencyKey;
    let rec = this.records.get(key);
    if (rec?.result) return Promise.resolve(rec.result);
    if (rec?.inFlight) return rec.inFlight;
    if (!rec) {
      rec = { posted: [] };
      this.records.set(key, rec);
      while (this.records.size > MAX_REMEMBERED) this.records.delete(this.records.keys().next().value!);
    }
    const record = rec;
    const p = this.post(to, message, record).finally(() => {
      record.inFlight = undefined;
    });
    record.inFlight = p;
    return p;
  }

  private async post(to: ReplyAddress, message: OutboundMessage, rec: SendRecord): Promise<SendResult> {
    const parts = renderSlackParts(message, this.opts.partLimit ?? SLACK_PART_LIMIT);
    const threadTs = to.thread ?? to.messageId;
    for (let i = rec.posted.length; i < parts.length; i++) {
      const res = await postMessage(this.opts.client, { channel: to.conversation, text: parts[i]!, threadTs });
      if (!res.ok) {
        const fields = { conversation: to.conversation, thread: threadTs, part: i + 1, parts: parts.length, err: res.error, detail: res.detail };
        if (CONVERSATION_ERRORS.has(res.error)) {
          this.opts.logger.warn(fields, 'slack reply not posted: the bot cannot post in this conversation (invite it, or check the channel id)');
        } else {
          this.opts.logger.warn({ ...fields, retryable: res.retryable }, 'slack reply not posted');
        }
        return { status: 'failed', error: res.error, retryable: res.retryable };
      }
      rec.posted.push(res.ts);
    }
    const result: SendResult = { status: 'sent', messageIds: [...rec.posted] };
    rec.result = result;
    return result;
  }
}
