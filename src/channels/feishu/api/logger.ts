/**
 * A @larksuiteoapi/node-sdk `Logger` (`{error, warn, info, debug, trace}`) that writes to our pino
 * logger, without leaking secrets or message texts.
 *
 * Facts (node_modules/@larksuiteoapi/node-sdk/lib/index.js, 1.74): the SDK wraps the logger in a
 * `LoggerProxy` that filters by `loggerLevel` and hands each call's arguments over as ONE array;
 * failed Open API calls are logged at `error` with the raw AxiosError (token requests) or
 * `formatErrors(e)` (request body and response included) — the token request's body carries
 * `app_secret`. So arguments are summarised, never dumped:
 * - strings are kept; Errors become `message` (+ HTTP status and Feishu code/msg for AxiosErrors);
 * - objects become a short JSON with secret-looking and content keys redacted, capped in length.
 *
 * Levels: the adapter classifies and logs API failures itself, so the SDK's error lines about HTTP
 * calls go to `debug`; its other errors and warnings stay `warn`; `info` (start-up chatter) →
 * `debug`; `debug`/`trace` → `trace`. Pass {@link SDK_LOGGER_LEVEL} as `loggerLevel` so the SDK
 * forwards everything and pino decides.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';

/** `loggerLevel` for SDK objects: forward everything, pino filters. */
export const SDK_LOGGER_LEVEL = lark.LoggerLevel.trace;

type PinoLevel = 'trace' | 'debug' | 'warn';

const SECRET_KEY = /secret|token|authorization|encrypt|password|content|text|ticket/i;
const MAX_CHARS = 600;

/**
 * @param secrets values never to appear in a line (app secret, verification token, encrypt key):
 *   the SDK's trace lines quote whole event bodies, which carry the verification token.
 */
export function createLarkLogger(logger: Logger, secrets: readonly string[] = []): lark.Logger {
  const hidden = secrets.filter((s) => s.length >= 4);
  const write =
    (level: PinoLevel | 'error') =>
    (...msg: unknown[]): void => {
      const args = msg.length === 1 && Array.isArray(msg[0]) ? (msg[0] as unknown[]) : msg;
      const to: PinoLevel = level === 'error' ? (args.some(isHttpError) ? 'debug' : 'warn') : level;
      if (!logger.isLevelEnabled(to)) return;
      let text = args
        .map(describeSdkArg)
        .filter((s) => s !== '')
        .join(' ');
      for (const secret of hidden) text = text.split(secret).join('[redacted]');
      logger[to]({ sdk: 'lark' }, text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('debug'),
    debug: write('trace'),
    trace: write('trace'),
  };
}

/** An AxiosError, or the `formatErrors()` summary of one (`{message, config, request, response}`). */
function isHttpError(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(isHttpError);
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.isAxiosError === true || ('config' in o && 'message' in o) || ('response' in o && 'message' in o);
}

/** A log-safe one-line description of one SDK log argument. */
export function describeSdkArg(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v))
    return v
      .map(describeSdkArg)
      .filter((s) => s !== '')
      .join(' ');
  if (v instanceof Error) return describeError(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('message' in o && ('config' in o || 'response' in o)) return describeError(o);
    return safeJson(o);
  }
  return String(v);
}

function describeError(e: Error | Record<string, unknown>): string {
  const o = e as Record<string, unknown> & { response?: { status?: unknown; data?: unknown } };
  const parts = [String(o.message ?? 'error')];
  const cfg = o.config as { method?: unknown; url?: unknown } | undefined;
  if (cfg && typeof cfg.url === 'string') parts.push(`${String(cfg.method ?? '').toUpperCase()} ${cfg.url.split('?')[0]}`.trim());
  const status = o.response?.status;
  if (typeof status === 'number') parts.push(`HTTP ${status}`);
  const data = o.response?.data as { code?: unknown; msg?: unknown } | undefined;
  if (data && typeof data === 'object' && typeof data.code === 'number') parts.push(`code ${data.code}${typeof data.msg === 'string' ? `: ${data.msg}` : ''}`);
  return parts.join(' — ');
}

function safeJson(o: Record<string, unknown>): string {
  try {
    return JSON.stringify(o, (key, value: unknown) => (key !== '' && SECRET_KEY.test(key) ? '[redacted]' : value)) ?? '';
  } catch {
    return '[unserialisable]';
  }
}
