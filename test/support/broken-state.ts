/**
 * Makes a running service's state writes fail for real: `<stateDir>/state.json` is replaced by a
 * non-empty directory, so the store's atomic replace (temp file + rename, src/state/private-files.ts)
 * fails with EISDIR. The in-memory state is untouched; `restore()` removes the
 * directory again, so the next write puts the whole state back on disk.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BrokenStateFile {
  restore(): Promise<void>;
}

export async function breakStateFile(stateDir: string): Promise<BrokenStateFile> {
  const file = path.join(stateDir, 'state.json');
  // The service may rename a fresh state file into place between rm and mkdir: then go again.
  for (let attempt = 0; ; attempt++) {
    await rm(file, { recursive: true, force: true });
    try {
      await mkdir(file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
    }
  }
  await writeFile(path.join(file, 'occupied'), 'a directory where the state file belongs\n');
  return { restore: () => rm(file, { recursive: true, force: true }) };
}

/** Whether `text` is `notQueuedText(error)` for some error message starting with `errorStart`. */
export function isNotQueuedNotice(text: string, notQueuedText: (error: string) => string, errorStart: string): boolean {
  const [before, after] = notQueuedText('\u0000').split('\u0000') as [string, string];
  return text.startsWith(before + errorStart) && text.endsWith(after);
}
