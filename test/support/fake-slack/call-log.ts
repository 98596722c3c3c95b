/** The record of Web API calls the fake answered, with waiting helpers for tests. */
import { RecordLog } from '../call-log.js';
import type { RecordedCall } from './types.js';

export type CallPredicate = (call: RecordedCall) => boolean;

export class CallLog extends RecordLog<RecordedCall> {
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * Resolves with the first call (already recorded or future) to `method` that satisfies
   * `predicate`; rejects after `timeoutMs` with a summary of what was called instead.
   */
  waitForCall(method: string, predicate: CallPredicate = () => true, timeoutMs = 2000): Promise<RecordedCall> {
    return this.waitFor(
      (c) => c.method === method && predicate(c),
      timeoutMs,
      () => {
        const seen = this.calls.map((c) => `${c.method}${c.response.ok === false ? `(${String(c.response.error)})` : ''}`);
        return `fake Slack: no matching ${method} call within ${timeoutMs} ms; calls so far: [${seen.join(', ')}]`;
      },
    );
  }
}
