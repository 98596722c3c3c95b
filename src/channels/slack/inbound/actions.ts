/**
 * Presses of the buttons the service issued action ids for — the live answers' Stop button
 * (`action_id` {@link STOP_ACTION_ID}) and the prompts' answer buttons (`action_id` matching
 * {@link PROMPT_ACTION_ID}) — as Block Kit `block_actions` interactivity payloads
 * (api.slack.com/reference/interaction-payloads/block-actions). Bolt routes them in both modes —
 * Socket Mode `interactive` envelopes, and HTTP POSTs to the Request URL with a form field
 * `payload=` (signed like events; Bolt's HTTPReceiver verifies and parses it) — to the listeners
 * registered with `app.action({ action_id })`; both kinds get the same handling:
 *
 * - ack at once (Slack wants it within 3 s); the press is then handed to `onAction` as
 *   `{channelId, actionId: the button's value, user: {id, name}, conversation: channel.id}`;
 * - the presser is told the result's text with `chat.postEphemeral` (only they see it) in the
 *   element's thread: done, refused and stale ("already finished") alike;
 * - never throws: failures are logged.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../../../log.js';
import type { ActionHandler, ActionResult } from '../../live.js';
import { markdownToMrkdwn } from '../format/mrkdwn.js';
import type { LiveCall } from '../outbound/live-api.js';
import { STOP_ACTION_ID } from '../outbound/live-blocks.js';
import { PROMPT_ACTION_ID } from '../outbound/prompt-blocks.js';

export interface ActionListenerOptions {
  channelId: string;
  call: LiveCall;
  logger: Logger;
  /** The handler given to start(), or undefined while stopping / when none was given. */
  onAction(): ActionHandler | undefined;
}

const UNAVAILABLE: ActionResult = { status: 'stale', text: 'This button no longer works here.' };

/** Registers the Stop and prompt-button listeners on `app` (before it starts). */
export function registerActionListener(app: App, opts: ActionListenerOptions): void {
  for (const actionId of [STOP_ACTION_ID, PROMPT_ACTION_ID]) registerButton(app, actionId, opts);
}

function registerButton(app: App, actionId: string | RegExp, opts: ActionListenerOptions): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action }) => {
    await ack();
    const conversation = body.channel?.id ?? body.container?.channel_id;
    const where = { conversation, user: body.user.id, button: action.action_id, actionId: action.value };
    try {
      const handler = opts.onAction();
      const result: ActionResult =
        handler && conversation && action.value
          ? await handler({
              channelId: opts.channelId,
              actionId: action.value,
              user: { id: body.user.id, ...(body.user.name ? { name: body.user.name } : {}) },
              conversation,
            })
          : UNAVAILABLE;
      opts.logger.debug({ ...where, result: result.status }, 'slack button pressed');
      if (!conversation) return;
      const threadTs = body.message?.thread_ts ?? body.container?.thread_ts;
      const res = await opts.call('chat.postEphemeral', {
        channel: conversation,
        user: body.user.id,
        text: markdownToMrkdwn(result.text),
        ...(typeof threadTs === 'string' ? { thread_ts: threadTs } : {}),
      });
      if (!res.ok) opts.logger.warn({ ...where, err: res.error }, 'slack could not tell the presser the result (chat.postEphemeral)');
    } catch (err) {
      opts.logger.error({ ...where, err }, 'slack button press handling failed');
    }
  });
}
