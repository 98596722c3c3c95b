/**
 * Processes of a service under fault injection, read from /proc (Linux): every descendant of the
 * service (codex app-servers, MCP servers, shells the agent ran — counted generically, whatever
 * they are), a watch that samples them while the service runs, and the orphan count after a kill:
 * watched processes still alive (same pid and start time) that no running service owns, plus
 * processes reparented to pid 1 whose command line looks like ours and whose environment names
 * this scenario's CODEX_HOME.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pollUntil } from '../../support/e2e-cli.js';

interface ProcEntry {
  ppid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTime: string;
}

function readProc(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) processes: pid → parent and start time. */
function procTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const e = readProc(Number(name));
    if (e) table.set(Number(name), e);
  }
  return table;
}

/** Pids of every live descendant of `root` (children, their children, …). */
export function descendantsOf(root: number): number[] {
  const table = procTable();
  const children = new Map<number, number[]>();
  for (const [pid, e] of table) children.set(e.ppid, [...(children.get(e.ppid) ?? []), pid]);
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Command line of `pid` joined by spaces; '' when gone. */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

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
  for (const [pid, e] of procTable()) {
    if (e.ppid !== 1) continue;
    if (!/codex|app-server|mcp/.test(cmdlineOf(pid))) continue;
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
    for (const pid of descendantsOf(root)) {
      const e = readProc(pid);
      if (e) this.seen.set(pid, e.startTime);
    }
  }

  /** Processes seen so far. */
  get count(): number {
    return this.seen.size;
  }

  /** Watched processes still alive (same start time) and not descendants of `liveRoot` (the running service, if any). */
  survivors(liveRoot: number | null): number[] {
    const owned = new Set(liveRoot === null ? [] : descendantsOf(liveRoot));
    return [...this.seen].filter(([pid, start]) => readProc(pid)?.startTime === start && !owned.has(pid)).map(([pid]) => pid);
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
