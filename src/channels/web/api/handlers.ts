/**
 * Handlers of the web chat HTTP API. Each gets the shared ApiContext.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadinessSource } from '../../../health/readiness.js';
import type { Logger } from '../../../log.js';
import type { WebMessage } from '../../../state/types.js';
import type { AcceptResult, InboundHandler, InboundMessage } from '../../types.js';
import type { WebChat } from '../chat.js';
import { describeRefusal, refusalNoteText } from '../format/outbound.js';
import { isAllowedOrigin } from '../inbound/guard.js';
import { maxBodyBytes, parseConversationName, parsePostMessageBody, toInboundMessage } from '../inbound/parse.js';
import { PAGE_HEADERS, PAGE_HTML } from '../page/page.js';
import { BodyTooLargeError, readBody, sendError, sendJson } from '../../../http/json.js';
import type { SseHub } from './sse.js';
import { errorMessage } from '../../../errors.js';

export interface ApiContext {
  channelId: string;
  maxTextBytes: number;
  logger: Logger;
  chat: WebChat;
  hub: SseHub;
  /** The handler given to start(); undefined while stopped. */
  inbound(): InboundHandler | undefined;
  now(): number;
  /** Fresh id for messages posted without a client id. */
  newMessageId(): string;
  /** Service readiness for `GET /readyz`; absent: 503. */
  readiness?: ReadinessSource;
}

/** `GET /` */
export function handlePage(res: ServerResponse): void {
  res.writeHead(200, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(PAGE_HTML) });
  res.end(PAGE_HTML);
}

/** `GET /api/conversations` */
export function handleListConversations(ctx: ApiContext, res: ServerResponse): void {
  sendJson(res, 200, { conversations: ctx.chat.conversations() });
}

/** `GET /api/conversations/:conversation/messages` */
export function handleListMessages(ctx: ApiContext, res: ServerResponse, rawConversation: string): void {
  const conversation = parseConversationName(rawConversation);
  if (!conversation.ok) return sendError(res, conversation.status, conversation.error, conversation.message);
  sendJson(res, 200, { messages: ctx.chat.list(conversation.value), live: ctx.chat.live.list(conversation.value) });
}

/** `GET /api/events?conversation=NAME` */
export function handleEvents(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  // searchParams already decoded the value; re-encode so parseConversationName decodes exactly once.
  const raw = url.searchParams.get('conversation');
  const conversation = parseConversationName(raw === null ? null : encodeURIComponent(raw));
  if (!conversation.ok) return sendError(res, conversation.status, conversation.error, conversation.message);
  ctx.hub.open(conversation.value, req, res);
}

