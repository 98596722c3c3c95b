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
import { maxBodyBytes, parseConversationName, parsePostMessageBody, toInboundMessage, type PostMessageBody, type RequestError } from '../inbound/parse.js';
import { PAGE_HEADERS, PAGE_HTML } from '../page/page.js';
import { BodyTooLargeError, readBody, sendError, sendJson } from '../../../http/json.js';
import type { SseHub } from './sse.js';
import type { WebAuth } from '../inbound/auth.js';
import type { SessionInfoSource } from '../../session-info.js';
import { markdownTree } from '../format/markdown-tree.js';
import { errorMessage } from '../../../errors.js';
import { isStorageError } from '../../../state/health.js';

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
  /** The session a conversation's messages join, for `GET …/session`; absent: `session: null`. */
  sessionInfo?: SessionInfoSource;
  /** The access token's gate (config `auth.token`); absent: no authentication (loopback only). */
  auth?: WebAuth;
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
  if (conversation.status === 'invalid') return sendRequestError(res, conversation);
  sendJson(res, 200, { messages: ctx.chat.list(conversation.value), live: ctx.chat.live.list(conversation.value) });
}

/**
 * `GET /api/conversations/:conversation/session` → 200 `{session}`: the asker's session (see
 * ConversationSession) with `summaryMarkdown`, its summary as a Markdown tree for the page; `session`
 * is null when no dispatcher is bound to the conversation.
 */
export function handleSession(ctx: ApiContext, res: ServerResponse, rawConversation: string): void {
  const conversation = parseConversationName(rawConversation);
  if (conversation.status === 'invalid') return sendRequestError(res, conversation);
  const session = ctx.sessionInfo?.({ channelId: ctx.channelId, conversation: conversation.value }) ?? null;
  sendJson(res, 200, { session: session && { ...session, summaryMarkdown: markdownTree(session.summary) } });
}

/** `GET /api/events?conversation=NAME` */
export function handleEvents(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  // searchParams already decoded the value; re-encode so parseConversationName decodes exactly once.
  const raw = url.searchParams.get('conversation');
  const conversation = parseConversationName(raw === null ? null : encodeURIComponent(raw));
  if (conversation.status === 'invalid') return sendRequestError(res, conversation);
  ctx.hub.open(conversation.value, req, res);
}

/**
 * `POST /api/conversations/:conversation/messages`: validate the request, offer the message to
 * the inbound handler (while the question is recorded in the history), answer with the result.
 */
export async function handlePostMessage(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, rawConversation: string): Promise<void> {
  const post = await readPost(ctx, req, rawConversation);
  if (post.status === 'invalid') return sendRequestError(res, post, post.headers);

  const onMessage = ctx.inbound();
  if (!onMessage) return sendError(res, 503, 'not_started', 'the web channel is not accepting messages');

  const { inbound, userMessage } = inboundOf(ctx, post.conversation, post.body);
  const offered = await recordAndOffer(ctx, onMessage, post.conversation, inbound, userMessage);
  if (offered.status === 'not_stored') return answerNotStored(res, offered);
  return answerResult(ctx, res, post.conversation, inbound.messageId, offered.result);
}

/** A validated POST: the conversation name and the body; or why it is refused. */
type PostRequest = { status: 'valid'; conversation: string; body: PostMessageBody } | (RequestError & { headers?: Record<string, string> });

/**
 * Validates a message POST in this order: Origin/Host (403), conversation name (400), body size
 * (413, and the connection is closed without reading the rest), body fields (400/413).
 * @throws body read errors other than BodyTooLargeError
 */
async function readPost(ctx: ApiContext, req: IncomingMessage, rawConversation: string): Promise<PostRequest> {
  if (!isAllowedOrigin(req.headers.origin, req.headers.host)) {
    return { status: 'invalid', httpStatus: 403, error: 'forbidden_origin', message: 'cross-origin posts are not accepted' };
  }
  const conversation = parseConversationName(rawConversation);
  if (conversation.status === 'invalid') return conversation;
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBodyBytes(ctx.maxTextBytes));
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      // Do not read the rest; close the connection after answering.
      return { status: 'invalid', httpStatus: 413, error: 'body_too_large', message: err.message, headers: { connection: 'close' } };
    }
    throw err;
  }
  const body = parsePostMessageBody(raw.toString('utf8'), ctx.maxTextBytes);
  if (body.status === 'invalid') return body;
  return { status: 'valid', conversation: conversation.value, body: body.value };
}

