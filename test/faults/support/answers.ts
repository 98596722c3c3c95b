/**
 * Per message id: how often it was answered, and whether the sender was told it failed. What a
 * web user saw is the union of the live stream (SSE `message` events, reopened after each restart)
 * and the history the service keeps, both keyed by reply message id: an answer shown live and then
 * lost from the history by a kill, followed by a second answer, counts twice.
 */
import { pollUntil } from '../../support/e2e-cli.js';
import { openSseClient, type SseClient } from '../../support/sse-client.js';
import type { WebMessage } from '../../../src/state/types.js';
import type { FaultService } from './fault-service.js';

export interface Tally {
  once: number;
  twice: number;
  never: number;
  /** Refused at POST (a definitive non-2xx answer) or told in chat that it failed. */
  failed: number;
  /** Reported failed and answered anyway (must be 0). */
  failedThenAnswered: number;
  /** Ids answered more than once, or never (for the failure message). */
  twiceIds: string[];
  neverIds: string[];
}

export class AnswerTracker {
  /** Reply message id → the reply, over SSE and history. */
  private readonly replies = new Map<string, WebMessage>();
  private readonly streams = new Set<SseClient>();
  /** Message ids refused at POST with a definitive answer. */
  readonly refused = new Set<string>();
  /** Called with every message of the live streams (the user's own included) as it arrives. */
  onLive: ((m: WebMessage) => void) | null = null;

  constructor(
    private readonly svc: FaultService,
    private readonly conversations: readonly string[],
    /** Whether `reply` is the answer to the message `id` (else it is a notice). */
    private readonly isAnswer: (reply: WebMessage) => boolean,
  ) {}

  /** Opens one live stream per conversation on the running service (call after each start). */
  async open(): Promise<void> {
    await Promise.all(this.conversations.map((c) => this.openOne(c)));
  }

  private async openOne(conversation: string): Promise<void> {
    const stream = await openSseClient(`${this.svc.webUrl}/api/events?conversation=${conversation}`, this.svc.headers());
    stream.onEvent((e) => {
      if (e.event !== 'message') return;
      const m = JSON.parse(e.data) as WebMessage;
      this.onLive?.(m);
      this.note(m);
    });
    this.streams.add(stream);
  }

  private note(m: WebMessage): void {
    if (m.role !== 'user' && m.replyTo !== undefined) this.replies.set(m.id, m);
  }

  /** Reads the history of every conversation into the tally. */
  async readHistory(): Promise<void> {
    for (const c of this.conversations) for (const m of await this.svc.messages(c)) this.note(m);
  }

  /**
   * Waits until every id is answered or reported failed, reading the history too (answers given
   * while no stream was open, e.g. right after a restart, are seen there); false after `timeoutMs`.
   */
  async waitSettled(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    const settled = (): boolean => ids.every((id) => this.answers(id) > 0 || this.toldFailed(id));
    return pollUntil(
      async () => {
        if (settled()) return true;
        await this.readHistory();
        return settled() ? true : undefined;
      },
      'every message answered or reported failed',
      timeoutMs,
      200,
    ).then(
      () => true,
      () => false,
    );
  }

  /** Answers to `id` seen so far. */
  answers(id: string): number {
    let n = 0;
    for (const m of this.replies.values()) if (m.replyTo === id && this.isAnswer(m)) n++;
    return n;
  }

  /** Texts of the notices (replies that are not answers) to `id`. */
  notices(id: string): string[] {
    return [...this.replies.values()].filter((m) => m.replyTo === id && !this.isAnswer(m)).map((m) => m.text);
  }

  /** Whether the sender of `id` was told it failed (refused at POST, or a notice in chat). */
  toldFailed(id: string): boolean {
    if (this.refused.has(id)) return true;
    for (const m of this.replies.values()) if (m.replyTo === id && !this.isAnswer(m)) return true;
    return false;
  }

  tally(ids: readonly string[]): Tally {
    const t: Tally = { once: 0, twice: 0, never: 0, failed: 0, failedThenAnswered: 0, twiceIds: [], neverIds: [] };
    for (const id of ids) {
      const n = this.answers(id);
      const failed = this.toldFailed(id);
      if (failed) t.failed++;
      if (failed && n > 0) t.failedThenAnswered++;
      if (n === 1) t.once++;
      else if (n > 1) {
        t.twice++;
        t.twiceIds.push(id);
      } else if (!failed) {
        t.never++;
        t.neverIds.push(id);
      }
    }
    return t;
  }

  close(): void {
    for (const s of this.streams) s.close();
    this.streams.clear();
  }
}