/** `POST /api/conversations/:conversation/messages` */
export async function handlePostMessage(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawConversation: string,
): Promise<void> {
  if (!isAllowedOrigin(req.headers.origin, req.headers.host)) {
    return sendError(res, 403, 'forbidden_origin', 'cross-origin posts are not accepted');
  }
  const conversation = parseConversationName(rawConversation);
  if (!conversation.ok) return sendError(res, conversation.status, conversation.error, conversation.message);

  let raw: Buffer;
  try {
    raw = await readBody(req, maxBodyBytes(ctx.maxTextBytes));
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      // Do not read the rest; close the connection after answering.
      return sendError(res, 413, 'body_too_large', err.message, { connection: 'close' });
    }
    throw err;
  }
  const parsed = parsePostMessageBody(raw.toString('utf8'), ctx.maxTextBytes);
  if (!parsed.ok) return sendError(res, parsed.status, parsed.error, parsed.message);

  const onMessage = ctx.inbound();
  if (!onMessage) return sendError(res, 503, 'not_started', 'the web channel is not accepting messages');

  const receivedAt = ctx.now();
  const messageId = parsed.value.id ?? ctx.newMessageId();
  const inbound = toInboundMessage({
    channelId: ctx.channelId,
    conversation: conversation.value,
    messageId,
    body: parsed.value,
    receivedAt,
  });
  const userMessage: WebMessage = {
    id: messageId,
    role: 'user',
    text: inbound.text,
    createdAt: new Date(receivedAt).toISOString(),
  };
  if (parsed.value.sender !== undefined) userMessage.sender = parsed.value.sender;

  // The question goes into the in-memory history and out over SSE before the
  // handler runs, so the page shows it before any (fast) answer. Its durable
  // write and the handler (which enqueues) then run concurrently: both
  // mutations land in one coalesced store write instead of two in a row.
  let stored: Promise<void>;
  try {
    stored = ctx.chat.recordUserMessage(conversation.value, userMessage).stored;
  } catch (err) {
    ctx.logger.error({ err, conversation: conversation.value }, 'could not store a web chat message');
    return sendError(res, 500, 'failed', `the message could not be stored: ${errorText(err)}`);
  }
  const [storeError, result] = await Promise.all([
    stored.then(
      () => null,
      (err: unknown) => ({ err }),
    ),
    offer(ctx, onMessage, inbound),
  ]);
  ctx.logger.debug({ conversation: conversation.value, messageId, status: result.status }, 'web message offered');

  if (storeError) {
    // The answer is 500 because the question is not known to be in the history.
    // The handler already ran, though: an accepted message stays queued and will
    // be answered. Say so (in the log and the answer) rather than pretend it was
    // dropped; a retry with the same id is deduplicated by the dispatcher.
    const queued = result.status === 'accepted';
    ctx.logger.error(
      { err: storeError.err, conversation: conversation.value, messageId, handlerResult: result.status },
      queued
        ? 'could not store a web chat message in the history; the message was queued anyway and will be answered'
        : 'could not store a web chat message in the history',
    );
    if (queued) ctx.chat.markQueued(conversation.value, messageId);
    const suffix = queued ? ' (it was queued anyway and should still be answered)' : '';
    return sendJson(res, 500, {
      error: 'failed',
      message: `the message could not be stored: ${errorText(storeError.err)}${suffix}`,
      messageId,
    });
  }

  switch (result.status) {
    case 'accepted':
      ctx.chat.markQueued(conversation.value, messageId);
      return sendJson(res, 202, { messageId, position: result.position });
    case 'duplicate':
      return sendJson(res, 200, { messageId, duplicate: true });
    case 'handled':
      // A command (`status`, `stop`): its answer is already in the conversation.
      return sendJson(res, 200, { messageId, command: result.command });
    default: {
      const reason = describeRefusal(result) ?? 'unknown result';
      // A full queue is announced in the chat by the dispatcher itself (as on every platform).
      if (result.status !== 'full') await ctx.chat.addNote(conversation.value, {
        id: ctx.newMessageId(),
        role: 'system',
        text: refusalNoteText(reason),
        replyTo: messageId,
        createdAt: new Date(ctx.now()).toISOString(),
      });
      if (result.status === 'full') return sendJson(res, 429, { error: 'queue_full', message: reason, messageId });
      if (result.status === 'unrouted') return sendJson(res, 404, { error: 'unrouted', message: reason, messageId });
      if (result.status === 'ignored') return sendJson(res, 403, { error: 'ignored', message: reason, messageId });
      return sendJson(res, 500, { error: 'failed', message: reason, messageId });
    }
  }
}

/** Offers `inbound` to the handler; a throw (sync or async) becomes a `failed` result. */
async function offer(ctx: ApiContext, onMessage: InboundHandler, inbound: InboundMessage): Promise<AcceptResult> {
  try {
    return await onMessage(inbound);
  } catch (err) {
    ctx.logger.error({ err, messageId: inbound.messageId }, 'inbound handler threw');
    return { status: 'failed', error: errorText(err) };
  }
}

function errorText(err: unknown): string {
  return errorMessage(err);
}
