/**
 * Slack `app_mention` / `message` events → InboundMessage, or the reason to skip one.
 * Pure apart from the user-name lookup passed in.
 *
 * Slack facts (api.slack.com/events/message, /events/app_mention, @slack/types MessageEvent):
 * - DMs arrive as `message` with `channel_type: 'im'`; channels as `channel` / `group` / `mpim`.
 *   `app_mention` has no `channel_type` and is only sent for conversations, not DMs.
 * - A channel message that mentions the bot arrives twice when both `app_mention` and
 *   `message.channels` are subscribed; Slack also redelivers events (`X-Slack-Retry-Num`). Both
 *   carry the same `channel` + `ts`, which is what the dispatcher deduplicates on.
 * - Subtypes mark non-user messages (`message_changed`, `message_deleted`, `channel_join`,
 *   `bot_message`, …); `file_share` (a message with files) and `thread_broadcast` (a thread reply
 *   also sent to the channel) are ordinary user messages.
 * - Messages posted by apps carry `bot_id` (and `bot_profile`), with or without `user`.
 */
import type { InboundMessage } from '../../types.js';
import { mentionsUser, renderInboundText, type SlackFileLike, type UserNameLookup } from './text.js';

/** The fields of a Slack message-like event this adapter reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  username?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  files?: SlackFileLike[];
}

/** The bot's own identity, from `auth.test`. */
export interface BotIdentity {
  /** The bot user's id (`U…`), what `<@…>` mentions of the bot contain. */
  userId: string;
  /** The bot id (`B…`), set as `bot_id` on the bot's own messages. */
  botId: string;
}

export interface NormaliseContext {
  /** Config channel id. */
  channelId: string;
  bot: BotIdentity;
  /** Accept messages from other bots (config `allowBots`). */
  allowBots: boolean;
  users: UserNameLookup;
  /** Arrival time, ms since the epoch. */
  now: number;
}

export type SkipReason = 'own_message' | 'bot_message' | 'subtype' | 'malformed' | 'empty';

export type NormaliseResult = { status: 'message'; message: InboundMessage } | { status: 'skip'; reason: SkipReason; detail?: string };

/** Subtypes that are user messages; every other subtype is skipped. */
const USER_SUBTYPES = new Set(['file_share', 'thread_broadcast']);

/**
 * Decides whether `event` is a message for the service, without looking anything up.
 * With `allowBots`, other bots' messages pass, including the legacy `bot_message` subtype.
 */
export function classifyEvent(
  event: SlackMessageEvent,
  bot: BotIdentity,
  allowBots: boolean,
): { status: 'ok' } | { status: 'skip'; reason: SkipReason; detail?: string } {
  if (event.type !== 'message' && event.type !== 'app_mention') return { status: 'skip', reason: 'malformed', detail: `event type ${event.type}` };
  if (!event.channel || !event.ts) return { status: 'skip', reason: 'malformed', detail: 'no channel or ts' };
  if (event.user === bot.userId || (event.bot_id !== undefined && event.bot_id === bot.botId)) return { status: 'skip', reason: 'own_message' };
  const fromBot = event.bot_id !== undefined || event.subtype === 'bot_message';
  if (fromBot && !allowBots) return { status: 'skip', reason: 'bot_message' };
  if (event.subtype !== undefined && !USER_SUBTYPES.has(event.subtype) && !(allowBots && event.subtype === 'bot_message')) {
    return { status: 'skip', reason: 'subtype', detail: event.subtype };
  }
  if (!event.user && !event.bot_id) return { status: 'skip', reason: 'malformed', detail: 'no sender' };
  return { status: 'ok' };
}

/**
 * Normalises one event. `messageId` is the message `ts`, `conversation` the channel id and
 * `thread` the thread root (`thread_ts`, else the message's own `ts`), so replies always go into
 * the source message's thread. The sender's display name comes from `ctx.users`.
 */
export async function normaliseEvent(event: SlackMessageEvent, ctx: NormaliseContext): Promise<NormaliseResult> {
  const verdict = classifyEvent(event, ctx.bot, ctx.allowBots);
  if (verdict.status === 'skip') return verdict;
  const channel = event.channel!;
  const ts = event.ts!;
  const rawText = event.text ?? '';
  const senderId = event.user ?? event.bot_id!;
  const [text, senderName] = await Promise.all([
    renderInboundText(rawText, event.files, ctx.bot.userId, ctx.users),
    event.user ? ctx.users(event.user).catch(() => undefined) : Promise.resolve(event.username),
  ]);
  if (text === '') return { status: 'skip', reason: 'empty' };
  const sender: InboundMessage['sender'] = { id: senderId };
  if (senderName) sender.name = senderName;
  return {
    status: 'message',
    message: {
      channelId: ctx.channelId,
      conversation: channel,
      thread: event.thread_ts ?? ts,
      messageId: ts,
      sender,
      text,
      isDirect: event.channel_type === 'im',
      mentionsBot: event.type === 'app_mention' || mentionsUser(rawText, ctx.bot.userId),
      receivedAt: ctx.now,
    },
  };
}
