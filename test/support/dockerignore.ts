/**
 * `.dockerignore` matching for tests, after Docker's rules (moby/patternmatcher):
 *
 * - one pattern per line; `#` lines and blank lines are skipped; a leading `/` and a trailing `/`
 *   are dropped; `!pattern` re-includes;
 * - `*` matches within one path segment, `?` one character, `**` any number of segments;
 * - a path is excluded when the last pattern matching it, or one of its parent directories, is not
 *   a `!` pattern.
 *
 * Paths are relative to the context root, with `/` separators.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface Rule {
  re: RegExp;
  exclude: boolean;
  pattern: string;
}

/** Compiles one pattern to an anchored regular expression. */
function compile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` = zero or more whole segments; a final `**` = anything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A matcher for the patterns of one .dockerignore text. */
export interface DockerIgnore {
  /** The patterns as written (comments and blanks removed). */
  readonly patterns: readonly string[];
  /** True when the context-relative `file` (or one of its parent dirs) is excluded. */
  excludes(file: string): boolean;
}

export function parseDockerIgnore(text: string): DockerIgnore {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const exclude = !p.startsWith('!');
    if (!exclude) p = p.slice(1).trim();
    p = path.posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ re: compile(p), exclude, pattern: raw.trim() });
  }
  return {
    patterns: rules.map((r) => r.pattern),
    excludes(file) {
      const segments = path.posix
        .normalize(file)
        .replace(/^\.\/|^\/+/, '')
        .split('/');
      // Each parent prefix, then the file itself: a match on a parent covers everything below it.
      const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
      let excluded = false;
      for (const r of rules) if (prefixes.some((p) => r.re.test(p))) excluded = r.exclude;
      return excluded;
    },
  };
}

/** Reads `<contextDir>/.dockerignore` (none = nothing excluded). */
export function readDockerIgnore(contextDir: string): DockerIgnore {
  let text = '';
  try {
    text = readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return parseDockerIgnore(text);
}

/**
 * The files of `source` (a file or directory, relative to `contextDir`) that the build context
 * holds, context-relative. @throws ENOENT when `source` does not exist.
 */
export function contextFiles(contextDir: string, source: string, ignore: DockerIgnore): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(contextDir, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (ignore.excludes(child)) continue;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  const start = path.posix.normalize(source).replace(/\/+$/, '');
  const rel = start === '.' ? '' : start;
  if (rel !== '' && ignore.excludes(rel)) return out;
  if (statSync(path.join(contextDir, rel)).isDirectory()) walk(rel);
  else out.push(rel);
  return out;
}
