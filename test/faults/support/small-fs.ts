/**
 * A small tmpfs for storage faults (Linux, root, `mount -t tmpfs` allowed): fill it up to ENOSPC,
 * remount it read-only, and give the space back. Where it cannot be mounted, `mountSmallFs` says why
 * so the scenario can fall back or skip with that reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../../support/temp.js';

export interface SmallFs {
  dir: string;
  /** Writes a filler file until the fs is full (ENOSPC); returns the bytes written. */
  fill(): number;
  /** Removes the filler. */
  unfill(): void;
  /** `mount -o remount,ro|rw`; returns the error text when the kernel refuses (e.g. EBUSY), else null. */
  remount(mode: 'ro' | 'rw'): string | null;
  /**
   * Mounts another tmpfs of `sizeKb` KiB at `<dir>/<rel>` (created), so files kept open there (logs)
   * do not make a read-only remount of this one busy; the error text, or null.
   */
  mountInside(rel: string, sizeKb: number): string | null;
  /** Unmounts (lazily, so open files do not block it), inner mounts first, and removes the mount point. */
  unmount(): void;
}

function run(cmd: string, args: string[]): string | null {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return null;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim() || e.message).split('\n')[0] ?? e.message;
  }
}

/** Mounts a tmpfs of `sizeKb` KiB on a fresh temp dir; or the reason it cannot. */
export function mountSmallFs(sizeKb: number): SmallFs | { skip: string } {
  if (process.platform !== 'linux') return { skip: `tmpfs needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const dir = makeTempDir('sb-fault-fs-');
  const err = run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
  if (err !== null) return { skip: `mount -t tmpfs failed: ${err}` };
  const filler = path.join(dir, 'filler');
  const inner: string[] = [];
  return {
    dir,
    fill() {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x66);
      let written = 0;
      try {
        for (let size = chunk.length; size >= 1; ) {
          try {
            written += writeSync(fd, chunk, 0, size);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
            size = Math.floor(size / 2);
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    unfill: () => rmSync(filler, { force: true }),
    remount: (mode) => run('mount', ['-o', `remount,${mode}`, dir]),
    mountInside(rel, kb) {
      const at = path.join(dir, rel);
      mkdirSync(at, { recursive: true });
      const e = run('mount', ['-t', 'tmpfs', '-o', `size=${kb}k,mode=0700`, 'tmpfs', at]);
      if (e === null) inner.unshift(at);
      return e;
    },
    unmount() {
      for (const at of inner) run('umount', ['-l', at]);
      run('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
