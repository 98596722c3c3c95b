/**
 * The port through which a channel shows a conversation's session (the web console's header):
 * which dispatcher and Codex thread its messages go to, and how busy that session is. The
 * service implements it from the router and the dispatchers; channels only call it.
 */
import type { SessionScope } from '../state/types.js';

/** The session a conversation's next message joins, as the asker sees it. */
export interface ConversationSession {
  dispatcherId: string;
  /** The binding's scope: one thread per dispatcher, per conversation, or per platform thread. */
  scope: SessionScope;
  /** The session key (`dispatcher`, `c:…`, `t:…`; see src/dispatch/sessions/key.ts). */
  key: string;
  /** Codex thread id; null before the session's first turn started one. */
  threadId: string | null;
  /** Accepted turns of the session not yet settled, the running one included. */
  queueDepth: number;
  /** Age of the session's running turn, ms; null when none runs. */
  runningTurnAgeMs: number | null;
  /** Threads the session left with `new` / `reset`. */
  previousThreads: number;
  /** One line for people, worded as the chat `status` command words it. */
  summary: string;
}

/** Where a conversation is: a channel and its conversation, with a platform thread where it has one. */
export interface ConversationPlace {
  channelId: string;
  conversation: string;
  thread?: string;
}

/** The session of `place`; null when no dispatcher is bound there. Called per request. */
export type SessionInfoSource = (place: ConversationPlace) => ConversationSession | null;
