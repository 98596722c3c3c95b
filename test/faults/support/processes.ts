/**
 * Processes of a service under fault injection, read from /proc (Linux): every descendant of the
 * service (codex app-servers, MCP servers, shells the agent ran — counted generically, whatever
 * they are), a watch that samples them while the service runs, and the orphan count after a kill:
 * watched processes still alive (same pid and start time) that no running service owns, plus
 * processes reparented to pid 1 whose command line looks like ours and whose environment names
 * this scenario's CODEX_HOME.
 */
import { readFileSync } from 'node:fs';
import { descendantPids, isProcessAlive, processStartTime } from '../../../src/codex/proc-info.js';
import { childPids, commandLine, pollUntil } from '../../support/e2e-cli.js';

function environOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

/** Processes reparented to pid 1 that look like ours (codex app-server, MCP server) and carry `marker` in their environment. */
export function reparentedOurs(marker: string): number[] {
  const out: number[] = [];
  for (const pid of childPids(1)) {
    if (!/codex|app-server|mcp/.test(commandLine(pid))) continue;
    if (environOf(pid).includes(marker)) out.push(pid);
  }
  return out;
}

/**
 * Samples the descendants of the current service pid (`rootPid()`, null while none runs) every
 * `intervalMs`, remembering each pid with its start time, so a short-lived child is seen too.
 */
export class ProcessWatch {
  private readonly seen = new Map<number, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly rootPid: () => number | null,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Records the descendants now (also call it right before a kill). */
  sample(): void {
    const root = this.rootPid();
    if (root === null) return;
    for (const pid of descendantPids(root)) {
      const start = processStartTime(pid);
      if (start !== null && isProcessAlive(pid)) this.seen.set(pid, start);
    }
  }

  /** Processes seen so far. */
  get count(): number {
    return this.seen.size;
  }

  /** Watched processes still alive (same start time) and not descendants of `liveRoot` (the running service, if any). */
  survivors(liveRoot: number | null): number[] {
    const owned = new Set(liveRoot === null ? [] : descendantPids(liveRoot));
    const alive = (pid: number, start: string): boolean => isProcessAlive(pid) && processStartTime(pid) === start;
    return [...this.seen].filter(([pid, start]) => alive(pid, start) && !owned.has(pid)).map(([pid]) => pid);
  }

  /**
   * Waits (up to `timeoutMs`) until no watched process outlives its service; returns the pids still
   * alive then: the orphans.
   */
  async orphans(liveRoot: number | null, timeoutMs = 10_000): Promise<number[]> {
    try {
      await pollUntil(() => (this.survivors(liveRoot).length === 0 ? true : undefined), 'the children of a killed service to exit', timeoutMs, 50);
      return [];
    } catch {
      return this.survivors(liveRoot);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
