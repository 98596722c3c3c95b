/**
 * Prompts in the web chat (the PromptMessages capability of src/channels/prompt.ts): a prompt is
 * a message in the conversation's history, stored like replies (WebChat, the StateStore), with
 * `text` = the body (Markdown) and `prompt` = {title, buttons, status}. Pages get it as an SSE
 * `prompt` event carrying the whole message (as `GET …/messages` lists it, Markdown trees
 * included), sent again whenever it is updated; its buttons post their `actionId` to
 * `POST /api/actions` (./api/actions.ts), the route the live bubble's Stop uses.
 *
 * - `post` stores the message (id `prompt-<uuid>`, answering `to.messageId`) and returns that id
 *   as the `ref`; `failed` when `to` is another channel's or the store refused the write.
 * - `update` replaces that message in place, keeping its id, position, author role and time;
 *   false when the message is not in the history (e.g. fell out of the bounded history, or a
 *   `ref` this adapter never issued) or the store refused the write.
 *
 * Prompts are `system` messages: Switchboard asks on the agent's behalf.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.js';
import type { WebMessage } from '../../state/types.js';
import type { PromptMessages, PromptPostResult, PromptView } from '../prompt.js';
import type { ReplyAddress } from '../types.js';
import type { WebChat } from './chat.js';
import { errorMessage } from '../../errors.js';

/** The id prefix of prompt messages (and so of their refs). */
const PROMPT_ID_PREFIX = 'prompt-';

export interface WebPromptDeps {
  channelId: string;
  chat: WebChat;
  /** ms since the epoch. */
  now(): number;
  logger: Logger;
}

/** The web channel's PromptMessages. */
export function createWebPrompts(deps: WebPromptDeps): PromptMessages {
  return {
    async post(to: ReplyAddress, view: PromptView): Promise<PromptPostResult> {
      if (to.channelId !== deps.channelId) {
        return { status: 'failed', error: `reply address is for channel "${to.channelId}", not web channel "${deps.channelId}"` };
      }
      const message = promptMessage(`${PROMPT_ID_PREFIX}${randomUUID()}`, to.messageId, new Date(deps.now()).toISOString(), view);
      try {
        await deps.chat.postPrompt(to.conversation, message);
        return { status: 'sent', ref: message.id };
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), conversation: to.conversation }, 'web prompt could not be stored');
        return { status: 'failed', error: `web chat history store: ${errorMessage(err)}` };
      }
    },

    async update(to: ReplyAddress, ref: string, view: PromptView): Promise<boolean> {
      if (to.channelId !== deps.channelId || !ref.startsWith(PROMPT_ID_PREFIX)) return false;
      try {
        const current = deps.chat.find(to.conversation, ref);
        if (!current?.prompt) return false;
        return await deps.chat.replacePrompt(to.conversation, promptMessage(ref, current.replyTo, current.createdAt, view));
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), ref }, 'web prompt could not be updated');
        return false;
      }
    },
  };
}

/** The stored message showing `view`. */
function promptMessage(id: string, replyTo: string | undefined, createdAt: string, view: PromptView): WebMessage {
  return {
    id,
    role: 'system',
    text: view.body.replace(/\r\n?/g, '\n'),
    ...(replyTo === undefined ? {} : { replyTo }),
    createdAt,
    prompt: {
      title: view.title,
      buttons: view.buttons.map((b) => ({ actionId: b.actionId, label: b.label, ...(b.style ? { style: b.style } : {}) })),
      status: view.status,
    },
  };
}
