/**
 * The fake Slack platform (test/support/fake-slack) checked against the REAL SDK: @slack/bolt 5.1.0,
 * @slack/web-api 8.2.0 and @slack/socket-mode 3.1.0 as installed. If one of these fails after an SDK upgrade,
 * the fake (or the facts noted here) needs updating before the Slack adapter tests can be trusted.
 *
 * Wiring that makes the real SDK talk to the fake (checked in node_modules/@slack/bolt/dist):
 *
 * Socket Mode, simplest:
 *   new App({ token: 'xoxb-…', appToken: 'xapp-…', socketMode: true,
 *             clientOptions: { slackApiUrl: fake.apiUrl } })
 *   App hands the very same `clientOptions` object to its SocketModeReceiver as
 *   `installerOptions.clientOptions`, which becomes the SocketModeClient's own WebClient options, so
 *   auth.test (bot token) and apps.connections.open (app token) both hit the fake, and the WebSocket
 *   URL the fake returns is what the client dials. Caveat: the SocketModeClient then writes
 *   `retryConfig = { retries: 100, factor: 1.3 }` into that shared object (when none was given), so
 *   the per-team WebClients Bolt builds for listeners (`client`, `say`) inherit it; `app.client`
 *   (built earlier) keeps the default policy.
 *
 * Socket Mode, tunable (App does not forward clientPingTimeout etc.):
 *   const receiver = new SocketModeReceiver({ appToken: 'xapp-…', clientPingTimeout: 300,
 *     installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } } });
 *   new App({ token: 'xoxb-…', receiver, clientOptions: { slackApiUrl: fake.apiUrl } })
 *   After a dropped connection the client waits clientPingTimeout × (consecutive failures) before
 *   calling apps.connections.open again — 5 s with the default — so tests wanting a quick reconnect
 *   need this form.
 *
 * HTTP (Events API):
 *   const app = new App({ token: 'xoxb-…', signingSecret, clientOptions: { slackApiUrl: fake.apiUrl } });
 *   const server = await app.start({ port: 0, host: '127.0.0.1' });   // listen options pass through
 *   const port = (server.address() as AddressInfo).port;              // events at /slack/events
 *
 * With tokenVerificationEnabled (the default) and no botId/botUserId, the App constructor itself
 * fires auth.test, so the fake must be running before `new App(…)`.
 *
 * Shutdown order: `await app.stop()` first, then `fake.close()`. In Socket Mode, stop() resolves
 * before the close handshake finishes, and calling it while a reconnect is half-way (socket open,
 * hello not yet processed) makes @slack/socket-mode reject its internal start() promise with
 * `undefined`, unhandled — vitest reports that as an error. After disconnectSockets(), wait for
 * fake.waitForConnection(n) or an acked sendEvent() before stopping.
 */
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver, webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  appMention,
  botMessage,
  captureLogger,
  channelMessage,
  dmMessage,
  messageChanged,
  postEvent,
  signSlackRequest,
  startFakeSlack,
  urlVerification,
  type FakeSlack,
} from '../support/fake-slack/index.js';

const BOT_TOKEN = 'xoxb-test-bot-token';
const APP_TOKEN = 'xapp-1-test-app-token';
const SIGNING_SECRET = 'test-signing-secret';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn?.();
    } catch {
      // best effort
    }
  }
});

async function fakeSlack(opts?: Parameters<typeof startFakeSlack>[0]): Promise<FakeSlack> {
  const fake = await startFakeSlack(opts);
  cleanups.push(() => fake.close());
  return fake;
}

function webClient(fake: FakeSlack, opts: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(BOT_TOKEN, { slackApiUrl: fake.apiUrl, logger: captureLogger(), ...opts });
}

