/**
 * HTTP event subscription ("Request URL" mode): our own node:http server on `listen` + `path` in
 * front of the SDK's EventDispatcher.
 *
 * Why not the SDK's `adaptDefault` (facts from test/integration/fake-feishu.test.ts): it never
 * answers a request for another path (the client hangs), its promise rejects when a handler throws
 * or an `encrypt` challenge cannot be decrypted (unhandled → crash), it verifies the signature over
 * re-serialised JSON rather than the raw body, answers forged requests with the same 200 as good
 * ones, and never checks the verification token. So this server does the HTTP side itself:
 *
 * | request | answer |
 * |---|---|
 * | another path | 404 |
 * | not POST | 405 |
 * | body over 1 MiB | 413 |
 * | not JSON / not an object / `encrypt` that does not decrypt to JSON | 400 |
 * | encrypt key set, signature headers missing or wrong (a `url_verification` may come unsigned) | 401 |
 * | signed, but `X-Lark-Request-Timestamp` more than 5 minutes in the past or the future (../../signed-window.ts) | 401 |
 * | wrong verification token (`token`, schema 2.0 `header.token`) | 401 |
 * | `url_verification` whose `challenge` is not a string | 400 |
 * | `url_verification` | 200 `{challenge}` |
 * | a schema 2.0 body whose `header` / `event` are of the wrong shape (./schema.ts) | 200 `{}`, not dispatched, one warning |
 * | an event | handed to the EventDispatcher (`needCheck: false`: verified here), 200 `{}` once handled (a callback such as `card.action.trigger`: 200 with the handler's answer object, e.g. a toast); an event of the wrong shape is acknowledged by its handler (200, one warning: ./handler.ts); 500 only if handling failed (e.g. the message could not be stored), so Feishu delivers it again |
 *
 * Why 200 for a malformed event: Feishu redelivers whatever is not answered 200 (open.feishu.cn
 * "事件订阅概述"), and a malformed event is malformed on every redelivery; a 4xx or 500 only brings
 * it back. A bad handshake (`url_verification`) gets 400: it is answered once, interactively.
 *
 * Feishu facts: with an Encrypt Key every body is `{"encrypt": base64(iv ‖ AES-256-CBC(json))}`,
 * key = SHA-256(encrypt key), PKCS#7; `X-Lark-Signature` = hex SHA-256(timestamp + nonce +
 * encrypt key + raw body) with `X-Lark-Request-Timestamp` / `X-Lark-Request-Nonce`.
 */
import { parseListenAddress } from '../../listen.js';
import { createDecipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import { describeIssues } from '../../schema-issues.js';
import { checkRequestTimestamp } from '../../signed-window.js';
import { sameSecret } from './handler.js';
import { eventEnvelopeSchema, urlVerificationSchema } from './schema.js';

/** Largest accepted request body, bytes (events are a few KiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  channelId: string;
  /** `host:port`. */
  listen: string;
  path: string;
  verificationToken: string;
  encryptKey?: string;
  dispatcher: lark.EventDispatcher;
  /** The clock signed timestamps are checked against. */
  clock: Clock;
  logger: Logger;
}

export interface RunningWebhook {
  port: number;
  close(): Promise<void>;
}

/** Decrypts an `encrypt` field; throws when it is not valid ciphertext for `encryptKey`. */
export function decryptEvent(encryptKey: string, encrypt: string): string {
  const data = Buffer.from(encrypt, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new Error('ciphertext has a wrong length');
  const key = createHash('sha256').update(encryptKey).digest();
  const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16));
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
}

