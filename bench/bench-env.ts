/**
 * What every service bench starts from: a temp dir, the scripted model answering with `step`
 * (default: a short reply, no delay) and an offline codex home pointed at it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeCodexHome } from '../src/demo/codex-home.js';
import type { ScriptStep } from '../src/demo/script-types.js';
import { startScriptedModel, type ScriptedModel } from '../src/demo/scripted-model.js';
import { silentLogger } from '../src/log.js';

export interface BenchEnv {
  dir: string;
  model: ScriptedModel;
  codexHome: string;
  /** Closes the model and removes the dir. */
  close(): Promise<void>;
}

/** Starts the bench environment; `prefix` names the temp dir (`sb-bench-<prefix>-…`). */
export async function startBenchEnv(prefix: string, step: ScriptStep = { kind: 'reply', text: 'ok' }): Promise<BenchEnv> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sb-bench-${prefix}-`));
  const model = await startScriptedModel({ logger: silentLogger(), script: () => step });
  const codexHome = path.join(dir, 'codex-home');
  try {
    await writeCodexHome(codexHome, model.url);
  } catch (err) {
    await model.close();
    throw err;
  }
  return {
    dir,
    model,
    codexHome,
    close: async () => {
      await model.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
