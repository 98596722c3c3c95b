/**
 * The Feishu channel adapter with the REAL @larksuiteoapi/node-sdk against the fake Feishu platform
 * (test/support/fake-feishu), without codex: long connection (the SDK's WSClient talking protobuf
 * frames to the fake) and webhook mode (our HTTP server + EventDispatcher), replies, idempotency,
 * progress reactions, token refresh, rate limits, withdrawn messages and downloads.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type * as lark from '@larksuiteoapi/node-sdk';
import { createFeishuChannel, type FeishuChannel } from '../../src/channels/feishu/index.js';
import { TokenCache } from '../../src/channels/feishu/api/client.js';
import { downloadResource } from '../../src/channels/feishu/api/resources.js';
import { renderPostParts } from '../../src/channels/feishu/format/post.js';
import { replyAddressOf, type AcceptResult, type InboundMessage, type OutboundMessage } from '../../src/channels/types.js';
import { fillAttachmentSlots } from '../../src/channels/attachments.js';
import { systemClock } from '../../src/clock.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { ReplyAddress } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import {
  encryptFeishuPayload,
  newChatId,
  newMessageId,
  newOpenId,
  signFeishuRequest,
  startFakeFeishu,
  urlVerification,
  type FakeFeishu,
  type MessageReceiveInput,
} from '../support/fake-feishu/index.js';
import { makeTempDir, removeTempDir } from '../support/temp.js';

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
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') raw.push(line);
      cb();
    },
  });
  return { logger: createLogger('trace', stream), raw };
}

async function fakeFeishu(): Promise<FakeFeishu> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  return fake;
}

interface Harness {
  fake: FakeFeishu;
  channel: FeishuChannel;
  received: InboundMessage[];
  log: ReturnType<typeof capturedLogger>;
  stateDir: string;
  /** What the handler answers next (default: 'duplicate', which needs no queue entry). */
  answer: { next: AcceptResult | (() => Promise<AcceptResult>) };
}

async function startChannel(fake: FakeFeishu, over: Record<string, unknown> = {}, deps: { retryBudgetMs?: number } = {}): Promise<Harness> {
  const config = feishuChannelSchema.parse({
    id: 'fs',
    type: 'feishu',
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: fake.url,
    verificationToken: fake.verificationToken,
    ...over,
  });
  const log = capturedLogger();
  const stateDir = makeTempDir('sb-feishu-');
  cleanups.push(() => removeTempDir(stateDir));
  const channel = createFeishuChannel(config, { clock: systemClock, logger: log.logger, stateDir, ...deps });
  const received: InboundMessage[] = [];
  const answer: Harness['answer'] = { next: { status: 'duplicate' } };
  await channel.start(async (m) => {
    received.push(m);
    return typeof answer.next === 'function' ? answer.next() : answer.next;
  });
  cleanups.push(() => channel.stop());
  return { fake, channel, received, log, stateDir, answer };
}

/** The message's text once its attachments were fetched through the channel (as the dispatcher does). */
async function fetched(h: Harness, m: InboundMessage): Promise<string> {
  const lines: string[] = [];
  for (const a of m.attachments ?? []) lines.push(await h.channel.fetchAttachment!(replyAddressOf(m), a));
  return fillAttachmentSlots(m.text, lines);
}

const answerOf = (text: string, key = `k-${Math.random()}`): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: key });

/** Makes a received group message known to the fake and returns its reply address. */
function seeded(fake: FakeFeishu, over: Partial<ReplyAddress> = {}): ReplyAddress {
  const messageId = newMessageId();
  const chatId = newChatId();
  fake.addMessage({ message_id: messageId, chat_id: chatId, chat_type: 'group' });
  return { channelId: 'fs', conversation: chatId, messageId, ...over };
}

const mdOf = (content: string): string => JSON.parse(content).zh_cn.content[0][0].text;

