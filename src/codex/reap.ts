/**
 * Reaps the codex children a previous run of the service left behind (killed before it could stop
 * them), from the records in `children.json` (child-registry.ts).
 *
 * For each record whose owner is gone (its pid dead, or now another process by start time):
 * - the recorded pid is signalled only when it is alive, its command line contains the record's
 *   `marker` (the child's unique listen address) and, where both are known, its start time is the
 *   recorded one; a pid recycled by an unrelated process is never signalled;
 * - that child and its descendants (its commands, any stdio MCP servers), as found in /proc before signalling, get
 *   SIGTERM, then SIGKILL after `graceMs` if still alive; one log line per reaped child;
 * - its socket dir is removed (only a directory named `sbx-*`, as CodexProcess creates it) and the
 *   record is forgotten.
 * Records whose owner still runs (another service on the same state dir) are left alone.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { ChildRecord, ChildRegistry } from './child-registry.js';
import { descendantPids, isProcessAlive, processArgv, processStartTime } from './proc-info.js';

/** What one reap did, for logs and tests. */
export interface ReapReport {
  /** Pids of recorded children that were signalled (their descendants not counted). */
  reaped: number[];
  /** Recorded pids alive but not ours any more (command line or start time differ): not signalled. */
  skipped: number[];
  /** Socket dirs removed. */
  removedDirs: string[];
}

function sameProcess(pid: number, startTime: string | null): boolean {
  if (!isProcessAlive(pid)) return false;
  const now = processStartTime(pid);
  return startTime === null || now === null || now === startTime;
}

/** Whether `rec`'s pid is still the child that was recorded. */
function isRecordedChild(rec: ChildRecord): boolean {
  if (!sameProcess(rec.pid, rec.startTime)) return false;
  const argv = processArgv(rec.pid);
  return argv?.some((a) => a.includes(rec.marker)) ?? false;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitGone(pids: number[], graceMs: number): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let alive = pids.filter(isProcessAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    alive = alive.filter(isProcessAlive);
  }
  return alive;
}

/**
 * Reaps the leftovers of `registry` (see the module comment); resolves when every signalled
 * process is gone (or was SIGKILLed) and the records are rewritten. Never rejects.
 * @param graceMs wait between SIGTERM and SIGKILL, ms (default 2000).
 */
export async function reapLeftovers(registry: ChildRegistry, logger: Logger, graceMs = 2000): Promise<ReapReport> {
  const report: ReapReport = { reaped: [], skipped: [], removedDirs: [] };
  for (const rec of registry.leftovers()) {
    if (sameProcess(rec.owner.pid, rec.owner.startTime)) continue; // its service still runs
    if (isRecordedChild(rec)) {
      const tree = [rec.pid, ...descendantPids(rec.pid)];
      for (const pid of tree) signal(pid, 'SIGTERM');
      const stubborn = await waitGone(tree, graceMs);
      for (const pid of stubborn) signal(pid, 'SIGKILL');
      if (stubborn.length > 0) await waitGone(stubborn, graceMs);
      report.reaped.push(rec.pid);
      logger.info(
        { pid: rec.pid, descendants: tree.slice(1), killed: stubborn.length > 0, socketDir: rec.socketDir, previousService: rec.owner.pid },
        'reaped a codex child left running by a previous run',
      );
    } else if (isProcessAlive(rec.pid)) {
      report.skipped.push(rec.pid);
      logger.debug({ pid: rec.pid }, 'recorded codex child pid now belongs to another process; not signalled');
    }
    if (path.basename(rec.socketDir).startsWith('sbx-')) {
      try {
        await rm(rec.socketDir, { recursive: true });
        report.removedDirs.push(rec.socketDir);
      } catch {
        // already gone
      }
    }
    await registry.forget(rec);
  }
  return report;
}
