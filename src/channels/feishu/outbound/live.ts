/**
 * Live answers on Feishu/Lark (../../live.ts): the turn is shown in a CardKit streaming card sent as
 * a reply to the message it answers, or — when CardKit is unavailable — in an ordinary card message
 * edited in place.
 *
 * - open(): `cardkit.v1.card.create` (the running-turn card of ./card-stream.ts, streaming mode on),
 *   then `im.v1.message.reply` with `{"type":"card","data":{"card_id"}}` (in the thread like
 *   `send()`). If create fails (e.g. the app lacks `cardkit:card:write`), the same card goes out as
 *   an `interactive` reply and is edited with `im.v1.message.patch` instead. If no reply can be
 *   posted, open() answers null and the turn is answered with `send()`.
 * - update(): the answer element's full text with `cardElement.content` (the client types out what
 *   extends the old text), the status element (plan + activity) only when it changed; one `sequence`
 *   counter per card, strictly increasing over every operation (CardKit's rule). The fallback patches
 *   the whole card. Update calls do not wait out rate limits (the next view comes anyway): a failed
 *   call answers false.
 * - finish(): the final text is exactly what `send()` posts for the message (../format/post.ts
 *   `renderMarkdownParts`): the card is replaced (`card.update`) by its first part alone — no status,
 *   no Stop button — with streaming turned off (`card.settings`, so the chat preview leaves
 *   "[生成中...]"); further parts are posted after it as replies, with the uuids `send()` would use
 *   for those parts. `failed` only when the card could not be made to show the first part.
 * - abandon(): the status element becomes the note, the Stop button goes, streaming ends.
 *
 * Rate: {@link FEISHU_LIVE_MIN_INTERVAL_MS} between updates, each at most two CardKit calls — under
 * the ~10 updates/s per card the issue names (CardKit doc: streaming-mode calls are not held to the
 * per-app QPS limits, but the client renders at most every 70 ms by default) and under
 * `im.v1.message.patch`'s 5 edits/s per message.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../../log.js';
import type { LiveElement, LiveEnd, LiveOpenOptions, LiveReplies, LiveView } from '../../live.js';
import type { ReplyAddress, SendResult } from '../../types.js';
import { failureFields, sendFailed, type PlatformFailure } from '../../platform-failure.js';
import type { ApiResult, CallContext } from '../api/call.js';
import {
  cardSettings,
  createCard,
  deleteCardElement,
  patchCardMessage,
  streamElementContent,
  updateCard,
  updateCardElement,
  type CardJson,
} from '../api/cardkit.js';
import { reply } from '../api/messages.js';
import { prepareMarkdown } from '../format/markdown.js';
import { FEISHU_PART_CHARS, postContent, renderMarkdownParts, type PartLimits } from '../format/post.js';
import {
  ANSWER_ELEMENT,
  answerMarkdown,
  endStreamingSettings,
  finalCard,
  liveCard,
  noteElement,
  STATUS_ELEMENT,
  STOP_ELEMENT,
  statusMarkdown,
} from './card-stream.js';
import { isTopicThread, replyUuid } from './send.js';

/** Least time between two updates of one live card, ms (≤ 2 calls per update → ≤ ~7 calls/s per card). */
export const FEISHU_LIVE_MIN_INTERVAL_MS = 300;
/**
 * `sequence` of an abandon's first operation: the process that opened the card is gone and with it
 * the count of its operations, so abandon starts far above anything a turn reaches (int32 max is
 * 2147483647; a turn makes a few thousand operations).
 */
export const ABANDON_SEQUENCE_BASE = 2_000_000_000;
/** Longest streamed text shown while running, characters (the final card shows the first part of the split). */
const STREAM_CHARS = FEISHU_PART_CHARS;

/** The persisted reference of a live element. */
export type FeishuLiveRef = { kind: 'card'; cardId: string; messageId: string } | { kind: 'message'; messageId: string };