/** A retry policy without p-retry's own back-off, so only Retry-After waits are measured. */
const NO_BACKOFF = { retries: 3, minTimeout: 0, maxTimeout: 0 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fake Slack Web API (checked with the real WebClient)', () => {
  it('answers auth.test, users.info and the message methods, and records every call', async () => {
    const fake = await fakeSlack({ users: { U1: { name: 'ada', real_name: 'Ada Lovelace', display_name: 'ada' } } });
    const client = webClient(fake);

    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0FAKE' });
    expect(fake.callsTo('auth.test')[0]?.token).toBe(BOT_TOKEN);

    const info = await client.users.info({ user: 'U1' });
    expect(info.user).toMatchObject({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', is_bot: false });
    expect(info.user?.profile).toMatchObject({ display_name: 'ada', real_name: 'Ada Lovelace' });
    await expect(client.users.info({ user: 'U404' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'user_not_found' },
    });

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    const first = await client.chat.postMessage({ channel: 'C1', text: 'hi', blocks });
    const second = await client.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: first.ts! });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.message).toMatchObject({ user: 'UBOT', bot_id: 'BBOT', text: 'hi' });
    // Form values arrive as strings; JSON-valued fields (blocks, …) are decoded back by the fake.
    expect(fake.callsTo('chat.postMessage')[0]?.body).toMatchObject({ channel: 'C1', text: 'hi', blocks });

    const updated = await client.chat.update({ channel: 'C1', ts: first.ts!, text: 'hi (edited)' });
    expect(updated).toMatchObject({ ok: true, ts: first.ts, text: 'hi (edited)' });

    await client.reactions.add({ channel: 'C1', timestamp: first.ts!, name: 'eyes' });
    await expect(client.reactions.add({ channel: 'C1', timestamp: first.ts!, name: 'eyes' })).rejects.toMatchObject({
      data: { error: 'already_reacted' },
    });
    expect(fake.reactionsOn('C1', first.ts!)).toEqual({ eyes: ['UBOT'] });
    await client.reactions.remove({ channel: 'C1', timestamp: first.ts!, name: 'eyes' });
    expect(fake.reactionsOn('C1', first.ts!)).toEqual({});

    const replies = await client.conversations.replies({ channel: 'C1', ts: first.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['hi (edited)', 'reply']);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 1, thread_ts: first.ts });

    expect(fake.calls.map((c) => c.method)).toEqual([
      'auth.test',
      'users.info',
      'users.info',
      'chat.postMessage',
      'chat.postMessage',
      'chat.update',
      'reactions.add',
      'reactions.add',
      'reactions.remove',
      'conversations.replies',
    ]);
  });

  it('rejects bad tokens and unknown methods, and accepts JSON bodies', async () => {
    const fake = await fakeSlack({ botToken: BOT_TOKEN });
    await expect(webClient(fake).apiCall('no.such.method')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    const wrong = new webApi.WebClient('xoxb-wrong', { slackApiUrl: fake.apiUrl, logger: captureLogger() });
    await expect(wrong.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const none = new webApi.WebClient(undefined, { slackApiUrl: fake.apiUrl, logger: captureLogger() });
    await expect(none.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    // apps.connections.open wants the app-level token, and the bot token is not one.
    await expect(webClient(fake).apps.connections.open()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });

    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C9', text: 'json' }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C9' });
    expect(fake.callsTo('chat.postMessage')[0]).toMatchObject({ body: { channel: 'C9', text: 'json' }, token: BOT_TOKEN });
  });

  it('failNext: ok:false errors are not retried by the WebClient; HTTP 500 is', async () => {
    const fake = await fakeSlack();
    const client = webClient(fake, { retryConfig: NO_BACKOFF });

    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const err = await client.chat.postMessage({ channel: 'C404', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'channel_not_found' } });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);

    fake.clearCalls();
    fake.failNext('chat.postMessage', { status: 500 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo('chat.postMessage').map((c) => c.status)).toEqual([500, 200]);
  });

  it('429 + Retry-After: 1 is waited out and retried by the real WebClient', async () => {
    const fake = await fakeSlack();
    const client = webClient(fake, { retryConfig: NO_BACKOFF });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });

    const started = Date.now();
    const res = await client.chat.postMessage({ channel: 'C1', text: 'after the limit' });
    const elapsed = Date.now() - started;

    expect(res).toMatchObject({ ok: true, channel: 'C1' });
    const calls = fake.callsTo('chat.postMessage');
    expect(calls.map((c) => [c.status, c.injected])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    // Retry-After is honoured exactly; with the default retryConfig p-retry adds its own 1–2 s
    // back-off on top (tenRetriesInAboutThirtyMinutes: minTimeout 1000, factor ≈1.97, randomize).
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1800);
  });

  it('429 with rejectRateLimitedCalls fails at once with the Retry-After value', async () => {
    const fake = await fakeSlack();
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 7,
    });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('Bolt App in Socket Mode against the fake', () => {
  it('App({socketMode, clientOptions.slackApiUrl}): both WebClients hit the fake; events are acked and answered', async () => {
    const fake = await fakeSlack();
    const logger = captureLogger('info');
    const app = new App({
      token: BOT_TOKEN,
      appToken: APP_TOKEN,
      socketMode: true,
      clientOptions: { slackApiUrl: fake.apiUrl },
      logger,
    });
    const seen: Array<{ text: string; retryNum: number | undefined }> = [];
    app.event('app_mention', async ({ event, say, context }) => {
      seen.push({ text: event.text, retryNum: context.retryNum });
      await say({ text: `echo: ${event.text}`, thread_ts: event.thread_ts ?? event.ts });
    });
    await app.start();
    cleanups.push(() => app.stop());

    expect(fake.callsTo('auth.test')[0]?.token).toBe(BOT_TOKEN);
    expect(fake.callsTo('apps.connections.open')[0]?.token).toBe(APP_TOKEN);
    expect(fake.connectionCount).toBe(1);
    // The SocketModeClient wrote its reconnect-friendly retry policy into the shared clientOptions.
    expect(app.webClientOptions.retryConfig).toEqual({ retries: 100, factor: 1.3 });

    const ts = '1700000001.000100';
    const result = await fake.sendEvent(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> hello', ts }));
    expect(result.acked).toBe(true);
    expect(result.ackPayload).toEqual({});
    const post = await fake.waitForCall('chat.postMessage');
    expect(post.token).toBe(BOT_TOKEN);
    // team_id is added because Bolt builds a per-team WebClient with clientOptions.teamId.
    expect(post.body).toMatchObject({ channel: 'C1', thread_ts: ts, text: 'echo: <@UBOT> hello', team_id: 'T0FAKE' });

    // A message already in a thread: the reply goes to the thread root.
    fake.clearCalls();
    const r2 = await fake.sendEvent(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> again', ts: '1700000002.000100', thread_ts: ts }), {
      retryNum: 1,
      retryReason: 'timeout',
    });
    expect(r2.acked).toBe(true);
    expect((await fake.waitForCall('chat.postMessage')).body).toMatchObject({ thread_ts: ts });
    expect(seen.map((s) => s.retryNum)).toEqual([0, 1]);

    // The fake remembers delivered messages, so conversations.replies shows the whole thread.
    const thread = await app.client.conversations.replies({ channel: 'C1', ts });
    expect(thread.messages?.map((m) => m.text)).toEqual(['<@UBOT> hello', 'echo: <@UBOT> hello', '<@UBOT> again', 'echo: <@UBOT> again']);
    expect(logger.at('error')).toEqual([]);
  });

  it('reconnects after each kind of drop (explicit SocketModeReceiver, short clientPingTimeout)', async () => {
    const fake = await fakeSlack();
    const logger = captureLogger('info');
    const receiver = new SocketModeReceiver({
      appToken: APP_TOKEN,
      clientPingTimeout: 300,
      installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
      logger,
    });
    const app = new App({ token: BOT_TOKEN, receiver, clientOptions: { slackApiUrl: fake.apiUrl }, logger });
    app.message(async ({ message, say }) => {
      if (message.subtype === undefined) await say(`got: ${message.text ?? ''}`);
    });
    await app.start();
    cleanups.push(() => app.stop());

    let n = 0;
    for (const mode of ['refresh', 'close', 'terminate'] as const) {
      n += 1;
      await fake.disconnectSockets(mode);
      expect(fake.openSocketCount).toBe(0);
      const started = Date.now();
      const res = await fake.sendEvent(dmMessage({ user: 'U1', channel: 'D1', text: `after ${mode}` }));
      expect(res.acked, `event after '${mode}' drop`).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
      await fake.waitForCall('chat.postMessage', (c) => c.body.text === `got: after ${mode}`);
      expect(fake.connectionCount).toBe(1 + n);
    }
    // Every reconnect fetched a fresh URL through apps.connections.open (URLs are single-use).
    expect(fake.callsTo('apps.connections.open')).toHaveLength(4);
  });

  it('app.start() fails fast when apps.connections.open answers invalid_auth', async () => {
    const fake = await fakeSlack({ appToken: 'xapp-the-right-one' });
    const app = new App({
      token: BOT_TOKEN,
      appToken: 'xapp-a-wrong-one',
      socketMode: true,
      clientOptions: { slackApiUrl: fake.apiUrl },
      logger: captureLogger(),
    });
    await expect(app.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect(fake.connectionCount).toBe(0);
  });

  it('Bolt ignores its own messages and hands other shapes through unchanged', async () => {
    const fake = await fakeSlack();
    const receiver = new SocketModeReceiver({
      appToken: APP_TOKEN,
      installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
      logger: captureLogger(),
    });
    const app = new App({ token: BOT_TOKEN, receiver, clientOptions: { slackApiUrl: fake.apiUrl }, logger: captureLogger() });
    const seen: unknown[] = [];
    app.event('message', async ({ event }) => void seen.push(event));
    await app.start();
    cleanups.push(() => app.stop());

    const events = [
      channelMessage({
        user: 'U1',
        channel: 'C1',
        text: 'see file',
        files: [{ name: 'notes.md', permalink: 'https://x.test/notes' }],
      }),
      botMessage({ channel: 'C1', text: 'legacy bot' }),
      botMessage({ channel: 'C1', text: 'other app', user: 'U0OTHERBOT' }),
      botMessage({ channel: 'C1', text: 'myself', user: 'UBOT', bot_id: 'BBOT' }),
      messageChanged({ user: 'U1', channel: 'C1', ts: '1700000000.000001', text: 'new', previousText: 'old' }),
    ];
    for (const e of events) expect((await fake.sendEvent(e)).acked).toBe(true);
    await sleep(50);
    // ignoreSelf drops the message whose user is the bot's own user id.
    expect(seen).toHaveLength(4);
    expect(seen[0]).toMatchObject({
      subtype: 'file_share',
      files: [{ name: 'notes.md', permalink: 'https://x.test/notes', mimetype: 'text/markdown' }],
    });
    expect(seen[1]).toMatchObject({ subtype: 'bot_message', bot_id: 'B0OTHER' });
    expect(seen[3]).toMatchObject({ subtype: 'message_changed', message: { text: 'new' } });
  });
});

describe('fake Socket Mode endpoint (raw client)', () => {
  it('sends hello, times out un-acked envelopes and refuses reused URLs', async () => {
    const fake = await fakeSlack();
    const open = await fetch(`${fake.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP_TOKEN}` },
    });
    const { url } = (await open.json()) as { url: string };
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\?ticket=/);

    const ws = new WebSocket(url);
    cleanups.push(() => ws.terminate());
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>));
      ws.once('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } });

    const envelopes: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => envelopes.push(JSON.parse(String(d)) as Record<string, unknown>));
    const res = await fake.sendEvent(dmMessage({ user: 'U1', channel: 'D1', text: 'hi' }), {
      ackTimeoutMs: 150,
      eventId: 'Ev123',
    });
    expect(res).toMatchObject({ acked: false, eventId: 'Ev123' });
    expect(envelopes[0]).toMatchObject({
      envelope_id: res.envelopeId,
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
      payload: { type: 'event_callback', event_id: 'Ev123', team_id: 'T0FAKE', api_app_id: 'A1', event: { text: 'hi' } },
    });

    const reuse = new WebSocket(url);
    const status = await new Promise<number | undefined>((resolve) => {
      reuse.once('unexpected-response', (_req, r) => resolve(r.statusCode));
      reuse.once('open', () => resolve(101));
      reuse.once('error', () => resolve(undefined));
    });
    expect(status).toBe(401);
  });
});

