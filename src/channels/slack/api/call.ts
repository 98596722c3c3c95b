/**
 * The one seam for the adapter's Slack Web API calls: {@link callSlack} runs one method through the
 * channel's WebClient (which already waited out 429s and retried 5xx / network errors under
 * `SLACK_RETRY_CONFIG`, ./client.ts) and turns whatever it threw into the shared
 * {@link PlatformFailure} (../../platform-failure.ts). It never throws, and logs every failure once
 * (debug; callers add a warn with their own context where a person should look).
 *
 * What the WebClient throws (@slack/web-api 8, dist/errors.d.ts and dist/WebClient.js):
 * - `WebAPIPlatformError` (`code` slack_webapi_platform_error): an `{ok:false, error}` answer;
 *   `data.error` is Slack's code (api.slack.com/methods/*: "Errors");
 * - `WebAPIRateLimitedError` (slack_webapi_rate_limited_error): a 429 with `rejectRateLimitedCalls`;
 *   `retryAfter` in seconds;
 * - `WebAPIHTTPError` (slack_webapi_http_error): another HTTP status, `statusCode`, `headers`;
 * - `WebAPIRequestError` (slack_webapi_request_error): no answer (refused, reset, timed out) — and,
 *   in web-api 8, also when the WebClient's own 429 retries run out: its message is then
 *   "A request error occurred: A rate limit was exceeded (url: …, retry-after: N)" (checked
 *   against the fake in test/integration/slack-call.test.ts), so that message means rate_limited;
 * - a bare `Error("A rate limit was exceeded …")` from older versions, read the same way.
 */
import { webApi } from '@slack/bolt';
import { errorMessage } from '../../../errors.js';
import type { Logger } from '../../../log.js';
import type { PlatformFailure } from '../../platform-failure.js';
import type { SlackWebClient } from './client.js';

/** The Web API methods the adapter calls, with their SDK argument and response types. */
export interface SlackMethods {
  'auth.test': { args: Record<string, never>; result: webApi.AuthTestResponse };
  'bots.info': { args: webApi.BotsInfoArguments; result: webApi.BotsInfoResponse };
  'chat.postMessage': { args: webApi.ChatPostMessageArguments; result: webApi.ChatPostMessageResponse };
  'chat.update': { args: webApi.ChatUpdateArguments; result: webApi.ChatUpdateResponse };
  'reactions.add': { args: webApi.ReactionsAddArguments; result: webApi.ReactionsAddResponse };
  'reactions.remove': { args: webApi.ReactionsRemoveArguments; result: webApi.ReactionsRemoveResponse };
  'users.info': { args: webApi.UsersInfoArguments; result: webApi.UsersInfoResponse };
}

export type SlackResult<T> = { ok: true; value: T } | ({ ok: false } & PlatformFailure);

export interface SlackCallContext {
  client: SlackWebClient;
  logger: Logger;
}

/** Runs Web API `method` with `args`; resolves with the answer or the classified failure, never rejects. */
export async function callSlack<M extends keyof SlackMethods>(
  ctx: SlackCallContext,
  method: M,
  args: SlackMethods[M]['args'],
): Promise<SlackResult<SlackMethods[M]['result']>> {
  const res = await callSlackMethod(ctx, method, args as unknown as Record<string, unknown>);
  return res.ok ? { ok: true, value: res.value as unknown as SlackMethods[M]['result'] } : res;
}

/**
 * The untyped core of {@link callSlack}, for methods outside {@link SlackMethods} (the live-answer
 * calls, ../outbound/live-api.ts): the same call, classification and logging.
 */
export async function callSlackMethod(ctx: SlackCallContext, method: string, args: Record<string, unknown>): Promise<SlackResult<Record<string, unknown>>> {
  try {
    // apiCall is what the WebClient's typed methods (client.chat.postMessage, …) call themselves.
    const value = (await ctx.client.apiCall(method, args)) as unknown as Record<string, unknown>;
    return { ok: true, value };
  } catch (err) {
    const f = classifySlackError(err);
    ctx.logger.debug(
      { call: method, err: f.code, kind: f.kind, retryable: f.retryable, ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}) },
      'slack call failed',
    );
    return { ok: false, ...f };
  }
}

/** Slack error codes of trouble on Slack's side ("try again later", not "this request is wrong"). */
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Error codes meaning the target does not exist (or is not visible to the bot). */
const NOT_FOUND_ERRORS = new Set(['channel_not_found', 'user_not_found', 'message_not_found', 'thread_not_found']);

/** Error codes meaning the bot cannot post in that conversation at all. */
export const CONVERSATION_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived']);

/** Error codes meaning the token itself is bad. */
export const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission']);

/** Classifies anything a WebClient call threw (the shapes in the module doc). */
export function classifySlackError(err: unknown): PlatformFailure {
  const e = err as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown; headers?: Record<string, unknown>; retryAfter?: unknown } | null;
  const detail = errorMessage(err);
  switch (e?.code) {
    case webApi.ErrorCode.PlatformError: {
      const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      if (code === 'ratelimited') return { kind: 'rate_limited', retryable: true, code, detail };
      if (SERVER_ERRORS.has(code)) return { kind: 'server', retryable: true, code, detail };
      if (AUTH_ERRORS.has(code)) return { kind: 'auth', retryable: false, code, detail };
      if (NOT_FOUND_ERRORS.has(code)) return { kind: 'not_found', retryable: false, code, detail };
      return { kind: 'invalid', retryable: false, code, detail };
    }
    case webApi.ErrorCode.RateLimitedError:
      return { kind: 'rate_limited', retryable: true, code: 'ratelimited', detail, ...retryAfter(e.retryAfter) };
    case webApi.ErrorCode.HTTPError: {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      const code = `http_${status}`;
      if (status === 429) return { kind: 'rate_limited', retryable: true, code, detail, ...retryAfter(e.headers?.['retry-after']) };
      if (status >= 500) return { kind: 'server', retryable: true, code, detail };
      if (status === 401 || status === 403) return { kind: 'auth', retryable: false, code, detail };
      return { kind: 'invalid', retryable: false, code, detail };
    }
    default:
      // RequestError and anything unexpected; repeated 429s end up here as the message of the
      // WebClient's own "A rate limit was exceeded (…, retry-after: N)" Error.
      return rateLimitedByMessage(detail) ?? { kind: 'network', retryable: true, code: 'request_failed', detail };
  }
}

/** The WebClient's "A rate limit was exceeded" message (wrapped or bare) as a rate limit, else null. */
function rateLimitedByMessage(detail: string): PlatformFailure | null {
  if (!/rate limit/i.test(detail)) return null;
  const sec = /retry-after: (\d+)/i.exec(detail)?.[1];
  return { kind: 'rate_limited', retryable: true, code: 'ratelimited', detail, ...retryAfter(sec) };
}

/** `{retryAfterMs}` from a seconds value (number or header string), or nothing. */
function retryAfter(sec: unknown): { retryAfterMs?: number } {
  const n = typeof sec === 'number' ? sec : typeof sec === 'string' && sec.trim() !== '' ? Number(sec) : NaN;
  return Number.isFinite(n) && n >= 0 ? { retryAfterMs: n * 1000 } : {};
}
