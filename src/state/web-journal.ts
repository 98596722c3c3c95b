/**
 * One web channel's chat history: held in memory, kept on disk as an append-only journal
 * (`web-<channel>.jsonl`, format in ./web-journal-format.ts) instead of a JSON file rewritten
 * whole on every message, so the cost of a write no longer grows with the history.
 *
 * Writes (driven by the store's `CoalescingWriter`, which serializes them and shares one
 * `WriteLane` with state.json):
 * - normally a write *appends* the lines of every change since the previous write, in one
 *   `appendFile` on a kept file handle;
 * - it *rewrites* the file instead (the current history, temp file + rename, so a crash leaves the
 *   old or the new file whole) when the journal is new, after a failed write (an append cut short
 *   may have left a partial line), and to compact: when the file holds more than
 *   {@link COMPACT_FACTOR} × the messages kept + {@link COMPACT_SLACK_LINES} lines, so the file
 *   stays within about twice the history (bounded by `historyLimit` per conversation).
 *
 * Durability: a write resolves once its bytes are handed to the kernel (`write(2)` returned, and
 * for a rewrite the `rename(2)`); no fsync, the same policy as state.json's atomic replace. So the
 * history survives a crash or `kill -9` of the service; a power loss may drop the latest writes,
 * and a torn last line is then ignored on open (./web-journal-format.ts).
 *
 * Arrays are replaced, never mutated, so lists handed out by `messages` do not change under callers.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PRIVATE_FILE_MODE, writePrivateFile } from './private-files.js';
import type { WebMessage } from './types.js';
import { appendLine, declareLine, headerLine, replaceLine, type JournalConversation } from './web-journal-format.js';

/** A journal is compacted once its file holds more than this many lines per message kept… */
export const COMPACT_FACTOR = 2;
/** …plus this many (so a small history is not rewritten every few messages). */
export const COMPACT_SLACK_LINES = 256;
/** Lines per chunk of a rewrite (each chunk is one string and one `write`). */
const REWRITE_CHUNK_LINES = 1000;

/** Where a journal's text goes. Calls never overlap (the journal's writer serializes them). */
export interface JournalSink {
  /** Appends `text` (whole lines) to the file. */
  append(text: string): Promise<void>;
  /** Replaces the file atomically with the text of `chunks`, in order. */
  rewrite(chunks: AsyncIterable<string>): Promise<void>;
  /** Releases what the sink holds open; a later append opens it again. */
  close(): Promise<void>;
}

/** The journal file `file`, written 0600 (./private-files.ts). */
export class FileJournalSink implements JournalSink {
  #fh: FileHandle | null = null;

  constructor(readonly file: string) {}

  async append(text: string): Promise<void> {
    this.#fh ??= await open(this.file, 'a', PRIVATE_FILE_MODE);
    await this.#fh.appendFile(text, 'utf8');
  }

  async rewrite(chunks: AsyncIterable<string>): Promise<void> {
    // The kept handle is of the file the rename replaces.
    await this.close();
    await writePrivateFile(this.file, chunks);
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close();
  }
}

interface Conversation {
  messages: readonly WebMessage[];
  /** The limit its latest append applied; null when it had none (declared or migrated). */
  limit: number | null;
}

/** What a journal starts from: the replayed file, or nothing (a new journal, written whole first). */
export interface JournalStart {
  conversations: Map<string, JournalConversation>;
  /** Complete lines in the file (the header included). */
  lines: number;
  /** True when the file must be rewritten before anything is appended (e.g. after a torn last line). */
  rewrite: boolean;
}

export class WebJournal {
  #convs = new Map<string, Conversation>();
  /** Lines of changes not yet written. */
  #pending: string[] = [];
  /** Complete lines in the file. */
  #lines: number;
  /** Messages held (all conversations). */
  #kept = 0;
  /** The next write rewrites the file. */
  #rewrite: boolean;

