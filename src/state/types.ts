/**
 * The persisted state of a Switchboard service and the store interface that owns it.
 *
 * Everything the service must not lose across a restart lives here: dispatcher
 * lifecycle and thread ids, accepted-but-unsettled inbound turns, recently seen
 * platform message ids, and the local web chat's history. The interface is
 * domain-level (not "give me the whole document") so that a shared store
 * (Redis, PostgreSQL) can replace the embedded lowdb file later.
 */
import type { PendingAttachment } from '../channels/attachments.js';
import type { ReplyAddress } from '../channels/types.js';
import type { StorageHealthSource } from './health.js';

/** Re-exported: the address type belongs to the channel contract (src/channels/types.ts). */
export type { ReplyAddress };

/** Schema version of the state file; bump with a migration in `src/state/`. */
export const STATE_VERSION = 1;

/** Lifecycle of a runtime, as persisted. */
export type RuntimeStatus = 'declared' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped';

/** Persisted record of one runtime (a dispatcher's or a teammate's). Timestamps are ms since the epoch. */
export interface RuntimeRecord {
  status: RuntimeStatus;
  statusChangedAt: number;
  threadId: string | null;
  /** Thread id whose resume failed most recently (a fresh thread replaced it). */
  lastLostThreadId: string | null;
  /** Set when a thread was lost and the next reply must carry a visible warning. */
  pendingLostThreadWarning: boolean;
  /** True once codex settled a turn (or took an injected item) on `threadId`; a thread without history is not "lost" when resume fails. */
  threadHasHistory: boolean;
  lastError: string | null;
  lastStartedAt: number | null;
  lastReadyAt: number | null;
  /** Consecutive failed/crashed starts since the last successful one. */
  restartAttempts: number;
  /** Total restarts since the record was created. */
  restartCount: number;
  /** Threads this record's thread replaced (`new`/`reset` in chat), newest last, bounded; absent = none. */
  previousThreads?: PreviousThread[];
}

/** A thread a session left behind: its id, when, and why (`new`: the chat's `new`/`reset`). */
export interface PreviousThread {
  threadId: string;
  /** ms since the epoch. */
  endedAt: number;
  reason: 'new';
}

/** How wide one Codex thread's context is (a binding's `session`; see src/dispatch/sessions/). */
export type SessionScope = 'dispatcher' | 'conversation' | 'thread';

/**
 * A session of a dispatcher other than its own thread (scope `conversation` or `thread`): one
 * Codex thread on the dispatcher's app-server, its FIFO of turns, and where it lives in chat.
 * The `dispatcher` scope session is the dispatcher's RuntimeRecord itself.
 */
export interface SessionRecord {
  /** Unique per dispatcher (see sessionKeyOf in src/dispatch/sessions/). */
  key: string;
  scope: 'conversation' | 'thread';
  /** The chat place the session serves (its thread: only for scope `thread`). */
  place: { channelId: string; conversation: string; thread?: string };
  threadId: string | null;
  threadHasHistory: boolean;
  lastLostThreadId: string | null;
  pendingLostThreadWarning: boolean;
  previousThreads: PreviousThread[];
  /** ms since the epoch. */
  createdAt: number;
  /** Last message accepted or turn settled, ms since the epoch (idle unload and eviction go by it). */
  lastActiveAt: number;
}

/** Where a reply to an inbound message goes. */

interface QueuedBase {
  /** Queue entry id (unique per dispatcher). */
  id: string;
  /** Dedup key: `<channelId>:<conversation>:<platform message id>`, or `completion:<id>`. */
  dedupKey: string;
  acceptedAt: number;
  /** Attempts to run this turn so far (a crash mid-turn re-runs it once; failed completion triggers retry). */
  attempts: number;
  /** Key of the session whose FIFO the entry is in (a SessionRecord's); absent = the dispatcher's own thread. */
  session?: string;
  /**
   * The live element (streaming message, card) the running attempt opened, so a service that
   * restarts mid-turn can close it (`LiveReplies.abandon`); absent when none is open.
   */
  live?: LiveElementRecord;
}

