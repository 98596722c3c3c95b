/**
 * Sets aside the entries of a freshly read `state.json` that fail their schema (entry-schemas.ts),
 * so that one malformed entry (a queue entry without its address, say) cannot crash the code that
 * reads it over and over — the dispatcher's queue, a teammate, the approvals — while every other
 * entry goes on as before.
 *
 * Checked: every entry of `queue.*`, `completions.*`, `sessions.*`, `failedReplies.*`, of
 * `approvals`, and every value of `teammates`. A failing entry is removed from its list and kept,
 * as it was, in `quarantine` with where it was, why and when (a `QuarantinedEntry`). For a queue
 * entry whose address (channel and conversation) is still readable, `noticeTo` says where to tell
 * the sender that the message could not be processed (the Dispatcher posts it on start).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  approvalRecordSchema,
  completionRecordSchema,
  failedReplySchema,
  queuedTurnSchema,
  sessionRecordSchema,
  teammateRecordSchema,
} from './entry-schemas.js';
import type { QuarantinedEntry, ReplyAddress } from './types.js';

/** Quarantined entries kept (the newest). */
export const QUARANTINE_LIMIT = 200;

/** The per-dispatcher lists checked entry by entry, with their schemas. */
const PER_DISPATCHER: ReadonlyArray<readonly [key: string, schema: z.ZodType]> = [
  ['queue', queuedTurnSchema],
  ['completions', completionRecordSchema],
  ['sessions', sessionRecordSchema],
  ['failedReplies', failedReplySchema],
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The first schema issues of a failed parse as one line, e.g. `address: expected object, received undefined`. */
function reasonOf(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(entry)'}: ${i.message}`);
  const more = error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '';
  return shown.join('; ') + more;
}

/** The reply address of a raw queue entry, when its channel and conversation can still be read. */
export function recoverAddress(raw: unknown): ReplyAddress | null {
  if (!isRecord(raw) || !isRecord(raw.address)) return null;
  const { channelId, conversation, thread, messageId } = raw.address;
  if (typeof channelId !== 'string' || typeof conversation !== 'string') return null;
  return { channelId, conversation, ...(typeof thread === 'string' ? { thread } : {}), messageId: typeof messageId === 'string' ? messageId : '' };
}

function stringField(raw: unknown, key: string): string | null {
  return isRecord(raw) && typeof raw[key] === 'string' ? raw[key] : null;
}

/**
 * Moves the malformed entries of `doc` (a parsed state file whose top-level shape is already
 * valid: the lists are arrays, `teammates` an object) into `doc.quarantine`, in place, and returns
 * the entries quarantined now. A malformed value in `doc.quarantine` itself is wrapped in a new
 * entry rather than dropped. Keeps the newest {@link QUARANTINE_LIMIT}.
 * @param now ms since the epoch, stamped on the new entries.
 */
export function quarantineMalformed(doc: Record<string, unknown>, now: number): QuarantinedEntry[] {
  const found: QuarantinedEntry[] = [];
  const add = (from: string, dispatcherId: string | null, raw: unknown, reason: string, noticeTo: ReplyAddress | null = null): void => {
    found.push({ id: randomUUID(), from, dispatcherId, raw, reason, quarantinedAt: now, noticeTo, noticed: noticeTo === null });
  };
  const sieve = (list: unknown[], where: string, schema: z.ZodType, dispatcherOf: (raw: unknown) => string | null, queue = false): unknown[] =>
    list.filter((raw, i) => {
      const res = schema.safeParse(raw);
      if (res.success) return true;
      add(`${where}[${i}]`, dispatcherOf(raw), raw, reasonOf(res.error), queue ? recoverAddress(raw) : null);
      return false;
    });

  for (const [key, schema] of PER_DISPATCHER) {
    const lists = doc[key];
    if (!isRecord(lists)) continue;
    for (const [id, list] of Object.entries(lists)) {
      if (Array.isArray(list)) lists[id] = sieve(list, `${key}.${id}`, schema, () => id, key === 'queue');
    }
  }
  if (Array.isArray(doc.approvals)) doc.approvals = sieve(doc.approvals, 'approvals', approvalRecordSchema, (r) => stringField(r, 'dispatcherId'));
  if (isRecord(doc.teammates)) {
    for (const [name, raw] of Object.entries(doc.teammates)) {
      const res = teammateRecordSchema.safeParse(raw);
      if (res.success) continue;
      add(`teammates.${name}`, stringField(raw, 'dispatcher'), raw, reasonOf(res.error));
      delete doc.teammates[name];
    }
  }

  const kept: unknown[] = [];
  (Array.isArray(doc.quarantine) ? doc.quarantine : []).forEach((q, i) => {
    if (isRecord(q) && typeof q.id === 'string' && typeof q.from === 'string' && typeof q.noticed === 'boolean') kept.push(q);
    else add(`quarantine[${i}]`, null, q, 'not a quarantined entry');
  });
  if (found.length > 0) doc.quarantine = [...kept, ...found].slice(-QUARANTINE_LIMIT);
  return found;
}
