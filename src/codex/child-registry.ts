/**
 * The codex app-server children a service runs, recorded in `<stateDir>/children.json` (mode
 * 0600) so that its next start can reap what a killed service left behind (reap.ts).
 *
 * File shape (version 1):
 * `{ "version": 1, "children": [{ "pid", "startTime", "marker", "socketDir", "owner": { "pid", "startTime" }, "spawnedAt" }] }`
 * - `marker`: a string the child's command line contains (its unique `unix://…` listen address),
 *   checked before any signal, so a pid the kernel has since given to another process is left alone;
 * - `startTime` / `owner.startTime`: `/proc/<pid>/stat` start times (proc-info.ts), null where unknown;
 * - `spawnedAt`: ms since the epoch.
 *
 * Every change rewrites the whole file (temp file + rename, so a crash leaves the old or the new
 * list), one write at a time; write errors are logged, never thrown (the record is a safety net,
 * not a reason to refuse a child).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { processStartTime } from './proc-info.js';

const ProcessIdentity = z.object({ pid: z.number().int().positive(), startTime: z.string().nullable() });

const ChildRecordSchema = ProcessIdentity.extend({
  marker: z.string().min(1),
  socketDir: z.string().min(1),
  owner: ProcessIdentity,
  spawnedAt: z.number(),
});

const ChildrenFileSchema = z.object({ version: z.literal(1), children: z.array(z.unknown()) });

/** One recorded child. */
export type ChildRecord = z.infer<typeof ChildRecordSchema>;

/** What a spawner tells the registry about a child it started. */
export interface SpawnedChild {
  pid: number;
  marker: string;
  socketDir: string;
}

/** Name of the record file in the state dir. */
export const CHILDREN_FILE = 'children.json';

export class ChildRegistry {
  /** Records of other owners (a previous run's, kept until reaped) and this process's own. */
  #records: ChildRecord[] = [];
  #writing: Promise<void> = Promise.resolve();
  readonly #owner = { pid: process.pid, startTime: processStartTime('self') };

  private constructor(
    /** Absolute path of `children.json`. */
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads `<stateDir>/children.json` (missing = none). An unreadable or malformed file is logged
   * and treated as empty (it is replaced on the next write); malformed records are dropped one by one.
   */
  static async open(stateDir: string, logger: Logger): Promise<ChildRegistry> {
    const reg = new ChildRegistry(path.join(path.resolve(stateDir), CHILDREN_FILE), logger);
    let text: string;
    try {
      text = await readFile(reg.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file: reg.file, err: errorMessage(err) }, 'child record file unreadable; ignored');
      return reg;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = null;
    }
    const file = ChildrenFileSchema.safeParse(doc);
    if (!file.success) {
      logger.warn({ file: reg.file }, 'child record file malformed; ignored');
      return reg;
    }
    for (const raw of file.data.children) {
      const rec = ChildRecordSchema.safeParse(raw);
      if (rec.success) reg.#records.push(rec.data);
      else logger.warn({ file: reg.file, record: raw }, 'malformed child record dropped');
    }
    return reg;
  }

  /** This process's pid and start time. */
  get owner(): { pid: number; startTime: string | null } {
    return { ...this.#owner };
  }

  /** Records left by other processes (previous runs), as read on open and not yet forgotten. */
  leftovers(): ChildRecord[] {
    return this.#records.filter((r) => this.#isLeftover(r));
  }

  /** Records a child this process started; resolves once written (never rejects). */
  add(child: SpawnedChild, now: number = Date.now()): Promise<void> {
    const rec: ChildRecord = { ...child, startTime: processStartTime(child.pid), owner: this.owner, spawnedAt: now };
    this.#records = [...this.#records.filter((r) => r.pid !== child.pid || this.#isLeftover(r)), rec];
    return this.#write();
  }

  /** Forgets this process's record of child `pid` (it exited); resolves once written (never rejects). */
  remove(pid: number): Promise<void> {
    return this.#drop((r) => r.pid === pid && !this.#isLeftover(r));
  }

  /** Forgets a leftover record (reaped, or found dead); resolves once written (never rejects). */
  forget(record: ChildRecord): Promise<void> {
    return this.#drop((r) => r === record);
  }

  #isLeftover(r: ChildRecord): boolean {
    return r.owner.pid !== this.#owner.pid || r.owner.startTime !== this.#owner.startTime;
  }

  #drop(pred: (r: ChildRecord) => boolean): Promise<void> {
    if (!this.#records.some(pred)) return this.#writing;
    this.#records = this.#records.filter((r) => !pred(r));
    return this.#write();
  }

  #write(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, `${JSON.stringify({ version: 1, children: this.#records }, null, 2)}\n`, { mode: 0o600 });
        await rename(tmp, this.file);
      } catch (err) {
        await rm(tmp, { force: true }).catch(() => undefined);
        this.logger.warn({ file: this.file, err: errorMessage(err) }, 'could not write the child record file');
      }
    });
    return this.#writing;
  }
}