describe('Feishu adapter over the long connection (real WSClient, fake Feishu)', () => {
  it('start: bot info, one long connection; an event becomes an InboundMessage and is acked; a re-delivery is ignored', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    expect(h.channel.identity).toEqual({ openId: fake.botOpenId, name: fake.botName });
    expect(fake.callsTo('bot.info')).toHaveLength(1);
    expect(fake.connectionCount).toBe(1);

    const sender = newOpenId();
    const chatId = newChatId();
    const event = fake.messageReceive({
      chatId,
      chatType: 'group',
      senderOpenId: sender,
      text: 'summarise the build for @_user_2',
      mentions: [{ openId: 'ou_grace', name: 'Grace' }],
    });
    const res = await fake.sendEvent(event);
    expect(res).toMatchObject({ acked: true, code: 200 });
    // The ack waits for the hand-over: the message is already there.
    expect(h.received).toEqual([
      {
        channelId: 'fs',
        conversation: chatId,
        messageId: event.event.message.message_id,
        sender: { id: sender },
        text: 'summarise the build for @Grace',
        isDirect: false,
        mentionsBot: true,
        receivedAt: expect.any(Number),
      },
    ]);

    // Feishu re-delivers the same event (same event_id): acked, not handed over again.
    const again = await fake.sendEvent(event);
    expect(again).toMatchObject({ acked: true, code: 200 });
    expect(h.received).toHaveLength(1);

    // p2p, in a topic thread.
    await fake.sendEvent(fake.messageReceive({ chatId: 'oc_dm', chatType: 'p2p', senderOpenId: sender, text: 'direct', rootId: 'om_r', threadId: 'omt_t' }));
    expect(h.received[1]).toMatchObject({ conversation: 'oc_dm', isDirect: true, mentionsBot: false, text: 'direct', thread: 'omt_t' });

    // The secret and tokens never reach the log.
    const logText = h.log.raw.join('\n');
    expect(logText).not.toContain(fake.appSecret);
    expect(logText).not.toContain(fake.verificationToken);
    for (const t of fake.issuedTokens) expect(logText).not.toContain(t);
  });

  it("drops events with a wrong verification token or for another app, and the bot's own messages", async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const wrongToken = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'forged' });
    wrongToken.header.token = 'not-the-token';
    expect(await fake.sendEvent(wrongToken)).toMatchObject({ acked: true, code: 200 });
    const otherApp = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'other app' });
    otherApp.header.app_id = 'cli_ffffffffffffffff';
    await fake.sendEvent(otherApp);
    await fake.sendEvent(fake.messageReceive({ chatId: newChatId(), chatType: 'group', senderOpenId: fake.botOpenId, text: 'my own reply' }));
    await fake.sendEvent(fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'real' }));
    expect(h.received.map((m) => m.text)).toEqual(['real']);
    expect(h.log.raw.some((l) => l.includes('wrong verification token'))).toBe(true);
  });

  // The notice for a message that could not be queued is the service's (test/e2e/feishu-e2e.test.ts).
  it('a failed hand-over is acked 500 and the re-delivery is handled; a refused one is acked 200', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const event = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'flaky' });
    h.answer.next = async () => {
      throw new Error('store exploded');
    };
    expect(await fake.sendEvent(event)).toMatchObject({ acked: true, code: 500 });
    h.answer.next = { status: 'failed', error: 'disk full' };
    expect(await fake.sendEvent(event)).toMatchObject({ acked: true, code: 200 });
    expect(h.received).toHaveLength(2);
  });

  it('send: a post reply with the rendered Markdown, idempotent per key (memory and uuid), threads stay threads', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const to = seeded(fake);
    const md = 'Here is **the plan**:\n\n# Steps\n\n```js\nconsole.log(1 < 2 && "ok");\n```\n\n- one\n- two';
    const res = await h.channel.send(to, answerOf(md, 'entry-1'));
    expect(res).toEqual({ status: 'sent', messageIds: [expect.stringMatching(/^om_/)] });
    const call = await fake.waitForCall('im.message.reply');
    expect(call.params.message_id).toBe(to.messageId);
    expect(call.body).toEqual({
      msg_type: 'post',
      content: renderPostParts({ kind: 'answer', text: md })[0],
      uuid: expect.stringMatching(/^sb-[0-9a-f]{32}-0$/),
    });
    expect(mdOf(call.body.content)).toBe('Here is **the plan**:\n\n**Steps**\n\n```js\nconsole.log(1 < 2 && "ok");\n```\n\n- one\n- two');
    expect(fake.sentMessages(to.conversation)).toHaveLength(1);

    // Same key again: no second call.
    expect(await h.channel.send(to, answerOf(md, 'entry-1'))).toEqual(res);
    expect(fake.callsTo('im.message.reply')).toHaveLength(1);

    // Error kind gets its mark; a topic thread reply goes in thread.
    const threaded = seeded(fake, { thread: 'omt_abc' });
    await h.channel.send(threaded, { kind: 'error', text: 'it broke', idempotencyKey: 'entry-2' });
    const second = fake.callsTo('im.message.reply')[1]!;
    expect(second.body.reply_in_thread).toBe(true);
    expect(mdOf(second.body.content)).toBe('⚠️ it broke');
    // A root_id "thread" is a plain reply chain: no reply_in_thread.
    await h.channel.send(seeded(fake, { thread: 'om_root' }), answerOf('plain', 'entry-3'));
    expect(fake.callsTo('im.message.reply')[2]!.body.reply_in_thread).toBeUndefined();

    // A long answer is split into several replies, in order, all under the body limit.
    const long = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum '.repeat(40).trim()}`).join('\n\n');
    const big = await h.channel.send(to, answerOf(long, 'entry-4'));
    expect(big.status === 'sent' && big.messageIds.length).toBeGreaterThan(1);
    const parts = fake.callsTo('im.message.reply').slice(3);
    expect(parts.map((c) => c.status)).toEqual(parts.map(() => 200));
    expect(parts.map((c) => mdOf(c.body.content)).join('\n\n') === long).toBe(true);
  });

  it('a second adapter instance (a restart) re-sending the same key is de-duplicated by Feishu through the uuid', async () => {
    const fake = await fakeFeishu();
    const a = await startChannel(fake);
    const b = await startChannel(fake);
    const to = seeded(fake);
    const first = await a.channel.send(to, answerOf('once', 'entry-x'));
    const second = await b.channel.send(to, answerOf('once', 'entry-x'));
    expect(second).toEqual(first);
    expect(fake.sentMessages(to.conversation)).toHaveLength(1);
  });

  it('token expiry: the rejected token is dropped and the call retried once with a fresh one', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const to = seeded(fake);
    await h.channel.send(to, answerOf('first'));
    expect(fake.issuedTokens).toHaveLength(1);
    fake.revokeTokens();
    const res = await h.channel.send(to, answerOf('after expiry'));
    expect(res.status).toBe('sent');
    expect(fake.issuedTokens).toHaveLength(2);
    expect(fake.callsTo('im.message.reply').map((c) => [c.status, c.response.code])).toEqual([
      [200, 0],
      [400, 99991663],
      [200, 0],
    ]);
    expect(fake.callsTo('im.message.reply')[2]!.token).toBe(fake.issuedTokens[1]);
  });

  it('rate limits are waited out and retried; past the budget the send fails retryable', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake, {}, { retryBudgetMs: 1_500 });
    const to = seeded(fake);
    fake.failNext('im.message.reply', { httpStatus: 429, headers: { 'x-ogw-ratelimit-reset': '0' }, times: 2 });
    fake.failNext('im.message.reply', { code: 99991400, httpStatus: 400, headers: { 'x-ogw-ratelimit-reset': '0' } });
    const t0 = Date.now();
    expect((await h.channel.send(to, answerOf('patience'))).status).toBe('sent');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 200 - 20);
    expect(fake.callsTo('im.message.reply').map((c) => c.status)).toEqual([429, 429, 400, 200]);

    fake.failNext('im.message.reply', { httpStatus: 429, times: 50 }); // reset: 1 s per wait
    const res = await h.channel.send(to, answerOf('never'));
    expect(res).toEqual({ status: 'failed', error: 'feishu_99991400', retryable: true });
    expect(fake.callsTo('im.message.reply').length).toBeLessThanOrEqual(4 + 3);
  });

  it('a withdrawn source message: the send fails (not retryable) without throwing; progress shrugs', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const to = seeded(fake);
    fake.withdrawMessage(to.messageId);
    expect(await h.channel.send(to, answerOf('too late'))).toEqual({ status: 'failed', error: 'feishu_230011', retryable: false });
    await h.channel.setProgress!(to, 'running');
    await h.channel.setProgress!(to, 'done');
    expect(h.log.raw.some((l) => l.includes('withdrawn or no longer exists'))).toBe(true);
    // Unknown message id: 231003, same treatment.
    expect(await h.channel.send(seeded(fake, { messageId: 'om_unknown' }), answerOf('x'))).toMatchObject({ error: 'feishu_231003', retryable: false });
  });

  it('progress: OnIt while queued/running (added once), replaced by DONE or CrossMark; off when disabled', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    const ok = seeded(fake);
    void h.channel.setProgress!(ok, 'queued');
    void h.channel.setProgress!(ok, 'running');
    await h.channel.setProgress!(ok, 'done');
    expect(fake.reactionsOn(ok.messageId).map((r) => r.emoji_type)).toEqual(['DONE']);
    const bad = seeded(fake);
    await h.channel.setProgress!(bad, 'running');
    expect(fake.reactionsOn(bad.messageId).map((r) => r.emoji_type)).toEqual(['OnIt']);
    await h.channel.setProgress!(bad, 'failed');
    expect(fake.reactionsOn(bad.messageId).map((r) => r.emoji_type)).toEqual(['CrossMark']);
    expect(
      fake.calls.filter((c) => c.route.startsWith('im.messageReaction')).map((c) => `${c.method} ${c.body?.reaction_type?.emoji_type ?? ''}`.trim()),
    ).toEqual(['POST OnIt', 'DELETE', 'POST DONE', 'POST OnIt', 'DELETE', 'POST CrossMark']);

    const fake2 = await fakeFeishu();
    const off = await startChannel(fake2, { progress: { enabled: false } });
    await off.channel.setProgress!(seeded(fake2), 'running');
    expect(fake2.callsTo('im.messageReaction.create')).toHaveLength(0);
  });

  it('images and files: handed over as pending attachments without a download; fetchAttachment downloads them 0600 with their bytes; the size limit is enforced', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake, { files: { maxBytes: 1024 } });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]);
    const img = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: 'img_v3_small' } });
    const imgId = img.event.message.message_id as string;
    fake.addResource(imgId, 'img_v3_small', bytes, 'image/png', { type: 'image' });
    expect((await fake.sendEvent(img)).code).toBe(200);
    // Acknowledged before anything was downloaded: the dispatcher fetches after accepting.
    expect(fake.callsTo('im.messageResource.get')).toHaveLength(0);
    expect(h.received[0]!.attachments).toEqual([{ kind: 'image', key: 'img_v3_small' }]);
    const file = `${h.channel.filesDir}/${imgId}/img_v3_small.png`;
    expect(await fetched(h, h.received[0]!)).toBe(`[image: ${file}]`);
    expect(await readFile(file)).toEqual(bytes);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(fake.callsTo('im.messageResource.get')[0]!.query).toEqual({ type: 'image' });

    const doc = fake.messageReceive({
      chatId: newChatId(),
      chatType: 'p2p',
      senderOpenId: newOpenId(),
      file: { fileKey: 'file_v3_doc', fileName: '../../etc/passwd' },
    });
    const docId = doc.event.message.message_id as string;
    fake.addResource(docId, 'file_v3_doc', 'hello file', 'application/octet-stream', { type: 'file' });
    await fake.sendEvent(doc);
    expect(await fetched(h, h.received[1]!)).toBe(`[file "../../etc/passwd": ${h.channel.filesDir}/${docId}/passwd]`);
    expect(await readFile(`${h.channel.filesDir}/${docId}/passwd`, 'utf8')).toBe('hello file');

    const huge = fake.messageReceive({
      chatId: newChatId(),
      chatType: 'p2p',
      senderOpenId: newOpenId(),
      file: { fileKey: 'file_v3_big', fileName: 'big.bin' },
    });
    const hugeId = huge.event.message.message_id as string;
    fake.addResource(hugeId, 'file_v3_big', Buffer.alloc(4096, 7), 'application/octet-stream', { type: 'file' });
    await fake.sendEvent(huge);
    expect(await fetched(h, h.received[2]!)).toBe('[file "big.bin" not downloaded: 4 KB, over the 1 KB limit]');
    expect(existsSync(`${h.channel.filesDir}/${hugeId}/big.bin`)).toBe(false);

    // A missing resource: the agent is told.
    const gone = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: 'img_v3_missing' } });
    await fake.sendEvent(gone);
    expect(await fetched(h, h.received[3]!)).toMatch(/^\[image could not be downloaded: feishu_234003: File not in msg\.\]$/);
  });

  it('fetchAttachment waits for a held download, and gives up at files.downloadTimeoutMs leaving no file behind', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake, { files: { downloadTimeoutMs: 300 } });
    const img = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: 'img_v3_held' } });
    const id = img.event.message.message_id as string;
    fake.addResource(id, 'img_v3_held', 'png', 'image/png', { type: 'image' });
    const hold = fake.holdResource(id, 'img_v3_held');
    await fake.sendEvent(img);
    const line = fetched(h, h.received[0]!);
    await hold.requested;
    expect(await line).toBe('[image could not be downloaded: timed out after 0.3 s]');
    hold.release();
    await fake.waitForCall('im.messageResource.get');
    expect(existsSync(`${h.channel.filesDir}/${id}/img_v3_held.png`)).toBe(false);

    // Released in time: the download completes.
    const fake2 = await fakeFeishu();
    const h2 = await startChannel(fake2);
    const img2 = fake2.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: 'img_v3_late' } });
    const id2 = img2.event.message.message_id as string;
    fake2.addResource(id2, 'img_v3_late', 'png', 'image/png', { type: 'image' });
    const hold2 = fake2.holdResource(id2, 'img_v3_late');
    await fake2.sendEvent(img2);
    const line2 = fetched(h2, h2.received[0]!);
    await hold2.requested;
    hold2.release();
    expect(await line2).toBe(`[image: ${h2.channel.filesDir}/${id2}/img_v3_late.png]`);
  });

  it('downloads can be turned off: fetchAttachment then says so without a request', async () => {
    const fake = await fakeFeishu();
    const off = await startChannel(fake, { files: { download: false } });
    await fake.sendEvent(fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), image: { imageKey: 'img_v3_y' } }));
    expect(await fetched(off, off.received[0]!)).toBe('[image attached; downloads are turned off for this channel]');
    expect(fake.callsTo('im.messageResource.get')).toHaveLength(0);
  });

  it('a stream without content-length is cut off at the limit and leaves no partial file', async () => {
    const dir = makeTempDir('sb-feishu-dl-');
    cleanups.push(() => removeTempDir(dir));
    const client = {
      im: {
        messageResource: {
          get: async () => ({ headers: {}, getReadableStream: () => Readable.from([Buffer.alloc(600), Buffer.alloc(600)]) }),
        },
      },
    } as unknown as lark.Client;
    const ctx = { cache: new TokenCache(), clock: systemClock, logger: silentLogger() };
    const res = await downloadResource(client, ctx, {
      messageId: 'om_1',
      key: 'file_1',
      type: 'file',
      dir,
      fileName: 'a.bin',
      maxBytes: 1000,
      timeoutMs: 5000,
    });
    expect(res).toEqual({ ok: false, reason: 'too_large', bytes: undefined });
    expect(await readdir(`${dir}/om_1`)).toEqual([]);
  });

  it('start fails clearly on a wrong app secret; stop is idempotent and closes the connection', async () => {
    const fake = await fakeFeishu();
    const config = feishuChannelSchema.parse({ id: 'bad', type: 'feishu', appId: fake.appId, appSecret: 'wrong', domain: fake.url });
    const channel = createFeishuChannel(config, { clock: systemClock, logger: silentLogger(), stateDir: makeTempDir('sb-feishu-') });
    await expect(channel.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(/feishu channel "bad": the app id\/secret were rejected \(feishu_10014/);
    expect(fake.connectionCount).toBe(0);

    // The long-connection endpoint refuses (code 514 stops the SDK's WSClient with onError).
    fake.failNext('ws.endpoint', { code: 514, msg: 'auth failed', httpStatus: 200 });
    const refused = createFeishuChannel(
      feishuChannelSchema.parse({ id: 'ws', type: 'feishu', appId: fake.appId, appSecret: fake.appSecret, domain: fake.url }),
      {
        clock: systemClock,
        logger: silentLogger(),
        stateDir: makeTempDir('sb-feishu-'),
      },
    );
    await expect(refused.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(
      /feishu channel "ws": the long connection could not be opened \(.*code=514.*\); check channels\[\]\.appId/,
    );
    await refused.stop();

    const h = await startChannel(fake);
    await waitFor(() => fake.openSocketCount === 1, 3000, 'socket open');
    await Promise.all([h.channel.stop(), h.channel.stop()]);
    await waitFor(() => fake.openSocketCount === 0, 3000, 'socket closed');
    await sleep(400);
    expect(fake.connectionCount).toBe(1);
  });
});

describe('Feishu adapter connection state (WSClient.getConnectionStatus)', () => {
  it('connected after start; reconnecting while the connection is lost; connected again; disconnected after stop', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake);
    expect(h.channel.connection!()).toBe('connected');

    fake.refuseConnections(true);
    await fake.disconnectSockets('terminate');
    await waitFor(() => h.channel.connection!() === 'reconnecting', 5000, 'reconnecting');
    fake.refuseConnections(false);
    await waitFor(() => h.channel.connection!() === 'connected', 10_000, 'connected again');
    await fake.waitForConnection(2, 5000);
    await fake.sendEvent(fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'after the reconnect' }));
    await waitFor(() => h.received.length === 1, 5000, 'message after the reconnect');

    await h.channel.stop();
    expect(h.channel.connection!()).toBe('disconnected');
  });

  it('disconnected once the SDK gave up reconnecting (ReconnectCount exhausted)', async () => {
    const fake = await fakeFeishu();
    fake.setClientConfig({ ReconnectCount: 2 });
    const h = await startChannel(fake);
    expect(h.channel.connection!()).toBe('connected');
    fake.refuseConnections(true);
    await fake.disconnectSockets('terminate');
    await waitFor(() => h.channel.connection!() === 'disconnected', 10_000, 'disconnected');
  });

  it('webhook mode: connected while listening, disconnected after stop', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake, { mode: 'webhook', listen: '127.0.0.1:0', encryptKey: 'k' });
    expect(h.channel.connection!()).toBe('connected');
    await h.channel.stop();
    expect(h.channel.connection!()).toBe('disconnected');
  });
});

