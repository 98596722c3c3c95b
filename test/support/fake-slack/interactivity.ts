/**
 * Interactivity payloads for tests (api.slack.com/reference/interaction-payloads/block-actions):
 * a `block_actions` payload for a button press on a bot message, and its delivery over HTTP — a
 * POST to the app's Request URL with the form field `payload=<JSON>`
 * (`application/x-www-form-urlencoded`), signed like events (./signing.ts). Over Socket Mode the
 * same payload goes in an `interactive` envelope (FakeSlack.sendAction).
 */
import { postEvent, type PostEventOptions, type PostEventResult } from './signing.js';

export interface ButtonPress {
  /** Who pressed. */
  user: string;
  userName?: string;
  /** Conversation of the message holding the button. */
  channel: string;
  /** ts of that message, and its thread. */
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  /** The pressed button's block_id and text (default: the live answer's Stop button). */
  blockId?: string;
  label?: string;
  teamId: string;
  appId?: string;
}

/** The `block_actions` payload Slack sends for `press`. */
export function blockActionsPayload(press: ButtonPress): Record<string, unknown> {
  const container: Record<string, unknown> = { type: 'message', message_ts: press.messageTs, channel_id: press.channel, is_ephemeral: false };
  if (press.threadTs) container.thread_ts = press.threadTs;
  const message: Record<string, unknown> = { type: 'message', ts: press.messageTs, text: '' };
  if (press.threadTs) message.thread_ts = press.threadTs;
  return {
    type: 'block_actions',
    user: { id: press.user, username: press.userName ?? press.user, name: press.userName ?? press.user, team_id: press.teamId },
    api_app_id: press.appId ?? 'A1',
    token: 'verification-token',
    container,
    trigger_id: `${Date.now()}.1.trigger`,
    team: { id: press.teamId, domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: press.channel, name: press.channel },
    message,
    state: { values: {} },
    response_url: 'http://127.0.0.1:9/response-url-unused',
    actions: [
      {
        action_id: press.actionId,
        block_id: press.blockId ?? 'switchboard_live_actions',
        text: { type: 'plain_text', text: press.label ?? 'Stop', emoji: true },
        value: press.value,
        type: 'button',
        action_ts: `${Math.floor(Date.now() / 1000)}.000001`,
      },
    ],
  };
}

/** POSTs `payload` as Slack does for interactivity (form field `payload`, signed). */
export function postInteraction(url: string, signingSecret: string, payload: Record<string, unknown>, opts: PostEventOptions = {}): Promise<PostEventResult> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postEvent(url, signingSecret, body, { contentType: 'application/x-www-form-urlencoded', ...opts });
}
