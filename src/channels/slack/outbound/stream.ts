/**
 * A live answer as one Slack streaming message (docs.slack.dev/reference/methods/chat.startStream,
 * chat.appendStream, chat.stopStream; rate limits: startStream and stopStream Tier 2, appendStream
 * Tier 4 = 100+ per minute per app per workspace).
 *
 * - open: `chat.startStream` in the source message's thread (`thread_ts` = the address's thread,
 *   else the message's ts); outside DMs with `recipient_user_id` (the sender) and
 *   `recipient_team_id` (the bot's workspace from `auth.test`), which Slack requires there. The
 *   stream starts with one `blocks` chunk: the Stop button (an `actions` block). Streams are
 *   append-only, so the button sits above the text until finish replaces the whole message.
 *   `task_display_mode: plan`: the activity and the plan steps render together in one plan block,
 *   titled with a `plan_update` chunk before the first task.
 * - update: one `chat.appendStream` per call with the new part of the text (`markdown_text`
 *   chunks; Slack renders the Markdown) and the `task_update` chunks that changed. A new agent
 *   message (`textSeq` grew) starts a new paragraph; a text that is not an extension of what was
 *   sent is not streamed further (finish settles it). At most {@link STREAM_CALL_TEXT_LIMIT}
 *   characters per call (Slack's 12,000 for `markdown_text`), at most {@link STREAM_TEXT_CAP} in
 *   all. Calls do not retry (see ./live-api.ts): a 429 or 5xx answers false.
 * - finish: `chat.stopStream`, then `chat.update` of the streamed message to exactly the first part
 *   `send()` would post (mrkdwn `text`, `blocks: []`, which drops the Stop button and the task
 *   cards), then the other parts posted in the thread, all under the message's idempotency key
 *   (SlackSender.sendOver). If the update fails but the stream already holds exactly the answer
 *   (one part, streamed whole, stopped), that counts as shown; else finish answers failed and the
 *   caller's send() posts the answer.
 */
import type { Logger } from '../../../log.js';
import type { LiveElement, LiveEnd, LiveOpenOptions, LiveView } from '../../live.js';
import type { ReplyAddress, SendResult } from '../../types.js';
import { renderSlackParts } from '../format/outbound.js';
import type { SlackSender } from './send.js';
import type { LiveCall } from './live-api.js';
import { stopButtonBlock, taskChunks } from './live-blocks.js';
import { encodeLiveRef } from './live-ref.js';

/** Largest `markdown_text` per call, characters (chat.appendStream / startStream limit). */
export const STREAM_CALL_TEXT_LIMIT = 12_000;
/** Most text streamed into one message, characters (Slack truncates messages past 40,000). */
export const STREAM_TEXT_CAP = 36_000;

/** Title of the plan block holding the activity and the plan steps (`plan_update` chunk). */
export const PLAN_TITLE = 'Working on it';

export interface StreamDeps {
  call: LiveCall;
  sender: SlackSender;
  logger: Logger;
}

export type StreamOpenResult = { status: 'open'; element: LiveElement } | { status: 'failed'; error: string };

/** Opens a streaming message answering `to`; never throws. */
export async function openStream(deps: StreamDeps, to: ReplyAddress, options: LiveOpenOptions, teamId: string | undefined): Promise<StreamOpenResult> {
  const args: Record<string, unknown> = {
    channel: to.conversation,
    thread_ts: to.thread ?? to.messageId,
    task_display_mode: 'plan',
    chunks: [{ type: 'blocks', blocks: [stopButtonBlock(options.stopActionId)] }],
  };
  if (!to.conversation.startsWith('D')) {
    args.recipient_user_id = options.recipientUserId;
    if (teamId) args.recipient_team_id = teamId;
  }
  const res = await deps.call('chat.startStream', args);
  if (!res.ok) return { status: 'failed', error: res.error };
  const ts = typeof res.body.ts === 'string' ? res.body.ts : '';
  if (ts === '') return { status: 'failed', error: 'no_ts' };
  return { status: 'open', element: new StreamElement(deps, to, ts) };
}

