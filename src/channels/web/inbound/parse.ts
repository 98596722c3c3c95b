/**
 * Pure parsing and validation of web chat requests: conversation names, the
 * POST message body, and the InboundMessage built from them.
 */
import type { InboundMessage } from '../../types.js';

/** Conversation names: 1–128 of `A-Z a-z 0-9 . _ -`. */
export const CONVERSATION_NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
/** Client message ids (used for idempotent retries): 1–128 of `A-Z a-z 0-9 . _ : -`. */
export const CLIENT_MESSAGE_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Longest accepted sender name, characters. */
export const MAX_SENDER_CHARS = 128;
/** Sender id used when the client names none. */
export const DEFAULT_SENDER_ID = 'web-user';

/** A request problem, ready to become an HTTP error response (`{error, message}` with `httpStatus`). */
export interface RequestError {
  status: 'invalid';
  /** HTTP status of the error response (400, 413). */
  httpStatus: number;
  /** Machine-readable code, e.g. `bad_json`. */
  error: string;
  message: string;
}

/** Result of a parser: the value, or why the request is refused. */
export type Parsed<T> = { status: 'ok'; value: T } | RequestError;

/** The validated body of `POST /api/conversations/:conversation/messages`. */
export interface PostMessageBody {
  /** Normalised text (CRLF → LF, trimmed), non-empty, within the byte limit. */
  text: string;
  sender?: string;
  id?: string;
}

function fail(httpStatus: number, error: string, message: string): RequestError {
  return { status: 'invalid', httpStatus, error, message };
}

/** UTF-8 length of `text`, bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Largest request body read for a message POST: room for JSON escaping plus the other fields. */
export function maxBodyBytes(maxTextBytes: number): number {
  return maxTextBytes * 2 + 4096;
}

/** Line endings to LF, surrounding whitespace removed. */
export function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/** Decodes and validates a conversation name taken from a URL path segment or query. */
export function parseConversationName(raw: string | null | undefined): Parsed<string> {
  if (raw === null || raw === undefined || raw === '') {
    return fail(400, 'bad_conversation', 'a conversation name is required');
  }
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return fail(400, 'bad_conversation', 'conversation name is not valid URL encoding');
  }
  if (!CONVERSATION_NAME_RE.test(name)) {
    return fail(400, 'bad_conversation', 'conversation name must be 1–128 characters of A-Z, a-z, 0-9, ".", "_" or "-"');
  }
  // Names like "constructor" or "__proto__" would collide with object keys in stores keyed by plain objects.
  if (name in Object.prototype) {
    return fail(400, 'bad_conversation', `conversation name "${name}" is reserved`);
  }
  return { status: 'ok', value: name };
}

/**
 * A request body that must be one JSON object (a leading BOM is ignored); `example` shows its
 * shape in the 400 `bad_json` message.
 */
export function parseJsonObject(raw: string, example: string): Parsed<Record<string, unknown>> {
  let data: unknown;
  try {
    data = JSON.parse(raw.replace(/^\uFEFF/, ''));
  } catch (err) {
    return fail(400, 'bad_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail(400, 'bad_json', `request body must be a JSON object like ${example}`);
  }
  return { status: 'ok', value: data as Record<string, unknown> };
}

/**
 * Parses a POST message body. The content type is not checked: any body that
 * is a JSON object with the right fields is accepted.
 */
export function parsePostMessageBody(raw: string, maxTextBytes: number): Parsed<PostMessageBody> {
  const object = parseJsonObject(raw, '{"text": "…"}');
  if (object.status === 'invalid') return object;
  const fields = object.value;

  if (typeof fields.text !== 'string') {
    return fail(400, 'empty_text', '"text" must be a non-empty string');
  }
  const text = normaliseText(fields.text);
  if (text === '') return fail(400, 'empty_text', '"text" must not be empty');
  const bytes = utf8Bytes(text);
  if (bytes > maxTextBytes) {
    return fail(413, 'text_too_large', `text is too large: ${bytes} bytes > limit ${maxTextBytes}`);
  }

  const body: PostMessageBody = { text };
  if (fields.sender !== undefined && fields.sender !== null) {
    if (typeof fields.sender !== 'string') return fail(400, 'bad_sender', '"sender" must be a string');
    const sender = fields.sender.trim();
    if (sender.length > MAX_SENDER_CHARS) {
      return fail(400, 'bad_sender', `"sender" must be at most ${MAX_SENDER_CHARS} characters`);
    }
    if (sender !== '') body.sender = sender;
  }
  if (fields.id !== undefined && fields.id !== null) {
    if (typeof fields.id !== 'string' || !CLIENT_MESSAGE_ID_RE.test(fields.id)) {
      return fail(400, 'bad_id', '"id" must be 1–128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');
    }
    body.id = fields.id;
  }
  return { status: 'ok', value: body };
}

/** Builds the normalised InboundMessage for a validated POST. */
export function toInboundMessage(args: {
  channelId: string;
  conversation: string;
  messageId: string;
  body: PostMessageBody;
  receivedAt: number;
}): InboundMessage {
  const { body } = args;
  return {
    channelId: args.channelId,
    conversation: args.conversation,
    messageId: args.messageId,
    sender: body.sender === undefined ? { id: DEFAULT_SENDER_ID } : { id: body.sender, name: body.sender },
    text: body.text,
    receivedAt: args.receivedAt,
    // The local chat talks to the bot alone: every message is addressed to it.
    isDirect: true,
    mentionsBot: true,
  };
}
