/**
 * The Slack channel adapter with the REAL Bolt SDK against the fake Slack platform
 * (test/support/fake-slack), without codex: inbound events in Socket Mode and over HTTP,
 * replies, idempotency, progress reactions, error mapping and start-up failures.
 */
import { systemClock } from '../../src/clock.js';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { slackChannelSchema } from '../../src/config/schema.js';
import { createSlackChannel, type SlackChannel } from '../../src/channels/slack/index.js';
import type { AcceptResult, InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { createLogger } from '../../src/log.js';
import type { ReplyAddress } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import {
  appMention,
  botMessage,
  channelMessage,
  dmMessage,
  messageChanged,
  messageDeleted,
  postEvent,
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
    try {
      await cleanups.pop()?.();
    } catch {
      // best effort
    }
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A pino logger (with the service's redaction) whose JSON lines are kept for assertions. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: createLogger('trace', stream), lines, raw };
}

async function fakeSlack(opts?: Parameters<typeof startFakeSlack>[0]): Promise<FakeSlack> {
  const fake = await startFakeSlack({ users: { U1: { name: 'ada', display_name: 'Ada' }, U2: { name: 'grace', real_name: 'Grace Hopper' } }, ...opts });
  cleanups.push(() => fake.close());
  return fake;
}

interface Harness {
  fake: FakeSlack;
  channel: SlackChannel;
  received: InboundMessage[];
  log: ReturnType<typeof capturedLogger>;
  /** What the handler answers (default: accepted-like 'duplicate', which needs no queue entry). */
  answer: { next: AcceptResult };
}

async function startChannel(fake: FakeSlack, over: Record<string, unknown> = {}): Promise<Harness> {
  const config = slackChannelSchema.parse({
    id: 'team',
    type: 'slack',
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    apiUrl: fake.apiUrl,
    ...over,
  });
  const log = capturedLogger();
  const channel = createSlackChannel(config, { clock: systemClock, logger: log.logger }) as SlackChannel;
  const received: InboundMessage[] = [];
  const answer: Harness['answer'] = { next: { status: 'duplicate' } };
  await channel.start(async (m) => {
    received.push(m);
    return answer.next;
  });
  cleanups.push(() => channel.stop());
  return { fake, channel, received, log, answer };
}

const address = (over: Partial<ReplyAddress> = {}): ReplyAddress => ({ channelId: 'team', conversation: 'C1', messageId: '1700000001.000100', ...over });
const answerOf = (text: string, key = `k-${Math.random()}`): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: key });