/** Checks the `X-Lark-Signature` headers of a request against its raw body. */
export function signatureValid(encryptKey: string, headers: IncomingMessage['headers'], rawBody: string): boolean {
  const ts = header(headers, 'x-lark-request-timestamp');
  const nonce = header(headers, 'x-lark-request-nonce');
  const signature = header(headers, 'x-lark-signature');
  if (ts === undefined || nonce === undefined || signature === undefined) return false;
  const expected = createHash('sha256')
    .update(ts + nonce + encryptKey + rawBody)
    .digest('hex');
  return sameSecret(expected, signature.toLowerCase());
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts listening.
 * @throws Error naming the channel when the address is unusable (in use, no permission).
 */
export async function startWebhook(opts: WebhookOptions): Promise<RunningWebhook> {
  const { logger } = opts;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== opts.path) return send(res, 404, { error: 'not_found' });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, { error: 'method_not_allowed' });
    }
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'bad_json', 'body is not JSON');
    }
    if (!isObject(body)) throw new HttpError(400, 'bad_json', 'body is not a JSON object');

    let payload: Record<string, unknown> = body;
    if (typeof body.encrypt === 'string') {
      if (opts.encryptKey === undefined) throw new HttpError(400, 'encrypted', 'encrypted event but no encryptKey is configured');
      let plain: unknown;
      try {
        plain = JSON.parse(decryptEvent(opts.encryptKey, body.encrypt));
      } catch {
        throw new HttpError(400, 'undecryptable', 'the encrypt field does not decrypt to JSON with the configured encryptKey');
      }
      if (!isObject(plain)) throw new HttpError(400, 'undecryptable', 'the decrypted event is not a JSON object');
      payload = plain;
    }
    const challenge = payload.type === 'url_verification';
    if (opts.encryptKey !== undefined) {
      const signed = req.headers['x-lark-signature'] !== undefined;
      if (signed ? !signatureValid(opts.encryptKey, req.headers, raw) : !challenge) {
        throw new HttpError(401, 'bad_signature', signed ? 'signature does not match' : 'signature headers missing');
      }
      if (signed) {
        // signatureValid needs the header, so it is there.
        const window = checkRequestTimestamp(header(req.headers, 'x-lark-request-timestamp') ?? '', opts.clock.now());
        if (!window.ok) throw new HttpError(401, `timestamp_${window.reason}`, `X-Lark-Request-Timestamp outside the 5-minute window: ${window.detail}`);
      }
    }
    const headerToken = isObject(payload.header) ? payload.header.token : undefined;
    const token = String(headerToken ?? payload.token ?? '');
    if (!sameSecret(token, opts.verificationToken)) throw new HttpError(401, 'bad_token', 'wrong verification token');

    if (challenge) {
      const verification = urlVerificationSchema.safeParse(payload);
      if (!verification.success) throw new HttpError(400, 'bad_challenge', `url_verification malformed: ${describeIssues(verification.error)}`);
      logger.info('feishu url_verification answered');
      return send(res, 200, { challenge: verification.data.challenge });
    }
    if (payload.schema === '2.0') {
      const envelope = eventEnvelopeSchema.safeParse(payload);
      if (!envelope.success) {
        const h = isObject(payload.header) ? payload.header : {};
        logger.warn(
          { eventId: typeof h.event_id === 'string' ? h.event_id : undefined, issues: describeIssues(envelope.error) },
          'feishu webhook event malformed; acknowledged and dropped',
        );
        return send(res, 200, {});
      }
    }
    const answer: unknown = await opts.dispatcher.invoke(payload, { needCheck: false });
    send(res, 200, isObject(answer) ? answer : {});
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        logger.warn({ status: err.status, reason: err.code, detail: err.message }, 'feishu webhook request rejected');
        send(res, err.status, { error: err.code });
        return;
      }
      logger.error({ err }, 'feishu webhook request failed');
      send(res, 500, { error: 'internal' });
    });
  });
  // A request Node's parser refuses gets its status, as Node's own default handler gives it
  // (431 for an oversized header block or URL, else 400); a reset or half-written socket is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const { host, port } = parseListenAddress(opts.listen);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`feishu channel "${opts.channelId}" cannot listen on ${opts.listen}: ${why}; set another channels[].listen`, { cause: err });
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
