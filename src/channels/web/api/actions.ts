/**
 * `POST /api/actions`: a button press on the page (e.g. a live bubble's Stop), handed to the
 * ActionHandler given to the adapter's start(). Body: see ../inbound/action-body.ts.
 *
 * Answers: 200 `{status: 'done', text}`; 403 `{status: 'refused', text}` (the presser may not);
 * 409 `{status: 'stale', text}` (unknown id or the turn already ended); errors as
 * `{error, message}` like the other routes: 403 `forbidden_origin` (a cross-origin post),
 * 400 (bad body), 413 `body_too_large`, 503 `not_started` (stopped, or started without an
 * action handler), 500 `failed` (the handler threw, which it must not).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../log.js';
import type { ActionHandler, ActionResult } from '../../live.js';
import { BodyTooLargeError, readBody, sendError, sendJson } from '../../../http/json.js';
import { MAX_ACTION_BODY_BYTES, parseActionBody } from '../inbound/action-body.js';
import { isAllowedOrigin } from '../inbound/guard.js';
import { errorMessage } from '../../../errors.js';

/** What the action route needs from the adapter. */
export interface ActionRouteContext {
  channelId: string;
  logger: Logger;
  /** The handler given to start(); undefined while stopped or when start() got none. */
  action(): ActionHandler | undefined;
}

const STATUS_CODE: Record<ActionResult['status'], number> = { done: 200, refused: 403, stale: 409 };

/** `POST /api/actions` */
export async function handlePostAction(ctx: ActionRouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isAllowedOrigin(req.headers.origin, req.headers.host)) {
    return sendError(res, 403, 'forbidden_origin', 'cross-origin posts are not accepted');
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, MAX_ACTION_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendError(res, 413, 'body_too_large', err.message, { connection: 'close' });
    throw err;
  }
  const parsed = parseActionBody(raw.toString('utf8'), ctx.channelId);
  if (parsed.status === 'invalid') return sendError(res, parsed.httpStatus, parsed.error, parsed.message);

  const handler = ctx.action();
  if (!handler) return sendError(res, 503, 'not_started', 'the web channel is not accepting button presses');

  let result: ActionResult;
  try {
    result = await handler(parsed.value);
  } catch (err) {
    ctx.logger.error({ err, actionId: parsed.value.actionId }, 'action handler threw');
    return sendError(res, 500, 'failed', `the press could not be handled: ${errorMessage(err)}`);
  }
  ctx.logger.debug({ actionId: parsed.value.actionId, status: result.status }, 'web action handled');
  sendJson(res, STATUS_CODE[result.status], { status: result.status, text: result.text });
}
