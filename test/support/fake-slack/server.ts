/**
 * startFakeSlack(): a local stand-in for slack.com on 127.0.0.1 — the Web API at /api/<method>,
 * Socket Mode at the URL apps.connections.open hands out — with call recording, failure injection
 * and helpers to deliver events.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CallLog, type CallPredicate } from './call-log.js';
import { eventCallback, newEventId, type EventCallbackOptions, type SlackEvent } from './events.js';
import { FailurePlan } from './failures.js';
import { MessageStore } from './message-store.js';
import { BadRequestBody, extractToken, parseApiBody, readRawBody } from './request-body.js';
import { postEvent, type PostEventOptions, type PostEventResult } from './signing.js';
import { SocketModeHub, type RecordedAck } from './socket-mode.js';
import { createTsClock, type TsClock } from './ts-clock.js';
import type {
  DisconnectMode,
  FakeSlackOptions,
  FakeSlackUser,
  InjectedFailure,
  MessageSeed,
  RecordedCall,
  SendEventOptions,
  SendEventResult,
  StoredMessage,
} from './types.js';
import { METHODS, type ApiResponse, type TokenKind, type WebApiState } from './web-api.js';
import type { StoredEphemeral, StoredStatus } from './web-api-live.js';
import { blockActionsPayload, postInteraction, type ButtonPress } from './interactivity.js';

export interface FakeSlack {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/api/ — pass as `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  readonly port: number;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly appId: string;

  // Web API record
  readonly calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  waitForCall(method: string, predicate?: CallPredicate, timeoutMs?: number): Promise<RecordedCall>;
  clearCalls(): void;
  /** The next call(s) to `method` answer with this failure instead (see InjectedFailure). */
  failNext(method: string, failure?: InjectedFailure): void;

  // State
  addUser(id: string, user: FakeSlackUser): void;
  /** Seeds a message (for conversations.replies, chat.update). */
  addMessage(message: MessageSeed): StoredMessage;
  /** Known messages of a channel, oldest first. */
  messages(channel: string): StoredMessage[];
  /** Reactions on one message: name → user ids. */
  reactionsOn(channel: string, ts: string): Record<string, string[]>;
  /** A fresh message timestamp from the fake's clock. */
  nextTs(): string;

  // Socket Mode
  readonly acks: RecordedAck[];
  /** Socket Mode connections accepted so far (reconnects count). */
  readonly connectionCount: number;
  readonly openSocketCount: number;
  /**
   * Resolves when `minConnections` (default 1) were accepted in total and an open one has processed
   * hello — checked by a ping sent after hello, so the client's start() has settled by then.
   */
  waitForConnection(minConnections?: number, timeoutMs?: number): Promise<void>;
  /** Wraps `event` in an event_callback envelope, delivers it and waits for the ack. */
  sendEvent(event: SlackEvent, opts?: SendEventOptions): Promise<SendEventResult>;
  /** Delivers a non-Events-API envelope (slash_commands, interactive, …) and waits for the ack. */
  sendEnvelope(
    type: string,
    payload: Record<string, unknown>,
    opts?: { acceptsResponsePayload?: boolean; envelopeId?: string; ackTimeoutMs?: number },
  ): Promise<{ acked: boolean; envelopeId: string; ackPayload?: unknown }>;
  /** Drops all Socket Mode connections (default 'refresh': Slack's `disconnect` message). */
  disconnectSockets(mode?: DisconnectMode): Promise<void>;
  /**
   * While `refuse` is true, new Socket Mode WebSocket upgrades get HTTP 503 (apps.connections.open
   * still hands out URLs), as while Slack's socket endpoint is unreachable; open connections stay.
   */
  refuseConnections(refuse: boolean): void;

  // HTTP Events API
  /** The event_callback body for `event`, with this fake's team/app/bot ids. */
  eventCallback(event: SlackEvent, opts?: EventCallbackOptions): Record<string, unknown>;
  /** signing.postEvent, also remembering the event's message like sendEvent does. */
  postEvent(url: string, signingSecret: string, payload: object | string, opts?: PostEventOptions): Promise<PostEventResult>;

  // Live answers (./web-api-live.ts, ./interactivity.ts)
  /** Makes the streaming methods answer `error` (e.g. 'unknown_method'), or available again (undefined). */
  setStreamingError(error: string | undefined): void;
  /** Ephemeral messages the bot showed (chat.postEphemeral), oldest first. */
  ephemerals(channel?: string): StoredEphemeral[];
  /** Statuses set with assistant.threads.setStatus, oldest first. */
  statuses(): StoredStatus[];
  /** Delivers a button press over Socket Mode (an `interactive` envelope) and waits for the ack. */
  sendAction(press: Omit<ButtonPress, 'teamId'>, opts?: { ackTimeoutMs?: number }): Promise<{ acked: boolean; ackPayload?: unknown }>;
  /** POSTs a button press to an HTTP-mode app's Request URL (form `payload=`, signed); its HTTP answer. */
  postAction(url: string, signingSecret: string, press: Omit<ButtonPress, 'teamId'>): Promise<PostEventResult>;

  close(): Promise<void>;
}