/** A live element as persisted: the channel it is on and the adapter's own reference. */
export interface LiveElementRecord {
  channelId: string;
  ref: string;
}

/** An accepted chat message, persisted before the sender is acknowledged. */
export interface QueuedMessage extends QueuedBase {
  kind: 'message';
  address: ReplyAddress;
  sender: { id: string; name?: string };
  /** The message text (the turn input adds who sent it); slots mark unresolved `attachments`. */
  text: string;
  /**
   * Attachments not fetched yet (src/channels/attachments.ts); once fetched, their lines replace the
   * slots of `text` and the field is removed. Absent = none pending.
   */
  attachments?: PendingAttachment[];
}

/** The trigger turn of a completion (see `CompletionRecord`). */
export interface QueuedCompletion extends QueuedBase {
  kind: 'completion';
  completionId: string;
  /** Where the dispatcher's answer goes; null = kept in state only. */
  address: ReplyAddress | null;
}

/** What `StateStore.updateQueued` may change. */
export interface QueuedPatch {
  attempts?: number;
  live?: LiveElementRecord | null;
  /** A message entry's resolved text; with `attachments: null` once its attachments were fetched. */
  text?: string;
  /** null removes a message entry's pending attachments. */
  attachments?: null;
}

/** One entry of a dispatcher's FIFO queue. */
export type QueuedTurn = QueuedMessage | QueuedCompletion;

/**
 * Delivery of one completion to a dispatcher (teammate result or external agent):
 * accepted → injecting → injected → delivered | failed. `injecting` that survives a
 * crash means the injection may have landed: it is never repeated (at most once),
 * the trigger turn then carries the text itself.
 */
export interface CompletionRecord {
  id: string;
  /** Teammate name; null for an external completion. */
  teammate: string | null;
  status: 'completed' | 'failed' | 'interrupted';
  /** The completion text, or its first part when spilled. */
  text: string;
  /** Absolute path of the whole text when it was larger than the spill limit. */
  spillPath: string | null;
  turnId: string | null;
  origin: ReplyAddress | null;
  state: 'accepted' | 'injecting' | 'injected' | 'delivered' | 'failed';
  /** True when the app-server lacks `thread/inject_items` and the text went into a plain turn. */
  deliveredAsTurn: boolean;
  acceptedAt: number;
  injectedAt: number | null;
  settledAt: number | null;
  /** The dispatcher's answer to the trigger turn, or the last error. */
  answer: string | null;
  lastError: string | null;
}

/** One task of a teammate (the spawn task, or a `teammate_send` text), run FIFO one at a time. */
export interface TeammateTask {
  id: string;
  text: string;
  /** Where the dispatcher's answer to this task's completion goes; null = kept in state only. */
  origin: ReplyAddress | null;
  /**
   * Who sent the chat message whose dispatcher turn gave this task: they may answer the task's
   * approvals in `origin` (config `access.approvers`). Null or absent: nobody known (admins only).
   */
  requester?: { id: string; name?: string } | null;
  acceptedAt: number;
  /** Set when `turn/start` was sent; a task found started (and unsettled) after a service restart was cut off. */
  startedAt: number | null;
  turnId: string | null;
  /**
   * The settled result, kept until the completion was handed to the dispatcher
   * (a restart in between hands it over again; the completion id makes that idempotent).
   */
  result: { completionId: string; status: 'completed' | 'failed' | 'interrupted'; text: string } | null;
}

/**
 * Persisted record of one teammate: the runtime lifecycle fields of a
 * dispatcher record plus ownership, working dir and the task queue.
 */
export interface TeammateRecord extends RuntimeRecord {
  name: string;
  /** Owning dispatcher id: completions go to it. */
  dispatcher: string;
  /** Absolute working directory of the teammate's runtime. */
  cwd: string;
  /** The conversation the teammate was spawned from (null when spawned outside a turn). */
  origin: ReplyAddress | null;
  createdAt: number;
  /** Closed teammates never start again; their records are kept (bounded) for operators. */
  closed: boolean;
  closedAt: number | null;
  /** Unsettled tasks, FIFO; the head runs. */
  tasks: TeammateTask[];
  /** Completion id of the last settled task. */
  lastCompletionId: string | null;
}

