/**
 * A logger for @larksuiteoapi/node-sdk (`{error, warn, info, debug, trace}`) that keeps output in
 * memory, so tests stay quiet yet can assert on what the SDK logged. Pass it as `logger` together
 * with `loggerLevel: lark.LoggerLevel.debug` (the SDK filters by loggerLevel before calling it, and
 * hands each call's arguments over as one array).
 */
export type LarkLogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface LarkLogLine {
  level: LarkLogLevel;
  text: string;
}

export interface CapturingLarkLogger {
  readonly lines: LarkLogLine[];
  error(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  debug(...msg: unknown[]): void;
  trace(...msg: unknown[]): void;
  /** Text of the lines at `level`. */
  at(level: LarkLogLevel): string[];
  /** True when some line contains `needle`. */
  has(needle: string | RegExp): boolean;
}

function render(value: unknown): string {
  if (Array.isArray(value)) return value.map(render).join(' ');
  if (value instanceof Error) return value.message;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

export function captureLarkLogger(echo = false): CapturingLarkLogger {
  const lines: LarkLogLine[] = [];
  const write =
    (level: LarkLogLevel) =>
    (...msg: unknown[]): void => {
      const text = render(msg);
      lines.push({ level, text });
      if (echo) console.log(`[lark ${level}] ${text}`);
    };
  return {
    lines,
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    trace: write('trace'),
    at: (level) => lines.filter((l) => l.level === level).map((l) => l.text),
    has: (needle) => lines.some((l) => (typeof needle === 'string' ? l.text.includes(needle) : needle.test(l.text))),
  };
}