function tokenKind(token: string | undefined, opts: FakeSlackOptions): TokenKind | undefined {
  if (token === undefined) return undefined;
  if (token.startsWith('xapp-')) return opts.appToken === undefined || opts.appToken === token ? 'app' : undefined;
  if (/^xox[bp]-/.test(token)) return opts.botToken === undefined || opts.botToken === token ? 'bot' : undefined;
  return undefined;
}

/** Folds a delivered event into the message store, so later API calls see what the app saw. */
function ingest(store: MessageStore, clock: TsClock, event: SlackEvent): void {
  for (const key of ['ts', 'event_ts', 'thread_ts'] as const) {
    const v = event[key];
    if (typeof v === 'string') clock.observe(v);
  }
  const channel = typeof event.channel === 'string' ? event.channel : undefined;
  if (!channel) return;
  if (event.subtype === 'message_changed' && event.message && typeof event.message === 'object') {
    const m = event.message as StoredMessage;
    store.upsert({ ...m, type: 'message', channel });
  } else if (event.subtype === 'message_deleted' && typeof event.deleted_ts === 'string') {
    store.delete(channel, event.deleted_ts);
  } else if ((event.type === 'message' || event.type === 'app_mention') && typeof event.ts === 'string') {
    const { type: _t, event_ts: _e, channel_type: _c, ...rest } = event;
    store.upsert({ ...rest, type: 'message', channel, ts: event.ts });
  }
}