  /** `sink` null: memory only (writes resolve at once, no text is built). */
  constructor(
    readonly channelId: string,
    private readonly sink: JournalSink | null,
    start: JournalStart | null,
  ) {
    this.#lines = start?.lines ?? 0;
    this.#rewrite = start?.rewrite ?? true;
    for (const [c, conv] of start?.conversations ?? []) {
      this.#convs.set(c, { messages: conv.messages, limit: conv.limit });
      this.#kept += conv.messages.length;
    }
  }

  /** Conversation names, in order of first appearance. */
  conversations(): string[] {
    return [...this.#convs.keys()];
  }

  /** The conversation's messages, oldest first; [] when it has none. */
  messages(conversation: string): readonly WebMessage[] {
    return this.#convs.get(conversation)?.messages ?? [];
  }

  /** Complete lines in the file as of the latest write (for tests and benches). */
  get fileLines(): number {
    return this.#lines;
  }

  /** Appends a copy of `message` in memory (keeping the newest `limit`, at least 1); written by the next `write`. */
  append(conversation: string, message: WebMessage, limit: number): void {
    const n = Math.max(1, limit);
    const before = this.#convs.get(conversation)?.messages ?? [];
    const stored = { ...message };
    const list = [...before, stored];
    const kept = list.length > n ? list.slice(-n) : list;
    this.#kept += kept.length - before.length;
    this.#convs.set(conversation, { messages: kept, limit: n });
    if (this.sink) this.#pending.push(appendLine(conversation, stored, n));
  }

  /** Replaces the first message `id` of the conversation with a copy of `message`; false (nothing changed) when there is none. */
  replace(conversation: string, id: string, message: WebMessage): boolean {
    const conv = this.#convs.get(conversation);
    const at = conv?.messages.findIndex((m) => m.id === id) ?? -1;
    if (!conv || at === -1) return false;
    const stored = { ...message };
    this.#convs.set(conversation, { ...conv, messages: conv.messages.with(at, stored) });
    if (this.sink) this.#pending.push(replaceLine(conversation, stored));
    return true;
  }

  /**
   * Writes every change made so far: an append of their lines, or a rewrite of the whole history
   * (see the module header). The snapshot is taken synchronously, so changes made while the write
   * runs go to the next one. A failed write rejects, and the next write rewrites the file.
   */
  write(): Promise<void> {
    if (!this.sink) return Promise.resolve();
    const pending = this.#pending;
    this.#pending = [];
    const due = this.#lines + pending.length > COMPACT_FACTOR * this.#kept + COMPACT_SLACK_LINES;
    if (this.#rewrite || due) {
      const snapshot = [...this.#convs].map(([c, conv]) => ({ c, messages: conv.messages, limit: conv.limit ?? Math.max(1, conv.messages.length) }));
      const lines = 1 + snapshot.reduce((sum, s) => sum + Math.max(1, s.messages.length), 0);
      return this.sink.rewrite(snapshotChunks(this.channelId, snapshot)).then(
        () => {
          this.#lines = lines;
          this.#rewrite = false;
        },
        (err: unknown) => {
          this.#rewrite = true;
          throw err;
        },
      );
    }
    if (pending.length === 0) return Promise.resolve();
    return this.sink.append(pending.join('')).then(
      () => {
        this.#lines += pending.length;
      },
      (err: unknown) => {
        this.#rewrite = true;
        throw err;
      },
    );
  }

  /** Closes the file handle (call after the last write). */
  close(): Promise<void> {
    return this.sink?.close() ?? Promise.resolve();
  }
}

/** The journal text of a snapshot, in chunks of REWRITE_CHUNK_LINES lines (each serialized only when the writer asks for it). */
async function* snapshotChunks(channelId: string, snapshot: readonly { c: string; messages: readonly WebMessage[]; limit: number }[]): AsyncGenerator<string> {
  let chunk = headerLine(channelId);
  let lines = 1;
  for (const { c, messages, limit } of snapshot) {
    if (messages.length === 0) {
      chunk += declareLine(c);
      lines++;
    }
    for (const m of messages) {
      chunk += appendLine(c, m, limit);
      if (++lines % REWRITE_CHUNK_LINES === 0) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk) yield chunk;
}
