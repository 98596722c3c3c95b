/**
 * startFakeFeishu(): a local stand-in for open.feishu.cn on 127.0.0.1 — the Open API endpoints a
 * chat adapter uses, the long-connection endpoint and WebSocket — with call recording, failure
 * injection and helpers to deliver events. Point the real SDK at it with `domain: fake.url`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, type CallPredicate } from './call-log.js';
import { CARDKIT_API, cardActionTrigger, CardStore, type CardActionInput, type StoredCard } from './cardkit.js';
import { messageReceive, type EventContext, type FeishuEvent, type MessageReceiveInput } from './events.js';
import { FailurePlan } from './failures.js';
import { newAppId, newOpenId } from './ids.js';
import { DEFAULT_CLIENT_CONFIG, LongConnectionHub } from './long-connection.js';
import { MessageStore } from './message-store.js';
import { fail, OPEN_API, UNAUTHENTICATED, type ApiResult, type OpenApiState } from './open-api.js';
import { matchRoute, type CallPattern } from './routes.js';
import { TOKEN_ERRORS, TokenIssuer } from './tokens.js';
import type {
  FakeFeishuOptions,
  InjectedFailure,
  RecordedAck,
  RecordedCall,
  RouteName,
  SendEventOptions,
  SendEventResult,
  StoredMessage,
  StoredReaction,
  WsClientConfig,
} from './types.js';
import { postWebhook, type PostWebhookOptions, type PostWebhookResult } from './webhook.js';

export interface MessageSeed {
  message_id: string;
  chat_id: string;
  chat_type?: 'p2p' | 'group';
  msg_type?: string;
  content?: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  sender_id?: string;
}

export interface FakeFeishu {
  /** http://127.0.0.1:PORT — pass as `domain` to lark.Client / lark.WSClient. */
  readonly url: string;
  readonly port: number;
  readonly appId: string;
  readonly appSecret: string;
  readonly botOpenId: string;
  readonly botName: string;
  readonly tenantKey: string;
  readonly verificationToken: string;
  /** appId/tenantKey/token/bot identity for the event builders. */
  readonly eventContext: EventContext;

  // Open API record
  readonly calls: RecordedCall[];
  callsTo(pattern: CallPattern): RecordedCall[];
  waitForCall(pattern: CallPattern, predicate?: CallPredicate, timeoutMs?: number): Promise<RecordedCall>;
  clearCalls(): void;
  /** The next call(s) to `route` answer with this failure instead (checked before the token). */
  failNext(route: RouteName, failure?: InjectedFailure): void;
  /** Makes `GET /open-apis/contact/v3/users/<openId>` answer this name. */
  setUser(openId: string, name: string): void;

  // Tokens
  /** Tenant tokens issued so far, oldest first. */
  readonly issuedTokens: readonly string[];
  /** Invalidates all issued tokens: later calls with them get HTTP 400 code 99991663. */
  revokeTokens(): void;

  // State
  /** Makes a message known (replies/reactions to unknown message ids fail with 231003). */
  addMessage(seed: MessageSeed): StoredMessage;
  message(messageId: string): StoredMessage | undefined;
  /** Recalls a message: replies/reactions/downloads for it then fail with 230011. */
  withdrawMessage(messageId: string): void;
  /** Messages the bot sent (create/reply), oldest first, optionally of one chat. */
  sentMessages(chatId?: string): StoredMessage[];
  reactionsOn(messageId: string): StoredReaction[];
  /** Bytes served by GET …/messages/:messageId/resources/:fileKey?type=… */
  addResource(
    messageId: string,
    fileKey: string,
    bytes: Buffer | Uint8Array | string,
    contentType?: string,
    opts?: { fileName?: string; type?: 'image' | 'file' },
  ): void;
  /**
   * Holds every GET …/messages/:messageId/resources/:fileKey (after its arrival is recorded in
   * `requested`) until `release()`; then each is answered as usual (including failNext()). Lets a
   * test keep a download hanging on an event it controls instead of a delay.
   */
  holdResource(messageId: string, fileKey: string): ResourceHold;
  /** messageReceive() with this fake's app/tenant/token/bot identity. */
  messageReceive(input: MessageReceiveInput): FeishuEvent;

  // CardKit
  /** A card entity by id. */
  card(cardId: string): StoredCard | undefined;
  /** Card entities created so far, oldest first. */
  cards(): StoredCard[];
  /** While false, card creation fails with 99991672 (the app lacks `cardkit:card:write`). */
  setCardKitAvailable(available: boolean): void;
  /** A `card.action.trigger` callback body with this fake's app/tenant/token (deliver with sendEvent or postWebhook). */
  cardAction(input: CardActionInput): FeishuEvent;

  // Long connection
  readonly clientConfig: WsClientConfig;
  /** Changes the ClientConfig handed out from now on (endpoint answers and pongs). */
  setClientConfig(config: Partial<WsClientConfig>): void;
  /** Response frames received from the client. */
  readonly acks: readonly RecordedAck[];
  /** Arrival times of client pings. */
  readonly pings: readonly number[];
  readonly connectionCount: number;
  readonly openSocketCount: number;
  /** Resolves once `minConnections` (default 1) were accepted in total and an open one has pinged. */
  waitForConnection(minConnections?: number, timeoutMs?: number): Promise<void>;
  /** Delivers an event body over the long connection and waits for the client's response frame. */
  sendEvent(event: object, opts?: SendEventOptions): Promise<SendEventResult>;
  /** Drops all long connections ('close' = close frame, 'terminate' = reset). */
  disconnectSockets(mode?: 'close' | 'terminate'): Promise<void>;
  /**
   * While `refuse` is true, new long-connection WebSocket upgrades get HTTP 503 (the endpoint still
   * hands out URLs), as while Feishu is unreachable; open connections stay.
   */
  refuseConnections(refuse: boolean): void;

  // HTTP event subscription
  /** webhook.postWebhook(), also making the event's message known to the fake. */
  postWebhook(url: string, opts: PostWebhookOptions): Promise<PostWebhookResult>;

  close(): Promise<void>;
}

