/**
 * Verifies the fake Feishu platform against the REAL @larksuiteoapi/node-sdk: the Open API client,
 * the long-connection WSClient, and the EventDispatcher behind a plain node:http server. The
 * assertions here double as documentation of SDK behaviour the Feishu adapter relies on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  captureLarkLogger,
  encryptFeishuPayload,
  messageReceive,
  newChatId,
  newMessageId,
  newOpenId,
  postWebhook,
  signFeishuRequest,
  startFakeFeishu,
  urlVerification,
  type CapturingLarkLogger,
  type FakeFeishu,
} from '../support/fake-feishu/index.js';

const debug = lark.LoggerLevel.debug;

/** A token cache of our own, so a test (or the adapter) can drop a token the server rejected. */
class ClearableCache {
  readonly values = new Map<string, { value: unknown; expiredTime: number | undefined }>();
  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  private key(key: string | symbol | Symbol, namespace?: string): string {
    return `${namespace ?? ''}/${key.toString()}`;
  }
  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  async set(key: string | Symbol, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiredTime });
    return true;
  }
  // biome-ignore lint/complexity/noBannedTypes: `Symbol` as lark.Cache declares it (types/index.d.ts)
  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const e = this.values.get(this.key(key, options?.namespace));
    if (!e || (e.expiredTime !== undefined && e.expiredTime <= Date.now())) return undefined;
    return e.value;
  }
  clear(): void {
    this.values.clear();
  }
}

interface AxiosLikeError {
  response?: { status: number; data: { code: number; msg: string }; headers: Record<string, string> };
}

async function rejection(p: Promise<unknown>): Promise<AxiosLikeError> {
  try {
    await p;
  } catch (e) {
    return e as AxiosLikeError;
  }
  throw new Error('expected the call to reject');
}

