/**
 * A @slack/logger-compatible logger that keeps Bolt / WebClient / SocketModeClient output in memory
 * instead of the console, so tests stay quiet yet can assert on (or print) what was logged.
 */
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface CapturedLine {
  level: LogLevelName;
  text: string;
}

const ORDER: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Structurally matches @slack/logger's Logger (LogLevel values are these lowercase strings). */
export interface CapturingLogger {
  readonly lines: CapturedLine[];
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  setLevel(level: string): void;
  getLevel(): never;
  setName(name: string): void;
  /** Lines at or above `level`. */
  at(level: LogLevelName): string[];
}

/**
 * `minLevel` is fixed: setLevel() is ignored, because App calls `logger.setLevel(logLevel ?? INFO)`
 * on any logger it is given, which would otherwise silently drop debug lines.
 */
export function captureLogger(minLevel: LogLevelName = 'debug'): CapturingLogger {
  const level: string = minLevel;
  const lines: CapturedLine[] = [];
  const write =
    (l: LogLevelName) =>
    (...msg: unknown[]): void => {
      if ((ORDER[l] ?? 0) < (ORDER[level] ?? 0)) return;
      lines.push({ level: l, text: msg.map((m) => (m instanceof Error ? (m.stack ?? m.message) : String(m))).join(' ') });
    };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: () => undefined,
    // The LogLevel enum type is not importable without a direct @slack/logger dependency; the value is its string.
    getLevel: () => level as never,
    setName: () => undefined,
    at: (l) => lines.filter((x) => (ORDER[x.level] ?? 0) >= (ORDER[l] ?? 0)).map((x) => x.text),
  };
}
