/**
 * Temp directories for tests: created under os.tmpdir(), registered, and removed by
 * cleanupTempDirs() (call it from afterAll).
 */
import { mkdtempSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const created = new Set<string>();

/**
 * Creates a fresh directory `<tmpdir>/<prefix>XXXXXX` and returns its absolute, symlink-free path.
 * `prefix` should not contain path separators (they are replaced by `-`).
 */
export function makeTempDir(prefix = 'switchboard-test-'): string {
  const safe = prefix.replace(/[\\/]/g, '-');
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), safe)));
  created.add(dir);
  return dir;
}

/** Removes one registered directory (recursively, ignoring a missing one). */
export async function removeTempDir(dir: string): Promise<void> {
  created.delete(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Removes every directory created by makeTempDir and not yet removed. Never rejects. */
export async function cleanupTempDirs(): Promise<void> {
  const dirs = [...created];
  created.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined)));
}
