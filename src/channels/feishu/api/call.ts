/**
 * One Open API call with the error handling the SDK leaves to us.
 *
 * SDK facts (1.74, checked in node_modules and test/integration/fake-feishu.test.ts):
 * - An HTTP error status rejects with the AxiosError (`response.status`, `response.data` =
 *   `{code, msg}`, or a stream for downloads); an HTTP 200 answer with `code != 0` RESOLVES with
 *   `{code, msg}`. A failed token request rejects too (AxiosError, or
 *   `Error("failed to get tenant_access_token, code: …")` for a 200 answer without a token).
 * - Nothing is retried, and a rejected tenant token (99991663) is never refreshed.
 *
 * {@link callFeishu} normalises both shapes into {@link ApiResult} (a failure is the shared
 * {@link PlatformFailure}, ../../platform-failure.ts; `code` is `feishu_<code>`, `http_<status>` or
 * `request_failed`) and:
 * - token missing/invalid (99991661 / 99991663; kind `auth`, retryable): clears the channel's token
 *   cache and retries once;
 * - rate limit (code 99991400 or HTTP 429): waits (`x-ogw-ratelimit-reset` seconds, as
 *   `retryAfterMs`, when given, else 0.5 s, 1 s, 2 s, … ≤ 8 s) and retries while the total stays
 *   within {@link RETRY_BUDGET_MS};
 * - with `retryTransient` (idempotent calls only: uuid-keyed replies, downloads, reads), HTTP 5xx
 *   (`server`) and `network` errors are retried the same way, at most {@link MAX_TRANSIENT_ATTEMPTS}
 *   attempts.
 * It never throws; a failure it gives up on is logged once here (debug), callers add context.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { PlatformFailure } from '../../platform-failure.js';
import type { TokenCache } from './client.js';
import { errorMessage } from '../../../errors.js';

/** Total time one call may spend waiting out rate limits / transient errors, ms. */
export const RETRY_BUDGET_MS = 30_000;
/** Attempts for transient (5xx / network) failures of idempotent calls. */
export const MAX_TRANSIENT_ATTEMPTS = 3;

/** Tenant token missing / invalid or expired. */
export const TOKEN_CODES = new Set([99991661, 99991663]);
export const RATE_LIMIT_CODE = 99991400;
/** The target message was withdrawn (recalled) or does not exist (any more). */
export const MESSAGE_GONE_CODES = new Set([230011, 231003]);
/** App id / secret rejected by the token endpoint. */
export const AUTH_CODES = new Set([10003, 10014]);

/** `PlatformFailure.code` of a Feishu error code. */
export const feishuCode = (code: number): string => `feishu_${code}`;
const TOKEN_FAILURES = new Set([...TOKEN_CODES].map(feishuCode));

export type ApiResult<T> = { ok: true; value: T } | ({ ok: false } & PlatformFailure);

export interface CallContext {
  cache: TokenCache;
  clock: Clock;
  logger: Logger;
  /** Overrides {@link RETRY_BUDGET_MS} (tests). */
  retryBudgetMs?: number;
}

export interface CallOptions {
  /** Also retry HTTP 5xx and network errors (only for calls that are safe to repeat). */
  retryTransient?: boolean;
}

