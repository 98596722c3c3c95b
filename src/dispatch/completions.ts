/**
 * Completions: results that teammate agents (or external agents through the
 * admin API) deliver to a dispatcher. This module holds the pure parts:
 * validation, the injected developer item, the trigger turn text, and spilling
 * large texts to a file. The delivery state machine is ./completion-delivery.ts.
 */
import { ensurePrivateDir, writePrivateFile } from '../state/private-files.js';
import path from 'node:path';
import type { CompletionRecord } from '../state/types.js';
import type { ReplyAddress } from '../channels/types.js';

/** What a caller hands over. */
export interface CompletionInput {
  /** Unique per dispatcher: 1–128 of `A–Z a–z 0–9 . _ : -`. A replay of the same id is accepted once. */
  id: string;
  text: string;
  status?: CompletionRecord['status'];
  /** Teammate name; absent for an external completion. */
  teammate?: string;
  turnId?: string;
  /** Where the dispatcher's answer goes; absent = kept in state only. */
  origin?: ReplyAddress;
}

/** Result of `Dispatcher.deliverCompletion`. */
export type DeliverResult =
  | { status: 'submitted'; position: number }
  /** Already known: accepted without a second injection or trigger. */
  | { status: 'duplicate'; state: CompletionRecord['state'] }
  | { status: 'failed'; error: string }
  /** The state could not be written (`error` says why): nothing was recorded or queued; send it again later. */
  | { status: 'not_stored'; error: string }
  | { status: 'stopped' };

export interface CompletionLimits {
  /** Larger texts are refused, bytes (UTF-8). */
  maxBytes: number;
  /** Larger texts are written to a file; the item carries the path and the first part, bytes. */
  spillBytes: number;
}

/** Completion records kept per dispatcher (settled ones beyond this are dropped, oldest first). */
export const COMPLETIONS_KEPT = 1000;

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Returns why `input` is unacceptable, or null. */
export function validateCompletion(input: CompletionInput, limits: CompletionLimits): string | null {
  if (typeof input.id !== 'string' || !ID_RE.test(input.id)) return 'id must be 1–128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"';
  if (typeof input.text !== 'string' || input.text.trim() === '') return 'text must not be empty';
  const bytes = Buffer.byteLength(input.text, 'utf8');
  if (bytes > limits.maxBytes) return `text is ${bytes} bytes, more than the limit of ${limits.maxBytes}`;
  if (input.status !== undefined && !['completed', 'failed', 'interrupted'].includes(input.status)) {
    return 'status must be one of completed, failed, interrupted';
  }
  if (input.teammate !== undefined && !NAME_RE.test(input.teammate)) return 'teammate must be 1–64 characters of A-Z, a-z, 0-9, ".", "_" or "-"';
  return null;
}

/**
 * Keeps small texts inline; writes a large one to `<dir>/<id>.md` (0600, dir 0700, atomic
 * replace) and returns its first `spillBytes` as the inline part.
 */
export async function spillIfLarge(id: string, text: string, dir: string, spillBytes: number): Promise<{ text: string; spillPath: string | null }> {
  if (Buffer.byteLength(text, 'utf8') <= spillBytes) return { text, spillPath: null };
  await ensurePrivateDir(dir);
  const file = path.join(dir, `${id.replace(/:/g, '_')}.md`);
  await writePrivateFile(file, text);
  // Cut on a character boundary: decode the byte prefix and drop a trailing partial character.
  const head = Buffer.from(text, 'utf8')
    .subarray(0, spillBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { text: head, spillPath: file };
}

function attrs(rec: CompletionRecord): string {
  const name = rec.teammate ? ` name="${rec.teammate}"` : ' source="external"';
  return `id="${rec.id}"${name} status="${rec.status}"`;
}

/** The body shown to the model: the text, plus where the rest is when it was spilled. */
function body(rec: CompletionRecord): string {
  if (!rec.spillPath) return rec.text;
  return `${rec.text}\n…\n[truncated here; the complete text is in ${rec.spillPath}]`;
}

/** Text of the developer-role item injected with `thread/inject_items`. */
export function completionItemText(rec: CompletionRecord): string {
  return `<teammate_completion ${attrs(rec)}>\n${body(rec)}\n</teammate_completion>`;
}

/**
 * Input of the small turn that wakes the dispatcher. With `includeBody` (the
 * app-server cannot inject, or an injection may or may not have landed before
 * a crash) the completion itself travels in the turn.
 */
export function triggerTurnText(rec: CompletionRecord, includeBody: boolean): string {
  const who = rec.teammate ? `Teammate ${rec.teammate}` : 'An external agent';
  const head = `[Switchboard] ${who} delivered completion ${rec.id} (${rec.status}).`;
  const ask = rec.origin
    ? 'Act on it now; your answer is posted to the conversation the work came from.'
    : 'Act on it now; there is no conversation to post to, so keep your answer short.';
  if (includeBody) return `${head} Here it is:\n${completionItemText(rec)}\n${ask}`;
  return `${head} It is in your context as <teammate_completion id="${rec.id}">. ${ask}`;
}
