/**
 * Resident memory of processes, read from Linux /proc (the benches' memory figures).
 */
import { readdir, readFile } from 'node:fs/promises';

/** Resident set size of process `pid`, bytes (Linux /proc); null where unreadable. */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Sum of the RSS of `pid` and all its descendants (the app-server's MCP servers, commands), bytes. */
export async function treeRss(pid: number): Promise<number | null> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the parenthesised command name, which may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  let total: number | null = null;
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    const rss = await rssOf(p);
    if (rss !== null) total = (total ?? 0) + rss;
    stack.push(...(parents.get(p) ?? []));
  }
  return total;
}

export interface Proc {
  pid: number;
  cmdline: string;
  /** bytes */
  rss: number;
}

/** `pid`'s live descendants (Linux /proc), with their command lines and RSS. */
export async function descendants(pid: number): Promise<Proc[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the parenthesised command name, which may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: Proc[] = [];
  for (const stack = [...(children.get(pid) ?? [])]; stack.length > 0; ) {
    const p = stack.pop()!;
    const rss = await rssOf(p);
    const cmdline = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
    if (rss !== null) out.push({ pid: p, cmdline, rss });
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}
