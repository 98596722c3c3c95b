/**
 * The Slack channel's live answers (LiveReplies, src/channels/live.ts): a streaming message
 * (./stream.ts), else a placeholder kept current with `chat.update` (./placeholder.ts), else none
 * (open answers null and the turn is answered with send()).
 *
 * - minIntervalMs = {@link SLACK_LIVE_MIN_INTERVAL_MS} (1,000 ms): `chat.appendStream` is Tier 4
 *   (100+ calls per minute per app per workspace, docs.slack.dev/apis/web-api/rate-limits), so one
 *   element at 60 per minute leaves room for a second concurrent turn's bursts and for the Tier 2/3
 *   calls around it. The fallback paces its Tier 3 `chat.update`s itself to 1,500 ms (40 per minute).
 *   The limits are per app and workspace, not per message: many concurrent turns share them, and a
 *   429 only stops that element's updates (the final answer still comes).
 * - Streaming unavailable: a `chat.startStream` answered `unknown_method`, `not_allowed_token_type`,
 *   `feature_not_enabled`, `method_deprecated` or `not_supported` is remembered for the channel (later
 *   turns go straight to the fallback); any other failure falls back for that turn only.
 * - open with a key already open returns that element (a retried open reuses it).
 * - abandon: a stream is stopped with the note appended (`chat.stopStream` `markdown_text`); if Slack
 *   refuses (e.g. the stream already timed out, `message_not_in_streaming_state`) or the element was a
 *   placeholder, the message is replaced with the note (`chat.update`, `blocks: []`).
 */
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import type { LiveElement, LiveOpenOptions, LiveReplies } from '../../live.js';
import type { ReplyAddress } from '../../types.js';
import { markdownToMrkdwn } from '../format/mrkdwn.js';
import type { LiveCall } from './live-api.js';
import { decodeLiveRef } from './live-ref.js';
import { openPlaceholder } from './placeholder.js';
import type { SlackSender } from './send.js';
import { openStream } from './stream.js';

/** Least time between two updates of one element, ms (see the module header). */
export const SLACK_LIVE_MIN_INTERVAL_MS = 1_000;

/** startStream errors meaning this app/token/workspace cannot stream at all. */
export const STREAMING_UNAVAILABLE = new Set(['unknown_method', 'not_allowed_token_type', 'feature_not_enabled', 'method_deprecated', 'not_supported']);

/** Open elements remembered for reuse by key. */
const MAX_OPEN = 200;

export interface SlackLiveDeps {
  call: LiveCall;
  sender: SlackSender;
  clock: Clock;
  logger: Logger;
  /** The bot's workspace (auth.test `team_id`) once the channel started. */
  teamId(): string | undefined;
}

export function createSlackLive(deps: SlackLiveDeps): LiveReplies {
  let streaming = true;
  const open = new Map<string, LiveElement>();

  async function doOpen(to: ReplyAddress, options: LiveOpenOptions): Promise<LiveElement | null> {
    if (streaming) {
      const res = await openStream(deps, to, options, deps.teamId());
      if (res.status === 'open') return res.element;
      if (STREAMING_UNAVAILABLE.has(res.error)) {
        streaming = false;
        deps.logger.info({ err: res.error }, 'slack streaming is unavailable for this app; live answers use chat.update');
      } else {
        deps.logger.info({ conversation: to.conversation, err: res.error }, 'slack chat.startStream failed; this answer uses chat.update');
      }
    }
    return openPlaceholder(deps, to, options);
  }

  return {
    minIntervalMs: SLACK_LIVE_MIN_INTERVAL_MS,

    async open(to, options) {
      const known = open.get(options.key);
      if (known) return known;
      try {
        const element = await doOpen(to, options);
        if (element) {
          open.set(options.key, element);
          while (open.size > MAX_OPEN) open.delete(open.keys().next().value!);
        }
        return element;
      } catch (err) {
        deps.logger.warn({ err }, 'slack live element could not be opened');
        return null;
      }
    },

    async abandon(to, ref, note) {
      const r = decodeLiveRef(ref);
      if (!r) {
        deps.logger.warn({ conversation: to.conversation, ref }, 'slack live element reference not understood; left as it is');
        return;
      }
      if (r.mode === 'stream') {
        const stop = await deps.call('chat.stopStream', { channel: r.channel, ts: r.ts, markdown_text: `\n\n${note}` });
        if (stop.ok) return;
        deps.logger.info(
          { conversation: r.channel, ts: r.ts, err: stop.error },
          'slack chat.stopStream of an abandoned stream failed; replacing it with the note',
        );
      }
      const upd = await deps.call('chat.update', { channel: r.channel, ts: r.ts, text: markdownToMrkdwn(note), blocks: [] });
      if (!upd.ok) deps.logger.warn({ conversation: r.channel, ts: r.ts, err: upd.error }, 'slack abandoned live element not closed');
    },
  };
}
