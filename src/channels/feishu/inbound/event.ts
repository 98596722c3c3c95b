/**
 * `im.message.receive_v1` (as the SDK's EventDispatcher hands it over: schema 2.0 flattened, header
 * fields beside `sender` and `message`) → InboundMessage, or the reason to skip it.
 *
 * - conversation = `chat_id`; messageId = `message_id` (the dispatcher deduplicates on both);
 *   thread = `thread_id ?? root_id` when present (a topic thread id starts with `omt_`, see
 *   ../outbound/send.ts for how replies use it).
 * - isDirect = `chat_type === 'p2p'`; mentionsBot = the bot's open_id is in `message.mentions`.
 * - Messages sent by apps (`sender_type: 'app'`) or by the bot's open_id are skipped.
 * - Images and files become the message's `attachments` (a slot in the text each): nothing is
 *   downloaded here, so the event is acknowledged at once; the dispatcher has the channel fetch
 *   them afterwards (../index.ts `fetchAttachment`, ../api/resources.ts).
 */
import type { InboundMessage } from '../../types.js';
import { mentionsOpenId, renderContent, type FeishuMention } from './content.js';

/** The flattened receive event (fields this adapter reads). */
export interface FeishuMessageEvent {
  event_id?: string;
  event_type?: string;
  token?: string;
  app_id?: string;
  sender?: {
    sender_id?: { open_id?: string; user_id?: string; union_id?: string };
    sender_type?: string;
    tenant_key?: string;
  };
  message?: {
    message_id?: string;
    root_id?: string;
    parent_id?: string;
    thread_id?: string;
    chat_id?: string;
    chat_type?: string;
    message_type?: string;
    content?: string;
    mentions?: FeishuMention[];
  };
}

export type SkipReason = 'own_message' | 'app_message' | 'malformed' | 'empty';

export type NormaliseResult = { status: 'message'; message: InboundMessage } | { status: 'skip'; reason: SkipReason; detail?: string };

export interface NormaliseContext {
  channelId: string;
  botOpenId: string;
  /** Arrival time, ms since the epoch. */
  now: number;
}

/** Decides, without I/O, whether `e` is a user message for the service. */
export function classifyEvent(e: FeishuMessageEvent, botOpenId: string): { status: 'ok' } | { status: 'skip'; reason: SkipReason; detail?: string } {
  const m = e.message;
  if (!m?.message_id || !m.chat_id) return { status: 'skip', reason: 'malformed', detail: 'no message_id or chat_id' };
  const senderId = e.sender?.sender_id?.open_id;
  if (senderId !== undefined && senderId === botOpenId) return { status: 'skip', reason: 'own_message' };
  if (e.sender?.sender_type === 'app') return { status: 'skip', reason: 'app_message' };
  if (!senderId) return { status: 'skip', reason: 'malformed', detail: 'no sender open_id' };
  return { status: 'ok' };
}

/** Normalises one receive event, without I/O. */
export function normaliseEvent(e: FeishuMessageEvent, ctx: NormaliseContext): NormaliseResult {
  const verdict = classifyEvent(e, ctx.botOpenId);
  if (verdict.status === 'skip') return verdict;
  const m = e.message!;
  const messageId = m.message_id!;
  const chatId = m.chat_id!;
  const senderId = e.sender!.sender_id!.open_id!;
  const rendered = renderContent(m.message_type ?? '', m.content ?? '', m.mentions, ctx.botOpenId);
  const text = rendered.text.trim();
  if (text === '') return { status: 'skip', reason: 'empty' };
  const message: InboundMessage = {
    channelId: ctx.channelId,
    conversation: chatId,
    messageId,
    sender: { id: senderId },
    text,
    isDirect: m.chat_type === 'p2p',
    mentionsBot: mentionsOpenId(m.mentions, ctx.botOpenId),
    receivedAt: ctx.now,
  };
  if (rendered.attachments.length > 0) message.attachments = rendered.attachments;
  const thread = nonEmpty(m.thread_id) ?? nonEmpty(m.root_id);
  if (thread !== undefined) message.thread = thread;
  return { status: 'message', message };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
