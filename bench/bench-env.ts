/**
 * What every service bench starts from: a temp dir, the scripted model answering with `step`
 * (default: a short reply, no delay) in a child process (./model-server.ts: a real model is
 * remote, so its work stays off the measured process) and an offline codex home pointed at it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCodexHome } from '../src/demo/codex-home.js';
import type { ScriptStep } from '../src/demo/script-types.js';
import type { ModelServerMessage } from './model-server.js';

export interface BenchEnv {
  dir: string;
  /** The model's base URL. */
  modelUrl: string;
  /** Model requests served so far. */
  modelRequests(): Promise<number>;
  codexHome: string;
  /** Stops the model and removes the dir. */
  close(): Promise<void>;
}

/** Resolves with the child's next message that `pick` accepts (rejects if it exits first). */
function nextMessage<T>(child: ChildProcess, pick: (m: ModelServerMessage) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: ModelServerMessage): void => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = (code: number | null): void => reject(new Error(`the model server exited (code ${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Starts the bench environment; `prefix` names the temp dir (`sb-bench-<prefix>-…`). */
export async function startBenchEnv(prefix: string, step: ScriptStep = { kind: 'reply', text: 'ok' }): Promise<BenchEnv> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sb-bench-${prefix}-`));
  const child = fork(fileURLToPath(new URL('./model-server.ts', import.meta.url)), [JSON.stringify(step)], { execArgv: ['--import', 'tsx'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('close');
    await exited;
  };
  const codexHome = path.join(dir, 'codex-home');
  let modelUrl: string;
  try {
    modelUrl = await nextMessage(child, (m) => ('url' in m ? m.url : undefined));
    await writeCodexHome(codexHome, modelUrl);
  } catch (err) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    modelUrl,
    codexHome,
    modelRequests: async () => {
      const n = nextMessage(child, (m) => ('requests' in m ? m.requests : undefined));
      child.send('count');
      return n;
    },
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
