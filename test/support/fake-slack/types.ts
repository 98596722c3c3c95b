/** Shared types of the fake Slack platform. */

export interface FakeSlackUser {
  name: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
}

export interface FakeSlackOptions {
  /** The bot's user id, returned by auth.test (default 'UBOT'). */
  botUserId?: string;
  /** The bot id, returned by auth.test (default 'BBOT'). */
  botId?: string;
  /** Workspace id (default 'T0FAKE'). */
  teamId?: string;
  /** App id, used in event envelopes and the Socket Mode hello (default 'A1'). */
  appId?: string;
  /** Whether auth.test answers `app_id` (default true); false leaves bots.info as the only source. */
  authTestAppId?: boolean;
  /** Known users for users.info; the bot user is added automatically. */
  users?: Record<string, FakeSlackUser>;
  /** If set, the only bot token accepted; otherwise any `xoxb-`/`xoxp-` token is. */
  botToken?: string;
  /** If set, the only app-level token accepted by apps.connections.open; otherwise any `xapp-` token is. */
  appToken?: string;
  /**
   * If set, the only conversation ids that exist: chat.postMessage, chat.update and reactions.* in
   * any other answer `channel_not_found`, as Slack does. Otherwise every channel id is accepted.
   */
  channels?: string[];
  /** If set, chat.startStream/appendStream/stopStream answer this error (e.g. 'unknown_method'): no streaming. */
  streamingError?: string;
}

/** One recorded Web API call. */
export interface RecordedCall {
  method: string;
  /**
   * The parsed request body. Form values stay strings (`"true"`, `"42"`), except that JSON-valued
   * fields the WebClient serialises (`blocks`, `attachments`, `metadata`, …) are decoded back.
   */
  body: Record<string, unknown>;
  /** The token used (Authorization header, else the `token` body field), or undefined. */
  token: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
  /** The JSON the fake answered with. */
  response: Record<string, unknown>;
  /** True when the answer came from failNext(). */
  injected: boolean;
}

/** What failNext() makes the next call to a method answer. */
export interface InjectedFailure {
  /** Slack error code for `{ok:false, error}` (default 'ratelimited' for 429, else 'internal_error'). */
  error?: string;
  /** HTTP status (default 200, like Slack's own `ok:false` answers). */
  status?: number;
  /** Sets `Retry-After` (seconds); defaults to 1 when status is 429. */
  retryAfterSec?: number;
  /** How many consecutive calls fail this way (default 1). */
  times?: number;
}

/** A message the fake knows about (posted by the bot, seeded, or seen in a delivered event). */
export interface StoredMessage extends MessageFields {
  type: 'message';
}

export interface MessageFields {
  channel: string;
  ts: string;
  text?: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  [key: string]: unknown;
}

/** A message to seed with FakeSlack.addMessage(); `type` defaults to 'message'. */
export type MessageSeed = MessageFields & { type?: 'message' };

export interface SendEventOptions {
  /** event_id (default a fresh 'Ev…'); reuse one to simulate a redelivery. */
  eventId?: string;
  /** retry_attempt (default 0). */
  retryNum?: number;
  /** retry_reason (default '' like Slack, or 'timeout' when retryNum > 0). */
  retryReason?: string;
  /** envelope_id (default a fresh UUID). */
  envelopeId?: string;
  /** How long to wait for the ack (default 3000 ms, Slack's own deadline). */
  ackTimeoutMs?: number;
  /** How long to wait for a connected socket before giving up (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Extra top-level fields merged into the event_callback payload. */
  payloadExtra?: Record<string, unknown>;
}

export interface SendEventResult {
  acked: boolean;
  envelopeId: string;
  eventId: string;
  /** The `payload` the client sent with its ack (Bolt sends `{}`), if acked. */
  ackPayload?: unknown;
}

export type DisconnectMode =
  /** Slack's polite way: a `{type:'disconnect', reason:'refresh_requested'}` message; the client closes. */
  | 'refresh'
  /** The server sends a close frame (1001 going away). */
  | 'close'
  /** The TCP connection is destroyed without any close frame (a network drop). */
  | 'terminate';