/** The InboundMessage for the handler and the user's entry in the history (same id and text). */
function inboundOf(ctx: ApiContext, conversation: string, body: PostMessageBody): { inbound: InboundMessage; userMessage: WebMessage } {
  const receivedAt = ctx.now();
  const messageId = body.id ?? ctx.newMessageId();
  const inbound = toInboundMessage({ channelId: ctx.channelId, conversation, messageId, body, receivedAt });
  const userMessage: WebMessage = {
    id: messageId,
    role: 'user',
    text: inbound.text,
    createdAt: new Date(receivedAt).toISOString(),
  };
  if (body.sender !== undefined) userMessage.sender = body.sender;
  return { inbound, userMessage };
}

/** The handler's result; `not_stored` when the history refused the question at once (the handler never ran). */
type Offered = { status: 'stored'; result: AcceptResult } | { status: 'not_stored'; err: unknown };

/**
 * Records the question and offers it to the handler. The question goes into the in-memory history
 * and out over SSE before the handler runs, so the page shows it before any (fast) answer. The
 * answer to the POST waits for the handler (which persists the queue entry: persisted before
 * acknowledged), not for the history file's write: the history is a record, not the queue, and
 * the store keeps and retries a failed history write (logged here). Never throws.
 */
async function recordAndOffer(
  ctx: ApiContext,
  onMessage: InboundHandler,
  conversation: string,
  inbound: InboundMessage,
  userMessage: WebMessage,
): Promise<Offered> {
  let stored: Promise<void>;
  try {
    stored = ctx.chat.recordUserMessage(conversation, userMessage).stored;
  } catch (err) {
    ctx.logger.error({ err, conversation }, 'could not store a web chat message');
    return { status: 'not_stored', err };
  }
  stored.catch((err: unknown) =>
    ctx.logger.warn({ err, conversation }, 'the question could not be written to the web history yet; kept in memory and retried'),
  );
  const result = await offer(ctx, onMessage, inbound);
  ctx.logger.debug({ conversation, messageId: inbound.messageId, status: result.status }, 'web message offered');
  return { status: 'stored', result };
}

/**
 * The history refused the question before the handler ran: 503 `not_stored` for a state write
 * error (the sender may send it again later), else 500. (A history write that fails later is
 * retried by the store; the handler's decision stands, see recordAndOffer.)
 */
function answerNotStored(res: ServerResponse, offered: Extract<Offered, { status: 'not_stored' }>): void {
  const { err } = offered;
  return isStorageError(err)
    ? sendError(res, 503, 'not_stored', `the message was not stored, so it will not be answered: ${errorText(err)}; send it again later`)
    : sendError(res, 500, 'failed', `the message could not be stored: ${errorText(err)}`);
}

/**
 * Maps the handler's AcceptResult to the response: accepted 202 `{messageId, position}`,
 * duplicate 200 `{messageId, duplicate}`, steered 200 `{messageId, steered}`, handled (a command) 200 `{messageId, command}`; refusals
 * `{error, message, messageId}` as full 429, unrouted 404, ignored 403, failed 500, not_stored 503
 * (the state is not writable: the message will never run; send it again later), each but
 * `full` also noted in the conversation.
 */
async function answerResult(ctx: ApiContext, res: ServerResponse, conversation: string, messageId: string, result: AcceptResult): Promise<void> {
  switch (result.status) {
    case 'accepted':
      ctx.chat.markQueued(conversation, messageId);
      return sendJson(res, 202, { messageId, position: result.position });
    case 'duplicate':
      return sendJson(res, 200, { messageId, duplicate: true });
    case 'steered':
      // Added to the running turn (busy policy `steer`): its answer answers this message too.
      return sendJson(res, 200, { messageId, steered: true });
    case 'handled':
      // A command (`status`, `stop`, …): its answer is already in the conversation.
      return sendJson(res, 200, { messageId, command: result.command });
    default: {
      const reason = describeRefusal(result) ?? 'unknown result';
      // A full queue is announced in the chat by the dispatcher itself (as on every platform).
      if (result.status !== 'full')
        await ctx.chat.addNote(conversation, {
          id: ctx.newMessageId(),
          role: 'system',
          text: refusalNoteText(reason),
          replyTo: messageId,
          createdAt: new Date(ctx.now()).toISOString(),
        });
      if (result.status === 'full') return sendJson(res, 429, { error: 'queue_full', message: reason, messageId });
      if (result.status === 'unrouted') return sendJson(res, 404, { error: 'unrouted', message: reason, messageId });
      if (result.status === 'ignored') return sendJson(res, 403, { error: 'ignored', message: reason, messageId });
      if (result.status === 'not_stored') return sendJson(res, 503, { error: 'not_stored', message: reason, messageId });
      return sendJson(res, 500, { error: 'failed', message: reason, messageId });
    }
  }
}

/** Writes a RequestError as `{error, message}` with its HTTP status. */
function sendRequestError(res: ServerResponse, e: RequestError, headers?: Record<string, string>): void {
  sendError(res, e.httpStatus, e.error, e.message, headers);
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
