/**
 * What a reply is and where it goes: the part of the channel contract that both the core
 * adapter interface (./types.ts) and the live-answer capability (./live.ts) speak.
 */
/** Where a reply goes: the conversation (and thread) of the message it answers. */
export interface ReplyAddress {
  /** Config channel id. */
  channelId: string;
  /** Platform conversation id (Slack channel/DM id, Feishu chat_id, web conversation name). */
  conversation: string;
  /** Platform thread (Slack `thread_ts`, Feishu root message id); absent = top level. */
  thread?: string;
  /** Platform id of the message being answered. */
  messageId: string;
}

/**
 * What to post. `text` is Markdown (as Codex writes it); the adapter renders
 * it for its platform and splits it at the platform's limits.
 */
export interface OutboundMessage {
  /** answer: a turn's final agent message; error: a failed turn; notice: service notices (queue full, restarts). */
  kind: 'answer' | 'error' | 'notice';
  text: string;
  /** Stable key per reply (e.g. queue entry id), so a retried send can be recognised. */
  idempotencyKey: string;
}

export type SendResult = { status: 'sent'; messageIds: string[] } | { status: 'failed'; error: string; retryable: boolean };
