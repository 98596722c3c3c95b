/**
 * Config loading: read JSON → resolve `env:NAME` strings → validate with the
 * zod schema → cross-field checks → absolute paths. Every failure is a
 * `ConfigError` listing all problems found, each with a fix.
 *
 * State dir precedence for a config file (`loadConfig`, so serve, status --config, doctor and
 * config check agree): `$SWITCHBOARD_STATE_DIR` when set and non-empty, else the file's
 * `stateDir`, else the default `./.switchboard`. `parseConfig` (used by the demo, which has its
 * own `--state-dir`) does not read the variable.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import { ENV_REFERENCE_RE, envReferenceNames, envReferences } from './secrets.js';

export { ConfigError, type ConfigIssue } from './errors.js';

/** Environment variable that overrides the state dir of a loaded config file (container images set it to `/data`). */
export const STATE_DIR_ENV = 'SWITCHBOARD_STATE_DIR';

/** The value of `$SWITCHBOARD_STATE_DIR` in `env`, or undefined when unset or empty. */
export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[STATE_DIR_ENV];
  return v === undefined || v === '' ? undefined : v;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read. */
  file: string;
  /** Names of the environment variables the file's `"env:NAME"` strings refer to (secrets: never passed to the agent). */
  envNames: string[];
}

export interface ParseOptions {
  /** Source of `env:NAME` values; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Base of relative paths; default `process.cwd()`. */
  cwd?: string;
  /** Named in the error message; default `<input>`. */
  file?: string;
}

/**
 * Reads and validates a config file; `$SWITCHBOARD_STATE_DIR` (from `opts.env`, default
 * `process.env`), when set, replaces its `stateDir` (resolved against `opts.cwd`).
 * @throws ConfigError when the file is missing, unreadable, not JSON or invalid.
 */
export async function loadConfig(file: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<LoadedConfig> {
  const abs = path.resolve(opts.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(abs, [
      code === 'ENOENT'
        ? {
            path: '',
            problem: 'file not found',
            fix: `create it (copy config/switchboard.example.json) or pass --config <file>; in a container, mount one there (docker run -v "$PWD/switchboard.json:${abs}:ro" …); \`switchboard demo\` needs no config`,
          }
        : { path: '', problem: `cannot read the file (${(err as Error).message})`, fix: 'check the path and its permissions' },
    ]);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(abs, [syntaxIssue(text)]);
  }
  const config = parseConfig(raw, { ...opts, file: abs });
  const envDir = stateDirFromEnv(opts.env);
  if (envDir !== undefined) config.stateDir = path.resolve(opts.cwd ?? process.cwd(), envDir);
  return { config, file: abs, envNames: envReferenceNames(raw) };
}

/**
 * Validates already-parsed JSON: env resolution, schema, cross-field checks,
 * path resolution. Does not modify `raw`.
 * @throws ConfigError listing every problem found.
 */
export function parseConfig(raw: unknown, opts: ParseOptions = {}): Config {
  const file = opts.file ?? '<input>';
  const envIssues: ConfigIssue[] = [];
  const resolved = resolveEnv(raw, [], opts.env ?? process.env, envIssues);

  // A placeholder whose variable is missing may fail later checks too; report it once.
  const envPaths = new Set(envIssues.map((i) => i.path));
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    const schemaIssues = result.error.issues
      .filter((i) => i.code === 'unrecognized_keys' || !envPaths.has(formatPath(i.path)))
      .flatMap((i) => mapIssue(i, resolved));
    throw new ConfigError(file, [...envIssues, ...schemaIssues]);
  }
  const config = result.data;
  const issues = [...envIssues, ...crossCheck(config).filter((i) => !envPaths.has(i.path)), ...codexEnvIssues(raw, config)];
  if (issues.length > 0) throw new ConfigError(file, issues);
  return resolvePaths(config, opts.cwd ?? process.cwd());
}

/** Returns a copy of `value` with every `"env:NAME"` string replaced by the variable's value. */
function resolveEnv(value: unknown, at: PropertyKey[], env: NodeJS.ProcessEnv, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    const m = ENV_REFERENCE_RE.exec(value);
    if (!m) return value;
    const name = m[1]!;
    const v = env[name];
    if (v === undefined || v === '') {
      issues.push({
        path: formatPath(at),
        problem: `environment variable ${name} is not set`,
        fix: `export ${name}=… or put the value in the file`,
      });
      return value;
    }
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, [...at, i], env, issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(v, [...at, k], env, issues)]));
  }
  return value;
}

// ---- zod issue → ConfigIssue -------------------------------------------------

type Issue = z.core.$ZodIssue;

