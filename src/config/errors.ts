/**
 * Config errors: every problem found in a config file, each with where it is,
 * what is wrong and how to fix it.
 */

/** One problem in a config file. */
export interface ConfigIssue {
  /** JSON path like `dispatchers[0].bindings[1].channel`; `''` = the whole file. */
  path: string;
  /** What is wrong, e.g. `unknown key "foo"`. */
  problem: string;
  /** What to do about it, e.g. `remove it; allowed keys: a, b`. */
  fix: string;
}

/** Formats one issue as a single line. */
export function formatIssue(issue: ConfigIssue): string {
  return `config error at ${issue.path || '<root>'}: ${issue.problem}; fix: ${issue.fix}`;
}

/**
 * Thrown by `loadConfig`/`parseConfig`. `message` lists every issue, one per line after the
 * `Invalid config F:` line; a single whole-file issue (missing file, unreadable, not JSON) is one
 * line: `Invalid config F: <problem>; fix: <fix>`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** The config file (absolute) or a description of the input. */
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    const only = issues.length === 1 && issues[0]!.path === '' ? issues[0] : undefined;
    super(only ? `Invalid config ${file}: ${only.problem}; fix: ${only.fix}` : [`Invalid config ${file}:`, ...issues.map(formatIssue)].join('\n'));
  }
}

/** Renders a path of keys/indexes as `a.b[0].c` (odd keys as `["a.b"]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
