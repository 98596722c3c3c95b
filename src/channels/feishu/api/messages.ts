/**
 * `im.v1.message.reply` and message reactions, through {@link callFeishu} (results, never throws).
 *
 * Feishu facts (open.feishu.cn docs for im-v1 message/reply and message-reaction; the fake in
 * test/support/fake-feishu follows them):
 * - reply: `POST /open-apis/im/v1/messages/:message_id/reply` `{msg_type, content (a JSON string),
 *   reply_in_thread?, uuid?}`; at most one message per `uuid` is sent within an hour, a repeat
 *   answers the first message — so a reply call is safe to repeat and transient errors are retried.
 * - reactions: `POST …/reactions` `{reaction_type: {emoji_type}}` → `data.reaction_id`; remove with
 *   `DELETE …/reactions/:reaction_id` (only the bot's own). Not idempotent: not retried on
 *   transient errors (a duplicate reaction would be left behind).
 * - A withdrawn message answers 230011, an unknown one 231003 (kind `not_found`).
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { callFeishu, type ApiResult, type CallContext } from './call.js';

export interface ReplyArgs {
  /** The message replied to. */
  messageId: string;
  msgType: 'post' | 'text' | 'interactive';
  /** The content JSON string. */
  content: string;
  /** Reply inside the source message's thread (topic). */
  inThread: boolean;
  /** Idempotency key (≤ 50 characters). */
  uuid: string;
}

/** The request body {@link reply} sends (also what the formatter measures against the size limit). */
export function replyBody(args: Pick<ReplyArgs, 'msgType' | 'content' | 'inThread' | 'uuid'>): {
  msg_type: string;
  content: string;
  reply_in_thread?: boolean;
  uuid: string;
} {
  return { msg_type: args.msgType, content: args.content, ...(args.inThread ? { reply_in_thread: true } : {}), uuid: args.uuid };
}

export async function reply(client: lark.Client, ctx: CallContext, args: ReplyArgs): Promise<ApiResult<{ messageId: string }>> {
  const res = await callFeishu(ctx, 'im.message.reply', () => client.im.message.reply({ path: { message_id: args.messageId }, data: replyBody(args) }), {
    retryTransient: true,
  });
  if (!res.ok) return res;
  return { ok: true, value: { messageId: res.value.data?.message_id ?? '' } };
}

export async function addReaction(client: lark.Client, ctx: CallContext, messageId: string, emojiType: string): Promise<ApiResult<{ reactionId: string }>> {
  const res = await callFeishu(ctx, 'im.messageReaction.create', () =>
    client.im.messageReaction.create({ path: { message_id: messageId }, data: { reaction_type: { emoji_type: emojiType } } }),
  );
  if (!res.ok) return res;
  return { ok: true, value: { reactionId: res.value.data?.reaction_id ?? '' } };
}

export async function removeReaction(client: lark.Client, ctx: CallContext, messageId: string, reactionId: string): Promise<ApiResult<unknown>> {
  return callFeishu(ctx, 'im.messageReaction.delete', () => client.im.messageReaction.delete({ path: { message_id: messageId, reaction_id: reactionId } }), {
    retryTransient: true,
  });
}
