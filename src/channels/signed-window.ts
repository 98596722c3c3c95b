/**
 * The replay window of signed platform requests: a request's own timestamp header (unix seconds)
 * must lie within {@link MAX_REQUEST_SKEW_SEC} of our clock, in *both* directions.
 *
 * Facts: Slack signs `v0:{X-Slack-Request-Timestamp}:{body}` and tells apps to reject a timestamp
 * "more than five minutes from local time" (api.slack.com/authentication/verifying-requests-from-slack);
 * Bolt 5.1's `verifySlackRequest` only rejects old ones (dist/receivers/verify-request.js: `ts <
 * now − 5 min`), so one dated in the future passes there. Feishu signs `X-Lark-Request-Timestamp +
 * nonce + encrypt key + body` (open.feishu.cn "事件订阅 / 安全校验") and its SDK does not check the
 * timestamp's age at all. Both platforms' clocks are NTP-synchronised; five minutes is the skew
 * Slack documents.
 */

/** Largest accepted |now − request timestamp|, seconds. */
export const MAX_REQUEST_SKEW_SEC = 300;

export type WindowVerdict = { ok: true } | { ok: false; reason: 'malformed' | 'stale' | 'future'; detail: string };

/**
 * Checks a timestamp header value (unix seconds, digits only) against `nowMs` (ms since the epoch).
 * A missing header is the caller's business (the signature check fails without it).
 */
export function checkRequestTimestamp(value: string, nowMs: number, maxSkewSec: number = MAX_REQUEST_SKEW_SEC): WindowVerdict {
  if (!/^\d{1,12}$/.test(value.trim()))
    return { ok: false, reason: 'malformed', detail: `timestamp ${JSON.stringify(value.slice(0, 40))} is not unix seconds` };
  const skew = Number(value.trim()) - Math.floor(nowMs / 1000);
  if (skew < -maxSkewSec) return { ok: false, reason: 'stale', detail: `dated ${-skew} s ago (limit ${maxSkewSec} s)` };
  if (skew > maxSkewSec) return { ok: false, reason: 'future', detail: `dated ${skew} s in the future (limit ${maxSkewSec} s)` };
  return { ok: true };
}