/** What a Codex server request asked (src/dispatch/approvals/). */
export type ApprovalKind = 'command' | 'fileChange' | 'permissions' | 'question' | 'elicitation';

/**
 * One approval or question Codex asked in a chat, kept for operators and audit: pending while
 * its prompt waits (a service restart then marks it `expired`: a restarted app-server will not
 * take an answer to its predecessor's request), then settled with the decision and who made it.
 * Never holds a command's environment.
 */
export interface ApprovalRecord {
  /** Short id operators use (`switchboard approvals approve <id>`). */
  id: string;
  dispatcherId: string;
  /** Teammate whose turn asked; null for the dispatcher itself. */
  teammate: string | null;
  kind: ApprovalKind;
  /** One line of what is asked (e.g. "run `npm test` in /repo"). */
  summary: string;
  /** The conversation the prompt is in. */
  address: ReplyAddress;
  /** The prompt message (channel and the adapter's ref); null when none could be posted. */
  prompt: { channelId: string; ref: string } | null;
  state: 'pending' | 'decided' | 'timedOut' | 'withdrawn' | 'expired';
  /** The answer given (e.g. `accept`, `decline`, `cancel`, an option label); null while pending or when withdrawn/expired. */
  decision: string | null;
  /** Who decided (platform user id and name, or `operator`); null for timeouts and withdrawals. */
  decidedBy: { id: string; name?: string } | null;
  /** ms since the epoch. */
  requestedAt: number;
  settledAt: number | null;
}

/** One message in a local web chat conversation. */
export interface WebMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  text: string;
  /** Id of the user message this answers. */
  replyTo?: string;
  /** A turn's final message shown live: how the turn ended (see LiveEnd in src/channels/live.ts). */
  outcome?: 'completed' | 'failed' | 'interrupted' | 'abandoned';
  sender?: string;
  /** ISO-8601 timestamp. */
  createdAt: string;
  /**
   * Present on an interactive prompt (an approval, a question; src/channels/prompt.ts): `text` is
   * its body (Markdown) and this the rest of what it shows now. Replaced as a whole on update.
   */
  prompt?: WebPrompt;
}