export function parseLiveRef(ref: string): FeishuLiveRef | undefined {
  try {
    const r = JSON.parse(ref) as Partial<{ kind: unknown; cardId: unknown; messageId: unknown }>;
    if (typeof r.messageId !== 'string') return undefined;
    if (r.kind === 'card' && typeof r.cardId === 'string') return { kind: 'card', cardId: r.cardId, messageId: r.messageId };
    if (r.kind === 'message') return { kind: 'message', messageId: r.messageId };
  } catch {
    // not ours
  }
  return undefined;
}

export interface FeishuLiveOptions {
  client: lark.Client;
  ctx: CallContext;
  logger: Logger;
  limits?: PartLimits;
}

/** What the streamed answer shows for `text`: adapted like the final post, clipped to one part. */
function streamedText(text: string): string {
  const md = prepareMarkdown(text);
  return answerMarkdown(md.length > STREAM_CHARS ? `${md.slice(0, STREAM_CHARS)}\n\n…` : md);
}

export class FeishuLive implements LiveReplies {
  readonly minIntervalMs = FEISHU_LIVE_MIN_INTERVAL_MS;
  /** Live updates do not wait out rate limits. */
  private readonly updateCtx: CallContext;

  constructor(private readonly opts: FeishuLiveOptions) {
    this.updateCtx = { ...opts.ctx, retryBudgetMs: 0 };
  }

  async open(to: ReplyAddress, options: LiveOpenOptions): Promise<LiveElement | null> {
    const { client, ctx, logger } = this.opts;
    const inThread = isTopicThread(to.thread);
    const where = { conversation: to.conversation, messageId: to.messageId };
    try {
      const created = await createCard(client, ctx, liveCard({ stopActionId: options.stopActionId, streaming: true }));
      if (created.ok) {
        const { cardId } = created.value;
        const sent = await reply(client, ctx, {
          messageId: to.messageId,
          msgType: 'interactive',
          content: JSON.stringify({ type: 'card', data: { card_id: cardId } }),
          inThread,
          uuid: replyUuid(`live:${options.key}:${cardId}`, 0),
        });
        if (!sent.ok) {
          logger.warn({ ...where, ...failureFields(sent) }, 'feishu live card not posted; answering without streaming');
          return null;
        }
        logger.debug({ ...where, cardId, cardMessageId: sent.value.messageId }, 'feishu live card opened');
        return new LiveCard(this, to, { kind: 'card', cardId, messageId: sent.value.messageId });
      }
      logger.info({ ...where, ...failureFields(created) }, 'feishu CardKit card not created; streaming into an edited card message instead');
      const card = liveCard({ stopActionId: options.stopActionId, streaming: false });
      const sent = await reply(client, ctx, {
        messageId: to.messageId,
        msgType: 'interactive',
        content: JSON.stringify(card),
        inThread,
        uuid: replyUuid(`live:${options.key}:message`, 0),
      });
      if (!sent.ok) {
        logger.warn({ ...where, ...failureFields(sent) }, 'feishu live message not posted; answering without streaming');
        return null;
      }
      return new LiveMessage(this, to, { kind: 'message', messageId: sent.value.messageId }, options.stopActionId);
    } catch (err) {
      logger.warn({ ...where, err }, 'feishu live element could not be opened');
      return null;
    }
  }

