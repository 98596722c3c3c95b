/**
 * Opens the embedded state store in `<stateDir>`: `state.json` (created when
 * missing) plus one `web-<channel>.json` per web channel with history. An
 * existing file that cannot be used is never modified: opening fails with a
 * `StateError` saying which file, what is wrong and what to do. The dir is 0700 and every file
 * 0600 (./private-files.ts).
 *
 * Migration: web history that an earlier version kept in `state.json`'s `web`
 * object is moved to the per-channel files (those are written first, then
 * `state.json` without it, so a crash in between loses nothing). If a channel
 * already has a file, that file wins and the leftover copy is dropped.
 *
 * Keys added without a version bump (`failedReplies`, `completions`, `teammates`, `sessions`,
 * `approvals`, `quarantine`) may be absent (= none) in older files; when present they must have their shape.
 *
 * Entries: a file of valid shape may still hold an entry that is not (a queue entry without its
 * address, a teammate without tasks). Such an entry is moved to the file's `quarantine` list with
 * the reason (./quarantine.ts) — written back at once, one log line each — and the rest of the
 * state opens as usual; the entry is never dropped.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { ensurePrivateDir, PrivateJsonFile } from './private-files.js';
import { quarantineMalformed } from './quarantine.js';
import { LowdbStateStore, StateError, WEB_FILE_VERSION, webFileName, type WebFileData } from './lowdb-store.js';
import { STATE_VERSION, type StateData, type StateStore, type WebMessage } from './types.js';

export { StateError } from './lowdb-store.js';

export interface OpenStateOptions {
  /** Dedup keys remembered per dispatcher; default 1000. */
  seenLimit?: number;
  /** Time source for record timestamps; default the system clock. */
  clock?: Clock;
  /** Gets one warning per quarantined entry; default none. */
  logger?: Logger;
}

/** Web history files are `web-<encoded channel id>.json` (see `webFileName`). */
const WEB_FILE_RE = /^web-.+\.json$/;

/**
 * @throws StateError when an existing file is not valid JSON, has the wrong
 *   shape or another `version`; other I/O errors propagate as they are.
 */
