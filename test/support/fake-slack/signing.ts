/**
 * The Slack side of the HTTP Events API, for tests: request signing (v0 HMAC-SHA256) and a helper
 * that POSTs a signed body to an app's Request URL, optionally tampered with.
 */
import { createHmac } from 'node:crypto';

export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

/** Headers Slack sends: `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{body}`). */
export function signSlackRequest(signingSecret: string, body: string, timestampSec: number = Math.floor(Date.now() / 1000)): SlackSignatureHeaders {
  const ts = String(timestampSec);
  const digest = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${digest}` };
}

export type Tamper =
  /** Correctly signed, current timestamp (the default). */
  | 'none'
  /** Signed with the wrong secret. */
  | 'signature'
  /** Correctly signed, but with a timestamp 6 minutes old. */
  | 'stale'
  /** No signature headers at all. */
  | 'missing';

export interface PostEventOptions {
  /** Adds `X-Slack-Retry-Num` (and `X-Slack-Retry-Reason`) like a redelivery. */
  retryNum?: number;
  retryReason?: string;
  tamper?: Tamper;
  /** Signing timestamp override (unix seconds). */
  timestampSec?: number;
  /** Content-Type (default application/json). */
  contentType?: string;
  headers?: Record<string, string>;
  /** Abort after this long (default 5000 ms). */
  timeoutMs?: number;
}

export interface PostEventResult {
  status: number;
  body: string;
  headers: Headers;
  /** The body parsed as JSON, when it was JSON. */
  json?: unknown;
}

export const STALE_OFFSET_SEC = 6 * 60;

/**
 * POSTs `payload` (an object is JSON-encoded; a string is sent verbatim, e.g. malformed JSON) to an
 * app's events URL, signed with `signingSecret` unless `tamper` says otherwise.
 */
export async function postEvent(url: string, signingSecret: string, payload: object | string, opts: PostEventOptions = {}): Promise<PostEventResult> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const tamper = opts.tamper ?? 'none';
  const now = Math.floor(Date.now() / 1000);
  const ts = opts.timestampSec ?? (tamper === 'stale' ? now - STALE_OFFSET_SEC : now);
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (tamper !== 'missing') {
    const secret = tamper === 'signature' ? `${signingSecret}-forged` : signingSecret;
    Object.assign(headers, signSlackRequest(secret, body, ts));
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
  }
  Object.assign(headers, opts.headers);
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  const text = await res.text();
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, body: text, headers: res.headers, json };
}
