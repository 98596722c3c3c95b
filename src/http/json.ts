/**
 * Small node:http helpers shared by the web chat API and the admin socket: JSON responses and
 * bounded body reading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** Writes `body` as a JSON response (no-op when the response was already sent). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Writes `{"error", "message"}`. */
export function sendError(res: ServerResponse, status: number, error: string, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error, message }, headers);
}

/** The request body exceeded the limit; nothing beyond the limit was buffered. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(
      declared !== undefined ? `request body of ${declared} bytes exceeds the limit of ${limit} bytes` : `request body exceeds the limit of ${limit} bytes`,
    );
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads the whole body up to `limit` bytes. Rejects with BodyTooLargeError as
 * soon as the declared length or the received bytes exceed it; the rest is not read.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BodyTooLargeError(limit, declared));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAborted = (): void => onError(new Error('request aborted by the client'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * The body as UTF-8 text, or null when it is larger than `limit` bytes (the rest is not read).
 * @throws the request's own stream errors.
 */
export async function readBodyText(req: IncomingMessage, limit: number): Promise<string | null> {
  try {
    return (await readBody(req, limit)).toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLargeError) return null;
    throw err;
  }
}
