/**
 * A small Dockerfile reader for tests (no container engine needed): enough of the syntax the
 * project's Dockerfile uses, not all of Docker's.
 *
 * - Lines ending in `\` continue on the next line; `#` lines (also inside a continuation) are
 *   comments; blank lines are skipped.
 * - Instructions are grouped into stages at each `FROM` (`FROM image [AS name]`); `ARG`s before the
 *   first `FROM` are substituted (`${NAME}`, `$NAME`) into `FROM` lines, with their defaults.
 * - Exec form (`["a", "b"]`) is parsed as JSON; shell form is kept as one string.
 */
import { readFileSync } from 'node:fs';

/** One instruction, continuation lines joined with a space. */
export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV, … */
  keyword: string;
  /** Everything after the keyword, trimmed. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  /** Base image after ARG substitution. */
  image: string;
  /** `AS name`, if any. */
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Global ARG defaults (before the first FROM). */
  args: Record<string, string>;
  stages: Stage[];
}

/** Splits Dockerfile text into instructions. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !current)) return;
    const continues = trimmed.endsWith('\\');
    const body = continues ? trimmed.slice(0, -1).trim() : trimmed;
    current ??= { parts: [], line: i + 1 };
    if (body !== '') current.parts.push(body);
    if (continues) return;
    const joined = current.parts.join(' ');
    const m = /^(\S+)\s*(.*)$/.exec(joined);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: current.line });
    current = undefined;
  });
  return out;
}

/** Replaces `${NAME}` and `$NAME` with `vars[NAME]` (unknown names are left alone). */
export function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? whole);
}

/** Parses a Dockerfile into global args and stages. @throws Error when an instruction precedes FROM (other than ARG). */
export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: substitute(m[1]!, args), ...(m[2] && { name: m[2] }), instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, value = ''] = ins.args.split('=', 2) as [string, string?];
      args[name] = value;
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { args, stages };
}

/** Reads and parses a Dockerfile from disk. */
export function readDockerfile(file: string): Dockerfile {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/** Splits shell-like words: whitespace-separated; double or single quotes group (anywhere in a word) and are removed. */
export function words(s: string): string[] {
  const out: string[] = [];
  const word = /(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+)+/g;
  for (let m = word.exec(s); m; m = word.exec(s)) {
    out.push(
      m[0].replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_q, d: string | undefined, q: string | undefined) => (d !== undefined ? d.replace(/\\(.)/g, '$1') : q!)),
    );
  }
  return out;
}

/** Exec-form (JSON array) arguments, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((x): x is string => typeof x === 'string')) throw new Error(`not a JSON string array: ${args}`);
  return parsed;
}

/** The `KEY=VALUE` pairs of one ENV instruction (also the legacy `ENV KEY value` form). */
export function envPairs(args: string): Record<string, string> {
  const ws = words(args);
  if (ws.length > 0 && !ws[0]!.includes('=')) return { [ws[0]!]: ws.slice(1).join(' ') };
  return Object.fromEntries(
    ws.map((w) => {
      const eq = w.indexOf('=');
      return [w.slice(0, eq), w.slice(eq + 1)];
    }),
  );
}

/** A COPY instruction: `--flag=value` options, sources and destination. */
export interface CopySpec {
  /** `--from=stage` etc., without the dashes. */
  flags: Record<string, string>;
  sources: string[];
  dest: string;
}

/** Reads `COPY [--from=x] src... dest` (shell or exec form). */
export function copySpec(args: string): CopySpec {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  const parts = execForm(rest) ?? words(rest);
  if (parts.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { flags, sources: parts.slice(0, -1), dest: parts[parts.length - 1]! };
}

/** A HEALTHCHECK instruction: its `--option=value`s and the command (exec form, or `sh -c` for shell form). */
export function healthcheckSpec(args: string): { options: Record<string, string>; command: string[] } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    options[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  const m = /^CMD\s+(.*)$/i.exec(rest);
  if (!m) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  return { options, command: execForm(m[1]!) ?? ['/bin/sh', '-c', m[1]!] };
}

/** The last instruction with `keyword` in `stage`, or undefined. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

/** Every ENV of `stage`, later ones winning. */
export function stageEnv(stage: Stage): Record<string, string> {
  return Object.assign({}, ...stage.instructions.filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
}
