/**
 * Prompts on Feishu/Lark (../../prompt.ts): an approval or question posted as an interactive card
 * (card JSON 2.0) replying to the turn's source message, later replaced with `im.v1.message.patch`.
 *
 * - post(): `im.v1.message.reply` with `msg_type: "interactive"` and the card JSON as content, in the
 *   topic thread like `send()` (./send.ts); the `uuid` is derived from the view (its action ids are
 *   unique per prompt), so a repeated post within Feishu's hour does not post twice. `ref` is the
 *   card message's `message_id`.
 * - update(): `im.v1.message.patch` of `ref` with the new card. The card carries
 *   `config.update_multi: true` (a shared card: every viewer sees the patch; Feishu only patches
 *   shared cards for everyone).
 * - Card: a header with the title, the body as a `markdown` element (converted like every answer,
 *   ../format/markdown.ts; fenced code survives), one button per answer in order (`type` primary /
 *   danger / default) whose callback value carries the action id under {@link ACTION_VALUE_KEY} —
 *   the Stop button's shape, so presses reach `onAction` through ../inbound/card-actions.ts and are
 *   answered with its toast — and the status as a last small `markdown` element.
 * Feishu facts: card JSON 2.0 as in ./card-stream.ts; cards over 30 KB are refused (the body is
 * clipped to {@link PROMPT_BODY_CHARS}).
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { createHash } from 'node:crypto';
import type { Logger } from '../../../log.js';
import { failureFields } from '../../platform-failure.js';
import type { PromptMessages, PromptPostResult, PromptView } from '../../prompt.js';
import type { ReplyAddress } from '../../types.js';
import type { CallContext } from '../api/call.js';
import { patchCardMessage, type CardJson } from '../api/cardkit.js';
import { reply } from '../api/messages.js';
import { prepareMarkdown } from '../format/markdown.js';
import { ACTION_VALUE_KEY, summaryOf } from './card-stream.js';
import { isTopicThread, replyUuid } from './send.js';

/** Longest body shown, characters (keeps the card well under Feishu's 30 KB). */
export const PROMPT_BODY_CHARS = 8_000;
export const PROMPT_BODY_ELEMENT = 'prompt_body';
export const PROMPT_STATUS_ELEMENT = 'prompt_status';

const BUTTON_TYPE = { primary: 'primary', danger: 'danger' } as const;

/** The card JSON 2.0 a prompt shows for `view`. */
export function promptCard(view: PromptView): CardJson {
  const md = prepareMarkdown(view.body);
  const body = md.length > PROMPT_BODY_CHARS ? `${md.slice(0, PROMPT_BODY_CHARS)}\n\n…` : md;
  const elements: CardJson[] = [{ tag: 'markdown', element_id: PROMPT_BODY_ELEMENT, content: body === '' ? ' ' : body }];
  view.buttons.forEach((b, i) => {
    elements.push({
      tag: 'button',
      element_id: `prompt_btn_${i}`,
      text: { tag: 'plain_text', content: b.label },
      type: b.style ? BUTTON_TYPE[b.style] : 'default',
      behaviors: [{ type: 'callback', value: { [ACTION_VALUE_KEY]: b.actionId } }],
    });
  });
  if (view.status !== null && view.status !== '') {
    elements.push({ tag: 'markdown', element_id: PROMPT_STATUS_ELEMENT, content: prepareMarkdown(view.status), text_size: 'notation' });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: summaryOf(view.title) } },
    header: { title: { tag: 'plain_text', content: view.title }, template: 'blue' },
    body: { elements },
  };
}

export interface FeishuPromptsOptions {
  client: lark.Client;
  ctx: CallContext;
  logger: Logger;
}

export class FeishuPrompts implements PromptMessages {
  constructor(private readonly opts: FeishuPromptsOptions) {}

  async post(to: ReplyAddress, view: PromptView): Promise<PromptPostResult> {
    const { client, ctx, logger } = this.opts;
    const where = { conversation: to.conversation, messageId: to.messageId };
    try {
      const content = JSON.stringify(promptCard(view));
      const key = createHash('sha256').update(`prompt:${to.messageId}:${content}`).digest('hex');
      const res = await reply(client, ctx, {
        messageId: to.messageId,
        msgType: 'interactive',
        content,
        inThread: isTopicThread(to.thread),
        uuid: replyUuid(key, 0),
      });
      if (!res.ok) {
        logger.warn({ ...where, ...failureFields(res) }, 'feishu prompt card not posted');
        return { status: 'failed', error: res.code };
      }
      return { status: 'sent', ref: res.value.messageId };
    } catch (err) {
      logger.warn({ ...where, err }, 'feishu prompt card could not be posted');
      return { status: 'failed', error: 'prompt_post_failed' };
    }
  }

  async update(to: ReplyAddress, ref: string, view: PromptView): Promise<boolean> {
    const { client, ctx, logger } = this.opts;
    const where = { conversation: to.conversation, cardMessageId: ref };
    if (ref === '') return false;
    try {
      const res = await patchCardMessage(client, ctx, { messageId: ref, card: promptCard(view) });
      if (!res.ok) logger.warn({ ...where, ...failureFields(res) }, 'feishu prompt card not updated');
      return res.ok;
    } catch (err) {
      logger.warn({ ...where, err }, 'feishu prompt card could not be updated');
      return false;
    }
  }
}
