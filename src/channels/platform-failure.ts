/**
 * One vocabulary for a failed platform call (Slack Web API, Feishu Open API), so every adapter
 * turns failures into `SendResult`s, log fields and start-up errors the same way. Each platform
 * has one seam that produces it: `callSlack` (./slack/api/call.ts) and `callFeishu`
 * (./feishu/api/call.ts); the mapping of each platform's real error shapes is documented there.
 */
import type { SendResult } from './types.js';

/**
 * What went wrong, in platform-neutral terms:
 * - `rate_limited`: the platform asked us to slow down (Slack `ratelimited` / HTTP 429; Feishu
 *   99991400 / HTTP 429);
 * - `auth`: credentials or token rejected (Slack `invalid_auth`, `token_revoked`, …; Feishu app
 *   id/secret 10003 / 10014, and the refreshable tenant-token codes 99991661 / 99991663);
 * - `not_found`: the target is gone or unknown (Slack `channel_not_found`, `user_not_found`, …;
 *   Feishu withdrawn / missing message 230011 / 231003);
 * - `invalid`: the platform refused this request as it is (any other error code, other HTTP 4xx);
 * - `server`: trouble on the platform's side (HTTP 5xx; Slack `internal_error`, `fatal_error`, …);
 * - `network`: no answer at all (connection refused, timeout, DNS).
 */
export type PlatformFailureKind = 'rate_limited' | 'auth' | 'not_found' | 'invalid' | 'server' | 'network';

/** A failed platform call, classified. */
export interface PlatformFailure {
  kind: PlatformFailureKind;
  /** Worth trying the same call again later (rate limits, server and network trouble, a token to refresh). */
  retryable: boolean;
  /** How long the platform asked us to wait, ms (Slack `Retry-After`, Feishu `x-ogw-ratelimit-reset`), when it said. */
  retryAfterMs?: number;
  /**
   * The platform's own error id, as `SendResult.error` and the logs show it: Slack's `error` string
   * (`channel_not_found`, `ratelimited`), Feishu's numeric code as `feishu_<code>`; `http_<status>`
   * when only an HTTP status came back, `request_failed` when no answer did.
   */
  code: string;
  /** Human-readable description for logs (the platform's message, or the transport error's). */
  detail: string;
}

/** The one way a failed platform call becomes a failed `SendResult`. */
export function sendFailed(f: PlatformFailure): Extract<SendResult, { status: 'failed' }> {
  return { status: 'failed', error: f.code, retryable: f.retryable };
}

/** Log fields of a failure (for `logger.warn({...where, ...failureFields(f)}, …)`). */
export function failureFields(f: PlatformFailure): { err: string; kind: PlatformFailureKind; retryable: boolean; detail: string; retryAfterMs?: number } {
  return { err: f.code, kind: f.kind, retryable: f.retryable, detail: f.detail, ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}) };
}