describe('Slack adapter in Socket Mode (real Bolt, fake Slack)', () => {
  it('start: auth.test then a Socket Mode connection; an app_mention becomes an InboundMessage', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    expect(h.channel.identity).toMatchObject({ userId: 'UBOT', botId: 'BBOT' });
    expect(fake.callsTo('auth.test')).toHaveLength(1);
    expect(fake.connectionCount).toBe(1);

    const ts = '1700000001.000100';
    const res = await fake.sendEvent(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> summarise <#C9|random> for <@U2>', ts }));
    expect(res.acked).toBe(true);
    await waitFor(() => h.received.length === 1, 5000, 'inbound message');
    expect(h.received[0]).toEqual({
      channelId: 'team',
      conversation: 'C1',
      thread: ts,
      messageId: ts,
      sender: { id: 'U1', name: 'Ada' },
      text: 'summarise #random for @Grace Hopper',
      isDirect: false,
      mentionsBot: true,
      receivedAt: expect.any(Number),
    });
    // A second message from the same user: the display name comes from the cache.
    await fake.sendEvent(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> again' }));
    await waitFor(() => h.received.length === 2, 5000, 'second message');
    expect(fake.callsTo('users.info').filter((c) => c.body.user === 'U1')).toHaveLength(1);
    // Tokens never reach the log.
    expect(h.log.raw.join('\n')).not.toContain(BOT_TOKEN);
    expect(h.log.raw.join('\n')).not.toContain(APP_TOKEN);
  });

  it("ignores its own, other bots', edited/deleted/join messages; a DM is direct; a plain channel message has no mention", async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const ignored = [
      botMessage({ channel: 'C1', text: 'mine', user: 'UBOT', bot_id: 'BBOT' }),
      botMessage({ channel: 'C1', text: 'mine, legacy shape', bot_id: 'BBOT' }),
      botMessage({ channel: 'C1', text: '<@UBOT> other app', user: 'U0OTHERBOT' }),
      botMessage({ channel: 'C1', text: 'webhook' }),
      messageChanged({ user: 'U1', channel: 'C1', ts: '1700000000.000001', text: '<@UBOT> edited' }),
      messageDeleted({ channel: 'C1', ts: '1700000000.000001' }),
      { ...channelMessage({ user: 'U1', channel: 'C1', text: '<@U1> has joined the channel' }), subtype: 'channel_join' },
    ];
    for (const e of ignored) expect((await fake.sendEvent(e)).acked).toBe(true);
    await fake.sendEvent(dmMessage({ user: 'U2', channel: 'D1', text: 'hello in private' }));
    await fake.sendEvent(channelMessage({ user: 'U1', channel: 'C1', text: 'just chatting' }));
    await waitFor(() => h.received.length === 2, 5000, 'dm and channel message');
    await sleep(100);
    expect(h.received.map((m) => [m.conversation, m.text, m.isDirect, m.mentionsBot])).toEqual([
      ['D1', 'hello in private', true, false],
      ['C1', 'just chatting', false, false],
    ]);
    expect(h.received[0]?.sender).toEqual({ id: 'U2', name: 'Grace Hopper' });
  });

  it('the same message via app_mention and message.channels (and a retry) carries one messageId', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const fields = { user: 'U1', channel: 'C1', text: '<@UBOT> once', ts: '1700000005.000500' };
    await fake.sendEvent(appMention(fields));
    await fake.sendEvent(channelMessage(fields));
    await fake.sendEvent(appMention(fields), { retryNum: 1, retryReason: 'timeout' });
    await waitFor(() => h.received.length === 3, 5000, 'three deliveries');
    expect(new Set(h.received.map((m) => `${m.channelId}:${m.conversation}:${m.messageId}`)).size).toBe(1);
    expect(new Set(h.received.map((m) => m.text))).toEqual(new Set(['once']));
  });

  // The notice for a message that could not be queued is the service's (test/e2e/slack-e2e.test.ts).
  it('a throwing handler does not break the channel', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);

    // A handler that throws: logged, and the next event is still handled.
    let calls = 0;
    await h.channel.stop();
    await h.channel.start(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return { status: 'duplicate' };
    });
    await fake.waitForConnection(2);
    await fake.sendEvent(dmMessage({ user: 'U1', channel: 'D1', text: 'first' }));
    await fake.sendEvent(dmMessage({ user: 'U1', channel: 'D1', text: 'second' }));
    await waitFor(() => calls === 2, 5000, 'second handler call');
    expect(h.log.lines.some((l) => l.msg === 'slack event handling failed' && (l.err as { message?: string })?.message === 'boom')).toBe(true);
  });
});

describe('Slack adapter connection state (Socket Mode client events)', () => {
  it("connected after start; Slack's refresh request makes it reconnecting until the new connection's hello; disconnected after stop", async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    expect(h.channel.connection!()).toBe('connected');

    fake.refuseConnections(true);
    await fake.disconnectSockets('refresh');
    await waitFor(() => h.channel.connection!() === 'reconnecting', 10_000, 'reconnecting');
    expect(h.log.lines.some((l) => l.msg === 'slack socket mode connection lost; the SDK reconnects' && l.state === 'reconnecting')).toBe(true);

    fake.refuseConnections(false);
    await waitFor(() => h.channel.connection!() === 'connected', 30_000, 'connected again');
    expect(h.log.lines.some((l) => l.msg === 'slack socket mode connection re-established')).toBe(true);
    // Events flow on the new connection.
    await fake.sendEvent(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> after the reconnect' }));
    await waitFor(() => h.received.length === 1, 5000, 'message after the reconnect');

    await h.channel.stop();
    expect(h.channel.connection!()).toBe('disconnected');
    // Our own stop is no lost connection.
    expect(h.log.lines.filter((l) => l.msg === 'slack socket mode connection lost; the SDK reconnects')).toHaveLength(1);
  });

  it('HTTP mode: connected while listening, disconnected after stop', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake, { mode: 'http', appToken: undefined, signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0' });
    expect(h.channel.connection!()).toBe('connected');
    await h.channel.stop();
    expect(h.channel.connection!()).toBe('disconnected');
  });
});

