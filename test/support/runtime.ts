/**
 * Builds a real CodexRuntime (real codex binary, scripted model) over a real state store.
 */
import path from 'node:path';
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { childEnvironment, NO_CODEX_ENV, NO_SECRETS } from '../../src/codex/child-env.js';
import { CodexRuntime, type CodexRuntimeOptions } from '../../src/codex/runtime.js';
import { silentLogger } from '../../src/log.js';
import { skillRootsFor } from '../../src/skills/roots.js';
import type { StateStore } from '../../src/state/types.js';
import type { CodexTestEnv } from './codex-env.js';

export function testRuntime(
  env: CodexTestEnv,
  store: StateStore,
  opts: { id?: string; clock?: Clock; bin?: string; overrides?: Partial<CodexRuntimeOptions> } = {},
): CodexRuntime {
  const id = opts.id ?? 'main';
  return new CodexRuntime({
    id,
    role: 'dispatcher',
    cwd: env.workDir,
    bin: opts.bin ?? env.codexBin,
    pathDirs: [],
    codexHome: env.codexHome,
    env: childEnvironment(process.env, NO_CODEX_ENV, NO_SECRETS).env,
    overrides: {},
    requestTimeoutMs: 10_000,
    startTimeoutMs: 20_000,
    backoff: { baseMs: 1000, maxMs: 30_000 },
    thread: { sandbox: 'read-only', approvalPolicy: 'never' },
    skillRoots: skillRootsFor('dispatcher'),
    record: { load: () => store.getDispatcher(id), patch: (p) => store.patchDispatcher(id, p) },
    logFile: path.join(env.stateDir, `codex-${id}.log`),
    logger: silentLogger(),
    clock: opts.clock ?? systemClock,
    ...opts.overrides,
  });
}
