/**
 * A pino logger with the service's redaction (src/log.ts) whose JSON lines are kept for
 * assertions, plus a wait for a line by its message.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import { waitFor } from './fake-clock.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface CapturedLog {
  logger: Logger;
  lines: LogLine[];
  /** Lines whose `msg` contains `text`. */
  find(text: string): LogLine[];
  /** Waits until a line whose `msg` contains `text` (and that `match` accepts) was logged; returns it. */
  waitForLine(text: string, match?: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function capturedLog(): CapturedLog {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  const find = (text: string): LogLine[] => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text));
  return {
    logger: createLogger('trace', stream),
    lines,
    find,
    async waitForLine(text, match = () => true, timeoutMs = 5000) {
      await waitFor(() => find(text).some(match), timeoutMs, `log line "${text}"`);
      return find(text).find(match)!;
    },
  };
}