function send(res: ServerResponse, status: number, body: ApiResponse, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botUserId = opts.botUserId ?? 'UBOT';
  const botId = opts.botId ?? 'BBOT';
  const teamId = opts.teamId ?? 'T0FAKE';
  const appId = opts.appId ?? 'A1';
  const log = new CallLog();
  const failures = new FailurePlan();
  const store = new MessageStore();
  const clock = createTsClock();
  const users = new Map<string, FakeSlackUser>([[botUserId, { name: 'switchboard', real_name: 'Switchboard', is_bot: true }]]);
  for (const [id, u] of Object.entries(opts.users ?? {})) users.set(id, u);

  let port = 0;
  const hub = new SocketModeHub(appId, () => `ws://127.0.0.1:${port}`);
  const state: WebApiState = {
    botUserId,
    botId,
    teamId,
    appId,
    authTestAppId: opts.authTestAppId ?? true,
    users,
    store,
    clock,
    openSocketUrl: () => hub.issueUrl(),
    live: { ephemerals: [], statuses: [], ...(opts.streamingError !== undefined ? { streamingError: opts.streamingError } : {}) },
    ...(opts.channels ? { channels: new Set(opts.channels) } : {}),
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const at = Date.now();
    const raw = await readRawBody(req);
    let body: Record<string, unknown>;
    try {
      body = await parseApiBody(req, raw, url);
    } catch (e) {
      if (!(e instanceof BadRequestBody)) throw e;
      body = { _raw: raw.toString('utf8') };
      const response = { ok: false, error: 'invalid_json' };
      log.record({ method, body, token: extractToken(req, {}), at, status: 200, response, injected: false });
      return send(res, 200, response);
    }
    const token = extractToken(req, body);
    const answer = (status: number, response: ApiResponse, injected: boolean, headers?: Record<string, string>): void => {
      log.record({ method, body, token, at, status, response, injected });
      send(res, status, response, headers);
    };
    const spec = METHODS[method];
    if (!spec) return answer(200, { ok: false, error: 'unknown_method' }, false);
    const planned = failures.take(method);
    if (planned) return answer(planned.status, planned.body, true, planned.headers);
    if (tokenKind(token, opts) !== spec.token) return answer(200, { ok: false, error: 'invalid_auth' }, false);
    answer(200, spec.handle(body, state), false);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!m?.[1] || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    handleApi(req, res, url, m[1]).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'fatal_error', detail: String(e) });
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  const wrap = (event: SlackEvent, o: EventCallbackOptions = {}): Record<string, unknown> => eventCallback(event, { teamId, appId, botUserId, ...o });

  let closed = false;
  const fake: FakeSlack = {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    port,
    botUserId,
    botId,
    teamId,
    appId,
    calls: log.calls,
    callsTo: (method) => log.callsTo(method),
    waitForCall: (method, predicate, timeoutMs) => log.waitForCall(method, predicate, timeoutMs),
    clearCalls: () => log.clear(),
    failNext: (method, failure) => failures.add(method, failure),

    addUser: (id, user) => void users.set(id, user),
    addMessage: (message) => {
      clock.observe(message.ts);
      return store.upsert({ ...message, type: 'message' });
    },
    messages: (channel) => store.list(channel),
    reactionsOn: (channel, ts) => store.reactions(channel, ts),
    nextTs: () => clock.next(),

    acks: hub.acks,
    get connectionCount() {
      return hub.connectionCount;
    },
    get openSocketCount() {
      return hub.openSocketCount;
    },
    waitForConnection: (min, timeoutMs) => hub.waitForConnection(min, timeoutMs),

    async sendEvent(event, o = {}) {
      const eventId = o.eventId ?? newEventId();
      const envelopeId = o.envelopeId ?? randomUUID();
      const retryNum = o.retryNum ?? 0;
      ingest(store, clock, event);
      const ack = await hub.deliver(
        {
          envelope_id: envelopeId,
          type: 'events_api',
          accepts_response_payload: false,
          retry_attempt: retryNum,
          retry_reason: o.retryReason ?? (retryNum > 0 ? 'timeout' : ''),
          payload: { ...wrap(event, { eventId }), ...o.payloadExtra },
        },
        { ackTimeoutMs: o.ackTimeoutMs, connectTimeoutMs: o.connectTimeoutMs },
      );
      return ack ? { acked: true, envelopeId, eventId, ackPayload: ack.payload } : { acked: false, envelopeId, eventId };
    },

    async sendEnvelope(type, payload, o = {}) {
      const envelopeId = o.envelopeId ?? randomUUID();
      const ack = await hub.deliver(
        { envelope_id: envelopeId, type, payload, accepts_response_payload: o.acceptsResponsePayload ?? false },
        { ackTimeoutMs: o.ackTimeoutMs },
      );
      return ack ? { acked: true, envelopeId, ackPayload: ack.payload } : { acked: false, envelopeId };
    },

    disconnectSockets: (mode) => hub.disconnectAll(mode),
    refuseConnections: (refuse) => {
      hub.refusing = refuse;
    },

    eventCallback: wrap,
    async postEvent(url, signingSecret, payload, o) {
      if (typeof payload === 'object' && payload !== null) {
        const ev = (payload as { event?: unknown }).event;
        if (ev && typeof ev === 'object' && typeof (ev as SlackEvent).type === 'string') ingest(store, clock, ev as SlackEvent);
      }
      return postEvent(url, signingSecret, payload, o);
    },

    setStreamingError: (error) => {
      if (error === undefined) delete state.live.streamingError;
      else state.live.streamingError = error;
    },
    ephemerals: (channel) => state.live.ephemerals.filter((e) => channel === undefined || e.channel === channel),
    statuses: () => [...state.live.statuses],
    async sendAction(press, o = {}) {
      const res = await fake.sendEnvelope('interactive', blockActionsPayload({ ...press, teamId, appId }), {
        acceptsResponsePayload: false,
        ackTimeoutMs: o.ackTimeoutMs,
      });
      return { acked: res.acked, ackPayload: res.ackPayload };
    },
    postAction: (url, signingSecret, press) => postInteraction(url, signingSecret, blockActionsPayload({ ...press, teamId, appId })),

    async close() {
      if (closed) return;
      closed = true;
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
