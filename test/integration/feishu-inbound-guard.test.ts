/**
 * The Feishu channel's inbound seam (src/channels/feishu/inbound/schema.ts, handler.ts,
 * card-actions.ts, webhook.ts) with the REAL SDK (WSClient, EventDispatcher) against the fake
 * Feishu platform: events of the wrong shape are acknowledged and logged once — never a 500, never
 * an exception in a handler — over the long connection and the webhook (issue 14 §7), and signed
 * webhooks dated more than five minutes in the past or the future are refused (§4).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFeishuChannel, type FeishuChannel } from '../../src/channels/feishu/index.js';
import { ACTION_VALUE_KEY } from '../../src/channels/feishu/outbound/card-stream.js';
import type { InboundMessage } from '../../src/channels/types.js';
import { systemClock } from '../../src/clock.js';
import { feishuChannelSchema } from '../../src/config/schema.js';
import { capturedLog, LEVEL, type CapturedLog } from '../support/captured-log.js';
import { newChatId, newOpenId, startFakeFeishu, urlVerification, type FakeFeishu, type FeishuEvent } from '../support/fake-feishu/index.js';
import { makeTempDir, removeTempDir } from '../support/temp.js';

const ENCRYPT_KEY = 'guard-encrypt-key';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await Promise.resolve(cleanups.pop()?.()).catch(() => undefined);
});

interface Harness {
  fake: FakeFeishu;
  channel: FeishuChannel;
  received: InboundMessage[];
  log: CapturedLog;
  /** Delivers an event (long connection: a frame; webhook: an encrypted, signed POST); its HTTP-like status and handler answer. */
  deliver(event: object, opts?: { timestamp?: string }): Promise<{ status: number; answer: unknown }>;
}

async function start(mode: 'websocket' | 'webhook'): Promise<Harness> {
  const fake = await startFakeFeishu();
  cleanups.push(() => fake.close());
  const config = feishuChannelSchema.parse({
    id: 'fs',
    type: 'feishu',
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: fake.url,
    verificationToken: fake.verificationToken,
    ...(mode === 'webhook' ? { mode: 'webhook', listen: '127.0.0.1:0', encryptKey: ENCRYPT_KEY } : {}),
  });
  const log = capturedLog();
  const stateDir = makeTempDir('sb-feishu-guard-');
  cleanups.push(() => removeTempDir(stateDir));
  const channel = createFeishuChannel(config, { clock: systemClock, logger: log.logger, stateDir });
  const received: InboundMessage[] = [];
  await channel.start(
    async (m) => {
      received.push(m);
      return { status: 'duplicate' };
    },
    async () => ({ status: 'stale', text: 'Already finished.' }),
  );
  cleanups.push(() => channel.stop());
  return {
    fake,
    channel,
    received,
    log,
    async deliver(event, opts = {}) {
      if (mode === 'websocket') {
        const res = await fake.sendEvent(event);
        expect(res.acked).toBe(true);
        return { status: res.code ?? 0, answer: res.handlerResult ?? {} };
      }
      const res = await fake.postWebhook(channel.eventsUrl!, {
        payload: event,
        encryptKey: ENCRYPT_KEY,
        ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
      });
      expect(res.timedOut).toBe(false);
      return { status: res.status, answer: res.json };
    },
  };
}

const receive = (fake: FakeFeishu, text: string): FeishuEvent => fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text });

/** `event` with `event.message` / `event.sender` fields replaced (a deep copy). */
function tampered(event: FeishuEvent, message: Record<string, unknown>, sender?: Record<string, unknown>): FeishuEvent {
  const copy = structuredClone(event) as FeishuEvent & { event: { message: Record<string, unknown>; sender: Record<string, unknown> } };
  Object.assign(copy.event.message, message);
  if (sender) Object.assign(copy.event.sender, sender);
  return copy;
}

