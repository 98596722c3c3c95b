/**
 * Idempotent, resumable sending of multi-part replies, per idempotency key, in memory.
 *
 * - a repeat of a sent reply returns the first result without posting again;
 * - a repeat while the first is still posting waits for it;
 * - a repeat after a failure continues with the parts that are not out yet.
 *
 * The newest `remembered` keys are kept; nothing survives a restart (the dispatcher's delivery is
 * at-least-once, platforms that offer request ids add their own dedup on top).
 */
import type { SendResult } from '../types.js';

interface SendRecord {
  /** Platform ids of the parts posted so far, in order; the post function appends to it. */
  posted: string[];
  result?: SendResult;
  inFlight?: Promise<SendResult>;
}

/** Keys remembered by default. */
export const MAX_REMEMBERED = 1_000;

export class SendLedger {
  private readonly records = new Map<string, SendRecord>();

  constructor(private readonly remembered = MAX_REMEMBERED) {}

  /**
   * Runs `post` for `key` unless the key was already sent or is being sent. `post` gets the ids
   * of the parts already out, must start after them and push the id of each part it posts.
   */
  send(key: string, post: (posted: string[]) => Promise<SendResult>): Promise<SendResult> {
    let rec = this.records.get(key);
    if (rec?.result) return Promise.resolve(rec.result);
    if (rec?.inFlight) return rec.inFlight;
    if (!rec) {
      rec = { posted: [] };
      this.records.set(key, rec);
      while (this.records.size > this.remembered) this.records.delete(this.records.keys().next().value!);
    }
    const record = rec;
    const p = post(record.posted)
      .then((result) => {
        if (result.status === 'sent') record.result = result;
        return result;
      })
      .finally(() => {
        record.inFlight = undefined;
      });
    record.inFlight = p;
    return p;
  }
}