/** A prompt's title, answer buttons ([] once settled) and status line, as stored with its message. */
export interface WebPrompt {
  /** One plain-text line. */
  title: string;
  /** In order; a press posts `actionId` to `POST /api/actions`. */
  buttons: { actionId: string; label: string; style?: 'primary' | 'danger' }[];
  /** Markdown line under the body; null = none. */
  status: string | null;
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

/**
 * A state entry that failed its schema when the file was opened (src/state/quarantine.ts), set
 * aside whole so that no code reads it and nothing of it is lost.
 */
export interface QuarantinedEntry {
  /** Unique among quarantined entries. */
  id: string;
  /** Where it was in `state.json`, e.g. `queue.main[1]`, `teammates.alice`. */
  from: string;
  /** The dispatcher it belonged to (its list's key, or the dispatcher it names); null when unknown. */
  dispatcherId: string | null;
  /** The entry exactly as it was in the file (any JSON value). */
  raw: unknown;
  /** What is wrong with it, one line (the first schema issues). */
  reason: string;
  /** ms since the epoch. */
  quarantinedAt: number;
  /** The conversation to tell that its message could not be processed (recovered from the raw entry); null = none. */
  noticeTo: ReplyAddress | null;
  /** True once that notice was posted (or there is none to post). */
  noticed: boolean;
}

export interface StateData {
  version: number;
  dispatchers: Record<string, RuntimeRecord>;
  queue: Record<string, QueuedTurn[]>;
  /** Recent dedup keys per dispatcher, oldest first, bounded. */
  seen: Record<string, string[]>;
  /** Replies that could not be posted, per dispatcher, newest last, bounded. Absent in older files. */
  failedReplies?: Record<string, FailedReply[]>;
  /** Completion deliveries per dispatcher, oldest first, bounded. Absent in older files. */
  completions?: Record<string, CompletionRecord[]>;
  /** Teammates by name (open ones, plus the newest closed ones). Absent in older files. */
  teammates?: Record<string, TeammateRecord>;
  /** Session records per dispatcher (scopes `conversation` and `thread`). Absent in older files. */
  sessions?: Record<string, SessionRecord[]>;
  /** Approvals and questions, oldest first: every pending one plus the newest settled ones. Absent in older files. */
  approvals?: ApprovalRecord[];
  /** Entries that failed their schema on open, oldest first, bounded (src/state/quarantine.ts). Absent in older files. */
  quarantine?: QuarantinedEntry[];
  /**
   * Legacy: `<channelId>` → conversation → messages, where versions before the per-channel
   * `web-<channel>.json` files kept the history. openStateStore moves it to those files, so it is
   * `{}` in every store once opened; it is still written (as `{}`) because the versions that kept
   * it, like this one's validate(), refuse a state file without a `web` object.
   */
  web: Record<string, Record<string, WebMessage[]>>;
}

/** Result of offering an inbound turn to a dispatcher's queue. */
export type EnqueueResult =
  /** `position` counts the entry's session (1 = next to run there). */
  | { status: 'accepted'; position: number; entry: QueuedTurn }
  | { status: 'duplicate' }
  /** The dispatcher's queue or the entry's session's queue is at `limit`. */
  | { status: 'full'; limit: number; scope: 'dispatcher' | 'session' };

/** The queue limits `StateStore.enqueue` applies: the dispatcher's, and each session's (entries with a `session`). */
export interface QueueLimits {
  dispatcher: number;
  session: number;
}

/**
 * Domain-level persistence used by the service. Every mutating call resolves
 * only after the change is durably on disk (atomic file replace).
 *
 * A write that fails rejects with a `StateWriteError` (./health.ts) and `health` turns unwritable.
 * The change stays in memory and the store writes it again, with backoff, until a write succeeds
 * (then `health` is writable again) — except a new queue entry (`enqueue`, `acceptCompletion`),
 * which is undone: it never runs, and a resend of the same message is not a duplicate. Until its
 * write succeeded, a new entry is not in `listQueue`.
 */
export interface StateStore {
  /** Path or URL of the backing store, for messages. */
  readonly location: string;
  /** Whether the state can be written now; unwritable from a failed write until a write succeeds. */
  readonly health: StorageHealthSource;

  getDispatcher(id: string): RuntimeRecord | undefined;
  /** Creates the record (status `declared`) when missing, then applies `patch`. */
  patchDispatcher(id: string, patch: Partial<RuntimeRecord>): Promise<RuntimeRecord>;

  /**
   * Appends `entry` to the dispatcher's queue unless its dedupKey was seen (→ `duplicate`) or the
   * queue holds `limits.dispatcher` entries, or the entry's session (`entry.session`) holds
   * `limits.session` (→ `full`; the key is not marked seen, so a later retry may be accepted).
   * A number for `limits` is the dispatcher's limit (sessions unbounded).
   */
  enqueue(dispatcherId: string, entry: QueuedTurn, limits: number | QueueLimits): Promise<EnqueueResult>;
  /**
   * Records a completion (as putCompletion, keeping `limit`) and queues its trigger entry (as
   * enqueue, no queue limit) in one write; a failed write undoes both. A `duplicate` entry changes nothing.
   */
  acceptCompletion(dispatcherId: string, record: CompletionRecord, entry: QueuedTurn, limit: number): Promise<EnqueueResult>;
  /** Queued entries in FIFO order (without entries whose enqueue write is still pending). */
  listQueue(dispatcherId: string): readonly QueuedTurn[];
  /**
   * Updates the fields that change while queued: the attempt count, and the open live element
   * (`live: null` removes it). No-op when the entry is absent.
   */
  updateQueued(dispatcherId: string, entryId: string, patch: QueuedPatch): Promise<void>;
  /** Removes a settled entry; no-op when absent. */
  removeQueued(dispatcherId: string, entryId: string): Promise<void>;