export async function openStateStore(stateDir: string, opts: OpenStateOptions = {}): Promise<StateStore> {
  const dir = path.resolve(stateDir);
  const file = path.join(dir, 'state.json');
  await ensurePrivateDir(dir);

  const fresh: StateData = { version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} };
  const db = new Low<StateData>(new PrivateJsonFile<StateData>(file), fresh);

  const clock = opts.clock ?? systemClock;
  const text = await readIfExists(file);
  let quarantined = 0;
  if (text !== null) {
    const doc = validate(text, file);
    const found = quarantineMalformed(doc, clock.now());
    for (const q of found) {
      opts.logger?.warn({ from: q.from, reason: q.reason, dispatcher: q.dispatcherId, quarantine: q.id }, 'malformed state entry moved to quarantine');
    }
    quarantined = found.length;
    db.data = doc as unknown as StateData;
  }

  // Every file is checked before anything is written.
  const webFiles = new Map<string, Low<WebFileData>>();
  for (const name of (await readdir(dir)).filter((n) => WEB_FILE_RE.test(n)).sort()) {
    const webPath = path.join(dir, name);
    const webText = await readIfExists(webPath);
    if (webText === null) continue; // removed meanwhile
    const data = validateWebFile(webText, webPath, name);
    const webDb = new Low<WebFileData>(new PrivateJsonFile<WebFileData>(webPath), data);
    webFiles.set(data.channel, webDb);
  }

  const createWebFile = (channelId: string): Low<WebFileData> =>
    new Low<WebFileData>(new PrivateJsonFile<WebFileData>(path.join(dir, webFileName(channelId))), {
      version: WEB_FILE_VERSION,
      channel: channelId,
      conversations: {},
    });

  const legacy = Object.entries(db.data.web);
  if (legacy.length > 0) {
    for (const [channelId, conversations] of legacy) {
      if (webFiles.has(channelId) || Object.keys(conversations).length === 0) continue;
      const webDb = createWebFile(channelId);
      webDb.data.conversations = conversations;
      await webDb.write();
      webFiles.set(channelId, webDb);
    }
    db.data = { ...db.data, web: {} };
    await db.write();
  } else if (text === null || quarantined > 0) {
    await db.write();
  }

  return new LowdbStateStore(db, file, {
    seenLimit: opts.seenLimit ?? 1000,
    clock,
    webFiles,
    createWebFile,
  });
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Parses and checks the top-level shape (not the entries: see quarantine.ts); throws StateError describing the first problem. */
function validate(text: string, file: string): Record<string, unknown> {
  const { doc, fail } = parseVersioned(text, { what: `State file ${file}`, version: STATE_VERSION, fresh: 'start fresh' });
  for (const key of ['dispatchers', 'queue', 'seen', 'web'] as const) {
    if (!isRecord(doc[key])) fail(`has no "${key}" object`);
  }
  const lists = (key: 'queue' | 'seen' | 'failedReplies' | 'completions' | 'sessions'): void => {
    for (const [id, v] of Object.entries(doc[key] as object)) {
      if (!Array.isArray(v)) fail(`has a non-array "${key}.${id}"`);
    }
  };
  lists('queue');
  lists('seen');
  for (const key of ['failedReplies', 'completions'] as const) {
    if (doc[key] === undefined) continue;
    if (!isRecord(doc[key])) fail(`has a non-object "${key}"`);
    lists(key);
  }
  if (doc.sessions !== undefined) {
    if (!isRecord(doc.sessions)) fail('has a non-object "sessions"');
    lists('sessions');
  }
  if (doc.approvals !== undefined && !Array.isArray(doc.approvals)) fail('has a non-array "approvals"');
  if (doc.quarantine !== undefined && !Array.isArray(doc.quarantine)) fail('has a non-array "quarantine"');
  if (doc.teammates !== undefined && !isRecord(doc.teammates)) fail('has a non-object "teammates"');
  for (const [ch, convs] of Object.entries(doc.web as object)) {
    if (!isConversations(convs)) fail(`has a malformed "web.${ch}"`);
  }
  return doc;
}

/** Checks a `web-<channel>.json` file; throws StateError describing the first problem. */
function validateWebFile(text: string, file: string, name: string): WebFileData {
  const { doc, fail } = parseVersioned(text, { what: `Web history file ${file}`, version: WEB_FILE_VERSION, fresh: 'start that chat history fresh' });
  if (typeof doc.channel !== 'string') return fail('has no "channel" string');
  if (webFileName(doc.channel) !== name) {
    return fail(
      `belongs to channel ${JSON.stringify(doc.channel)}, whose history file is ${webFileName(doc.channel)}`,
      'rename it to that name, or move it aside',
    );
  }
  if (!isConversations(doc.conversations)) return fail('has no well-formed "conversations" object');
  return doc as unknown as WebFileData;
}

type Fail = (what: string, todo?: string) => never;

/**
 * Parses a versioned JSON document; every problem throws a StateError that names the file, says
 * it was not modified, and what to do (`fresh` completes "move it aside to …").
 */
function parseVersioned(text: string, o: { what: string; version: number; fresh: string }): { doc: Record<string, unknown>; fail: Fail } {
  const fail: Fail = (what, todo = `move it aside to ${o.fresh}, or restore a backup`) => {
    throw new StateError(`${o.what} ${what}. Switchboard has not modified it; ${todo}.`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) return fail('is not a JSON object');
  if (doc.version !== o.version) {
    const v = JSON.stringify(doc.version);
    return typeof doc.version === 'number' && doc.version > o.version
      ? fail(`has version ${v}, newer than this Switchboard supports (${o.version})`, `upgrade Switchboard, or move it aside to ${o.fresh}`)
      : fail(`has unsupported version ${v} (expected ${o.version})`);
  }
  return { doc, fail };
}

/** conversation → array of messages (the messages themselves are not checked). */
function isConversations(v: unknown): v is Record<string, WebMessage[]> {
  return isRecord(v) && Object.values(v).every(Array.isArray);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
