/**
 * Logging: one pino root logger, child loggers per component/dispatcher.
 * Secrets are redacted by key; message bodies are only logged at debug.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line. */
const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'appSecret',
  'signingSecret',
  'encryptKey',
  'verificationToken',
  'apiKey',
  'authorization',
  'password',
  'secret',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.appSecret',
  '*.signingSecret',
  '*.encryptKey',
  '*.verificationToken',
  '*.apiKey',
  '*.authorization',
  '*.password',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** `json`: one JSON object per line (for machines); `pretty`: coloured lines for a person. */
export type LogFormat = 'json' | 'pretty';

/** `pretty` when stdout is a terminal, else `json`. */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/**
 * Creates the root logger writing to `destination` (default stdout): JSON lines, or with
 * `format: 'pretty'` human-readable lines through pino-pretty (same fields and redaction).
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  if (format === 'pretty' && destination === undefined) {
    destination = pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: true, sync: true });
  }
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that drops everything (tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
