/**
 * Progress reactions on the source message (config `progress`): queued/running → add `working`
 * (once per message); done → remove `working`, add `done`; failed → remove `working`, add `failed`.
 *
 * The dispatcher fires progress updates without awaiting them, so updates of one message are
 * chained here and applied in call order (a fast `done` must not overtake the `working` add).
 * `already_reacted` / `no_reaction` answers are expected (restarts, repeats) and ignored; other
 * failures are logged at warn. Never throws. Slack facts: api.slack.com/methods/reactions.add
 * (scope `reactions:write`; emoji names without colons).
 */
import type { Logger } from '../../../log.js';
import type { ProgressState, ReplyAddress } from '../../types.js';
import type { SlackWebClient } from '../api/client.js';
import { addReaction, removeReaction, type ReactionResult } from '../api/messages.js';
import { failureFields } from '../../platform-failure.js';

export interface ProgressReactions {
  working: string;
  done: string;
  failed: string;
}

export interface SlackProgressOptions {
  client: SlackWebClient;
  logger: Logger;
  reactions: ProgressReactions;
  /** Messages remembered as "working already added" (oldest forgotten first). */
  maxTracked?: number;
}

const EXPECTED = new Set(['already_reacted', 'no_reaction']);

export class SlackProgress {
  private readonly working = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly opts: SlackProgressOptions) {}

  /** Applies `state` to the message at `to` after any earlier update of it. Never rejects. */
  set(to: ReplyAddress, state: ProgressState): Promise<void> {
    const key = `${to.conversation}:${to.messageId}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(key, to, state))
      .catch((err: unknown) => this.opts.logger.warn({ err, conversation: to.conversation, ts: to.messageId, state }, 'slack progress update failed'));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  private async apply(key: string, to: ReplyAddress, state: ProgressState): Promise<void> {
    const { reactions } = this.opts;
    const target = { channel: to.conversation, timestamp: to.messageId };
    if (state === 'queued' || state === 'running') {
      if (this.working.has(key)) return;
      this.working.add(key);
      while (this.working.size > (this.opts.maxTracked ?? 1_000)) this.working.delete(this.working.values().next().value!);
      this.check(await addReaction(this.opts, { ...target, name: reactions.working }), to, state);
      return;
    }
    this.working.delete(key);
    this.check(await removeReaction(this.opts, { ...target, name: reactions.working }), to, state);
    this.check(await addReaction(this.opts, { ...target, name: state === 'done' ? reactions.done : reactions.failed }), to, state);
  }

  private check(res: ReactionResult, to: ReplyAddress, state: ProgressState): void {
    if (res.ok) return;
    const fields = { conversation: to.conversation, ts: to.messageId, state, err: res.code };
    if (EXPECTED.has(res.code)) this.opts.logger.debug(fields, 'slack progress reaction already in that state');
    else this.opts.logger.warn({ ...fields, ...failureFields(res) }, 'slack progress reaction failed');
  }
}
