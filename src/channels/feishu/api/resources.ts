/**
 * Downloading the image/file of a received message into the channel's cache dir
 * (`GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=image|file`).
 *
 * SDK fact (1.74): `client.im.messageResource.get` requests `responseType: 'stream'` and resolves
 * with `{getReadableStream(), writeFile(), headers}`; on an HTTP error it rejects and the error
 * body is a stream (read by ../api/call.ts). Feishu serves resources up to 100 MB.
 *
 * Size limit: a declared `content-length` over the limit is refused before reading; otherwise the
 * bytes are counted while streaming and the download is aborted (partial file removed) as soon as
 * the limit is passed. Files land as `<dir>/<message_id>/<name>` via a temp file + rename, so a
 * path handed to the agent always holds a complete file, 0600 in 0700 dirs (state/private-files.ts).
 *
 * Time limit: `timeoutMs` bounds the whole download — the request (with its retries) and the
 * streaming. The SDK takes no abort signal, so a request still unanswered at the deadline is left to
 * finish on its own and its stream is destroyed when it comes. Never throws.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../../state/private-files.js';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as lark from '@larksuiteoapi/node-sdk';
import { callFeishu, type CallContext } from './call.js';
import { errorMessage } from '../../../errors.js';

export interface DownloadArgs {
  messageId: string;
  /** `image_key` or `file_key`. */
  key: string;
  type: 'image' | 'file';
  /** Cache dir of the channel. */
  dir: string;
  /** Original file name (files); images are named after their key. */
  fileName?: string;
  maxBytes: number;
  /** Longest the whole download may take, ms. */
  timeoutMs: number;
}

export type DownloadResult =
  | { ok: true; path: string; bytes: number }
  | { ok: false; reason: 'too_large'; bytes: number | undefined }
  | { ok: false; reason: 'failed'; error: string };

class TooLarge extends Error {}

export async function downloadResource(client: lark.Client, ctx: CallContext, args: DownloadArgs): Promise<DownloadResult> {
  const signal = AbortSignal.timeout(args.timeoutMs);
  const timedOut = (): DownloadResult => ({ ok: false, reason: 'failed', error: `timed out after ${formatSeconds(args.timeoutMs)}` });
  const request = callFeishu(
    ctx,
    'im.messageResource.get',
    () => client.im.messageResource.get({ path: { message_id: args.messageId, file_key: args.key }, params: { type: args.type } }),
    { retryTransient: true },
  );
  const res = await untilAborted(request, signal);
  if (res === undefined) {
    void request.then((late) => {
      if (late.ok) destroyQuietly(late.value);
    });
    return timedOut();
  }
  if (!res.ok) return { ok: false, reason: 'failed', error: `${res.code}: ${res.detail}` };
  let stream: Readable;
  try {
    stream = res.value.getReadableStream();
  } catch (err) {
    return { ok: false, reason: 'failed', error: errorMessage(err) };
  }
  const headers = (res.value.headers ?? {}) as Record<string, unknown>;
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > args.maxBytes) {
    stream.destroy();
    return { ok: false, reason: 'too_large', bytes: declared };
  }

  const name = args.fileName ? safeFileName(args.fileName) : `${safeFileName(args.key)}${imageExtension(headers['content-type'])}`;
  const folder = path.join(args.dir, safeFileName(args.messageId));
  const target = path.join(folder, name);
  const temp = `${target}.part-${randomBytes(4).toString('hex')}`;
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > args.maxBytes) cb(new TooLarge());
      else cb(null, chunk);
    },
  });
  let out: WriteStream | undefined;
  try {
    await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
    out = createWriteStream(temp, { mode: PRIVATE_FILE_MODE });
    await pipeline(stream, limiter, out, { signal });
    await rename(temp, target);
    return { ok: true, path: target, bytes: seen };
  } catch (err) {
    stream.destroy();
    // The write stream opens its file asynchronously: wait until it is closed, or the file could
    // appear after the removal below and stay behind as a partial download.
    const w = out;
    if (w && !w.closed) await new Promise<void>((resolve) => w.once('close', () => resolve()));
    await rm(temp, { force: true }).catch(() => undefined);
    if (err instanceof TooLarge) return { ok: false, reason: 'too_large', bytes: undefined };
    if (signal.aborted) return timedOut();
    return { ok: false, reason: 'failed', error: errorMessage(err) };
  }
}

/** `p`'s value, or undefined when `signal` aborts first. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function destroyQuietly(value: { getReadableStream(): Readable }): void {
  try {
    value.getReadableStream().destroy();
  } catch {
    // nothing to close
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A file name safe to use inside the cache dir: no directories, no control characters, no leading
 * dot, at most 150 characters (extension kept).
 */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this strips from file names
  let s = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').trim();
  s = s.replace(/^\.+/, '_');
  if (s === '' || s === '.' || s === '..') s = 'file';
  if (s.length > 150) {
    const ext = path.extname(s).slice(0, 20);
    s = s.slice(0, 150 - ext.length) + ext;
  }
  return s;
}

const IMAGE_TYPES: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/jpg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/bmp': '.bmp',
  'image/tiff': '.tiff',
  'image/heic': '.heic',
  'image/svg+xml': '.svg',
};

function imageExtension(contentType: unknown): string {
  if (typeof contentType !== 'string') return '';
  return IMAGE_TYPES[contentType.split(';')[0]!.trim().toLowerCase()] ?? '';
}