/** Runs `fn` (one SDK call) with token refresh and bounded retries; see the module doc. */
export async function callFeishu<T>(ctx: CallContext, what: string, fn: () => Promise<T>, opts: CallOptions = {}): Promise<ApiResult<T>> {
  const deadline = ctx.clock.now() + (ctx.retryBudgetMs ?? RETRY_BUDGET_MS);
  let refreshed = false;
  let attempt = 0;
  for (;;) {
    attempt++;
    let f: PlatformFailure;
    try {
      const value = await fn();
      const code = (value as { code?: unknown } | null | undefined)?.code;
      if (typeof code !== 'number' || code === 0) return { ok: true, value };
      const msg = (value as { msg?: unknown }).msg;
      f = classify(code, 200, typeof msg === 'string' ? msg : '');
    } catch (err) {
      f = await classifyError(err);
    }
    if (TOKEN_FAILURES.has(f.code) && !refreshed) {
      refreshed = true;
      ctx.cache.clear();
      ctx.logger.info({ call: what, err: f.code }, 'feishu rejected the tenant access token; fetching a fresh one and retrying once');
      continue;
    }
    const transient = f.kind === 'server' || f.kind === 'network';
    const again = f.kind === 'rate_limited' || (opts.retryTransient === true && transient && attempt < MAX_TRANSIENT_ATTEMPTS);
    if (again) {
      const delay = f.kind === 'rate_limited' && f.retryAfterMs !== undefined ? Math.min(10_000, Math.max(200, f.retryAfterMs)) : backoff(attempt);
      if (ctx.clock.now() + delay <= deadline) {
        ctx.logger.debug(
          { call: what, err: f.code, attempt, delayMs: delay },
          f.kind === 'rate_limited' ? 'feishu rate limit; waiting before retrying' : 'feishu call failed; retrying',
        );
        await sleep(ctx.clock, delay);
        continue;
      }
    }
    ctx.logger.debug(
      {
        call: what,
        err: f.code,
        kind: f.kind,
        retryable: f.retryable,
        attempts: attempt,
        ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
      },
      'feishu call failed',
    );
    return { ok: false, ...f };
  }
}

/** 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s, … */
function backoff(attempt: number): number {
  return Math.min(8_000, 500 * 2 ** (attempt - 1));
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Classifies a Feishu code (0: none) + HTTP status (0: no answer): `msg` becomes `detail`, and
 * `resetSec` (`x-ogw-ratelimit-reset`) the `retryAfterMs` of a rate limit.
 */
export function classify(code: number, httpStatus: number, msg: string, resetSec?: number): PlatformFailure {
  const base = { code: code !== 0 ? feishuCode(code) : httpStatus !== 0 ? `http_${httpStatus}` : 'request_failed', detail: msg };
  if (TOKEN_CODES.has(code)) return { ...base, kind: 'auth', retryable: true };
  if (code === RATE_LIMIT_CODE || httpStatus === 429)
    return { ...base, kind: 'rate_limited', retryable: true, ...(resetSec !== undefined ? { retryAfterMs: resetSec * 1000 } : {}) };
  if (MESSAGE_GONE_CODES.has(code)) return { ...base, kind: 'not_found', retryable: false };
  if (AUTH_CODES.has(code)) return { ...base, kind: 'auth', retryable: false };
  if (httpStatus === 0) return { ...base, kind: 'network', retryable: true };
  if (httpStatus >= 500) return { ...base, kind: 'server', retryable: true };
  return { ...base, kind: 'invalid', retryable: false };
}

interface AxiosLike {
  message?: unknown;
  code?: unknown;
  response?: { status?: unknown; data?: unknown; headers?: Record<string, unknown> };
}

/** Classifies anything an SDK call threw. */
export async function classifyError(err: unknown): Promise<PlatformFailure> {
  const e = (err ?? {}) as AxiosLike;
  const message = errorMessage(err);
  const res = e.response;
  if (res && typeof res.status === 'number') {
    let data = res.data;
    if (isReadable(data)) data = await readJson(data);
    const d = (data ?? {}) as { code?: unknown; msg?: unknown };
    const code = typeof d.code === 'number' ? d.code : 0;
    const msg = typeof d.msg === 'string' ? d.msg : message;
    const reset = Number(res.headers?.['x-ogw-ratelimit-reset']);
    return classify(code, res.status, msg, Number.isFinite(reset) && reset >= 0 ? reset : undefined);
  }
  // A 200 token answer without a token: "failed to get tenant_access_token, code: 10014, msg: …".
  const tokenFailure = /failed to get \w+, code: (\d+), msg: (.*)$/.exec(message);
  if (tokenFailure) return classify(Number(tokenFailure[1]), 200, tokenFailure[2] ?? message);
  const transport = typeof e.code === 'string' ? `${e.code}: ${message}` : message;
  return classify(0, 0, transport);
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function' && typeof (v as Readable).on === 'function';
}

/** Reads an error body that came as a stream (downloads), at most 64 KiB, as JSON. */
async function readJson(stream: Readable): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += b.length;
      if (size > 64 * 1024) break;
      chunks.push(b);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  } finally {
    stream.destroy();
  }
}
