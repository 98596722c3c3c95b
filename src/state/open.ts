/**
 * Opens the embedded state store `<stateDir>/state.json`, creating it when
 * missing. An existing file that cannot be used is never modified: opening
 * fails with a `StateError` saying which file, what is wrong and what to do.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { systemClock, type Clock } from '../clock.js';
import { LowdbStateStore, StateError } from './lowdb-store.js';
import { STATE_VERSION, type StateData, type StateStore } from './types.js';

export { StateError } from './lowdb-store.js';

export interface OpenStateOptions {
  /** Dedup keys remembered per dispatcher; default 1000. */
  seenLimit?: number;
  /** Time source for record timestamps; default the system clock. */
  clock?: Clock;
}

/**
 * @throws StateError when the existing file is not valid JSON, has the wrong
 *   shape or another `version`; other I/O errors propagate as they are.
 */
export async function openStateStore(stateDir: string, opts: OpenStateOptions = {}): Promise<StateStore> {
  const dir = path.resolve(stateDir);
  const file = path.join(dir, 'state.json');
  await mkdir(dir, { recursive: true });

  const fresh: StateData = { version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} };
  const db = new Low<StateData>(new JSONFile<StateData>(file), fresh);

  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === null) {
    await db.write();
  } else {
    db.data = validate(text, file);
  }
  return new LowdbStateStore(db, file, {
    seenLimit: opts.seenLimit ?? 1000,
    clock: opts.clock ?? systemClock,
  });
}

/** Parses and checks the top-level shape; throws StateError describing the first problem. */
function validate(text: string, file: string): StateData {
  const fail = (what: string, todo = 'move it aside to start fresh, or restore a backup'): never => {
    throw new StateError(`State file ${file} ${what}. Switchboard has not modified it; ${todo}.`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) return fail('is not a JSON object');
  if (doc.version !== STATE_VERSION) {
    const v = JSON.stringify(doc.version);
    return typeof doc.version === 'number' && doc.version > STATE_VERSION
      ? fail(`has version ${v}, newer than this Switchboard supports (${STATE_VERSION})`,
          'upgrade Switchboard, or move it aside to start fresh')
      : fail(`has unsupported version ${v} (expected ${STATE_VERSION})`);
  }
  for (const key of ['dispatchers', 'queue', 'seen', 'web'] as const) {
    if (!isRecord(doc[key])) fail(`has no "${key}" object`);
  }
  const lists = (key: 'queue' | 'seen'): void => {
    for (const [id, v] of Object.entries(doc[key] as object)) {
      if (!Array.isArray(v)) fail(`has a non-array "${key}.${id}"`);
    }
  };
  lists('queue');
  lists('seen');
  for (const [ch, convs] of Object.entries(doc.web as object)) {
    if (!isRecord(convs) || !Object.values(convs).every(Array.isArray)) fail(`has a malformed "web.${ch}"`);
  }
  return doc as unknown as StateData;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
