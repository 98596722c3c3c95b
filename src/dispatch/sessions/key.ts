/**
 * Session keys: which Codex thread of a dispatcher a message belongs to, by its binding's
 * `session` scope (pure).
 *
 * - `dispatcher`: every message → {@link DISPATCHER_SESSION} (the dispatcher's own thread).
 * - `conversation`: one session per chat place → `c:<channel>:<conversation>`.
 * - `thread`: one per Slack thread (`thread_ts`, a top-level message starts its own), Feishu
 *   topic (`thread_id`) or reply chain (`root_id`, a top-level message starts one), web
 *   conversation (web chats have no threads) → `t:<channel>:<conversation>:<thread>`.
 *
 * Keys are computed from a ReplyAddress, so a completion's origin (the address of the turn that
 * delegated) names the same session as the message that started that turn.
 */
import type { ReplyAddress } from '../../channels/types.js';
import type { SessionRecord, SessionScope } from '../../state/types.js';

/** The key of a dispatcher's own thread (scope `dispatcher`); no SessionRecord has it. */
export const DISPATCHER_SESSION = 'dispatcher';

/** What a session key is computed from: where a message was (or its answer goes). */
export type SessionAddress = Pick<ReplyAddress, 'channelId' | 'conversation' | 'thread' | 'messageId'>;

/** The chat place of a session of scope `conversation` / `thread`. */
export type SessionPlace = SessionRecord['place'];

/**
 * The session `address` belongs to under `scope`; `threadless` for channels without threads
 * (the web chat), where a `thread` session is the whole conversation.
 */
export function sessionOf(scope: SessionScope, address: SessionAddress, threadless: boolean): { key: string; scope: SessionScope; place: SessionPlace | null } {
  if (scope === 'dispatcher') return { key: DISPATCHER_SESSION, scope, place: null };
  const { channelId, conversation } = address;
  if (scope === 'conversation' || threadless) return { key: `c:${channelId}:${conversation}`, scope, place: { channelId, conversation } };
  const thread = address.thread ?? address.messageId;
  return { key: `t:${channelId}:${conversation}:${thread}`, scope, place: { channelId, conversation, thread } };
}