  async abandon(to: ReplyAddress, ref: string, note: string): Promise<void> {
    const { client, ctx, logger } = this.opts;
    const r = parseLiveRef(ref);
    const where = { conversation: to.conversation, messageId: to.messageId, ref };
    if (!r) {
      logger.warn(where, 'feishu live ref not understood; nothing to close');
      return;
    }
    try {
      if (r.kind === 'message') {
        const res = await patchCardMessage(client, ctx, { messageId: r.messageId, card: finalCard(note) });
        if (!res.ok) logger.warn({ ...where, ...failureFields(res) }, 'feishu live message left open by a previous process could not be closed');
        return;
      }
      let sequence = ABANDON_SEQUENCE_BASE;
      const steps: Array<[string, () => Promise<ApiResult<unknown>>]> = [
        ['status', () => updateCardElement(client, ctx, { cardId: r.cardId, elementId: STATUS_ELEMENT, element: noteElement(note), sequence: ++sequence })],
        ['stop button', () => deleteCardElement(client, ctx, { cardId: r.cardId, elementId: STOP_ELEMENT, sequence: ++sequence })],
        ['streaming', () => cardSettings(client, ctx, { cardId: r.cardId, settings: endStreamingSettings(note), sequence: ++sequence })],
      ];
      for (const [what, step] of steps) {
        const res = await step();
        if (!res.ok) logger.warn({ ...where, step: what, ...failureFields(res) }, 'feishu live card left open by a previous process: a closing step failed');
      }
    } catch (err) {
      logger.warn({ ...where, err }, 'feishu live element could not be closed');
    }
  }

  /** @internal Posts parts 1… of a final message after the live element (as `send()` would post them). */
  async postRest(to: ReplyAddress, end: LiveEnd, parts: readonly string[], first: string): Promise<SendResult> {
    const ids = [first];
    for (let i = 1; i < parts.length; i++) {
      const res = await reply(this.opts.client, this.opts.ctx, {
        messageId: to.messageId,
        msgType: 'post',
        content: postContent(parts[i]!),
        inThread: isTopicThread(to.thread),
        uuid: replyUuid(end.message.idempotencyKey, i),
      });
      if (!res.ok) {
        // The answer's start is shown; a `failed` now would make the caller post it all a second time.
        this.opts.logger.error(
          { conversation: to.conversation, messageId: to.messageId, part: i + 1, parts: parts.length, ...failureFields(res) },
          'feishu live answer: a follow-up part could not be posted',
        );
        break;
      }
      ids.push(res.value.messageId);
    }
    return { status: 'sent', messageIds: ids };
  }

  /** @internal */
  get deps(): FeishuLiveOptions & { updateCtx: CallContext } {
    return { ...this.opts, updateCtx: this.updateCtx };
  }
}

/** A CardKit streaming card. */
class LiveCard implements LiveElement {
  readonly ref: string;
  private sequence = 0;
  private shownText: string;
  private shownStatus: string;
  private gone = false;
  private settled: Promise<SendResult> | undefined;

  constructor(
    private readonly live: FeishuLive,
    private readonly to: ReplyAddress,
    private readonly r: { kind: 'card'; cardId: string; messageId: string },
  ) {
    this.ref = JSON.stringify(r);
    this.shownText = answerMarkdown('');
    this.shownStatus = statusMarkdown({ activity: null, plan: [] });
  }

  async update(view: LiveView): Promise<boolean> {
    if (this.gone || this.settled) return false;
    const { client, updateCtx, logger } = this.live.deps;
    try {
      const text = streamedText(view.text);
      if (text !== this.shownText) {
        const res = await streamElementContent(client, updateCtx, {
          cardId: this.r.cardId,
          elementId: ANSWER_ELEMENT,
          content: text,
          sequence: ++this.sequence,
        });
        if (!res.ok) return this.lost(res);
        this.shownText = text;
      }
      const status = statusMarkdown(view);
      if (status !== this.shownStatus) {
        const res = await streamElementContent(client, updateCtx, {
          cardId: this.r.cardId,
          elementId: STATUS_ELEMENT,
          content: status,
          sequence: ++this.sequence,
        });
        if (!res.ok) return this.lost(res);
        this.shownStatus = status;
      }
      return true;
    } catch (err) {
      logger.warn({ cardId: this.r.cardId, err }, 'feishu live card update failed');
      this.gone = true;
      return false;
    }
  }

  private lost(res: PlatformFailure): false {
    this.gone = true;
    this.live.deps.logger.warn({ cardId: this.r.cardId, ...failureFields(res) }, 'feishu live card update refused; no more updates for this turn');
    return false;
  }

