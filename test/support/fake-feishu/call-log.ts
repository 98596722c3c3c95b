/** The record of HTTP calls the fake answered, with waiting helpers for tests. */
import { RecordLog } from '../call-log.js';
import { callMatcher, type CallPattern } from './routes.js';
import type { RecordedCall } from './types.js';

export type CallPredicate = (call: RecordedCall) => boolean;

export class CallLog extends RecordLog<RecordedCall> {
  callsTo(pattern: CallPattern): RecordedCall[] {
    return this.calls.filter(callMatcher(pattern));
  }

  /**
   * Resolves with the first call (already recorded or future) matching `pattern` and `predicate`;
   * rejects after `timeoutMs` with a summary of what was called instead.
   */
  waitForCall(pattern: CallPattern, predicate: CallPredicate = () => true, timeoutMs = 3000): Promise<RecordedCall> {
    const base = callMatcher(pattern);
    return this.waitFor(
      (c) => base(c) && predicate(c),
      timeoutMs,
      () => {
        const seen = this.calls.map((c) => `${c.route}${c.status === 200 ? '' : `(${c.status})`}`);
        return `fake Feishu: no matching ${String(pattern)} call within ${timeoutMs} ms; calls so far: [${seen.join(', ')}]`;
      },
    );
  }
}
