/**
 * What Linux's /proc says about a process: whether it lives, its command line, its start time and
 * its children. Every function answers "unknown" (null / false / []) where /proc is missing
 * (macOS, minimal sandboxes) or the process vanished while it was read; nothing throws.
 *
 * Fact source: proc(5) — `/proc/<pid>/stat` field 4 is the ppid and field 22 `starttime`
 * (clock ticks since boot, fixed for the life of a process and unchanged by execve);
 * `/proc/<pid>/cmdline` is the NUL-separated argv.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `/proc/<pid>/stat` fields from field 3 (`state`) on; the command name (field 2) may hold spaces. */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** True when `pid` exists and is not a zombie (a zombie counts as gone). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  return fields === null ? process.platform !== 'linux' : fields[0] !== 'Z';
}

/** Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot, as text); null when unknown. */
export function processStartTime(pid: number | 'self'): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** The argv of `pid` from `/proc/<pid>/cmdline`; null when unknown (no /proc, gone, or a kernel thread). */
export function processArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** Every live descendant of `pid` (children first, then theirs), read from /proc in one scan; [] when unknown. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && fields[0] !== 'Z') parentOf.set(Number(name), Number(fields[1]));
  }
  const out: number[] = [];
  const wanted = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (wanted.has(parent) && !wanted.has(child)) {
        wanted.add(child);
        out.push(child);
        grew = true;
      }
    }
  }
  return out;
}
