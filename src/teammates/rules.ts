/**
 * Teammate rules: errors with an API code, name and text validation, the
 * working directory (inside the dispatcher's), and who may call what.
 */
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { MAX_TASK_BYTES, TEAMMATE_NAME_RE, TEAMMATE_NAME_RULE, type Caller, type TeammateErrorCode } from './api.js';

/** A refused teammate request; `code` maps to the admin API's HTTP status. */
export class TeammateError extends Error {
  constructor(
    readonly code: TeammateErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TeammateError';
  }
}

/** @throws TeammateError('invalid') */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !TEAMMATE_NAME_RE.test(name)) {
    throw new TeammateError('invalid', `invalid teammate name ${JSON.stringify(name)}: ${TEAMMATE_NAME_RULE}`);
  }
  return name;
}

/** @throws TeammateError('invalid') for empty or oversized text. */
export function checkTaskText(text: string, what: 'task' | 'text'): string {
  if (text.trim() === '') throw new TeammateError('invalid', `${what} must not be empty`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TASK_BYTES) throw new TeammateError('invalid', `${what} is ${bytes} bytes, more than the limit of ${MAX_TASK_BYTES}`);
  return text;
}

function isInside(base: string, target: string): boolean {
  const rel = path.relative(base, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Deepest existing ancestor of `p` (itself when it exists), with symlinks resolved, plus the rest. */
async function realpathOfExisting(p: string): Promise<string> {
  let existing = p;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(await realpath(existing), ...rest);
}

/**
 * The teammate's working directory: `requested` (relative to the dispatcher's
 * cwd, or absolute) or `<dispatcher cwd>/.switchboard/teammates/<name>`. It
 * must stay inside the dispatcher's cwd, also after resolving symlinks.
 * @throws TeammateError('invalid') for a path outside.
 */
export async function resolveTeammateCwd(dispatcherCwd: string, name: string, requested?: string): Promise<string> {
  const base = path.resolve(dispatcherCwd);
  const target = requested === undefined ? path.join(base, '.switchboard', 'teammates', name) : path.resolve(base, requested);
  const outside = (): TeammateError =>
    new TeammateError(
      'invalid',
      `cwd ${JSON.stringify(requested)} is outside the dispatcher's working directory ${base}; give a path inside it (relative paths are resolved against it)`,
    );
  if (!isInside(base, target)) throw outside();
  if (!isInside(await realpathOfExisting(base), await realpathOfExisting(target))) throw outside();
  return target;
}

export type TeammateAction = 'spawn' | 'send' | 'status' | 'close';

/**
 * What each caller role may do (the caller comes from the admin request or
 * from the MCP caller token): dispatchers manage their own teammates;
 * teammates may only look (`status`), never spawn, send or close; operators
 * (CLI) may look and close any teammate, and spawn nothing (spawning belongs
 * to a dispatcher's conversation).
 * @throws TeammateError('refused')
 */
export function authorize(caller: Caller, action: TeammateAction): void {
  if (caller.role === 'dispatcher') return;
  if (caller.role === 'teammate') {
    if (action === 'status') return;
    const hint =
      action === 'spawn'
        ? 'teammates cannot spawn teammates; only a dispatcher can. Do the work yourself, or say in your final message what further help is needed and your dispatcher will decide'
        : `teammates cannot use teammate_${action}; only a dispatcher can`;
    throw new TeammateError('refused', `refused: ${hint}`);
  }
  if (action === 'spawn') throw new TeammateError('refused', 'refused: teammates are spawned by a dispatcher (the teammate_spawn tool), not by operators');
}
