/**
 * Progress reactions on the source message (config `progress`, Feishu `emoji_type` names):
 * queued/running → add `working` (once per message; its reaction_id is kept); done → remove
 * `working`, add `done`; failed → remove `working`, add `failed`.
 *
 * The dispatcher fires progress updates without awaiting them, so updates of one message are chained
 * and applied in call order (a fast `done` must not overtake the `working` add). A reaction added
 * before a restart cannot be removed afterwards (its id is gone); the final reaction is still added.
 * Failures are logged (a withdrawn message at debug) and never thrown.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';
import type { ProgressState, ReplyAddress } from '../../types.js';
import type { ApiResult, CallContext } from '../api/call.js';
import { addReaction, removeReaction } from '../api/messages.js';
import { failureFields } from '../../platform-failure.js';

export interface ProgressReactions {
  working: string;
  done: string;
  failed: string;
}

export interface FeishuProgressOptions {
  client: lark.Client;
  ctx: CallContext;
  logger: Logger;
  reactions: ProgressReactions;
  /** Messages remembered (oldest forgotten first). */
  maxTracked?: number;
}

export class FeishuProgress {
  /** message_id → reaction_id of the `working` reaction (or '' while it is being added / when it failed). */
  private readonly working = new Map<string, string>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly opts: FeishuProgressOptions) {}

  /** Applies `state` to the message at `to` after any earlier update of it. Never rejects. */
  set(to: ReplyAddress, state: ProgressState): Promise<void> {
    const key = to.messageId;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(to, state))
      .catch((err: unknown) => this.opts.logger.warn({ err, conversation: to.conversation, messageId: to.messageId, state }, 'feishu progress update failed'));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  private async apply(to: ReplyAddress, state: ProgressState): Promise<void> {
    const { client, ctx, reactions } = this.opts;
    const id = to.messageId;
    if (state === 'queued' || state === 'running') {
      if (this.working.has(id)) return;
      this.working.set(id, '');
      while (this.working.size > (this.opts.maxTracked ?? 1_000)) this.working.delete(this.working.keys().next().value!);
      const res = await addReaction(client, ctx, id, reactions.working);
      if (res.ok) this.working.set(id, res.value.reactionId);
      else this.report(res, to, state);
      return;
    }
    const reactionId = this.working.get(id);
    this.working.delete(id);
    if (reactionId) {
      const removed = await removeReaction(client, ctx, id, reactionId);
      if (!removed.ok) this.report(removed, to, state);
    }
    const res = await addReaction(client, ctx, id, state === 'done' ? reactions.done : reactions.failed);
    if (!res.ok) this.report(res, to, state);
  }

  private report(res: Extract<ApiResult<unknown>, { ok: false }>, to: ReplyAddress, state: ProgressState): void {
    const fields = { conversation: to.conversation, messageId: to.messageId, state, ...failureFields(res) };
    if (res.kind === 'not_found') this.opts.logger.debug(fields, 'feishu progress reaction skipped: the message was withdrawn or is gone');
    else this.opts.logger.warn(fields, 'feishu progress reaction failed');
  }
}
