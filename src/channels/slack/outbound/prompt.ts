/**
 * The Slack channel's prompts (PromptMessages, src/channels/prompt.ts): one Block Kit message in
 * the turn's thread (./prompt-blocks.ts), posted with `chat.postMessage` (`thread_ts` = the
 * address's thread, else the source message's ts, like send()) and replaced with `chat.update`
 * (api.slack.com/methods/chat.update: `channel` + `ts`; the new `blocks` replace the old ones, so a
 * view without buttons drops them). Presses arrive through ../inbound/actions.ts, like Stop.
 *
 * Calls go through callSlack (../api/call.ts) on the channel's WebClient, which waits out 429s and
 * retries 5xx / network errors: a prompt waits for a person, so a late post beats a lost one.
 *
 * `ref` is JSON `{"v":1,"channel":"C…","ts":"…"}` (the message's conversation and ts).
 * Neither method throws: post answers `{status:'failed', error: <Slack code>}`, update false.
 */
import { failureFields } from '../../platform-failure.js';
import type { PromptMessages, PromptPostResult, PromptView } from '../../prompt.js';
import type { ReplyAddress } from '../../types.js';
import type { Logger } from '../../../log.js';
import { callSlack } from '../api/call.js';
import type { SlackWebClient } from '../api/client.js';
import { decodeMessageRef } from './live-ref.js';
import { promptContent } from './prompt-blocks.js';

export interface SlackPromptRef {
  /** Conversation id the prompt is in. */
  channel: string;
  /** ts of the prompt's message. */
  ts: string;
}

export function encodePromptRef(ref: SlackPromptRef): string {
  return JSON.stringify({ v: 1, channel: ref.channel, ts: ref.ts });
}

/** The reference in `text`, or null when it is not one this adapter wrote. */
export function decodePromptRef(text: string): SlackPromptRef | null {
  const r = decodeMessageRef(text);
  return r ? { channel: r.channel, ts: r.ts } : null;
}

export interface SlackPromptsDeps {
  client: SlackWebClient;
  logger: Logger;
}

export function createSlackPrompts(deps: SlackPromptsDeps): PromptMessages {
  return {
    async post(to: ReplyAddress, view: PromptView): Promise<PromptPostResult> {
      const threadTs = to.thread ?? to.messageId;
      try {
        const res = await callSlack(deps, 'chat.postMessage', {
          channel: to.conversation,
          thread_ts: threadTs,
          ...promptContent(view),
          unfurl_links: false,
          unfurl_media: false,
        });
        if (!res.ok) {
          deps.logger.warn({ conversation: to.conversation, thread: threadTs, ...failureFields(res) }, 'slack prompt not posted');
          return { status: 'failed', error: res.code };
        }
        const ts = res.value.ts ?? '';
        if (ts === '') return { status: 'failed', error: 'no_ts' };
        return { status: 'sent', ref: encodePromptRef({ channel: res.value.channel ?? to.conversation, ts }) };
      } catch (err) {
        deps.logger.warn({ conversation: to.conversation, err }, 'slack prompt not posted');
        return { status: 'failed', error: 'internal_error' };
      }
    },

    async update(to: ReplyAddress, ref: string, view: PromptView): Promise<boolean> {
      const r = decodePromptRef(ref);
      if (!r) {
        deps.logger.warn({ conversation: to.conversation, ref }, 'slack prompt reference not understood; left as it is');
        return false;
      }
      try {
        const res = await callSlack(deps, 'chat.update', { channel: r.channel, ts: r.ts, ...promptContent(view) });
        if (!res.ok) deps.logger.warn({ conversation: r.channel, ts: r.ts, ...failureFields(res) }, 'slack prompt not updated');
        return res.ok;
      } catch (err) {
        deps.logger.warn({ conversation: r.channel, ts: r.ts, err }, 'slack prompt not updated');
        return false;
      }
    },
  };
}
