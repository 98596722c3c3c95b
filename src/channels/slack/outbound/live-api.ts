/**
 * The one seam through which the live-answer code (./live.ts, ./stream.ts, ./placeholder.ts,
 * ../inbound/actions.ts) calls the Slack Web API: `call(method, args)` answers a result instead of
 * throwing, with the failure classified and logged like every Slack call (../api/call.ts
 * `callSlackMethod`, the shared `PlatformFailure`).
 *
 * Two retry policies, because a live update that waits out a 429 only delays the next, newer view:
 * - `retry: true` (open, finish, abandon, ephemeral answers): the channel's WebClient, which retries
 *   429s, 5xx and network errors under SLACK_RETRY_CONFIG;
 * - `retry: false` (update): a WebClient without retries that rejects a rate-limited call at once
 *   (WebClient option `rejectRateLimitedCalls`, node_modules/@slack/web-api/dist/WebClient.js), so
 *   a 429 or a 5xx comes back within one request timeout.
 *
 * Methods go through `WebClient.apiCall(method, args)` (the generic call behind every typed
 * method; @slack/web-api 8.2 also has typed `chat.startStream` / `appendStream` / `stopStream`).
 */
import { webApi } from '@slack/bolt';
import type { PlatformFailure } from '../../platform-failure.js';
import type { Logger } from '../../../log.js';
import { callSlackMethod } from '../api/call.js';
import { slackClientOptions, type SlackClientOptions, type SlackWebClient } from '../api/client.js';

/** A Web API answer: the JSON body on `ok`, else the classified failure (`error` = its `code`). */
export type LiveCallResult = { ok: true; body: Record<string, unknown> } | ({ ok: false; error: string } & PlatformFailure);

export interface LiveCallOptions {
  /** Retry 429 / 5xx / network errors (default true); false: fail at once (live updates). */
  retry?: boolean;
}

/** Calls `method` with `args`; never throws. */
export type LiveCall = (method: string, args: Record<string, unknown>, opts?: LiveCallOptions) => Promise<LiveCallResult>;

/**
 * The seam over two clients: `client` (the channel's, with retries) and a retry-less twin made
 * from `botToken` and `clientOptions`; both through `callSlackMethod` (../api/call.ts), so live
 * calls are classified and logged like every other Slack call.
 */
export function createLiveCall(client: SlackWebClient, botToken: string, clientOptions: SlackClientOptions, logger: Logger): LiveCall {
  const fast = new webApi.WebClient(botToken, { ...slackClientOptions(clientOptions), retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  return async (method, args, opts = {}) => {
    const res = await callSlackMethod({ client: opts.retry === false ? fast : client, logger }, method, args);
    return res.ok ? { ok: true, body: res.value } : { ...res, error: res.code };
  };
}
