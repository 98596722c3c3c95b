/**
 * A @slack/logger `Logger` (what Bolt, the WebClient and the SocketModeClient log through) that
 * writes to our pino logger.
 *
 * - Levels: SDK `debug` → pino `trace` (request/response dumps, pings: noise at our debug level),
 *   `info`/`warn`/`error` → the same pino level.
 * - `setLevel()` only records the value for `getLevel()`: Bolt's App constructor calls
 *   `logger.setLevel(logLevel ?? INFO)` on any logger it is given (checked in
 *   node_modules/@slack/bolt/dist/App.js), and the service's `logLevel` must stay in charge.
 * - Error arguments go to pino's `err` field (stack kept); other arguments are joined as text.
 */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../../log.js';

type PinoLevel = 'trace' | 'info' | 'warn' | 'error';

/** Creates the bridge; `logger` is typically `logger.child({ component: 'slack-sdk' })`. */
export function createSlackLogger(logger: Logger): SlackLogger {
  let level: LogLevel = levelOf(logger.level);
  let name: string | undefined;
  const write =
    (to: PinoLevel) =>
    (...msg: unknown[]): void => {
      if (!logger.isLevelEnabled(to)) return;
      const errors = msg.filter((m): m is Error => m instanceof Error);
      const text = msg
        .filter((m) => !(m instanceof Error))
        .map((m) => (typeof m === 'string' ? m : safeJson(m)))
        .join(' ');
      const fields: Record<string, unknown> = {};
      if (name) fields.sdk = name;
      if (errors[0]) fields.err = errors[0];
      logger[to](fields, text || errors[0]?.message || '');
    };
  return {
    debug: write('trace'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      name = n;
    },
  };
}

function levelOf(pinoLevel: string): LogLevel {
  switch (pinoLevel) {
    case 'trace':
    case 'debug':
      return LogLevel.DEBUG;
    case 'info':
      return LogLevel.INFO;
    case 'warn':
      return LogLevel.WARN;
    default:
      return LogLevel.ERROR;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
