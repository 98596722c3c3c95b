/**
 * Service policy for an inbound message the service could not persist (`AcceptResult` `failed`,
 * or `not_stored` when the state is not writable: the notice then says so, and that it was not queued):
 * the sender is told in the message's conversation/thread, through the adapter's `send`, with an
 * `error` reply whose idempotency key is `not-queued:<conversation>:<messageId>` (a re-delivery of
 * the same message that fails again is recognised by the adapter's send ledger).
 *
 * Adapters only translate; this decision lives here. The one exception is the local web chat: it
 * answers the page's POST itself (HTTP 500, or 503 for `not_stored`, with the reason) and adds its own system note to the
 * chat (src/channels/web/api/handlers.ts), so it gets no second notice from here.
 */
import { replyAddressOf, type ChannelAdapter, type InboundHandler } from '../channels/types.js';
import type { Logger } from '../log.js';
import { notQueuedText } from './messages.js';

/**
 * Wraps `handler` for `adapter`: a `failed` or `not_stored` result is answered with the not-queued notice (awaited,
 * so the adapter acknowledges the platform after the notice went out) and then returned unchanged.
 * A notice that cannot be posted is logged (warn), never thrown.
 */
export function withNotQueuedNotice(adapter: ChannelAdapter, handler: InboundHandler, logger: Logger): InboundHandler {
  if (adapter.type === 'web') return handler;
  return async (msg) => {
    const result = await handler(msg);
    if (result.status !== 'failed' && result.status !== 'not_stored') return result;
    const sent = await adapter.send(replyAddressOf(msg), {
      kind: 'error',
      text: notQueuedText(result.error),
      idempotencyKey: `not-queued:${msg.conversation}:${msg.messageId}`,
    });
    if (sent.status === 'failed') {
      logger.warn(
        { channel: msg.channelId, conversation: msg.conversation, messageId: msg.messageId, err: sent.error },
        'could not tell the sender that the message was not queued',
      );
    }
    return result;
  };
}
