/**
 * The Feishu side of HTTP event subscription ("Request URL" webhooks), for tests of an app's own
 * HTTP endpoint: payload encryption, request signing, and a helper that POSTs (optionally tampered)
 * event bodies.
 *  - Encryption (with an Encrypt Key): body `{"encrypt": base64(iv ‖ AES-256-CBC(plaintext))}` with
 *    key = SHA-256(encrypt key), a random 16-byte IV, PKCS#7 padding.
 *  - Signature (sent when an Encrypt Key is configured): `X-Lark-Signature` = hex SHA-256(timestamp +
 *    nonce + encryptKey + body), with `X-Lark-Request-Timestamp` (unix seconds) and
 *    `X-Lark-Request-Nonce`. NB: the SDK's EventDispatcher recomputes it over
 *    `JSON.stringify(JSON.parse(body))`, so only compact JSON (what this helper sends) verifies there.
 *  - Verification Token: carried in the body (`header.token` in schema 2.0, `token` in v1 bodies
 *    and url_verification).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export interface FeishuSignatureHeaders {
  'x-lark-request-timestamp': string;
  'x-lark-request-nonce': string;
  'x-lark-signature': string;
}

/** `{encrypt}` body for `json` (an object is JSON-encoded; a string is encrypted verbatim). */
export function encryptFeishuPayload(encryptKey: string, json: object | string, iv: Buffer = randomBytes(16)): { encrypt: string } {
  const key = createHash('sha256').update(encryptKey).digest();
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const plain = typeof json === 'string' ? json : JSON.stringify(json);
  const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { encrypt: Buffer.concat([iv, encrypted]).toString('base64') };
}

export function feishuSignature(encryptKey: string, rawBody: string, timestamp: string, nonce: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + rawBody)
    .digest('hex');
}

export function signFeishuRequest(
  encryptKey: string,
  rawBody: string,
  timestamp: string = String(Math.floor(Date.now() / 1000)),
  nonce: string = randomBytes(8).toString('hex'),
): FeishuSignatureHeaders {
  return {
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': feishuSignature(encryptKey, rawBody, timestamp, nonce),
  };
}

/** The body Feishu POSTs to validate a Request URL; answer `{challenge}`. */
export function urlVerification(
  token: string,
  challenge: string = randomBytes(12).toString('hex'),
): {
  challenge: string;
  token: string;
  type: 'url_verification';
} {
  return { challenge, token, type: 'url_verification' };
}

export type WebhookTamper =
  /** Delivered as Feishu would (the default). */
  | 'none'
  /** Signature computed with a wrong encrypt key. */
  | 'signature'
  /** Verification token replaced by a wrong one (in header.token / token). */
  | 'token'
  /** `encrypt` is random bytes (correctly signed), so decryption fails. */
  | 'encryption'
  /** The body is not JSON (signed as sent). */
  | 'json';

export interface PostWebhookOptions {
  /** The event / url_verification body (object) or a raw string sent as-is. */
  payload: object | string;
  /** Encrypts the body and signs the request with this key. */
  encryptKey?: string;
  /** Sets `header.token` (schema 2.0) or `token` (otherwise) before encryption. */
  verificationToken?: string;
  tamper?: WebhookTamper;
  /** Signing timestamp / nonce overrides. */
  timestamp?: string;
  nonce?: string;
  headers?: Record<string, string>;
  /** Give up after this long and report `timedOut` (default 3000 ms). */
  timeoutMs?: number;
}

export interface PostWebhookResult {
  /** HTTP status (0 when timed out). */
  status: number;
  body: string;
  /** The body parsed as JSON, when it was JSON. */
  json?: unknown;
  headers: Headers | undefined;
  /** True when no response arrived within timeoutMs (e.g. the SDK's adapter never ended it). */
  timedOut: boolean;
  /** The exact body that was sent. */
  sentBody: string;
}

function withToken(payload: object, token: string): object {
  const p = structuredClone(payload) as Record<string, unknown>;
  if (p.schema === '2.0' && p.header && typeof p.header === 'object') {
    (p.header as Record<string, unknown>).token = token;
  } else {
    p.token = token;
  }
  return p;
}

export async function postWebhook(url: string, o: PostWebhookOptions): Promise<PostWebhookResult> {
  const tamper = o.tamper ?? 'none';
  let payload: object | string = o.payload;
  if (typeof payload === 'object') {
    if (tamper === 'token') payload = withToken(payload, 'wrong-verification-token');
    else if (o.verificationToken !== undefined) payload = withToken(payload, o.verificationToken);
  }
  let body: string;
  if (tamper === 'json') {
    body = '{"schema":"2.0","header":{"event_type":';
  } else if (o.encryptKey !== undefined) {
    body = JSON.stringify(tamper === 'encryption' ? { encrypt: randomBytes(48).toString('base64') } : encryptFeishuPayload(o.encryptKey, payload));
  } else {
    body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (o.encryptKey !== undefined) {
    const key = tamper === 'signature' ? `${o.encryptKey}-forged` : o.encryptKey;
    Object.assign(headers, signFeishuRequest(key, body, o.timestamp, o.nonce));
  }
  Object.assign(headers, o.headers);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeoutMs ?? 3000);
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
    const text = await res.text();
    const result: PostWebhookResult = { status: res.status, body: text, headers: res.headers, timedOut: false, sentBody: body };
    try {
      result.json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return result;
  } catch (e) {
    if (controller.signal.aborted) return { status: 0, body: '', headers: undefined, timedOut: true, sentBody: body };
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
