/**
 * Private files: the state dir holds every chat message (state, web history, codex logs, spilled
 * completions, Feishu downloads), so Switchboard creates its directories 0700 and its files 0600,
 * whatever the process umask, and tightens too-open modes it finds at start.
 *
 * No process-wide `umask(0o077)`: codex children inherit the umask, so it would also change the
 * modes of files the agent creates in the operator's workspaces.
 */
import { chmod, lstat, mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { errorMessage } from '../errors.js';

/** Mode of every file Switchboard writes under the state dir. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory Switchboard creates under the state dir. */
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and missing parents) 0700 and makes `dir` itself 0700 if it existed looser. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = await lstat(dir);
  if (st.isDirectory() && (st.mode & 0o077) !== 0) await chmod(dir, st.mode & 0o700);
}

/**
 * Writes `data` to `file` 0600, atomically: a `.<name>.tmp` sibling (opened 0600 and chmod-ed,
 * in case a crash left one looser) renamed over the file. `data` may come in chunks (written in
 * order as they come, so a large document need not be one string nor built in one tick).
 */
export async function writePrivateFile(file: string, data: string | AsyncIterable<string>): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const fh = await open(temp, 'w', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    if (typeof data === 'string') await fh.writeFile(data, 'utf8');
    else for await (const chunk of data) await fh.write(chunk, null, 'utf8');
  } finally {
    await fh.close();
  }
  await rename(temp, file);
}

/** Creates `file` 0600 if missing and makes it 0600 if it exists (for files others append to, e.g. a child's log). */
export async function ensurePrivateFile(file: string): Promise<void> {
  const fh = await open(file, 'a', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
  } finally {
    await fh.close();
  }
}

/**
 * lowdb adapter for one JSON file (same text as lowdb's `JSONFile`: 2-space JSON), written with
 * {@link writePrivateFile}. Writes must not overlap (the store's `CoalescingWriter` serializes them).
 */
export class PrivateJsonFile<T> implements Adapter<T> {
  constructor(private readonly file: string) {}

  /** @returns null when the file does not exist; @throws SyntaxError for invalid JSON, other I/O errors as they are. */
  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(data: T): Promise<void> {
    // Compact: the state file is rewritten whole on each batch; indentation cost ~35% more serialize time and bytes (measured with 1,000 queued entries).
    await writePrivateFile(this.file, JSON.stringify(data));
  }
}

export interface TightenResult {
  /** Paths (relative to the root, `.` = the root) whose group/other permission bits were removed. */
  tightened: string[];
  /** Paths that could not be tightened, with the reason (e.g. EPERM on a file of another user). */
  failed: { path: string; error: string }[];
}

/**
 * Removes group and other permission bits (`mode & 0o700`, so an owner's execute bit stays) from
 * `root` and everything under it, recursively. Symbolic links are neither changed nor followed;
 * directories in `skip` (absolute; e.g. a dispatcher's workspace inside the state dir) are left
 * alone with everything in them. A missing `root` is no error.
 */
export async function tightenTree(root: string, skip: readonly string[] = []): Promise<TightenResult> {
  const result: TightenResult = { tightened: [], failed: [] };
  const base = path.resolve(root);
  const skipped = new Set(skip.map((p) => path.resolve(p)));
  const visit = async (abs: string): Promise<void> => {
    if (skipped.has(abs)) return;
    const rel = path.relative(base, abs) || '.';
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push({ path: rel, error: errorMessage(err) });
      return;
    }
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) {
      try {
        await chmod(abs, st.mode & 0o700);
        result.tightened.push(rel);
      } catch (err) {
        result.failed.push({ path: rel, error: errorMessage(err) });
      }
    }
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (err) {
      result.failed.push({ path: rel, error: errorMessage(err) });
      return;
    }
    for (const name of names) await visit(path.join(abs, name));
  };
  await visit(base);
  return result;
}
