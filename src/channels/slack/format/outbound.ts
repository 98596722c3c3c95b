/**
 * Outbound Slack rendering: an OutboundMessage (Markdown) → the mrkdwn texts of the
 * `chat.postMessage` calls that carry it, in order.
 *
 * - `error` and `notice` replies are visibly marked: the dispatcher's own texts already start with
 *   an emoji (⚠️, ⏹️, ⏳ — src/dispatch/messages.ts); those are kept as they are (no double prefix),
 *   others get `⚠️ ` (error) or `ℹ️ ` (notice).
 * - Parts are at most {@link SLACK_PART_LIMIT} characters, cut at paragraph/line boundaries and
 *   never inside a code block (src/channels/format/split.ts).
 */
import { markKind } from '../../format/mark-kind.js';
import { splitMessage } from '../../format/split.js';
import type { OutboundMessage } from '../../types.js';
import { markdownToMrkdwn } from './mrkdwn.js';

/**
 * Largest text per message, characters. Slack truncates `text` past 40,000 characters and
 * recommends staying under 4,000 for readability (api.slack.com/methods/chat.postMessage, "Truncating
 * content"); 3,500 leaves room below that.
 */
export const SLACK_PART_LIMIT = 3_500;

/** The mrkdwn parts to post for `message`, in order (at least one). */
export function renderSlackParts(message: Pick<OutboundMessage, 'kind' | 'text'>, limit = SLACK_PART_LIMIT): string[] {
  const mrkdwn = markdownToMrkdwn(markKind(message));
  const parts = splitMessage(mrkdwn, limit);
  return parts.length > 0 ? parts : [markKind({ kind: message.kind, text: '' })];
}
