/**
 * The channel adapter contract: how a chat platform (local web chat, Slack,
 * Feishu/Lark) hands inbound messages to Switchboard and receives replies.
 *
 * Required core: `start`, `stop`, `send`. Optional capabilities are marked `?`
 * and the dispatcher checks for them before use.
 */
import type { PendingAttachment } from './attachments.js';
import type { ActionHandler, LiveReplies } from './live.js';
import type { PromptMessages } from './prompt.js';
import type { OutboundMessage, ReplyAddress, SendResult } from './reply.js';

export type { OutboundMessage, ReplyAddress, SendResult } from './reply.js';
export type { PendingAttachment } from './attachments.js';

export type ChannelType = 'web' | 'slack' | 'feishu';

/** A normalised chat message from any platform. */
export interface InboundMessage {
  /** Config channel id the message arrived on. */
  channelId: string;
  /** Platform conversation id (Slack channel/DM id, Feishu chat_id, web conversation name). */
  conversation: string;
  /** Platform thread (Slack `thread_ts`, Feishu thread/root id); absent = top level. */
  thread?: string;
  /** Platform message id; the dedup key together with channelId. */
  messageId: string;
  sender: { id: string; name?: string };
  /**
   * Plain text as the agent should see it (mentions of the bot removed); where `attachments` are
   * given, `attachmentSlot(i)` (./attachments.ts) marks where attachment `i` goes.
   */
  text: string;
  /**
   * Images/files the adapter fetches after the message was accepted (its `fetchAttachment`),
   * before the turn runs; absent = none.
   */
  attachments?: PendingAttachment[];
  /** A direct message to the bot (Slack DM, Feishu p2p, the local web chat). */
  isDirect: boolean;
  /** The message mentions the bot (its mention is already stripped from `text`). */
  mentionsBot: boolean;
  /** Arrival time, ms since the epoch. */
  receivedAt: number;
}

/** Where the answer to `msg` goes: its conversation, its thread, replying to it. */
export function replyAddressOf(msg: InboundMessage): ReplyAddress {
  const address: ReplyAddress = { channelId: msg.channelId, conversation: msg.conversation, messageId: msg.messageId };
  if (msg.thread !== undefined) address.thread = msg.thread;
  return address;
}

/** What became of an inbound message offered to the service. */
export type AcceptResult =
  /** Durably queued as an inbound turn; `position` 1 = next to run. */
  | { status: 'accepted'; position: number }
  /** Seen before (the platform re-delivered it): nothing new was queued. */
  | { status: 'duplicate' }
  /** The dispatcher's queue is at `limit`; the conversation was told. */
  | { status: 'full'; limit: number }
  /** No binding and no default dispatcher: ignored (logged once). */
  | { status: 'unrouted' }
  /** Not for the bot: sender or conversation not allowed, or no mention where one is required. */
  | { status: 'ignored'; reason: 'user_not_allowed' | 'conversation_not_allowed' | 'no_mention' }
  /** Added to the running turn of its session (busy policy `steer`); that turn's answer answers it. */
  | { status: 'steered' }
  /** A chat command (`stop`, `status`, `new`, `queue`, `cancel`) answered in the conversation, or the answer to a question the running turn asked: not a turn. */
  | { status: 'handled'; command: 'stop' | 'status' | 'new' | 'queue' | 'cancel' | 'answer' }
  /** The service failed to handle it (an unexpected error); nothing was queued; the sender must be told. */
  | { status: 'failed'; error: string }
  /**
   * The state could not be written (`error` says why, e.g. `state not writable (ENOSPC: …)`):
   * nothing was queued and it will never run; the sender must be told and may send it again.
   */
  | { status: 'not_stored'; error: string };

/**
 * Called by an adapter for each inbound message. Resolves after the message is
 * durably queued (or refused), so the adapter may acknowledge the platform then.
 */
export type InboundHandler = (message: InboundMessage) => Promise<AcceptResult>;

/**
 * The live connection of a started adapter to its platform, in the platforms' own terms
 * (@slack/socket-mode's client states; @larksuiteoapi/node-sdk's `WSClient.getConnectionStatus()`):
 * - `connected`: events can arrive now (Socket Mode / long connection open; an HTTP receiver listening);
 * - `connecting`: the first connection is being opened;
 * - `reconnecting`: the connection dropped and the SDK is opening a new one by itself;
 * - `disconnected`: not connected and not trying (stopped, or the SDK gave up).
 */
export type ChannelConnection = 'connected' | 'connecting' | 'reconnecting' | 'disconnected';

/** Progress of an inbound message shown on the source message (reaction, "working…" mark). */
export type ProgressState = 'queued' | 'running' | 'done' | 'failed';

export interface ChannelAdapter {
  readonly id: string;
  readonly type: ChannelType;
  /**
   * Connects/listens and starts delivering inbound messages to `onMessage`, and presses of
   * buttons the service issued action ids for to `onAction` (adapters without buttons ignore it).
   */
  start(onMessage: InboundHandler, onAction?: ActionHandler): Promise<void>;
  /** Stops delivering; idempotent. */
  stop(): Promise<void>;
  /** Posts `message` as a reply to `to` (in its thread where the platform has threads). */
  send(to: ReplyAddress, message: OutboundMessage): Promise<SendResult>;
  /** Optional: the address people open to chat (the web chat's page, with its real port once started). */
  readonly url?: string;
  /** Optional: mark the source message with the turn's progress; failures are logged, never thrown. */
  setProgress?(to: ReplyAddress, state: ProgressState): Promise<void>;
  /**
   * Optional: the live connection to the platform, read on every `GET /readyz`; cheap, never throws.
   * Adapters without it count as connected while started (e.g. the web chat, listening).
   */
  connection?(): ChannelConnection;
  /** Optional: live answers (the answer streamed while it is written, activity, plan, a Stop button); see ./live.ts. */
  readonly live?: LiveReplies;
  /** Optional: interactive prompts (approvals, questions) with one button per answer; see ./prompt.ts. */
  readonly prompts?: PromptMessages;
  /**
   * Optional (adapters whose messages carry `attachments`): fetches attachment `attachment` of the
   * accepted message `of` (its address) into the state dir. The dispatcher calls it after the
   * platform was acknowledged, before the message's turn runs, and again after a service restart
   * while the entry is unresolved. Resolves with the line the agent sees in the attachment's slot:
   * the local path, or why there is none (`[image could not be downloaded: …]`); bounded in time by
   * the adapter; never rejects.
   */
  fetchAttachment?(of: ReplyAddress, attachment: PendingAttachment): Promise<string>;
}