describe.each(['websocket', 'webhook'] as const)('Feishu inbound seam (%s)', (mode) => {
  it('§7: a receive event of the wrong shape is acked 200 and logged once, never a 500; good events still arrive', async () => {
    const h = await start(mode);
    const cases: Array<[string, FeishuEvent, string]> = [
      ['mentions is not an array', tampered(receive(h.fake, '@_user_1 hi'), { mentions: { key: '@_user_1' } }), 'message.mentions'],
      ['a mention id is a number', tampered(receive(h.fake, 'hi'), { mentions: [{ key: '@_user_1', id: 7, name: 'x' }] }), 'message.mentions.0.id'],
      ['content is an object', tampered(receive(h.fake, 'hi'), { content: { text: 'hi' } }), 'message.content'],
      ['chat_id is a number', tampered(receive(h.fake, 'hi'), { chat_id: 42 }), 'message.chat_id'],
      ['sender_id is a string', tampered(receive(h.fake, 'hi'), {}, { sender_id: 'ou_x' }), 'sender.sender_id'],
    ];
    for (const [what, ev, path] of cases) {
      const res = await h.deliver(ev);
      expect({ what, status: res.status }).toEqual({ what, status: 200 });
      const line = await h.log.waitForLine('feishu event malformed', (l) => l.eventId === ev.header.event_id);
      expect(line.level, what).toBe(LEVEL.warn);
      expect(String(line.issues), what).toContain(path);
    }
    // A redelivery of the malformed event is acked again (Feishu stops), still not handed over.
    expect((await h.deliver(cases[0]![1])).status).toBe(200);

    expect((await h.deliver(receive(h.fake, 'fine'))).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(['fine']);
    expect(h.log.lines.filter((l) => (l.level ?? 0) >= LEVEL.error)).toEqual([]);
  });

  it('§7: a card action of the wrong shape answers no toast and is logged; a good press still gets its toast', async () => {
    const h = await start(mode);
    const press = (value: Record<string, unknown>, over: Record<string, unknown> = {}) => {
      const ev = h.fake.cardAction({ operatorOpenId: newOpenId(), value, messageId: 'om_card', chatId: newChatId() }) as FeishuEvent & {
        event: Record<string, unknown>;
      };
      Object.assign(ev.event, over);
      return ev;
    };
    const bad = await h.deliver(press({ [ACTION_VALUE_KEY]: 'a1' }, { operator: 'ou_x' }));
    expect(bad).toMatchObject({ status: 200, answer: {} });
    expect(await h.log.waitForLine('feishu card action malformed')).toMatchObject({ level: LEVEL.warn, issues: expect.stringContaining('operator') });
    const good = await h.deliver(press({ [ACTION_VALUE_KEY]: 'a1' }));
    expect(good).toMatchObject({ status: 200, answer: { toast: { type: 'warning', content: 'Already finished.' } } });
  });
});

describe('Feishu webhook only', () => {
  it('§7: a schema 2.0 body whose event is not an object is acked and logged; a url_verification without a string challenge is 400', async () => {
    const h = await start('webhook');
    const ev = { ...receive(h.fake, 'x'), event: 'not an object' };
    expect(await h.deliver(ev)).toMatchObject({ status: 200, answer: {} });
    expect(await h.log.waitForLine('feishu webhook event malformed')).toMatchObject({ level: LEVEL.warn, eventId: ev.header.event_id });
    const challenge = await h.fake.postWebhook(h.channel.eventsUrl!, {
      payload: { ...urlVerification(h.fake.verificationToken), challenge: 12 },
      encryptKey: ENCRYPT_KEY,
    });
    expect(challenge.status).toBe(400);
    expect(h.received).toEqual([]);
  });

  it('§4: signed webhooks dated 10 minutes in the past or in the future are refused 401 with one warning; fresh ones pass', async () => {
    const h = await start('webhook');
    const now = Math.floor(Date.now() / 1000);
    expect((await h.deliver(receive(h.fake, 'old'), { timestamp: String(now - 600) })).status).toBe(401);
    expect((await h.deliver(receive(h.fake, 'future'), { timestamp: String(now + 600) })).status).toBe(401);
    const lines = h.log.find('feishu webhook request rejected');
    expect(lines.map((l) => [l.level, l.reason])).toEqual([
      [LEVEL.warn, 'timestamp_stale'],
      [LEVEL.warn, 'timestamp_future'],
    ]);
    for (const ts of [now - 240, now + 240, now]) expect((await h.deliver(receive(h.fake, `at ${ts - now}`), { timestamp: String(ts) })).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(['at -240', 'at 240', 'at 0']);
  });
});

describe('Feishu webhook listener', () => {
  /** Raw status line of a request Node's HTTP parser refuses (fetch would refuse to send it). */
  function rawStatus(url: string, request: string): Promise<string> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(request));
      let got = '';
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      socket.on('error', reject);
    });
  }

  it('answers a request its parser refuses with a status (431 for a header block too large, 400 for garbage), then stays up', async () => {
    const h = await start('webhook');
    const url = h.channel.eventsUrl!;
    const path = new URL(url).pathname;
    expect(await rawStatus(url, `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(32 * 1024)}\r\n\r\n`)).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
    expect(await rawStatus(url, 'NOT HTTP AT ALL\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect((await h.deliver(receive(h.fake, 'still here'))).status).toBe(200);
  });
});