describe('Bolt App over HTTP (Events API) against the fake', () => {
  async function startHttpApp(fake: FakeSlack) {
    const logger = captureLogger('info');
    const app = new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.apiUrl }, logger });
    const handled: Array<{ text: string; retryNum: number | undefined; retryReason: string | undefined }> = [];
    app.event('app_mention', async ({ event, say, context }) => {
      handled.push({ text: event.text, retryNum: context.retryNum, retryReason: context.retryReason });
      await say({ text: `echo: ${event.text}`, thread_ts: event.ts });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.stop());
    const { port } = server.address() as AddressInfo;
    return { app, handled, logger, url: `http://127.0.0.1:${port}/slack/events` };
  }

  it('accepts signed events (200, empty body) and answers url_verification', async () => {
    const fake = await fakeSlack();
    const { handled, url } = await startHttpApp(fake);

    const ok = await fake.postEvent(url, SIGNING_SECRET, fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> hi' })));
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('');
    const post = await fake.waitForCall('chat.postMessage');
    expect(post.body).toMatchObject({ channel: 'C1', text: 'echo: <@UBOT> hi' });

    const retry = await fake.postEvent(url, SIGNING_SECRET, fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: 'r' })), {
      retryNum: 2,
    });
    expect(retry.status).toBe(200);
    await fake.waitForCall('chat.postMessage', (c) => c.body.text === 'echo: r');
    expect(handled.map((h) => [h.retryNum, h.retryReason])).toEqual([
      [undefined, undefined],
      [2, 'http_timeout'],
    ]);

    const challenge = await postEvent(url, SIGNING_SECRET, urlVerification('chal-123'));
    expect(challenge.status).toBe(200);
    expect(challenge.json).toEqual({ challenge: 'chal-123' });
    // Bolt verifies the signature before looking at the body, so url_verification must be signed too.
    expect((await postEvent(url, SIGNING_SECRET, urlVerification('x'), { tamper: 'missing' })).status).toBe(401);
  });

  it('rejects forged, stale, unsigned and malformed requests without running handlers or crashing', async () => {
    const fake = await fakeSlack();
    const { handled, url, logger } = await startHttpApp(fake);
    const body = () => fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> nope' }));

    expect((await postEvent(url, SIGNING_SECRET, body(), { tamper: 'signature' })).status).toBe(401);
    expect((await postEvent(url, SIGNING_SECRET, body(), { tamper: 'stale' })).status).toBe(401);
    expect((await postEvent(url, SIGNING_SECRET, body(), { tamper: 'missing' })).status).toBe(401);
    // Correctly signed but not JSON: 400. Wrongly signed garbage: 401 (signature checked first).
    expect((await postEvent(url, SIGNING_SECRET, '{"type": "event_callback", ')).status).toBe(400);
    expect((await postEvent(url, SIGNING_SECRET, '{not json', { tamper: 'signature' })).status).toBe(401);
    // Other paths / methods: 404.
    expect((await fetch(url.replace('/slack/events', '/other'), { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(url)).status).toBe(404);
    await sleep(50);
    expect(handled).toEqual([]);
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
    expect(logger.at('warn').some((l) => l.includes('signature mismatch'))).toBe(true);
    expect(logger.at('warn').some((l) => l.includes('stale'))).toBe(true);

    // Bolt 5.1 only rejects timestamps more than 5 minutes in the PAST; a future one passes.
    const future = await postEvent(url, SIGNING_SECRET, body(), { timestampSec: Math.floor(Date.now() / 1000) + 3600 });
    expect(future.status).toBe(200);

    // Still alive after all that.
    const raw = JSON.stringify(fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: 'alive' })));
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
    await fake.waitForCall('chat.postMessage', (c) => c.body.text === 'echo: alive');
  });
});
