/**
 * Rendering of outbound replies and service notes for the web chat. The web
 * page shows text (with minimal client-side Markdown via textContent), so the
 * server only picks the role, prefixes errors and normalises whitespace.
 */
import { createHash } from 'node:crypto';
import { opensWithSymbol } from '../../format/mark-kind.js';
import type { AcceptResult, OutboundMessage, ReplyAddress } from '../../types.js';
import type { WebMessage } from '../../../state/types.js';

/** Visible prefix of error replies. */
export const ERROR_PREFIX = '⚠️ ';

/** Role of an outbound message in the web history. */
export function outboundRole(kind: OutboundMessage['kind']): 'assistant' | 'system' {
  return kind === 'answer' ? 'assistant' : 'system';
}

/** Text as stored and shown: LF line endings, trailing whitespace trimmed, errors prefixed with ⚠️ unless they open with a symbol. */
export function renderOutboundText(message: OutboundMessage): string {
  let text = message.text.replace(/\r\n?/g, '\n').trimEnd();
  if (text.trim() === '') text = message.kind === 'answer' ? '(empty answer)' : '(no details)';
  // An error that already opens with its own symbol (⚠️, ⏹️ …) is not prefixed twice.
  if (message.kind === 'error' && !opensWithSymbol(text)) text = ERROR_PREFIX + text;
  return text;
}

/** Stable WebMessage id of a reply, derived from its idempotency key. */
export function outboundMessageId(idempotencyKey: string): string {
  return `out-${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 32)}`;
}

/** The WebMessage stored for `message` answering `to`; `outcome` when it ends a live turn. */
export function toOutboundWebMessage(to: ReplyAddress, message: OutboundMessage, createdAt: string, outcome?: WebMessage['outcome']): WebMessage {
  return {
    id: outboundMessageId(message.idempotencyKey),
    role: outboundRole(message.kind),
    text: renderOutboundText(message),
    replyTo: to.messageId,
    ...(outcome ? { outcome } : {}),
    createdAt,
  };
}

/**
 * Human explanation of a refused inbound message (also stored as a system
 * note under it); undefined for accepted and duplicate messages.
 */
export function describeRefusal(result: AcceptResult): string | undefined {
  switch (result.status) {
    case 'full':
      return `the queue is full (${result.limit} messages waiting); try again later`;
    case 'unrouted':
      return 'no dispatcher is bound to this conversation';
    case 'failed':
      return `the message could not be queued: ${result.error}`;
    case 'not_stored':
      return `the message was not stored, so it will not be answered: ${result.error}; send it again later`;
    case 'ignored':
      return `the message was not accepted (${result.reason.replace(/_/g, ' ')})`;
    default:
      return undefined;
  }
}

/** Text of the system note stored under a refused message. */
export function refusalNoteText(reason: string): string {
  return `${ERROR_PREFIX}Not delivered: ${reason}.`;
}