const until = async (cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('fake Feishu Open API with the real lark.Client', () => {
  let fake: FakeFeishu;
  let logger: CapturingLarkLogger;
  let client: lark.Client;

  beforeEach(async () => {
    fake = await startFakeFeishu({ botName: 'Switchboard' });
    logger = captureLarkLogger();
    client = new lark.Client({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, logger, loggerLevel: debug });
  });
  afterEach(async () => {
    await fake.close();
  });

  const seedGroupMessage = (): { messageId: string; chatId: string } => {
    const messageId = newMessageId();
    const chatId = newChatId();
    fake.addMessage({ message_id: messageId, chat_id: chatId, chat_type: 'group' });
    return { messageId, chatId };
  };

  it('replies with a post: one token request, then the call carries the tenant token', async () => {
    const { messageId, chatId } = seedGroupMessage();
    const content = JSON.stringify({ zh_cn: { content: [[{ tag: 'md', text: '**hi**' }]] } });
    const res = await client.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'post', content } });

    expect(res.code).toBe(0);
    expect(res.data?.message_id).toMatch(/^om_/);
    expect(res.data?.chat_id).toBe(chatId);
    expect(res.data?.parent_id).toBe(messageId);
    expect(res.data?.root_id).toBe(messageId);

    const tokenCalls = fake.callsTo('auth.tenantAccessToken');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.body).toEqual({ app_id: fake.appId, app_secret: fake.appSecret });
    const call = await fake.waitForCall('/open-apis/im/v1/messages/:message_id/reply');
    expect(call.token).toBe(fake.issuedTokens[0]);
    expect(call.headers.authorization).toBe(`Bearer ${fake.issuedTokens[0]}`);
    expect(call.params.message_id).toBe(messageId);
    expect(call.body).toEqual({ msg_type: 'post', content });
    expect(fake.sentMessages(chatId)).toHaveLength(1);

    // The token is cached (until expire − 3 min): a second call does not fetch another.
    await client.im.message.reply({
      path: { message_id: messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'again' }), reply_in_thread: true, uuid: 'u-1' },
    });
    expect(fake.callsTo('auth.tenantAccessToken')).toHaveLength(1);
    const threaded = fake.sentMessages(chatId)[1];
    expect(threaded?.thread_id).toMatch(/^omt_/);
    // Same uuid → Feishu de-duplicates and answers the original message.
    const dup = await client.im.message.reply({
      path: { message_id: messageId },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'again' }), uuid: 'u-1' },
    });
    expect(dup.data?.message_id).toBe(threaded?.message_id);
    expect(fake.sentMessages(chatId)).toHaveLength(2);
  });

  it('creates a message by chat_id and validates content', async () => {
    const chatId = newChatId();
    const res = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: chatId, msg_type: 'text', content: JSON.stringify({ text: 'hello' }) },
    });
    expect(res.data?.chat_id).toBe(chatId);
    const call = await fake.waitForCall('POST /open-apis/im/v1/messages');
    expect(call.query).toEqual({ receive_id_type: 'chat_id' });

    // Bad content → HTTP 400 → the SDK rejects with the AxiosError (after logging it).
    const err = await rejection(
      client.im.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: chatId, msg_type: 'post', content: 'not json' },
      }),
    );
    expect(err.response?.status).toBe(400);
    expect(err.response?.data.code).toBe(230001);
  });

  it('adds and removes reactions', async () => {
    const { messageId } = seedGroupMessage();
    const created = await client.im.messageReaction.create({
      path: { message_id: messageId },
      data: { reaction_type: { emoji_type: 'OnIt' } },
    });
    const reactionId = created.data?.reaction_id;
    expect(reactionId).toBeTruthy();
    expect(fake.reactionsOn(messageId).map((r) => r.emoji_type)).toEqual(['OnIt']);

    const deleted = await client.im.messageReaction.delete({ path: { message_id: messageId, reaction_id: reactionId! } });
    expect(deleted.code).toBe(0);
    expect(fake.reactionsOn(messageId)).toEqual([]);
    const call = await fake.waitForCall('im.messageReaction.delete');
    expect(call.params).toEqual({ message_id: messageId, reaction_id: reactionId });
  });

  it('downloads a message resource as a stream or to a file', async () => {
    const { messageId } = seedGroupMessage();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]);
    fake.addResource(messageId, 'img_v3_abc', bytes, 'image/png', { type: 'image' });

    const res = await client.im.messageResource.get({ path: { message_id: messageId, file_key: 'img_v3_abc' }, params: { type: 'image' } });
    expect(res.headers['content-type']).toBe('image/png');
    const chunks: Buffer[] = [];
    for await (const chunk of res.getReadableStream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes);

    const dir = await mkdtemp(join(tmpdir(), 'fake-feishu-'));
    try {
      const again = await client.im.messageResource.get({ path: { message_id: messageId, file_key: 'img_v3_abc' }, params: { type: 'image' } });
      const file = join(dir, 'x.png');
      await again.writeFile(file);
      expect(await readFile(file)).toEqual(bytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Unknown key → HTTP 400 JSON error; the SDK rejects (the body is then a stream, not parsed).
    const err = await rejection(client.im.messageResource.get({ path: { message_id: messageId, file_key: 'nope' }, params: { type: 'image' } }));
    expect(err.response?.status).toBe(400);
  });

  it('answers bot info through client.request', async () => {
    const r = await client.request<{ code: number; bot: { open_id: string; app_name: string } }>({ url: '/open-apis/bot/v3/info', method: 'GET' });
    expect(r.code).toBe(0);
    expect(r.bot).toMatchObject({ open_id: fake.botOpenId, app_name: 'Switchboard' });
  });

  it('rejects a wrong app secret at the token endpoint: the API call rejects with code 10014', async () => {
    const bad = new lark.Client({ appId: fake.appId, appSecret: 'wrong', domain: fake.url, logger, loggerLevel: debug });
    const { messageId } = seedGroupMessage();
    const err = await rejection(bad.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'text', content: '{"text":"x"}' } }));
    expect(err.response?.status).toBe(400);
    expect(err.response?.data).toMatchObject({ code: 10014, msg: 'app secret invalid' });
    expect(fake.callsTo('im.message.reply')).toHaveLength(0);
  });

  it('does NOT refresh a rejected tenant token by itself; a clearable cache lets the caller retry', async () => {
    const { messageId } = seedGroupMessage();
    const cache = new ClearableCache();
    const c = new lark.Client({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, logger, loggerLevel: debug, cache });
    const send = () => c.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'text', content: '{"text":"x"}' } });
    await send();
    expect(fake.issuedTokens).toHaveLength(1);

    fake.revokeTokens();
    const first = await rejection(send());
    expect(first.response?.status).toBe(400);
    expect(first.response?.data.code).toBe(99991663);
    // The SDK keeps using its cached token: no token request, the next call fails the same way.
    const second = await rejection(send());
    expect(second.response?.data.code).toBe(99991663);
    expect(fake.issuedTokens).toHaveLength(1);

    cache.clear();
    const ok = await send();
    expect(ok.code).toBe(0);
    expect(fake.issuedTokens).toHaveLength(2);
  });

  it('injects failures: HTTP 400 rejects, HTTP 200 with a code resolves, 429 is not retried', async () => {
    const { messageId } = seedGroupMessage();
    const send = () => client.im.message.reply({ path: { message_id: messageId }, data: { msg_type: 'text', content: '{"text":"x"}' } });

    fake.failNext('im.message.reply', { code: 230011, msg: 'The message was withdrawn.' });
    const withdrawn = await rejection(send());
    expect(withdrawn.response?.status).toBe(400);
    expect(withdrawn.response?.data).toMatchObject({ code: 230011 });

    fake.failNext('im.message.reply', { code: 231003, msg: 'The message is not found.', httpStatus: 200 });
    const soft = await send();
    expect(soft).toMatchObject({ code: 231003, msg: 'The message is not found.' });

    fake.failNext('im.message.reply', { httpStatus: 429 });
    const limited = await rejection(send());
    expect(limited.response?.status).toBe(429);
    expect(limited.response?.data.code).toBe(99991400);
    expect(limited.response?.headers['x-ogw-ratelimit-reset']).toBe('1');

    expect(fake.callsTo('im.message.reply').map((c) => [c.status, c.injected])).toEqual([
      [400, true],
      [200, true],
      [429, true],
    ]);
    expect((await send()).code).toBe(0);

    // A withdrawn message fails naturally, too.
    fake.withdrawMessage(messageId);
    const gone = await rejection(send());
    expect(gone.response?.data.code).toBe(230011);
    const reaction = await rejection(client.im.messageReaction.create({ path: { message_id: messageId }, data: { reaction_type: { emoji_type: 'OK' } } }));
    expect(reaction.response?.data.code).toBe(230011);
  });
});

