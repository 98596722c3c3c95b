/**
 * The text of a web channel's history journal, `web-<channel>.jsonl`: one JSON object per line,
 * each ended by `\n` (format version 2; version 1 was the whole-file `web-<channel>.json`).
 *
 * - line 1, the header: `{"version":2,"channel":"<channel id>"}`;
 * - `{"c":"<conversation>","n":<limit>,"m":<WebMessage>}`: `m` joins the end of conversation `c`,
 *   which then keeps its newest `n` messages;
 * - `{"c":"<conversation>","r":<WebMessage>}`: replaces, in place, the first message of `c` whose
 *   id is `r.id` (written only when there is one);
 * - `{"c":"<conversation>"}`: the conversation exists (a v1 file may hold empty ones).
 *
 * Replaying the lines in order gives the history. A line counts once its `\n` is on disk: a crash
 * in the middle of an append leaves a *torn* last segment (no `\n`) that replay ignores and
 * reports, keeping every earlier line. Any other unreadable line is damage, not a crash
 * artifact: replay throws a StateError naming the file and line, and the file is left as it is.
 * The messages themselves are checked only for an `id` string (as v1 files were not checked).
 */
import type { WebMessage } from './types.js';
import { failFor, isRecord, parseVersioned } from './versioned.js';

/** Format version of the journal (its header's `version`). */
export const WEB_JOURNAL_VERSION = 2;
/** Schema version of the whole-file history `web-<channel>.json` that the journal replaced. */
export const WEB_FILE_VERSION = 1;

/** A conversation as replay leaves it: messages oldest first, and the limit its last append named. */
export interface JournalConversation {
  messages: WebMessage[];
  /** The `n` of its last append line; null when none was seen (declared or migrated). */
  limit: number | null;
}

/** What replaying a journal's text gives. */
export interface Replayed {
  /** The channel id its header names (matching the file name). */
  channel: string;
  /** By conversation, in order of first appearance. */
  conversations: Map<string, JournalConversation>;
  /** Complete lines, the header included. */
  lines: number;
  /** The torn last segment, when the text does not end with `\n`; null when none. */
  torn: { line: number; bytes: number } | null;
}

/**
 * The file-name form of a channel id: every character other than lowercase ASCII letters, digits,
 * `-` and `_` written as `%XX` (UTF-8), so any id gives one safe path component, distinct even on
 * case-insensitive file systems.
 */
function encodeChannel(channelId: string): string {
  let out = '';
  for (const byte of Buffer.from(channelId, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The journal's file name: `web-<encoded id>.jsonl`. */
export function webJournalName(channelId: string): string {
  return `web-${encodeChannel(channelId)}.jsonl`;
}

/** The v1 history file's name: `web-<encoded id>.json` (migrated to the journal on open). */
export function webFileName(channelId: string): string {
  return `web-${encodeChannel(channelId)}.json`;
}

export function headerLine(channelId: string): string {
  return `${JSON.stringify({ version: WEB_JOURNAL_VERSION, channel: channelId })}\n`;
}

export function appendLine(conversation: string, message: WebMessage, limit: number): string {
  return `${JSON.stringify({ c: conversation, n: limit, m: message })}\n`;
}

export function replaceLine(conversation: string, message: WebMessage): string {
  return `${JSON.stringify({ c: conversation, r: message })}\n`;
}

export function declareLine(conversation: string): string {
  return `${JSON.stringify({ c: conversation })}\n`;
}

/** Working state of one conversation during replay: `all[start..]` is its history. */
interface Replaying {
  all: WebMessage[];
  start: number;
  limit: number | null;
}

/**
 * Replays a journal read from `file` (base name `name`).
 * @throws StateError when the header is missing, unreadable, of another version or another
 *   channel's, or when a complete line is not one of the documented forms.
 */
export function replayJournal(text: string, file: string, name: string): Replayed {
  const what = `Web history journal ${file}`;
  const fresh = 'start that chat history fresh';
  const end = text.lastIndexOf('\n');
  const body = end === -1 ? '' : text.slice(0, end);
  const tail = text.slice(end + 1);
  const lines = body === '' ? [] : body.split('\n');
  const torn = tail.length > 0 ? { line: lines.length + 1, bytes: Buffer.byteLength(tail) } : null;
  if (lines.length === 0) failFor({ what, version: WEB_JOURNAL_VERSION, fresh })('has no complete header line');

  const { doc, fail } = parseVersioned(lines[0]!, { what: `${what} (line 1)`, version: WEB_JOURNAL_VERSION, fresh });
  if (typeof doc.channel !== 'string') fail('has no "channel" string');
  const channel = doc.channel as string;
  if (webJournalName(channel) !== name) {
    fail(`belongs to channel ${JSON.stringify(channel)}, whose history journal is ${webJournalName(channel)}`, 'rename it to that name, or move it aside');
  }

  const convs = new Map<string, Replaying>();
  const conv = (c: string): Replaying => {
    const found = convs.get(c);
    if (found) return found;
    const fresh: Replaying = { all: [], start: 0, limit: null };
    convs.set(c, fresh);
    return fresh;
  };
  for (let i = 1; i < lines.length; i++) {
    const lineFail = failFor({ what: `${what} (line ${i + 1})`, version: WEB_JOURNAL_VERSION, fresh });
    let rec: unknown;
    try {
      rec = JSON.parse(lines[i]!);
    } catch (err) {
      lineFail(`is not valid JSON (${(err as Error).message.split('\n')[0]}), and it is not the last line`);
    }
    if (!isRecord(rec) || typeof rec.c !== 'string') lineFail('is not a history record (no "c" conversation string)');
    const r = rec as Record<string, unknown>;
    const c = conv(r.c as string);
    if (r.m !== undefined) {
      if (!isMessage(r.m)) lineFail('has an "m" that is not a message with an "id" string');
      if (!Number.isInteger(r.n) || (r.n as number) < 1) lineFail('has an "m" without a positive integer "n" (its limit)');
      c.all.push(r.m as WebMessage);
      c.limit = r.n as number;
      c.start = Math.max(c.start, c.all.length - c.limit);
    } else if (r.r !== undefined) {
      if (!isMessage(r.r)) lineFail('has an "r" that is not a message with an "id" string');
      const next = r.r as WebMessage;
      for (let at = c.start; at < c.all.length; at++) {
        if (c.all[at]!.id === next.id) {
          c.all[at] = next;
          break;
        }
      }
    }
  }
  const conversations = new Map<string, JournalConversation>();
  for (const [c, r] of convs) conversations.set(c, { messages: r.start > 0 ? r.all.slice(r.start) : r.all, limit: r.limit });
  return { channel, conversations, lines: lines.length, torn };
}

function isMessage(v: unknown): v is WebMessage {
  return isRecord(v) && typeof v.id === 'string';
}