function mapIssue(issue: Issue, data: unknown, prefix: PropertyKey[] = []): ConfigIssue[] {
  const at = [...prefix, ...issue.path];
  const where = formatPath(at);
  const value = valueAt(data, at);
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? [{ path: where, problem: 'missing required value', fix: `add it (${issue.expected})` }]
        : [{ path: where, problem: `wrong type: got ${describe(value)}`, fix: `expected ${issue.expected}` }];
    case 'unrecognized_keys': {
      const allowed = allowedKeys(at, data);
      return issue.keys.map((key) => ({
        path: formatPath([...at, key]),
        problem: `unknown key "${key}"`,
        fix: allowed ? `remove it; allowed keys: ${allowed.join(', ')}` : 'remove it',
      }));
    }
    case 'invalid_value':
      return [
        {
          path: where,
          problem: `invalid value ${JSON.stringify(value)}`,
          fix: `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ];
    case 'invalid_union':
      if (issue.errors.length === 0 && 'options' in issue && Array.isArray(issue.options)) {
        return [
          {
            path: where,
            problem: `unsupported value ${JSON.stringify(value)}`,
            fix: `use one of ${issue.options.map((v: unknown) => JSON.stringify(v)).join(', ')}`,
          },
        ];
      }
      return [{ path: where, problem: issue.message, fix: 'match one of the documented shapes' }];
    case 'too_small':
    case 'too_big': {
      // Keep messages written in the schema; replace zod's generic ones.
      const generic = /^Too (small|big)/.test(issue.message);
      const size = typeof value === 'string' ? `${value.length} characters` : Array.isArray(value) ? `${value.length} items` : String(value);
      const problem = value === '' ? 'empty string' : generic ? `too ${issue.code === 'too_small' ? 'small' : 'big'} (${size})` : issue.message;
      return [{ path: where, problem, fix: sizeFix(issue) }];
    }
    case 'invalid_format':
      return [{ path: where, problem: `invalid format ${JSON.stringify(value)}`, fix: issue.message }];
    case 'invalid_key':
    case 'invalid_element':
      return issue.issues.flatMap((i) => mapIssue(i, data, at));
    case 'custom': {
      // A schema rule may carry its own fix in `params.fix`.
      const fix: unknown = issue.params?.fix;
      return [{ path: where, problem: issue.message, fix: typeof fix === 'string' ? fix : 'change the values to satisfy this rule' }];
    }
    default:
      return [{ path: where, problem: issue.message, fix: 'change the values to satisfy this rule' }];
  }
}

function sizeFix(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const n = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const cmp = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  switch (issue.origin) {
    case 'array':
      return small ? `add at least ${issue.inclusive ? n : n + 1} item(s)` : `keep at most ${issue.inclusive ? n : n - 1} item(s)`;
    case 'string':
      return small && n <= 1 ? 'use a non-empty string' : `use a string with length ${cmp} ${n}`;
    case 'number':
    case 'int':
      return `use a number ${cmp} ${n}`;
    default:
      return `use a value ${cmp} ${n}`;
  }
}

function valueAt(data: unknown, at: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const key of at) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'string' ? `string ${JSON.stringify(v)}` : typeof v === 'object' ? 'object' : `${typeof v} ${String(v)}`;
}

/**
 * Keys the object schema at `at` accepts, or undefined when it cannot be determined. Walks the
 * schema with zod 4's public accessors: `unwrap()` (optional, default, prefault, nullable), a
 * pipe's `in`, a discriminated union's option chosen by its literal field in `data`, an object's
 * `shape`, an array's `element` and a record's `valueType`.
 */
function allowedKeys(at: readonly PropertyKey[], data: unknown): string[] | undefined {
  let node: z.core.SomeType | undefined = configSchema;
  let depth = 0;
  while (node) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodNullable) {
      node = node.unwrap();
    } else if (node instanceof z.ZodPipe) {
      node = node.in;
    } else if (node instanceof z.ZodDiscriminatedUnion) {
      node = optionFor(node.options, valueAt(data, at.slice(0, depth)));
    } else if (node instanceof z.ZodObject) {
      if (depth === at.length) return Object.keys(node.shape);
      node = node.shape[String(at[depth++])];
    } else if (depth === at.length) {
      return undefined;
    } else if (node instanceof z.ZodArray) {
      node = node.element;
      depth++;
    } else if (node instanceof z.ZodRecord) {
      node = node.valueType;
      depth++;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** The object option whose literal field (the discriminator) holds the value `data` has there. */
function optionFor(options: readonly z.core.SomeType[], data: unknown): z.ZodObject | undefined {
  return options.find(
    (o): o is z.ZodObject =>
      o instanceof z.ZodObject &&
      Object.entries(o.shape).some(([key, field]) => field instanceof z.ZodLiteral && (field.values as Set<unknown>).has(valueAt(data, [key]))),
  );
}

// ---- JSON syntax errors -----------------------------------------------------

/** Builds the issue for unparsable JSON, locating the first error by line and column. */
function syntaxIssue(text: string): ConfigIssue {
  const offset = jsonErrorOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const found = offset >= text.length ? 'end of file' : JSON.stringify(text[offset]);
  return {
    path: '',
    problem: `invalid JSON at line ${line}, column ${column}: unexpected ${found}`,
    fix: 'correct the JSON syntax there (JSON allows no comments, trailing commas or single quotes)',
  };
}

/** Offset of the first JSON syntax error in `s` (s.length = unexpected end). */
function jsonErrorOffset(s: string): number {
  let i = 0;
  const FAIL = Symbol('fail');
  const fail = (): never => {
    throw FAIL;
  };
  const ws = (): void => {
    while (/[ \t\n\r]/.test(s[i] ?? '')) i++;
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      const c = s[i];
      if (c === undefined || c < ' ') fail();
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (s[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if (/["\\/bfnrt]/.test(s[i] ?? '')) i++;
        else fail();
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (s[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (s[i] !== '"') fail();
          str();
          ws();
          if (s[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === close) {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') return str();
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
    if (!lit) fail();
    i += lit![0].length;
  };
  try {
    value();
    ws();
    return Math.min(i, s.length); // trailing garbage at i, or (unexpectedly) valid
  } catch (e) {
    if (e !== FAIL) throw e;
    return Math.min(i, s.length);
  }
}

// ---- cross-field checks and paths -------------------------------------------

function crossCheck(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const dupes = (kind: string, list: { id: string }[], key: string): void => {
    const first = new Map<string, number>();
    list.forEach((item, i) => {
      const prev = first.get(item.id);
      if (prev === undefined) first.set(item.id, i);
      else
        issues.push({
          path: `${key}[${i}].id`,
          problem: `duplicate ${kind} id "${item.id}" (also ${key}[${prev}])`,
          fix: `give each ${kind} a unique id`,
        });
    });
  };
  dupes('channel', config.channels, 'channels');
  dupes('dispatcher', config.dispatchers, 'dispatchers');

  const channelIds = [...new Set(config.channels.map((c) => c.id))];
  const boundBy = new Map<string, string>();
  config.dispatchers.forEach((d, di) => {
    d.bindings.forEach((b, bi) => {
      const at = `dispatchers[${di}].bindings[${bi}]`;
      if (!channelIds.includes(b.channel)) {
        issues.push({
          path: `${at}.channel`,
          problem: `unknown channel "${b.channel}"`,
          fix: `use a declared channel id: ${channelIds.join(', ')}`,
        });
      }
      const pair = JSON.stringify([b.channel, b.conversation]);
      const owner = boundBy.get(pair);
      if (owner === undefined) boundBy.set(pair, d.id);
      else if (owner !== d.id) {
        issues.push({
          path: at,
          problem: `channel "${b.channel}" conversation "${b.conversation}" is already bound to dispatcher "${owner}"`,
          fix: 'bind each (channel, conversation) pair to one dispatcher only',
        });
      }
    });
  });

  const def = config.routing.defaultDispatcher;
  const dispatcherIds = [...new Set(config.dispatchers.map((d) => d.id))];
  if (def !== undefined && !dispatcherIds.includes(def)) {
    issues.push({
      path: 'routing.defaultDispatcher',
      problem: `unknown dispatcher "${def}"`,
      fix: `use a declared dispatcher id: ${dispatcherIds.join(', ')}`,
    });
  }
  return issues;
}

/**
 * `codex.env` must not hand the agent a secret of the config: an `env:` string inside it, or a
 * `pass` name that another field reads with `env:`, is an issue.
 */
function codexEnvIssues(raw: unknown, config: Config): ConfigIssue[] {
  const refs = envReferences(raw);
  const issues: ConfigIssue[] = refs
    .filter((r) => r.at[0] === 'codex' && r.at[1] === 'env')
    .map((r) => ({
      path: formatPath(r.at),
      problem: `"env:${r.name}" would hand a secret to the agent (codex.env values are literal)`,
      fix: `to give the agent the service's ${r.name}, list "${r.name}" in codex.env.pass instead`,
    }));
  const secret = new Map(refs.filter((r) => r.at[0] !== 'codex' || r.at[1] !== 'env').map((r) => [r.name, formatPath(r.at)]));
  config.codex.env.pass.forEach((name, i) => {
    const where = secret.get(name);
    if (where !== undefined) {
      issues.push({
        path: `codex.env.pass[${i}]`,
        problem: `${name} holds a secret of this config (${where} reads it), which never reaches the agent`,
        fix: `remove "${name}" from codex.env.pass, or give ${where} its value from another variable`,
      });
    }
  });
  return issues;
}

/** Returns `config` with its filesystem paths made absolute against `cwd`. */
function resolvePaths(config: Config, cwd: string): Config {
  const abs = (p: string): string => path.resolve(cwd, p);
  const { codex, skills } = config;
  return {
    ...config,
    stateDir: abs(config.stateDir),
    ...(config.adminSocket !== undefined && { adminSocket: abs(config.adminSocket) }),
    codex: {
      ...codex,
      ...(codex.bin !== undefined && { bin: codex.bin.includes('/') ? abs(codex.bin) : codex.bin }),
      ...(codex.home !== undefined && { home: abs(codex.home) }),
    },
    dispatchers: config.dispatchers.map((d) => ({ ...d, cwd: abs(d.cwd) })),
    skills: {
      ...skills,
      ...(skills.roots && {
        roots: Object.fromEntries(Object.entries(skills.roots).map(([role, dirs]) => [role, dirs.map(abs)])),
      }),
    },
  };
}