describe('fake Feishu long connection with the real lark.WSClient', () => {
  let fake: FakeFeishu;
  let logger: CapturingLarkLogger;
  const clients: lark.WSClient[] = [];

  beforeEach(async () => {
    fake = await startFakeFeishu();
    logger = captureLarkLogger();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close({ force: true });
    await fake.close();
  });

  function startClient(handler: (data: any) => Promise<unknown>, extra: Partial<ConstructorParameters<typeof lark.WSClient>[0]> = {}): lark.WSClient {
    const ws = new lark.WSClient({ appId: fake.appId, appSecret: fake.appSecret, domain: fake.url, logger, loggerLevel: debug, ...extra });
    clients.push(ws);
    const eventDispatcher = new lark.EventDispatcher({ logger, loggerLevel: debug }).register({ 'im.message.receive_v1': handler });
    void ws.start({ eventDispatcher });
    return ws;
  }

  it('delivers an event, acks it after the handler, reconnects after a disconnect, and stops on close()', async () => {
    const received: any[] = [];
    const ws = startClient(async (data) => {
      received.push(data);
    });
    await fake.waitForConnection();
    const endpoint = fake.callsTo('ws.endpoint');
    expect(endpoint).toHaveLength(1);
    expect(endpoint[0]?.body).toEqual({ AppID: fake.appId, AppSecret: fake.appSecret });
    expect(endpoint[0]?.token).toBeUndefined();
    expect(fake.callsTo('auth.tenantAccessToken')).toHaveLength(0);

    const chatId = newChatId();
    const sender = newOpenId();
    const event = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: sender, text: 'hello bot' });
    const result = await fake.sendEvent(event);
    expect(result).toMatchObject({ acked: true, code: 200, ackPayload: { code: 200 } });
    expect(result.bizRt).toBeDefined();
    expect(received).toHaveLength(1);
    // EventDispatcher flattens schema 2.0: header fields and event fields side by side.
    const data = received[0];
    expect(data).toMatchObject({
      schema: '2.0',
      event_type: 'im.message.receive_v1',
      event_id: event.header.event_id,
      app_id: fake.appId,
      tenant_key: fake.tenantKey,
      sender: { sender_id: { open_id: sender }, sender_type: 'user' },
      message: { chat_id: chatId, chat_type: 'group', message_type: 'text' },
    });
    expect(JSON.parse(data.message.content)).toEqual({ text: '@_user_1 hello bot' });
    expect(data.message.mentions[0]).toMatchObject({ key: '@_user_1', name: fake.botName, id: { open_id: fake.botOpenId } });
    expect(data.header).toBeUndefined();
    expect(data.event).toBeUndefined();

    // Disconnect: the client pulls the endpoint again (single-use tickets) and reconnects.
    const t0 = Date.now();
    await fake.disconnectSockets();
    await fake.waitForConnection(2);
    const reconnectMs = Date.now() - t0;
    expect(reconnectMs).toBeLessThan(2000);
    expect(fake.callsTo('ws.endpoint')).toHaveLength(2);
    const second = await fake.sendEvent(fake.messageReceive({ chatId, chatType: 'p2p', senderOpenId: sender, text: 'again' }));
    expect(second.acked).toBe(true);
    expect(received).toHaveLength(2);
    expect(JSON.parse(received[1].message.content)).toEqual({ text: 'again' });
    expect(received[1].message.mentions).toBeUndefined();

    // close(): the socket goes away and no reconnect follows.
    ws.close();
    await until(() => fake.openSocketCount === 0, 2000, 'socket closed');
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.connectionCount).toBe(2);
    expect(fake.callsTo('ws.endpoint')).toHaveLength(2);
  });

  it('acks only once the handler settles; a throwing handler is acked with code 500; results come back as data', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let mode: 'wait' | 'throw' | 'return' = 'wait';
    startClient(async () => {
      if (mode === 'wait') await gate;
      if (mode === 'throw') throw new Error('boom');
      if (mode === 'return') return { handled: true };
      return undefined;
    });
    await fake.waitForConnection();
    const ev = () => fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'x' });

    const pending = fake.sendEvent(ev(), { ackTimeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.acks).toHaveLength(0);
    release();
    expect((await pending).code).toBe(200);

    mode = 'throw';
    const thrown = await fake.sendEvent(ev());
    expect(thrown).toMatchObject({ acked: true, code: 500 });

    mode = 'return';
    const returned = await fake.sendEvent(ev());
    expect(returned.handlerResult).toEqual({ handled: true });
  });

  it('reassembles fragmented events, answers pings with pongs, and ignores non-event frames', async () => {
    fake.setClientConfig({ PingInterval: 0.05 });
    const received: any[] = [];
    startClient(async (d) => {
      received.push(d);
    });
    await fake.waitForConnection();
    const long = 'x'.repeat(5000);
    const r = await fake.sendEvent(fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: long }), {
      fragments: 3,
    });
    expect(r.acked).toBe(true);
    expect(JSON.parse(received[0].message.content).text).toBe(long);

    await until(() => fake.pings.length >= 3, 2000, 'three pings');
    // Pongs carry the ClientConfig and the SDK applies it: a long PingInterval stops the pinging.
    fake.setClientConfig({ PingInterval: 60 });
    await new Promise((r) => setTimeout(r, 300));
    const settled = fake.pings.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.pings.length).toBe(settled);

    const card = await fake.sendEvent({ schema: '2.0', header: { event_type: 'card.action.trigger' }, event: {} }, { frameType: 'card', ackTimeoutMs: 300 });
    expect(card.acked).toBe(false);
  });

  it('retries a busy endpoint after ReconnectInterval when reconnecting', async () => {
    startClient(async () => undefined);
    await fake.waitForConnection();
    // 1000040343 is the SDK's retryable "internal_error"; other non-zero codes stop the client.
    fake.failNext('ws.endpoint', { code: 1000040343, msg: 'system busy', httpStatus: 200 });
    const t0 = Date.now();
    await fake.disconnectSockets('terminate');
    await fake.waitForConnection(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // ReconnectInterval 0.2 s
    expect(fake.callsTo('ws.endpoint').map((c) => c.injected)).toEqual([false, true, false]);
  });

  it('stops with onError on bad credentials; an invalid appId makes start() a silent no-op', async () => {
    const errors: Error[] = [];
    const ws = new lark.WSClient({
      appId: fake.appId,
      appSecret: 'wrong',
      domain: fake.url,
      logger,
      loggerLevel: debug,
      onError: (e: Error) => errors.push(e),
    });
    clients.push(ws);
    // start() does not await the connect: it resolves first, onError fires later.
    await ws.start({ eventDispatcher: new lark.EventDispatcher({ logger, loggerLevel: debug }) });
    await until(() => errors.length > 0, 2000, 'onError');
    expect(errors[0]?.message).toMatch(/code=514/);
    expect(ws.getConnectionStatus().state).toBe('failed');
    expect(fake.connectionCount).toBe(0);

    const invalid = new lark.WSClient({ appId: 'not-an-app-id', appSecret: 's', domain: fake.url, logger, loggerLevel: debug });
    clients.push(invalid);
    await invalid.start({ eventDispatcher: new lark.EventDispatcher({ logger, loggerLevel: debug }) });
    expect(logger.has('invalid appId')).toBe(true);
    expect(fake.callsTo('ws.endpoint')).toHaveLength(1);
  });
});

