/**
 * `chat.postMessage` and `reactions.add` / `reactions.remove` wrappers that return results instead
 * of throwing (api.slack.com/methods/chat.postMessage, /reactions.add, /reactions.remove).
 */
import { classifySlackError, type SlackApiFailure, type SlackWebClient } from './client.js';

export type PostResult = { ok: true; ts: string } | ({ ok: false } & SlackApiFailure);
export type ReactionResult = { ok: true } | ({ ok: false } & SlackApiFailure);

export interface PostArgs {
  /** Conversation id (`C…`, `G…`, `D…`). */
  channel: string;
  /** mrkdwn text. */
  text: string;
  /** Thread root ts; the message becomes a reply in that thread. */
  threadTs?: string;
}

/**
 * Posts one mrkdwn message. Link and media unfurling are off: an agent's answer citing URLs
 * should not grow previews.
 */
export async function postMessage(client: SlackWebClient, args: PostArgs): Promise<PostResult> {
  try {
    const res = await client.chat.postMessage({
      channel: args.channel,
      text: args.text,
      mrkdwn: true,
      unfurl_links: false,
      unfurl_media: false,
      ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
    });
    return { ok: true, ts: res.ts ?? '' };
  } catch (err) {
    return { ok: false, ...classifySlackError(err) };
  }
}

export interface ReactionArgs {
  channel: string;
  /** ts of the message to react to. */
  timestamp: string;
  /** Emoji name without colons. */
  name: string;
}

export async function addReaction(client: SlackWebClient, args: ReactionArgs): Promise<ReactionResult> {
  try {
    await client.reactions.add({ channel: args.channel, timestamp: args.timestamp, name: args.name });
    return { ok: true };
  } catch (err) {
    return { ok: false, ...classifySlackError(err) };
  }
}

export async function removeReaction(client: SlackWebClient, args: ReactionArgs): Promise<ReactionResult> {
  try {
    await client.reactions.remove({ channel: args.channel, timestamp: args.timestamp, name: args.name });
    return { ok: true };
  } catch (err) {
    return { ok: false, ...classifySlackError(err) };
  }
}
