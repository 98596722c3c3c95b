/**
 * Logging: one pino root logger, child loggers per component/dispatcher.
 * Secrets are redacted by key; message bodies are only logged at debug.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line. */
const REDACT_PATHS = [
  'token', 'botToken', 'appToken', 'appSecret', 'signingSecret', 'encryptKey', 'verificationToken',
  'apiKey', 'authorization', 'password', 'secret',
  '*.token', '*.botToken', '*.appToken', '*.appSecret', '*.signingSecret', '*.encryptKey',
  '*.verificationToken', '*.apiKey', '*.authorization', '*.password', '*.secret',
  'headers.authorization', 'req.headers.authorization',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Creates the root logger writing JSON lines to `destination` (default stdout).
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
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