describe('Slack adapter replies and progress (Web API against the fake)', () => {
  it('send(): mrkdwn parts posted in order, threaded under the source message', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const paragraphs = Array.from({ length: 12 }, (_, i) => `**Part ${i}** ${'word '.repeat(120)}`);
    const res = await h.channel.send(address({ thread: '1700000000.000009' }), answerOf(paragraphs.join('\n\n'), 'reply-1'));
    const posts = fake.callsTo('chat.postMessage');
    expect(posts.length).toBeGreaterThan(1);
    expect(res).toEqual({ status: 'sent', messageIds: posts.map((p) => p.response.ts) });
    for (const p of posts) {
      expect(p.body).toMatchObject({ channel: 'C1', thread_ts: '1700000000.000009' });
      expect(String(p.body.text).length).toBeLessThanOrEqual(3500);
    }
    const all = posts.map((p) => String(p.body.text).replace(/\u200b/g, '')).join('\n\n');
    for (let i = 0; i < 12; i++) expect(all).toContain(`*Part ${i}*`);
    expect(all.indexOf('*Part 3*')).toBeLessThan(all.indexOf('*Part 4*'));

    // Without a thread, the reply threads under the message itself.
    await h.channel.send(address({ messageId: '1700000001.000777' }), answerOf('short'));
    expect(fake.callsTo('chat.postMessage').at(-1)?.body).toMatchObject({ thread_ts: '1700000001.000777', text: 'short' });
  });

  it('send() is idempotent per key: a repeat (or a concurrent one) returns the first result without posting', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const msg = answerOf('only once', 'entry-42');
    const [a, b] = await Promise.all([h.channel.send(address(), msg), h.channel.send(address(), msg)]);
    const c = await h.channel.send(address(), msg);
    expect(a).toMatchObject({ status: 'sent' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('a retry after a failed part posts only the parts that are missing', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const text = Array.from({ length: 3 }, (_, i) => `p${i} ${'x '.repeat(1500)}`).join('\n\n');
    // Once the first part is out, the next call answers ok:false internal_error (HTTP 200): not
    // retried by the WebClient, retryable for the dispatcher.
    void fake.waitForCall('chat.postMessage', (c) => c.response.ok === true, 5000).then(() => fake.failNext('chat.postMessage', { error: 'internal_error' }));
    const first = await h.channel.send(address(), answerOf(text, 'multi'));
    expect(first).toEqual({ status: 'failed', error: 'internal_error', retryable: true });
    expect(fake.callsTo('chat.postMessage').map((c) => [String(c.body.text).slice(0, 2), c.response.ok])).toEqual([
      ['p0', true],
      ['p1', false],
    ]);
    const second = await h.channel.send(address(), answerOf(text, 'multi'));
    const posts = fake.callsTo('chat.postMessage');
    expect(posts.map((c) => String(c.body.text).slice(0, 2))).toEqual(['p0', 'p1', 'p1', 'p2']);
    const okPosts = posts.filter((c) => c.response.ok === true);
    expect(second).toEqual({ status: 'sent', messageIds: okPosts.map((c) => c.response.ts) });
  });

  it('channel_not_found / not_in_channel / is_archived → failed, not retryable, logged at warn with the conversation', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    for (const error of ['channel_not_found', 'not_in_channel', 'is_archived']) {
      fake.failNext('chat.postMessage', { error });
      const res = await h.channel.send(address({ conversation: 'C404' }), answerOf('hello?'));
      expect(res).toEqual({ status: 'failed', error, retryable: false });
      expect(h.log.lines.some((l) => l.level === 40 && l.conversation === 'C404' && l.err === error)).toBe(true);
    }
  });

  it('429 with Retry-After is waited out and retried by the WebClient', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const res = await h.channel.send(address(), answerOf('after the limit'));
    expect(res).toMatchObject({ status: 'sent' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('HTTP 5xx that persists → failed and retryable, within the bounded retry policy', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    fake.failNext('chat.postMessage', { status: 503, times: 10 });
    const started = Date.now();
    const res = await h.channel.send(address(), answerOf('server trouble'));
    expect(res).toEqual({ status: 'failed', error: 'http_503', retryable: true });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(4); // 1 + 3 retries
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('progress: working once, then done (or failed), applied in call order; expected errors ignored', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake);
    const ts = fake.nextTs();
    fake.addMessage({ channel: 'C1', ts, user: 'U1', text: 'question' });
    const to = address({ messageId: ts });
    // Like the dispatcher: fire and forget.
    const pending = [h.channel.setProgress!(to, 'queued'), h.channel.setProgress!(to, 'running'), h.channel.setProgress!(to, 'done')];
    await Promise.all(pending);
    expect(fake.calls.filter((c) => c.method.startsWith('reactions.')).map((c) => `${c.method}:${String(c.body.name)}`)).toEqual([
      'reactions.add:eyes',
      'reactions.remove:eyes',
      'reactions.add:white_check_mark',
    ]);
    expect(fake.reactionsOn('C1', ts)).toEqual({ white_check_mark: ['UBOT'] });

    // failed; and a repeat after a restart-like gap (working already there → already_reacted ignored).
    const ts2 = fake.nextTs();
    fake.addMessage({ channel: 'C1', ts: ts2, user: 'U1', text: 'q2' });
    const to2 = address({ messageId: ts2 });
    await h.channel.setProgress!(to2, 'running');
    await h.channel.setProgress!(to2, 'failed');
    await h.channel.setProgress!(to2, 'failed'); // no_reaction + already_reacted: ignored
    expect(fake.reactionsOn('C1', ts2)).toEqual({ x: ['UBOT'] });
    expect(h.log.lines.filter((l) => Number(l.level) >= 40 && String(l.msg).includes('progress'))).toEqual([]);

    // An unexpected error is logged, never thrown.
    fake.failNext('reactions.add', { error: 'missing_scope' });
    await expect(h.channel.setProgress!(address({ messageId: fake.nextTs() }), 'queued')).resolves.toBeUndefined();
    expect(h.log.lines.some((l) => l.level === 40 && l.err === 'missing_scope')).toBe(true);
  });

  it('progress.enabled false → no reactions at all', async () => {
    const fake = await fakeSlack();
    const h = await startChannel(fake, { progress: { enabled: false } });
    await h.channel.setProgress!(address(), 'queued');
    await h.channel.setProgress!(address(), 'done');
    expect(fake.calls.filter((c) => c.method.startsWith('reactions.'))).toEqual([]);
  });
});

describe('Slack adapter start-up failures', () => {
  it('a rejected bot token fails start() with an error naming the channel', async () => {
    const fake = await fakeSlack({ botToken: 'xoxb-the-right-one' });
    const config = slackChannelSchema.parse({ id: 'team', type: 'slack', botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: fake.apiUrl });
    const channel = createSlackChannel(config, { clock: systemClock, logger: capturedLogger().logger });
    cleanups.push(() => channel.stop());
    await expect(channel.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(
      /slack channel "team": Slack rejected the bot token \(auth\.test: invalid_auth\)/,
    );
    expect(fake.connectionCount).toBe(0);
  });

  it('a rejected app-level token fails start() in Socket Mode', async () => {
    const fake = await fakeSlack({ appToken: 'xapp-the-right-one' });
    const config = slackChannelSchema.parse({ id: 'team', type: 'slack', botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: fake.apiUrl });
    const channel = createSlackChannel(config, { clock: systemClock, logger: capturedLogger().logger });
    cleanups.push(() => channel.stop());
    await expect(channel.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(/slack channel "team": Slack rejected the app-level token/);
  });
});

describe('Slack adapter over HTTP (Events API)', () => {
  async function startHttp(fake: FakeSlack): Promise<Harness & { url: string }> {
    const h = await startChannel(fake, { mode: 'http', appToken: undefined, signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0', path: '/hooks/slack' });
    const url = h.channel.eventsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/slack$/);
    return { ...h, url: url! };
  }

  it('accepts a signed event (200) and a redelivery with the same messageId; answers url_verification', async () => {
    const fake = await fakeSlack();
    const h = await startHttp(fake);
    expect(fake.callsTo('apps.connections.open')).toEqual([]);
    const event = appMention({ user: 'U1', channel: 'C7', text: '<@UBOT> over http', ts: '1700000010.000100' });
    const ok = await fake.postEvent(h.url, SIGNING_SECRET, fake.eventCallback(event, { eventId: 'Ev1' }));
    expect(ok.status).toBe(200);
    const retry = await fake.postEvent(h.url, SIGNING_SECRET, fake.eventCallback(event, { eventId: 'Ev1' }), { retryNum: 1 });
    expect(retry.status).toBe(200);
    await waitFor(() => h.received.length === 2, 5000, 'two deliveries');
    expect(h.received.map((m) => [m.conversation, m.messageId, m.text, m.mentionsBot])).toEqual([
      ['C7', '1700000010.000100', 'over http', true],
      ['C7', '1700000010.000100', 'over http', true],
    ]);

    const challenge = await postEvent(h.url, SIGNING_SECRET, urlVerification('chal-xyz'));
    expect(challenge.status).toBe(200);
    expect(challenge.json).toEqual({ challenge: 'chal-xyz' });
  });

  it('rejects forged, stale, unsigned and malformed requests without calling the handler', async () => {
    const fake = await fakeSlack();
    const h = await startHttp(fake);
    const body = () => fake.eventCallback(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> nope' }));
    expect((await postEvent(h.url, SIGNING_SECRET, body(), { tamper: 'signature' })).status).toBe(401);
    expect((await postEvent(h.url, SIGNING_SECRET, body(), { tamper: 'stale' })).status).toBe(401);
    expect((await postEvent(h.url, SIGNING_SECRET, body(), { tamper: 'missing' })).status).toBe(401);
    expect((await postEvent(h.url, SIGNING_SECRET, '{"type": "event_callback", ')).status).toBe(400);
    expect((await postEvent(h.url, SIGNING_SECRET, urlVerification('x'), { tamper: 'signature' })).status).toBe(401);
    expect((await fetch(h.url.replace('/hooks/slack', '/slack/events'), { method: 'POST', body: '{}' })).status).toBe(404);
    await sleep(100);
    expect(h.received).toEqual([]);
    // Still serving after all that.
    await fake.postEvent(h.url, SIGNING_SECRET, fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'alive' })));
    await waitFor(() => h.received.length === 1, 5000, 'message after rejections');
    expect(h.received[0]).toMatchObject({ text: 'alive', isDirect: true });
  });

  it('a taken port fails start() naming the channel and the address', async () => {
    const fake = await fakeSlack();
    const h = await startHttp(fake);
    const port = new URL(h.url).port;
    const config = slackChannelSchema.parse({
      id: 'second',
      type: 'slack',
      mode: 'http',
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: fake.apiUrl,
      listen: `127.0.0.1:${port}`,
    });
    const other = createSlackChannel(config, { clock: systemClock, logger: capturedLogger().logger });
    cleanups.push(() => other.stop());
    await expect(other.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(
      new RegExp(`slack channel "second" cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`),
    );
  });
});
