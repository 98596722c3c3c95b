/**
 * The persisted state of a Switchboard service and the store interface that owns it.
 *
 * Everything the service must not lose across a restart lives here: dispatcher
 * lifecycle and thread ids, accepted-but-unsettled inbound turns, recently seen
 * platform message ids, and the local web chat's history. The interface is
 * domain-level (not "give me the whole document") so that a shared store
 * (Redis, PostgreSQL) can replace the embedded lowdb file later.
 */

/** Schema version of the state file; bump with a migration in `src/state/`. */
export const STATE_VERSION = 1;

/** Lifecycle of a runtime, as persisted. */
export type RuntimeStatus = 'declared' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped';

/** Persisted record of one dispatcher's runtime. Timestamps are ms since the epoch. */
export interface DispatcherRecord {
  status: RuntimeStatus;
  statusChangedAt: number;
  threadId: string | null;
  /** Thread id whose resume failed most recently (a fresh thread replaced it). */
  lastLostThreadId: string | null;
  /** Set when a thread was lost and the next reply must carry a visible warning. */
  pendingLostThreadWarning: boolean;
  /** True once a turn ran on `threadId`; a thread without history is not "lost" when resume fails. */
  threadHasHistory: boolean;
  lastError: string | null;
  lastStartedAt: number | null;
  lastReadyAt: number | null;
  /** Consecutive failed/crashed starts since the last successful one. */
  restartAttempts: number;
  /** Total restarts since the record was created. */
  restartCount: number;
}

/** Where a reply to an inbound message goes. */
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

/** One accepted inbound turn, persisted before the sender is acknowledged. */
export interface QueuedTurn {
  /** Queue entry id (unique per dispatcher). */
  id: string;
  /** Dedup key: `<channelId>:<conversation>:<platform message id>`. */
  dedupKey: string;
  kind: 'message' | 'notice';
  address: ReplyAddress;
  sender: { id: string; name?: string };
  /** Text sent to Codex as the turn's input. */
  text: string;
  acceptedAt: number;
  /** Attempts to run this turn so far (a crash mid-turn re-runs it once). */
  attempts: number;
}

/** One message in a local web chat conversation. */
export interface WebMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  text: string;
  /** Id of the user message this answers. */
  replyTo?: string;
  sender?: string;
  /** ISO-8601 timestamp. */
  createdAt: string;
}

/** A reply the channel adapter could not post, kept so it is not lost silently. */
export interface FailedReply {
  /** Queue entry (or command) the reply belonged to. */
  idempotencyKey: string;
  address: ReplyAddress;
  kind: 'answer' | 'error' | 'notice';
  text: string;
  error: string;
  /** ms since the epoch. */
  failedAt: number;
}

export interface StateData {
  version: number;
  dispatchers: Record<string, DispatcherRecord>;
  queue: Record<string, QueuedTurn[]>;
  /** Recent dedup keys per dispatcher, oldest first, bounded. */
  seen: Record<string, string[]>;
  /** Replies that could not be posted, per dispatcher, newest last, bounded. Absent in older files. */
  failedReplies?: Record<string, FailedReply[]>;
  /** `<channelId>` → conversation → messages (oldest first, bounded). */
  web: Record<string, Record<string, WebMessage[]>>;
}

/** Result of offering an inbound turn to a dispatcher's queue. */
export type EnqueueResult =
  | { status: 'accepted'; position: number; entry: QueuedTurn }
  | { status: 'duplicate' }
  | { status: 'full'; limit: number };

/**
 * Domain-level persistence used by the service. Every mutating call resolves
 * only after the change is durably on disk (atomic file replace).
 */
export interface StateStore {
  /** Path or URL of the backing store, for messages. */
  readonly location: string;

  getDispatcher(id: string): DispatcherRecord | undefined;
  /** Creates the record (status `declared`) when missing, then applies `patch`. */
  patchDispatcher(id: string, patch: Partial<DispatcherRecord>): Promise<DispatcherRecord>;

  /**
   * Appends `entry` to the dispatcher's queue unless its dedupKey was seen
   * (→ `duplicate`) or `limit` entries are already queued (→ `full`; the key is
   * not marked seen, so a later retry may be accepted).
   */
  enqueue(dispatcherId: string, entry: QueuedTurn, limit: number): Promise<EnqueueResult>;
  /** Queued entries in FIFO order. */
  listQueue(dispatcherId: string): readonly QueuedTurn[];
  updateQueued(dispatcherId: string, entryId: string, patch: Partial<QueuedTurn>): Promise<void>;
  /** Removes a settled entry; no-op when absent. */
  removeQueued(dispatcherId: string, entryId: string): Promise<void>;

  /** Keeps a reply that could not be posted (newest `limit` per dispatcher). */
  recordFailedReply(dispatcherId: string, reply: FailedReply, limit: number): Promise<void>;
  listFailedReplies(dispatcherId: string): readonly FailedReply[];

  appendWebMessage(channelId: string, conversation: string, message: WebMessage, limit: number): Promise<void>;
  listWebMessages(channelId: string, conversation: string): readonly WebMessage[];
  listWebConversations(channelId: string): string[];

  /** Flushes pending writes; further calls fail. Idempotent. */
  close(): Promise<void>;
}
