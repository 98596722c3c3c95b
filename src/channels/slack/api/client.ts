/**
 * The Slack Web API client of one channel (calls go through `callSlack`, ./call.ts, which classifies
 * what is left after the retries below).
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