describe('Feishu adapter in webhook mode (our server + real EventDispatcher, fake Feishu)', () => {
  const encryptKey = 'test-encrypt-key';

  async function startWebhook(fake: FakeFeishu, over: Record<string, unknown> = {}): Promise<Harness & { url: string }> {
    const h = await startChannel(fake, { mode: 'webhook', listen: '127.0.0.1:0', encryptKey, ...over });
    const url = h.channel.eventsUrl;
    if (!url) throw new Error('no events URL');
    return { ...h, url };
  }

  const event = (fake: FakeFeishu, over: Partial<MessageReceiveInput> = {}) =>
    fake.messageReceive({ chatId: newChatId(), chatType: 'group', senderOpenId: newOpenId(), text: 'via webhook', ...over });

  it('accepts encrypted + signed events, answers url_verification (plain and encrypted), ignores re-deliveries', async () => {
    const fake = await fakeFeishu();
    const h = await startWebhook(fake);
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/feishu\/events$/);
    expect(fake.connectionCount).toBe(0);

    const ev = event(fake);
    const ok = await fake.postWebhook(h.url, { payload: ev, encryptKey, verificationToken: fake.verificationToken });
    expect(ok).toMatchObject({ status: 200, json: {} });
    expect(h.received).toHaveLength(1);
    expect(h.received[0]).toMatchObject({ text: 'via webhook', mentionsBot: true, conversation: ev.event.message.chat_id });
    await fake.postWebhook(h.url, { payload: ev, encryptKey });
    expect(h.received).toHaveLength(1);

    expect((await fake.postWebhook(h.url, { payload: urlVerification(fake.verificationToken, 'c-1') })).json).toEqual({ challenge: 'c-1' });
    expect((await fake.postWebhook(h.url, { payload: urlVerification(fake.verificationToken, 'c-2'), encryptKey })).json).toEqual({ challenge: 'c-2' });
  });

  it('rejects forged and malformed requests without a turn or a crash', async () => {
    const fake = await fakeFeishu();
    const h = await startWebhook(fake);
    const cases = [
      ['wrong token', await fake.postWebhook(h.url, { payload: event(fake), encryptKey, tamper: 'token' }), 401],
      ['bad signature', await fake.postWebhook(h.url, { payload: event(fake), encryptKey, tamper: 'signature' }), 401],
      ['undecryptable', await fake.postWebhook(h.url, { payload: event(fake), encryptKey, tamper: 'encryption' }), 400],
      ['malformed JSON', await fake.postWebhook(h.url, { payload: 'x', encryptKey, tamper: 'json' }), 400],
      ['unsigned', await fake.postWebhook(h.url, { payload: JSON.stringify(encryptFeishuPayload(encryptKey, event(fake))) }), 401],
      ['plain event, unsigned', await fake.postWebhook(h.url, { payload: event(fake) }), 401],
      ['challenge with a wrong token', await fake.postWebhook(h.url, { payload: urlVerification('nope', 'c'), encryptKey }), 401],
      [
        'encrypted garbage in a challenge',
        await fake.postWebhook(h.url, { payload: urlVerification(fake.verificationToken), encryptKey, tamper: 'encryption' }),
        400,
      ],
    ] as const;
    for (const [what, res, status] of cases) {
      expect({ what, status: res.status, timedOut: res.timedOut }).toEqual({ what, status, timedOut: false });
    }
    const other = await fetch(h.url.replace('/feishu/events', '/elsewhere'), { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect((await fetch(h.url)).status).toBe(405);
    const huge = await fetch(h.url, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
    expect(h.received).toHaveLength(0);

    // Signed over the exact raw body (pretty-printed JSON too): accepted.
    const pretty = JSON.stringify(encryptFeishuPayload(encryptKey, event(fake, { text: 'pretty' })), null, 2);
    const prettyRes = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signFeishuRequest(encryptKey, pretty) },
      body: pretty,
    });
    expect(prettyRes.status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(['pretty']);
  });

  it('a hand-over that throws answers 500 (Feishu retries) and the retry is handled', async () => {
    const fake = await fakeFeishu();
    const h = await startWebhook(fake);
    const ev = event(fake, { text: 'retry me' });
    h.answer.next = async () => {
      throw new Error('boom');
    };
    expect((await fake.postWebhook(h.url, { payload: ev, encryptKey })).status).toBe(500);
    h.answer.next = { status: 'duplicate' };
    expect((await fake.postWebhook(h.url, { payload: ev, encryptKey })).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(['retry me', 'retry me']);
  });

  it('without an encrypt key: plain events with the right token pass, a wrong token does not; encrypted bodies are refused', async () => {
    const fake = await fakeFeishu();
    const h = await startChannel(fake, { mode: 'webhook', listen: '127.0.0.1:0' });
    const url = h.channel.eventsUrl!;
    expect((await fake.postWebhook(url, { payload: event(fake, { text: 'plain' }) })).status).toBe(200);
    expect((await fake.postWebhook(url, { payload: event(fake), tamper: 'token' })).status).toBe(401);
    expect((await fake.postWebhook(url, { payload: event(fake), encryptKey })).status).toBe(400);
    expect(h.received.map((m) => m.text)).toEqual(['plain']);
    expect(h.log.raw.some((l) => l.includes('without an encryptKey'))).toBe(true);
  });

  it('a taken port fails start with the channel named', async () => {
    const fake = await fakeFeishu();
    const h = await startWebhook(fake);
    const port = new URL(h.url).port;
    const config = feishuChannelSchema.parse({
      id: 'clash',
      type: 'feishu',
      mode: 'webhook',
      appId: fake.appId,
      appSecret: fake.appSecret,
      domain: fake.url,
      verificationToken: fake.verificationToken,
      listen: `127.0.0.1:${port}`,
    });
    const channel = createFeishuChannel(config, { clock: systemClock, logger: silentLogger(), stateDir: h.stateDir });
    await expect(channel.start(async () => ({ status: 'duplicate' }))).rejects.toThrow(
      /feishu channel "clash" cannot listen on 127\.0\.0\.1:\d+: address already in use/,
    );
  });
});
