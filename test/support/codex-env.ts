/**
 * Offline codex environment for integration tests: a scripted model, a CODEX_HOME pointing at it,
 * temp state/work dirs, and the native codex binary from node_modules.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveBundledCodex } from '../../src/codex/binary.js';
import { writeCodexHome } from '../../src/demo/codex-home.js';
import { startScriptedModel, type ScriptFn, type ScriptedModel } from '../../src/demo/scripted-model.js';
import { makeTempDir, removeTempDir } from './temp.js';

export interface CodexTestEnv {
  model: ScriptedModel;
  /** Temp CODEX_HOME containing config.toml for the scripted model. */
  codexHome: string;
  /** Temp dir for Switchboard state. */
  stateDir: string;
  /** Temp dir to use as thread cwd. */
  workDir: string;
  /** Absolute path of the native codex binary. */
  codexBin: string;
  /** Closes the model and removes the three temp dirs. */
  cleanup(): Promise<void>;
}

/** Absolute path of the native codex binary shipped in node_modules (same resolution as the service). */
export function codexBinPath(): string {
  return resolveBundledCodex().bin;
}

/** Starts a scripted model (default: demo script) and prepares temp dirs; call cleanup() in afterAll. */
export async function codexTestEnv(script?: ScriptFn): Promise<CodexTestEnv> {
  const codexBin = codexBinPath();
  const model = await startScriptedModel(script ? { script } : {});
  const codexHome = makeTempDir('sb-codex-home-');
  const stateDir = makeTempDir('sb-state-');
  const workDir = makeTempDir('sb-work-');
  try {
    await writeCodexHome(codexHome, model.url);
  } catch (err) {
    await model.close();
    throw err;
  }
  return {
    model,
    codexHome,
    stateDir,
    workDir,
    codexBin,
    async cleanup() {
      await model.close();
      await Promise.all([removeTempDir(codexHome), removeTempDir(stateDir), removeTempDir(workDir)]);
    },
  };
}

/**
 * Whether a session rollout under `codexHome/sessions` (codex's `rollout-*.jsonl`) holds `text`.
 * Codex writes the rollout asynchronously after a turn starts; a test that stops codex and
 * expects the thread to resume waits for this first (under load codex can die before writing it).
 */
export async function rolloutHolds(codexHome: string, text: string): Promise<boolean> {
  const dir = path.join(codexHome, 'sessions');
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const body = await readFile(path.join(dir, name), 'utf8').catch(() => '');
    if (body.includes(text)) return true;
  }
  return false;
}
