/**
 * Retention of the files Switchboard keeps beside its state (issue 15 §6): spilled completions
 * (`<stateDir>/completions/<dispatcher>/`), Feishu downloads (`<stateDir>/feishu/<channel>/files/`)
 * and codex logs (`<stateDir>/logs/`). The state file's own lists are capped where they are
 * written (see LowdbStateStore); these files are swept by age, and a log is rotated by size.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/** What a sweep removed. */
export interface SweepResult {
  removed: number;
  bytes: number;
}

/**
 * Removes regular files under `dirs` (recursively) last modified more than `maxAgeMs` before `now`
 * (ms since the epoch), except those `keep(path)` names (a file a queued turn still refers to).
 * Missing dirs are skipped; a file that cannot be removed is left. Empty dirs stay.
 */
export async function sweepOldFiles(dirs: readonly string[], maxAgeMs: number, now: number, keep: (file: string) => boolean): Promise<SweepResult> {
  const result: SweepResult = { removed: 0, bytes: 0 };
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) await walk(file);
      else if (e.isFile()) {
        const st = await stat(file).catch(() => null);
        if (!st || now - st.mtimeMs <= maxAgeMs || keep(file)) continue;
        if (
          await rm(file).then(
            () => true,
            () => false,
          )
        ) {
          result.removed++;
          result.bytes += st.size;
        }
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return result;
}

/**
 * Renames `file` to `file.1` (replacing an older `.1`) when it is larger than `maxBytes`, so at
 * most about twice `maxBytes` is kept. Call before a writer opens it (codex logs: before each
 * spawn). Resolves true when it rotated; a missing file is not an error.
 */
export async function rotateIfLarge(file: string, maxBytes: number): Promise<boolean> {
  const st = await stat(file).catch(() => null);
  if (!st || st.size <= maxBytes) return false;
  await rename(file, `${file}.1`);
  return true;
}

/** Sweeps at start and then every `everyMs` (default 1 h) until stopped; see sweepOldFiles. */
export function startRetentionSweeps(opts: {
  dirs: readonly string[];
  maxAgeMs: number;
  keep: (file: string) => boolean;
  clock: Clock;
  logger: Logger;
  everyMs?: number;
}): { stop(): void; done: Promise<void> } {
  let timer: { cancel(): void } | null = null;
  let stopped = false;
  const run = async (): Promise<void> => {
    const r = await sweepOldFiles(opts.dirs, opts.maxAgeMs, opts.clock.now(), opts.keep);
    if (r.removed > 0)
      opts.logger.info(
        { removed: r.removed, bytes: r.bytes, maxAgeMs: opts.maxAgeMs },
        'old spilled completions and downloads removed (retention.filesMaxAgeMs)',
      );
    if (!stopped) timer = opts.clock.setTimeout(() => void run(), opts.everyMs ?? 3600_000);
  };
  const done = run();
  return {
    done,
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
