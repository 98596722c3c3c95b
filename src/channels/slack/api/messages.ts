/**
 * `chat.postMessage` and `reactions.add` / `reactions.remove` through {@link callSlack}, returning
 * results instead of throwing (api.slack.com/methods/chat.postMessage, /reactions.add, /reactions.remove).
 */
import type { PlatformFailure } from '../../platform-failure.js';
import { callSlack, type SlackCallContext } from './call.js';

export type PostResult = { ok: true; ts: string } | ({ ok: false } & PlatformFailure);
export type ReactionResult = { ok: true } | ({ ok: false } & PlatformFailure);

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
export async function postMessage(ctx: SlackCallContext, args: PostArgs): Promise<PostResult> {
  const res = await callSlack(ctx, 'chat.postMessage', {
    channel: args.channel,
    text: args.text,
    mrkdwn: true,
    unfurl_links: false,
    unfurl_media: false,
    ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
  });
  return res.ok ? { ok: true, ts: res.value.ts ?? '' } : res;
}

export interface ReactionArgs {
  channel: string;
  /** ts of the message to react to. */
  timestamp: string;
  /** Emoji name without colons. */
  name: string;
}

export async function addReaction(ctx: SlackCallContext, args: ReactionArgs): Promise<ReactionResult> {
  const res = await callSlack(ctx, 'reactions.add', { channel: args.channel, timestamp: args.timestamp, name: args.name });
  return res.ok ? { ok: true } : res;
}

export async function removeReaction(ctx: SlackCallContext, args: ReactionArgs): Promise<ReactionResult> {
  const res = await callSlack(ctx, 'reactions.remove', { channel: args.channel, timestamp: args.timestamp, name: args.name });
  return res.ok ? { ok: true } : res;
}
