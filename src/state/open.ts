/**
 * Opens the embedded state store in `<stateDir>`: `state.json` (created when
 * missing) plus one history journal `web-<channel>.jsonl` per web channel with history
 * (./web-journal-format.ts). An existing file that cannot be used is never modified: opening
 * fails with a `StateError` saying which file, what is wrong and what to do. The dir is 0700 and
 * every file 0600 (./private-files.ts). Every file is read and checked before anything is written.
 *
 * A journal whose last line was torn by a crash (no `\n`) opens without that line, with one
 * warning, and is rewritten at once from its complete lines (an append after the torn bytes
 * would join them into one bad line).
 *
 * Migrations, each writing the new file before removing the old copy, so a crash in between
 * loses nothing (the newer file then wins, and the old copy is dropped on the next open):
 * - a v1 history file `web-<channel>.json` (the whole history as one JSON document, rewritten on
 *   every message) becomes the channel's journal, then the `.json` file is removed (one info line);
 * - web history that an even earlier version kept in `state.json`'s `web` object becomes the
 *   channels' journals, then `state.json` is written without it.
 * A channel's journal wins over its `.json` file, which wins over a `state.json` copy.
 *
 * Keys added without a version bump (`failedReplies`, `completions`, `teammates`, `sessions`,
 * `approvals`, `quarantine`) may be absent (= none) in older files; when present they must have their shape.
 *
 * Entries: a file of valid shape may still hold an entry that is not (a queue entry without its
 * address, a teammate without tasks). Such an entry is moved to the file's `quarantine` list with
 * the reason (./quarantine.ts) — written back at once, one log line each — and the rest of the
 * state opens as usual; the entry is never dropped.
 */
import { readFile, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { LowdbStateStore } from './lowdb-store.js';
import { ensurePrivateDir, PrivateJsonFile } from './private-files.js';
import { quarantineMalformed } from './quarantine.js';
import { StateError } from './state-error.js';
import { STATE_VERSION, type StateData, type StateStore, type WebMessage } from './types.js';
import { isRecord, parseVersioned } from './versioned.js';
import { FileJournalSink, WebJournal } from './web-journal.js';
import { replayJournal, WEB_FILE_VERSION, webFileName, webJournalName, type JournalConversation } from './web-journal-format.js';

export { StateError };

export interface OpenStateOptions {
  /** Dedup keys remembered per dispatcher; default 1000. */
  seenLimit?: number;
  /** Time source for record timestamps; default the system clock. */
  clock?: Clock;
  /** Gets one warning per quarantined entry or torn journal line, one info line per migrated file; default none. */
  logger?: Logger;
}

/** History journals are `web-<encoded channel id>.jsonl` (see `webJournalName`). */
const JOURNAL_RE = /^web-.+\.jsonl$/;
/** v1 history files are `web-<encoded channel id>.json` (see `webFileName`). */
const WEB_FILE_RE = /^web-.+\.json$/;

/** Contents of a v1 `web-<channel>.json`. */
interface WebFileData {
  version: number;
  /** The web channel id (authoritative; the file name is derived from it). */
  channel: string;
  /** conversation → messages (oldest first, bounded). */
  conversations: Record<string, WebMessage[]>;
}

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
  const names = (await readdir(dir)).sort();
  const journals = new Map<string, WebJournal>();
  const torn: WebJournal[] = [];
  for (const name of names.filter((n) => JOURNAL_RE.test(n))) {
    const journalPath = path.join(dir, name);
    const journalText = await readIfExists(journalPath);
    if (journalText === null) continue; // removed meanwhile
    const replayed = replayJournal(journalText, journalPath, name);
    const journal = new WebJournal(replayed.channel, new FileJournalSink(journalPath), {
      conversations: replayed.conversations,
      lines: replayed.lines,
      rewrite: replayed.torn !== null,
    });
    if (replayed.torn) {
      opts.logger?.warn(
        { file: journalPath, line: replayed.torn.line, bytes: replayed.torn.bytes },
        'torn last line of a web history journal ignored (a write cut short)',
      );
      torn.push(journal);
    }
    journals.set(replayed.channel, journal);
  }
  const v1Files: { path: string; data: WebFileData }[] = [];
  for (const name of names.filter((n) => WEB_FILE_RE.test(n))) {
    const webPath = path.join(dir, name);
    const webText = await readIfExists(webPath);
    if (webText === null) continue;
    v1Files.push({ path: webPath, data: validateWebFile(webText, webPath, name) });
  }

  const journalPath = (channelId: string): string => path.join(dir, webJournalName(channelId));
  const migrated = (channelId: string, conversations: Record<string, WebMessage[]>): WebJournal => {
    const convs = new Map<string, JournalConversation>(Object.entries(conversations).map(([c, messages]) => [c, { messages, limit: null }]));
    return new WebJournal(channelId, new FileJournalSink(journalPath(channelId)), { conversations: convs, lines: 0, rewrite: true });
  };

  for (const journal of torn) await journal.write();
  for (const v1 of v1Files) {
    const { channel, conversations } = v1.data;
    if (!journals.has(channel)) {
      const journal = migrated(channel, conversations);
      await journal.write();
      journals.set(channel, journal);
      opts.logger?.info({ from: v1.path, to: journalPath(channel) }, 'web history file migrated to a journal');
    }
    await unlink(v1.path);
  }

  const legacy = Object.entries(db.data.web);
  if (legacy.length > 0) {
    for (const [channelId, conversations] of legacy) {
      if (journals.has(channelId) || Object.keys(conversations).length === 0) continue;
      const journal = migrated(channelId, conversations);
      await journal.write();
      journals.set(channelId, journal);
    }
    db.data = { ...db.data, web: {} };
    await db.write();
  } else if (text === null || quarantined > 0) {
    await db.write();
  }

  return new LowdbStateStore(db, file, {
    seenLimit: opts.seenLimit ?? 1000,
    clock,
    webJournals: journals,
    createWebJournal: (channelId) => new WebJournal(channelId, new FileJournalSink(journalPath(channelId)), null),
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

/** conversation → array of messages (the messages themselves are not checked). */
function isConversations(v: unknown): v is Record<string, WebMessage[]> {
  return isRecord(v) && Object.values(v).every(Array.isArray);
}