  finish(end: LiveEnd): Promise<SendResult> {
    this.settled ??= this.settle(end).catch((err: unknown) => {
      this.live.deps.logger.error({ cardId: this.r.cardId, err }, 'feishu live card could not be finished');
      return { status: 'failed', error: 'live_finish_failed', retryable: true } as const;
    });
    return this.settled;
  }

  private async settle(end: LiveEnd): Promise<SendResult> {
    const { client, ctx, logger, limits } = this.live.deps;
    const parts = renderMarkdownParts(end.message, limits);
    const first = parts[0]!;
    const cardId = this.r.cardId;
    const updated = await updateCard(client, ctx, { cardId, card: finalCard(first), sequence: ++this.sequence });
    let shown = updated.ok;
    if (!updated.ok) {
      logger.warn({ cardId, ...failureFields(updated) }, 'feishu live card: final update refused; writing the answer into the streamed element');
      const res = await streamElementContent(client, ctx, { cardId, elementId: ANSWER_ELEMENT, content: first, sequence: ++this.sequence });
      shown = res.ok;
    }
    const settings = await cardSettings(client, ctx, { cardId, settings: endStreamingSettings(first), sequence: ++this.sequence });
    if (!settings.ok)
      logger.warn({ cardId, ...failureFields(settings) }, 'feishu live card: streaming mode could not be turned off (it ends by itself after 10 minutes)');
    if (!shown) return { status: 'failed', error: updated.ok ? 'live_finish_failed' : updated.code, retryable: true };
    return this.live.postRest(this.to, end, parts, this.r.messageId);
  }
}

/** The fallback: an ordinary card message, edited with `im.v1.message.patch`. */
class LiveMessage implements LiveElement {
  readonly ref: string;
  private shown: string;
  private gone = false;
  private settled: Promise<SendResult> | undefined;

  constructor(
    private readonly live: FeishuLive,
    private readonly to: ReplyAddress,
    private readonly r: { kind: 'message'; messageId: string },
    private readonly stopActionId: string,
  ) {
    this.ref = JSON.stringify(r);
    this.shown = JSON.stringify(liveCard({ stopActionId, streaming: false }));
  }

  async update(view: LiveView): Promise<boolean> {
    if (this.gone || this.settled) return false;
    const { client, updateCtx, logger } = this.live.deps;
    const card = liveCard({ stopActionId: this.stopActionId, streaming: false, view: { ...view, text: streamedText(view.text) } });
    const json = JSON.stringify(card);
    if (json === this.shown) return true;
    try {
      const res = await patchCardMessage(client, updateCtx, { messageId: this.r.messageId, card });
      if (!res.ok) {
        this.gone = true;
        logger.warn({ cardMessageId: this.r.messageId, ...failureFields(res) }, 'feishu live message edit refused; no more updates for this turn');
        return false;
      }
      this.shown = json;
      return true;
    } catch (err) {
      logger.warn({ cardMessageId: this.r.messageId, err }, 'feishu live message edit failed');
      this.gone = true;
      return false;
    }
  }

  finish(end: LiveEnd): Promise<SendResult> {
    this.settled ??= this.settle(end).catch((err: unknown) => {
      this.live.deps.logger.error({ cardMessageId: this.r.messageId, err }, 'feishu live message could not be finished');
      return { status: 'failed', error: 'live_finish_failed', retryable: true } as const;
    });
    return this.settled;
  }

  private async settle(end: LiveEnd): Promise<SendResult> {
    const { client, ctx, logger, limits } = this.live.deps;
    const parts = renderMarkdownParts(end.message, limits);
    const card: CardJson = finalCard(parts[0]!);
    const res = await patchCardMessage(client, ctx, { messageId: this.r.messageId, card });
    if (!res.ok) {
      logger.warn({ cardMessageId: this.r.messageId, ...failureFields(res) }, 'feishu live message: the final edit was refused');
      return sendFailed(res);
    }
    return this.live.postRest(this.to, end, parts, this.r.messageId);
  }
}
