/**
 * An "older codex" for tests: a generated executable that runs the real codex
 * behind app-server-proxy.mjs, which answers `thread/inject_items` with the
 * "unknown variant" error an app-server without that method gives.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeTempDir, removeTempDir } from '../temp.js';

const PROXY = fileURLToPath(new URL('./app-server-proxy.mjs', import.meta.url));

/** One line of the proxy's record file. */
export type OlderCodexEvent =
  | { event: 'started'; wrapperPid: number; guardPid: number; innerPid: number; socket: string; at: number }
  | { event: 'refused'; method: string; id: number | string | null; wrapperPid: number; at: number }
  | { event: 'exited'; wrapperPid: number; innerPid: number | null; code: number | null; signal: string | null; stopSignal: string | null; at: number };

export interface OlderCodex {
  /** Executable to use as `codex.bin`. */
  bin: string;
  /** Events recorded by every wrapper started from `bin`, in order. */
  events(): Promise<OlderCodexEvent[]>;
  /** Pids of every wrapper, guard shell and real codex started so far. */
  pids(): Promise<number[]>;
  /** The recorded pids that are still running (zombies count as gone). */
  alive(): Promise<number[]>;
  /**
   * SIGKILLs whatever recorded process still runs and removes the temp dir.
   * Returns the pids it had to kill (empty when everything had ended).
   */
  cleanup(): Promise<number[]>;
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as not running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: the state letter follows the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Writes an executable `codex` into a fresh temp dir that runs the proxy with
 * `realCodex` behind it and records its events in the same dir.
 */
export async function olderCodex(realCodex: string): Promise<OlderCodex> {
  const dir = makeTempDir('sb-older-codex-');
  const bin = path.join(dir, 'codex');
  const recordFile = path.join(dir, 'events.jsonl');
  await writeFile(recordFile, '');
  await writeFile(
    bin,
    [
      '#!/usr/bin/env node',
      `process.env.SB_REAL_CODEX = ${JSON.stringify(realCodex)};`,
      `process.env.SB_OLDER_CODEX_RECORD = ${JSON.stringify(recordFile)};`,
      `await import(${JSON.stringify(pathToFileURL(PROXY).href)});`,
      '',
    ].join('\n'),
  );
  await chmod(bin, 0o755);

  const events = async (): Promise<OlderCodexEvent[]> => {
    const text = await readFile(recordFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as OlderCodexEvent);
  };
  const pids = async (): Promise<number[]> => (await events()).flatMap((e) => (e.event === 'started' ? [e.wrapperPid, e.guardPid, e.innerPid] : []));
  const alive = async (): Promise<number[]> => (await pids()).filter(isRunning);

  return {
    bin,
    events,
    pids,
    alive,
    async cleanup() {
      const left = await alive();
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
      await removeTempDir(dir);
      return left;
    },
  };
}