/** A held resource download (FakeFeishu.holdResource). */
export interface ResourceHold {
  /** Resolves when the first request for the resource arrived (and is being held). */
  readonly requested: Promise<void>;
  /** Requests for the resource that arrived so far. */
  readonly requests: number;
  /** Answers the held requests and lets later ones through. */
  release(): void;
}

interface HoldState {
  hold: ResourceHold;
  arrived(): void;
  released: Promise<void>;
}

function newHold(onRelease: () => void): HoldState {
  let arrived!: () => void;
  let release!: () => void;
  const requested = new Promise<void>((r) => {
    arrived = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  let requests = 0;
  return {
    hold: {
      requested,
      get requests() {
        return requests;
      },
      release: () => {
        onRelease();
        release();
      },
    },
    arrived: () => {
      requests++;
      arrived();
    },
    released,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function reply(res: ServerResponse, result: ApiResult): void {
  if ('bytes' in result) {
    res.writeHead(result.status, result.headers);
    res.end(result.bytes);
    return;
  }
  res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...result.headers });
  res.end(JSON.stringify(result.json));
}

/** Folds a delivered im.message.receive_v1 into the store so later calls see the message. */
function ingest(store: MessageStore, event: unknown): void {
  const e = event as Partial<FeishuEvent> | undefined;
  if (e?.header?.event_type !== 'im.message.receive_v1') return;
  const m = e.event?.message as Record<string, unknown> | undefined;
  if (!m || typeof m.message_id !== 'string' || typeof m.chat_id !== 'string') return;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const optional = {
    root_id: str(m.root_id),
    parent_id: str(m.parent_id),
    thread_id: str(m.thread_id),
  };
  store.upsert({
    message_id: m.message_id,
    chat_id: m.chat_id,
    ...(m.chat_type === 'p2p' || m.chat_type === 'group' ? { chat_type: m.chat_type } : {}),
    msg_type: str(m.message_type) ?? 'text',
    content: str(m.content) ?? '{}',
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    sender_type: 'user',
    sender_id: str(e.event?.sender?.sender_id?.open_id) ?? 'ou_unknown',
  });
}

export async function startFakeFeishu(opts: FakeFeishuOptions = {}): Promise<FakeFeishu> {
  const appId = opts.appId ?? newAppId();
  const appSecret = opts.appSecret ?? 'fake-app-secret';
  const botOpenId = opts.botOpenId ?? newOpenId();
  const botName = opts.botName ?? 'Switchboard';
  const tenantKey = opts.tenantKey ?? 'fake_tenant_key';
  const verificationToken = opts.verificationToken ?? 'fake-verification-token';
  const ttl = opts.tokenTtlSec ?? 7200;
  const log = new CallLog();
  const failures = new FailurePlan();
  const store = new MessageStore();
  const tokens = new TokenIssuer(() => ttl);
  const cards = new CardStore();
  const holds = new Map<string, HoldState>();
  const holdKey = (messageId: string, fileKey: string): string => `${messageId}\u0000${fileKey}`;
  const users = new Map(Object.entries(opts.users ?? {}));
  const state: OpenApiState = { appId, appSecret, botOpenId, botName, tenantKey, store, tokens, cards, users };
  const eventContext: EventContext = { appId, tenantKey, token: verificationToken, botOpenId, botName };

  let port = 0;
  const hub = new LongConnectionHub({
    appId,
    appSecret,
    wsBase: () => `ws://127.0.0.1:${port}`,
    clientConfig: { ...DEFAULT_CLIENT_CONFIG, ...opts.clientConfig },
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const rawBody = await readBody(req);
    let body: any;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
    }
    const token = bearer(req);
    const matched = matchRoute(method, url.pathname);
    const record = (route: RouteName | 'unknown', params: Record<string, string>, result: ApiResult, injected: boolean): void => {
      log.record({
        route,
        method,
        path: url.pathname,
        params,
        query: Object.fromEntries(url.searchParams),
        headers: { ...req.headers },
        token,
        body,
        rawBody,
        at,
        status: result.status,
        response: 'bytes' in result ? { bytes: result.bytes.length } : result.json,
        injected,
      });
    };
    if (!matched) {
      const result: ApiResult = { status: 404, json: { code: 404, msg: '404 page not found', data: {} } };
      record('unknown', {}, result, false);
      return reply(res, result);
    }
    const { route, params } = matched;
    const held = route.name === 'im.messageResource.get' ? holds.get(holdKey(params.message_id ?? '', params.file_key ?? '')) : undefined;
    if (held) {
      held.arrived();
      await held.released;
    }
    const planned = failures.take(route.name);
    if (planned) {
      if (planned.delayMs > 0) await new Promise((r) => setTimeout(r, planned.delayMs));
      const result: ApiResult = { status: planned.status, json: planned.body, headers: planned.headers };
      record(route.name, params, result, true);
      return reply(res, result);
    }
    let result: ApiResult;
    if (rawBody !== '' && body === undefined && method !== 'GET') {
      result = fail(9499, 'Bad Request: body is not valid JSON');
    } else if (route.name === 'ws.endpoint') {
      result = hub.handleEndpoint(body);
    } else if (!UNAUTHENTICATED.has(route.name) && tokens.check(token) !== 'ok') {
      const e = TOKEN_ERRORS[tokens.check(token) === 'missing' ? 'missing' : 'invalid'];
      result = fail(e.code, e.msg);
    } else {
      const req = { params, query: Object.fromEntries(url.searchParams), body };
      const handler = OPEN_API[route.name];
      const cardkit = CARDKIT_API[route.name];
      result = handler ? handler(req, state) : cardkit ? cardkit(req, cards) : fail(404, 'not implemented');
    }
    record(route.name, params, result, false);
    reply(res, result);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) reply(res, fail(1, `fake Feishu internal error: ${String(e)}`, 500));
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

  let closed = false;
  const fake: FakeFeishu = {
    url: `http://127.0.0.1:${port}`,
    port,
    appId,
    appSecret,
    botOpenId,
    botName,
    tenantKey,
    verificationToken,
    eventContext,

    calls: log.calls,
    callsTo: (pattern) => log.callsTo(pattern),
    waitForCall: (pattern, predicate, timeoutMs) => log.waitForCall(pattern, predicate, timeoutMs),
    clearCalls: () => log.clear(),
    failNext: (route, failure) => failures.add(route, failure),
    setUser: (openId, name) => void users.set(openId, name),

    issuedTokens: tokens.issued,
    revokeTokens: () => tokens.revokeAll(),

    addMessage: (seed) =>
      store.upsert({
        msg_type: 'text',
        content: JSON.stringify({ text: '' }),
        sender_type: 'user',
        sender_id: seed.sender_id ?? 'ou_seeded',
        ...seed,
      }),
    message: (id) => store.get(id),
    withdrawMessage: (id) => store.withdraw(id),
    sentMessages: (chatId) => store.sent.filter((m) => chatId === undefined || m.chat_id === chatId),
    reactionsOn: (id) => store.reactionsOn(id),
    addResource: (messageId, fileKey, bytes, contentType = 'application/octet-stream', o = {}) =>
      store.addResource(messageId, fileKey, {
        bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes),
        contentType,
        ...(o.fileName !== undefined ? { fileName: o.fileName } : {}),
        ...(o.type !== undefined ? { type: o.type } : {}),
      }),
    holdResource: (messageId, fileKey) => {
      const key = holdKey(messageId, fileKey);
      const state = newHold(() => holds.delete(key));
      holds.set(key, state);
      return state.hold;
    },
    messageReceive: (input) => messageReceive(input, eventContext),

    card: (cardId) => cards.get(cardId),
    cards: () => cards.all(),
    setCardKitAvailable: (available) => {
      cards.available = available;
    },
    cardAction: (input) => cardActionTrigger(input, eventContext),

    get clientConfig() {
      return { ...hub.clientConfig };
    },
    setClientConfig: (config) => {
      hub.clientConfig = { ...hub.clientConfig, ...config };
    },
    acks: hub.acks,
    pings: hub.pings,
    get connectionCount() {
      return hub.connectionCount;
    },
    get openSocketCount() {
      return hub.openSocketCount;
    },
    waitForConnection: (min, timeoutMs) => hub.waitForConnection(min, timeoutMs),
    sendEvent: (event, o) => {
      ingest(store, event);
      return hub.deliver(event, o);
    },
    disconnectSockets: (mode) => hub.disconnectAll(mode),
    refuseConnections: (refuse) => {
      hub.refusing = refuse;
    },

    postWebhook: (url, o) => {
      if (typeof o.payload === 'object') ingest(store, o.payload);
      return postWebhook(url, o);
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const h of [...holds.values()]) h.hold.release();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
