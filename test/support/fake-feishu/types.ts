/** Shared types of the fake Feishu/Lark platform. */

export interface FakeFeishuOptions {
  /**
   * App id. Default: a fresh random `cli_` + 16 hex per fake. It must match `^cli_[0-9a-fA-F]{16}$`
   * or `WSClient.start()` logs "invalid appId" and silently does nothing. A fresh id per fake also
   * keeps the SDK's process-wide token cache (keyed by app id) from leaking tokens between fakes.
   */
  appId?: string;
  /** App secret the token and ws-endpoint calls must present (default 'fake-app-secret'). */
  appSecret?: string;
  /** The bot's open_id (default 'ou_' + 32 hex). */
  botOpenId?: string;
  /** The bot's name, from /open-apis/bot/v3/info and in mentions (default 'Switchboard'). */
  botName?: string;
  /** open_id → display name, served by `GET /open-apis/contact/v3/users/:user_id` (others: 41050). */
  users?: Record<string, string>;
  /** Tenant key in event headers and sender objects (default 'fake_tenant_key'). */
  tenantKey?: string;
  /** Verification token put into built event headers (default 'fake-verification-token'). */
  verificationToken?: string;
  /** `expire` (seconds) of issued tokens (default 7200). The SDK caches a token until expire − 180 s. */
  tokenTtlSec?: number;
  /** Long-connection client config handed out by /callback/ws/endpoint and in pongs. */
  clientConfig?: Partial<WsClientConfig>;
}

/** Feishu's long-connection ClientConfig; every number is in seconds (the SDK multiplies by 1000). */
export interface WsClientConfig {
  /** -1 = retry forever. */
  ReconnectCount: number;
  /** Wait between failed reconnect attempts. */
  ReconnectInterval: number;
  /** The first reconnect attempt waits `random() * ReconnectNonce`. */
  ReconnectNonce: number;
  /** How often the client pings. */
  PingInterval: number;
}

/** Names of the endpoints the fake serves (used by callsTo / waitForCall / failNext). */
export type RouteName =
  | 'auth.tenantAccessToken'
  | 'auth.appAccessToken'
  | 'bot.info'
  | 'contact.user.get'
  | 'im.message.create'
  | 'im.message.reply'
  | 'im.message.update'
  | 'im.message.patch'
  | 'im.message.delete'
  | 'im.messageReaction.create'
  | 'im.messageReaction.delete'
  | 'im.messageResource.get'
  | 'ws.endpoint'
  | 'cardkit.card.create'
  | 'cardkit.card.settings'
  | 'cardkit.card.update'
  | 'cardkit.cardElement.content'
  | 'cardkit.cardElement.update'
  | 'cardkit.cardElement.delete';

/** One recorded HTTP call to the fake (long-connection frames are recorded separately). */
export interface RecordedCall {
  /** Route name, or 'unknown' for a path the fake does not serve. */
  route: RouteName | 'unknown';
  /** HTTP method. */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path parameters, e.g. `{ message_id }`. */
  params: Record<string, string>;
  /** Query string parameters. */
  query: Record<string, string>;
  /** Request headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Bearer token from `Authorization`, if any. */
  token: string | undefined;
  /** The JSON body (undefined when empty or not JSON; see rawBody). */
  body: any;
  rawBody: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
  /** The JSON answered (for file downloads: `{ bytes: n }`). */
  response: any;
  /** True when the answer came from failNext(). */
  injected: boolean;
}

/** What failNext() makes the next call(s) to a route answer: `{code, msg, data?}` with `httpStatus`. */
export interface InjectedFailure {
  /** Feishu error code (default 99991400 when httpStatus is 429, else 1). */
  code?: number;
  msg?: string;
  /**
   * HTTP status (default 400 when a code is given — Feishu answers most business errors with HTTP
   * 400 and a non-zero code — else 500). With 200 the SDK resolves with `{code, msg}` instead of
   * rejecting.
   */
  httpStatus?: number;
  /** Extra response headers (on 429 the fake adds x-ogw-ratelimit-limit/-reset unless given). */
  headers?: Record<string, string>;
  /** Wait this long before answering (for client timeouts). */
  delayMs?: number;
  /** How many consecutive calls fail this way (default 1). */
  times?: number;
}

/** A message known to the fake: received (from a delivered event) or sent by the bot. */
export interface StoredMessage {
  message_id: string;
  chat_id: string;
  chat_type?: 'p2p' | 'group';
  msg_type: string;
  /** The JSON string, as on the wire. */
  content: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  /** 'user' for received messages, 'app' for the bot's. */
  sender_type: 'user' | 'app';
  sender_id: string;
  create_time: string;
  update_time: string;
  deleted: boolean;
  updated: boolean;
  /** How the bot's message came to be. */
  via?: 'create' | 'reply';
  /** The `uuid` idempotency key the bot sent, if any. */
  uuid?: string;
}

export interface StoredReaction {
  reaction_id: string;
  message_id: string;
  emoji_type: string;
  operator_id: string;
  action_time: string;
}

/** Options of sendEvent(). */
export interface SendEventOptions {
  /** How long to wait for the client's response frame (default 3000 ms). */
  ackTimeoutMs?: number;
  /** How long to wait for an open connection first (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Split the payload over this many frames (header `sum`), like Feishu does for large events. */
  fragments?: number;
  /** Frame `type` header (default 'event'; the SDK 1.74 ignores — and never acks — anything else). */
  frameType?: string;
  /** Frame `message_id` header (default a fresh id). */
  frameMessageId?: string;
}

export interface SendEventResult {
  /** True when the client answered with a response frame. */
  acked: boolean;
  /** The frame `message_id` header used. */
  frameMessageId: string;
  /** Parsed JSON payload of the response frame: `{code: 200 | 500, data?: base64}`. */
  ackPayload?: { code?: number; data?: string; [k: string]: unknown };
  /** `ackPayload.code` (200 handled, 500 the handler threw). */
  code?: number;
  /** `ackPayload.data` base64-decoded and JSON-parsed: what the handler returned, if truthy. */
  handlerResult?: unknown;
  /** The `biz_rt` header the client appended (milliseconds, as a string). */
  bizRt?: string;
}

/** A response frame the client sent back for a data frame. */
export interface RecordedAck {
  frameMessageId: string;
  headers: Record<string, string>;
  payload: SendEventResult['ackPayload'];
  at: number;
}
