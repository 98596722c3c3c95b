/**
 * What `switchboard status` (and `--json`, the admin API's `GET /status`) shows of a dispatcher
 * and its sessions; built by the Dispatcher from its runtime, its running turns and the store.
 */
import type { SessionScope } from '../state/types.js';
import type { AgentStatus } from '../codex/agent-runtime.js';

/** One session of a dispatcher, as `switchboard status` shows it. */
export interface SessionStatus {
  /** `dispatcher` for the dispatcher's own thread; else the SessionRecord key. */
  key: string;
  scope: SessionScope;
  /** The chat place a `conversation` / `thread` session serves; null for the dispatcher's own thread. */
  place: { channelId: string; conversation: string; thread?: string } | null;
  threadId: string | null;
  /** Whether its thread is loaded in the app-server now (idle sessions are unloaded). */
  loaded: boolean;
  /** Accepted turns of this session not yet settled, the running one included. */
  queueDepth: number;
  /** Age of its running turn, ms; null when none runs. */
  runningTurnAgeMs: number | null;
  /** Last message accepted or turn settled, ms since the epoch; null when unknown (own thread before any turn). */
  lastActiveAt: number | null;
  /** Threads this session left with `new`/`reset`, oldest first. */
  previousThreadIds: string[];
}

/** One row of `switchboard status`. */
export interface DispatcherStatus {
  id: string;
  /**
   * The runtime's status; `needs_login` when it is up but codex has no credentials (see
   * lastError); `retrying` when it is up but codex keeps retrying the running turn's model
   * requests (codex app-server v2 `error` with `willRetry: true`; see turnRetries, lastError).
   */
  status: AgentStatus | 'needs_login' | 'retrying';
  threadId: string | null;
  /** While `idle`: how long since the runtime was last used, ms; else null. */
  idleForMs: number | null;
  /** Accepted turns not yet settled, the running one included. */
  queueDepth: number;
  /** Accepted turns waiting behind the running one (queueDepth less the running turn). */
  waitingTurns: number;
  /** Pid of the codex app-server child; null when none runs. */
  pid: number | null;
  /** Age of the running turn, ms; null when idle. */
  runningTurnAgeMs: number | null;
  restartCount: number;
  /** The runtime's last error; while `retrying`, codex's latest retry message instead. */
  lastError: string | null;
  /** Retries codex reported for the running turn so far; 0 when idle. */
  turnRetries: number;
  /** Replies that could not be posted (kept in state, newest 100). */
  failedReplies: number;
  /** State entries of this dispatcher set aside as malformed when the state was opened (state.json `quarantine`). */
  quarantined: number;
  /** Turns running now, across sessions (at most the dispatcher's maxConcurrentTurns). */
  runningTurns: number;
  /** The dispatcher's own thread first, then its other sessions, most recently active first. */
  sessions: SessionStatus[];
}