class StreamElement implements LiveElement {
  readonly ref: string;
  /** All Markdown streamed so far. */
  private streamed = '';
  /** textSeq of the agent message being streamed, and how much of its text went out. */
  private seq = 0;
  private seqText = '';
  /** Text streaming stopped: the text diverged from what was sent, or the cap was reached. */
  private textHalted = false;
  private readonly tasks = new Map<string, string>();
  /** The plan block got its title (a `plan_update` chunk before the first task). */
  private titled = false;
  private finished: Promise<SendResult> | null = null;

  constructor(
    private readonly deps: StreamDeps,
    private readonly to: ReplyAddress,
    private readonly ts: string,
  ) {
    this.ref = encodeLiveRef({ mode: 'stream', channel: to.conversation, ts });
  }

  /** The text to append for `view`, and the per-message state once it is out. */
  private nextText(view: LiveView): { piece: string; seq: number; seqText: string } {
    const none = { piece: '', seq: this.seq, seqText: this.seqText };
    if (this.textHalted || view.text === '') return none;
    let piece: string;
    if (view.textSeq > this.seq) piece = (this.streamed === '' ? '' : '\n\n') + view.text;
    else if (view.text.startsWith(this.seqText)) piece = view.text.slice(this.seqText.length);
    else {
      this.textHalted = true;
      return none;
    }
    const room = STREAM_TEXT_CAP - this.streamed.length;
    if (piece.length > room) {
      this.textHalted = true;
      piece = piece.slice(0, Math.max(0, room));
    }
    return { piece, seq: view.textSeq, seqText: view.text };
  }

  async update(view: LiveView): Promise<boolean> {
    if (this.finished) return false;
    const text = this.nextText(view);
    const tasks = new Map(this.tasks);
    const taskUpdates = taskChunks(view, tasks);
    const pieces: string[] = [];
    for (let i = 0; i < text.piece.length; i += STREAM_CALL_TEXT_LIMIT) pieces.push(text.piece.slice(i, i + STREAM_CALL_TEXT_LIMIT));
    if (pieces.length === 0 && taskUpdates.length === 0) return true;
    if (pieces.length === 0) pieces.push('');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const chunks: object[] = piece === '' ? [] : [{ type: 'markdown_text', text: piece }];
      if (i === 0 && taskUpdates.length > 0) {
        if (!this.titled) chunks.push({ type: 'plan_update', title: PLAN_TITLE });
        chunks.push(...taskUpdates);
      }
      const res = await this.deps.call('chat.appendStream', { channel: this.to.conversation, ts: this.ts, chunks }, { retry: false });
      if (!res.ok) {
        this.deps.logger.info(
          { conversation: this.to.conversation, ts: this.ts, err: res.error },
          'slack live stream append refused; the stream waits for the final answer',
        );
        return false;
      }
      this.streamed += piece;
      if (i === 0 && taskUpdates.length > 0) {
        this.titled = true;
        for (const [k, v] of tasks) this.tasks.set(k, v);
      }
    }
    this.seq = text.seq;
    this.seqText = text.seqText;
    return true;
  }

  finish(end: LiveEnd): Promise<SendResult> {
    this.finished ??= this.settle(end);
    return this.finished;
  }

  private async settle(end: LiveEnd): Promise<SendResult> {
    const { call, sender, logger } = this.deps;
    const where = { conversation: this.to.conversation, ts: this.ts };
    const stop = await call('chat.stopStream', { channel: this.to.conversation, ts: this.ts });
    if (!stop.ok) logger.warn({ ...where, err: stop.error }, 'slack chat.stopStream failed; the message is replaced with the answer');
    // Only asked when the update failed (rendering a long text is not free).
    const streamedWhole = (): boolean => stop.ok && this.streamed === end.message.text && renderSlackParts(end.message).length === 1;
    return sender.sendOver(this.to, end.message, async (part) => {
      const res = await call('chat.update', { channel: this.to.conversation, ts: this.ts, text: part, blocks: [] });
      if (res.ok || streamedWhole()) {
        if (!res.ok) logger.warn({ ...where, err: res.error }, 'slack chat.update of the streamed answer failed; the streamed text stands as the answer');
        return { status: 'shown', ts: this.ts };
      }
      logger.warn({ ...where, err: res.error }, 'slack chat.update of the streamed answer failed; the answer is posted instead');
      return { status: 'failed', error: res.error, retryable: res.retryable };
    });
  }
}