  getSession(dispatcherId: string, key: string): SessionRecord | undefined;
  /** The dispatcher's session records, oldest `createdAt` first. */
  listSessions(dispatcherId: string): readonly SessionRecord[];
  /**
   * Inserts or replaces (by key) a session record; then, beyond `keep` (at least 1) records, drops
   * the least recently active (`lastActiveAt`) ones that have no queued entry, never `record`
   * itself (so more than `keep` remain when the others all have queued entries).
   */
  putSession(dispatcherId: string, record: SessionRecord, keep: number): Promise<void>;
  /** Applies `patch` to an existing record. @throws StateError when there is none with that key. */
  patchSession(dispatcherId: string, key: string, patch: Partial<Omit<SessionRecord, 'key'>>): Promise<SessionRecord>;

  getCompletion(dispatcherId: string, id: string): CompletionRecord | undefined;
  listCompletions(dispatcherId: string): readonly CompletionRecord[];
  /**
   * Inserts or replaces (by id) a completion record; keeps the newest `limit`,
   * never dropping one that is not yet delivered or failed.
   */
  putCompletion(dispatcherId: string, record: CompletionRecord, limit: number): Promise<void>;

  getTeammate(name: string): TeammateRecord | undefined;
  /** All teammate records, oldest first (by `createdAt`). */
  listTeammates(): readonly TeammateRecord[];
  /**
   * Inserts a teammate record, replacing a record of the same name (the caller
   * checks it was closed); then drops the oldest closed records beyond `closedKept`
   * (closing is a patch, so there are at most `closedKept` + open teammates closed records).
   */
  putTeammate(record: TeammateRecord, closedKept: number): Promise<void>;
  /** Applies `patch` to an existing record. @throws StateError when there is no record of that name. */
  patchTeammate(name: string, patch: Partial<TeammateRecord>): Promise<TeammateRecord>;

  /** All approval records (pending and the newest settled), oldest first. */
  listApprovals(): readonly ApprovalRecord[];
  /** Inserts or replaces (by id) an approval record; keeps the newest `limit` settled ones, never dropping a pending one. */
  putApproval(record: ApprovalRecord, limit: number): Promise<void>;
  /** Entries set aside on open because they failed their schema, oldest first. */
  listQuarantine(): readonly QuarantinedEntry[];
  /** Records that the notice of quarantined entry `id` was posted; no-op when absent. */
  markQuarantineNoticed(id: string): Promise<void>;
  /** Keeps a reply that could not be posted (newest `limit` per dispatcher). */
  recordFailedReply(dispatcherId: string, reply: FailedReply, limit: number): Promise<void>;
  listFailedReplies(dispatcherId: string): readonly FailedReply[];

  appendWebMessage(channelId: string, conversation: string, message: WebMessage, limit: number): Promise<void>;
  /**
   * Replaces the message `id` of the conversation with `message` in place (same position).
   * Resolves true once durable; false (nothing written) when no message has that id (e.g. it fell
   * out of the bounded history).
   */
  replaceWebMessage(channelId: string, conversation: string, id: string, message: WebMessage): Promise<boolean>;
  listWebMessages(channelId: string, conversation: string): readonly WebMessage[];
  listWebConversations(channelId: string): string[];

  /** Flushes pending writes; further calls fail. Idempotent. */
  close(): Promise<void>;
}

/** Lifecycle fields of a fresh runtime record (dispatcher or teammate). */
export function freshRuntimeRecord(now: number): RuntimeRecord {
  return {
    status: 'declared',
    statusChangedAt: now,
    threadId: null,
    lastLostThreadId: null,
    pendingLostThreadWarning: false,
    threadHasHistory: false,
    lastError: null,
    lastStartedAt: null,
    lastReadyAt: null,
    restartAttempts: 0,
    restartCount: 0,
  };
}