describe('webhook helpers with the real lark.EventDispatcher + adaptDefault', () => {
  const encryptKey = 'test-encrypt-key';
  const verificationToken = 'test-verification-token';
  const path = '/feishu/events';
  let server: Server;
  let url: string;
  let received: any[];
  let logger: CapturingLarkLogger;
  let handlerMode: 'ok' | 'throw';

  async function listen(dispatcher: lark.EventDispatcher): Promise<void> {
    const handle = lark.adaptDefault(path, dispatcher, { autoChallenge: true });
    server = createServer((req, res) => {
      // adaptDefault returns without answering when req.url !== path — answer 404 ourselves.
      if (req.url !== path) {
        res.statusCode = 404;
        res.end();
        return;
      }
      // Its promise rejects when the handler throws or a challenge cannot be decrypted.
      handle(req, res).catch(() => {
        res.statusCode = 500;
        res.end('handler failed');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  }

  beforeEach(() => {
    received = [];
    logger = captureLarkLogger();
    handlerMode = 'ok';
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const dispatcher = (o: { encryptKey?: string; verificationToken?: string }): lark.EventDispatcher =>
    new lark.EventDispatcher({ ...o, logger, loggerLevel: debug }).register({
      'im.message.receive_v1': async (data: any) => {
        if (handlerMode === 'throw') throw new Error('boom');
        received.push(data);
      },
    });

  const body = () => messageReceive({ chatId: newChatId(), chatType: 'group', senderOpenId: newOpenId(), text: 'hi' }, { token: verificationToken });

  it('with an encrypt key: accepts encrypted+signed events and answers url_verification', async () => {
    await listen(dispatcher({ encryptKey, verificationToken }));

    const ok = await postWebhook(url, { payload: body(), encryptKey, verificationToken });
    expect(ok).toMatchObject({ status: 200, body: '', timedOut: false });
    expect(received).toHaveLength(1);
    expect(received[0].event_type).toBe('im.message.receive_v1');
    expect(received[0].token).toBe(verificationToken);

    const challenge = await postWebhook(url, { payload: urlVerification(verificationToken, 'c-123') });
    expect(challenge.json).toEqual({ challenge: 'c-123' });
    const encChallenge = await postWebhook(url, { payload: urlVerification(verificationToken, 'c-456'), encryptKey });
    expect(encChallenge.json).toEqual({ challenge: 'c-456' });
  });

  it('with an encrypt key: how bad requests are answered', async () => {
    await listen(dispatcher({ encryptKey, verificationToken }));

    // Bad signature: dropped, but still HTTP 200 with an empty body (same as success).
    const forged = await postWebhook(url, { payload: body(), encryptKey, tamper: 'signature' });
    expect(forged).toMatchObject({ status: 200, body: '' });
    expect(logger.has('verification failed event')).toBe(true);

    // Missing signature headers: same.
    const unsigned = await postWebhook(url, { payload: JSON.stringify(encryptFeishuPayload(encryptKey, body())) });
    expect(unsigned).toMatchObject({ status: 200, body: '' });

    // Wrong verification token: NOT checked by EventDispatcher — the handler runs.
    const wrongToken = await postWebhook(url, { payload: body(), encryptKey, tamper: 'token' });
    expect(wrongToken.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0].token).toBe('wrong-verification-token');

    // Stale timestamp: not checked either.
    const stale = await postWebhook(url, { payload: body(), encryptKey, timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
    expect(stale.status).toBe(200);
    expect(received).toHaveLength(2);

    // Garbage ciphertext, correctly signed: with autoChallenge the challenge probe's decrypt throws
    // → adaptDefault's promise rejects (our wrapper answers 500; unwrapped, the request would hang).
    const garbage = await postWebhook(url, { payload: body(), encryptKey, tamper: 'encryption' });
    expect(garbage.status).toBe(500);

    // Malformed JSON: parsed as '' → the signature (over "{}") fails → 200, empty body.
    const malformed = await postWebhook(url, { payload: 'x', encryptKey, tamper: 'json' });
    expect(malformed).toMatchObject({ status: 200, body: '' });

    // Non-compact JSON: the SDK verifies over JSON.stringify(parsed), so a signature over the raw
    // (pretty-printed) body does not verify.
    const pretty = JSON.stringify(encryptFeishuPayload(encryptKey, body()), null, 2);
    const prettyRes = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signFeishuRequest(encryptKey, pretty) },
      body: pretty,
    });
    expect(prettyRes.status).toBe(200);
    expect(await prettyRes.text()).toBe('');

    // A throwing handler → adaptDefault rejects → 500 from our wrapper.
    handlerMode = 'throw';
    const thrown = await postWebhook(url, { payload: body(), encryptKey });
    expect(thrown.status).toBe(500);
    expect(received).toHaveLength(2);
  });

  it('without an encrypt key: nothing is verified; unknown events get a "no … handle" string', async () => {
    await listen(dispatcher({ verificationToken }));
    const wrongToken = await postWebhook(url, { payload: body(), tamper: 'token' });
    expect(wrongToken.status).toBe(200);
    expect(received).toHaveLength(1);

    const unknown = await postWebhook(url, {
      payload: { schema: '2.0', header: { event_type: 'im.chat.disbanded_v1', token: verificationToken }, event: {} },
    });
    expect(unknown.json).toBe('no im.chat.disbanded_v1 event handle');

    const malformed = await postWebhook(url, { payload: 'x', tamper: 'json' });
    expect(malformed.json).toBe('no undefined event handle');
  });
});
