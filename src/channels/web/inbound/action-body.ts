/**
 * Pure parsing of `POST /api/actions` bodies: a button press on the web chat page.
 * The body is a JSON object `{"actionId": "…", "conversation": "…", "sender"?: "…"}`:
 * `actionId` is the opaque id the service issued (e.g. a live bubble's `stopActionId`),
 * `conversation` the conversation the button is in, `sender` who presses (the page posts
 * messages without one, so presses default to the same sender as those messages).
 */
import type { ActionEvent } from '../../live.js';
import { DEFAULT_SENDER_ID, MAX_SENDER_CHARS, parseConversationName, parseJsonObject, type Parsed, type RequestError } from './parse.js';

/** Longest accepted action id, characters. */
export const MAX_ACTION_ID_CHARS = 256;
/** Largest body read for an action post, bytes. */
export const MAX_ACTION_BODY_BYTES = 4096;

function fail(httpStatus: number, error: string, message: string): RequestError {
  return { status: 'invalid', httpStatus, error, message };
}

/** Parses an action body into the ActionEvent for channel `channelId`. */
export function parseActionBody(raw: string, channelId: string): Parsed<ActionEvent> {
  const object = parseJsonObject(raw, '{"actionId": "…", "conversation": "…"}');
  if (object.status === 'invalid') return object;
  const fields = object.value;
  const { actionId } = fields;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what an action id must not contain
  if (typeof actionId !== 'string' || actionId === '' || actionId.length > MAX_ACTION_ID_CHARS || /[\u0000-\u001f\u007f]/.test(actionId)) {
    return fail(400, 'bad_action', `"actionId" must be a string of 1–${MAX_ACTION_ID_CHARS} printable characters`);
  }
  if (typeof fields.conversation !== 'string') return fail(400, 'bad_conversation', '"conversation" must be a string');
  // parseConversationName decodes URL encoding: encode first so the name is taken as written.
  const conversation = parseConversationName(encodeURIComponent(fields.conversation));
  if (conversation.status === 'invalid') return conversation;

  let user: ActionEvent['user'] = { id: DEFAULT_SENDER_ID };
  if (fields.sender !== undefined && fields.sender !== null) {
    if (typeof fields.sender !== 'string') return fail(400, 'bad_sender', '"sender" must be a string');
    const sender = fields.sender.trim();
    if (sender.length > MAX_SENDER_CHARS) return fail(400, 'bad_sender', `"sender" must be at most ${MAX_SENDER_CHARS} characters`);
    if (sender !== '') user = { id: sender, name: sender };
  }
  return { status: 'ok', value: { channelId, actionId, user, conversation: conversation.value } };
}
