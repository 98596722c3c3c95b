/**
 * The Slack Web API client of one channel, and how its errors are classified.
 *
 * Retry policy (WebClient facts checked in node_modules/@slack/web-api/dist/WebClient.js): a `429`
 * is waited out for its `Retry-After` seconds and retried under `retryConfig` (p-retry / `retry`
 * options); HTTP 5xx and network errors are retried the same way; `{ok:false, error}` answers are
 * not retried. The SDK default (10 retries over ~30 minutes) would let one reply hang for
 * minutes, so: {@link SLACK_RETRY_CONFIG} (at most 3 retries, back-off 0.5–4 s, no new attempt
 * after 30 s) and a 10 s timeout per HTTP attempt. A single `Retry-After` is still honoured in full
 * once it was received.
 */
import { webApi } from '@slack/bolt';
import type { Logger as SlackLogger } from '@slack/bolt';
import { errorMessage } from '../../../errors.js';

export type SlackWebClient = webApi.WebClient;

/** Retry policy for every Web API call of the adapter (p-retry options). */
export const SLACK_RETRY_CONFIG: webApi.RetryOptions = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 4_000,
  randomize: true,
  maxRetryTime: 30_000,
};

/** Per-HTTP-attempt timeout, ms. */
export const SLACK_REQUEST_TIMEOUT_MS = 10_000;

export interface SlackClientOptions {
  /** Web API base URL (`config.apiUrl`); default Slack's `https://slack.com/api/`. */
  apiUrl?: string;
  logger: SlackLogger;
}

/** WebClient options shared by our client and the Bolt App's (a fresh object each call: Bolt mutates it). */
export function slackClientOptions(opts: SlackClientOptions): webApi.WebClientOptions {
  return {
    ...(opts.apiUrl ? { slackApiUrl: withTrailingSlash(opts.apiUrl) } : {}),
    logger: opts.logger,
    retryConfig: { ...SLACK_RETRY_CONFIG },
    timeout: SLACK_REQUEST_TIMEOUT_MS,
  };
}

/** Creates the bot-token WebClient of a channel. */
export function createSlackClient(botToken: string, opts: SlackClientOptions): SlackWebClient {
  return new webApi.WebClient(botToken, slackClientOptions(opts));
}

/** The WebClient appends the method name to the base URL, so it must end with `/`. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** A Web API failure, classified for callers that must not throw. */
export interface SlackApiFailure {
  /** Slack's error code (`channel_not_found`, `ratelimited`, …), `http_<status>`, or `request_failed`. */
  error: string;
  /** Worth trying again later (rate limits, Slack-side or network trouble). */
  retryable: boolean;
  /** A human-readable description for logs. */
  detail: string;
}

/** Slack error codes that mean "try again later" rather than "this request is wrong". */
const RETRYABLE_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Error codes meaning the bot cannot post in that conversation at all. */
export const CONVERSATION_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived']);

/** Error codes meaning the token itself is bad. */
export const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission']);

/** Classifies anything a WebClient call threw. */
export function classifySlackError(err: unknown): SlackApiFailure {
  const e = err as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown; message?: unknown } | null;
  const message = errorMessage(err);
  switch (e?.code) {
    case webApi.ErrorCode.PlatformError: {
      const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      return { error: code, retryable: RETRYABLE_PLATFORM_ERRORS.has(code), detail: message };
    }
    case webApi.ErrorCode.RateLimitedError:
      return { error: 'ratelimited', retryable: true, detail: message };
    case webApi.ErrorCode.HTTPError: {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      return { error: `http_${status}`, retryable: status === 429 || status >= 500, detail: message };
    }
    case webApi.ErrorCode.RequestError:
      return { error: 'request_failed', retryable: true, detail: message };
    default:
      // p-retry rethrows the WebClient's plain "A rate limit was exceeded" Error once retries run out.
      return { error: /rate limit/i.test(message) ? 'ratelimited' : 'request_failed', retryable: true, detail: message };
  }
}
