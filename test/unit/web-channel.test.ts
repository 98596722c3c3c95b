/**
 * Web chat channel: HTTP API, SSE, send/setProgress, lifecycle, and the pure
 * request helpers. Uses the real state store in a temp directory.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import type { AcceptResult, InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { createWebChannel, type WebChannel } from '../../src/channels/web/index.js';
import { matchRoute } from '../../src/channels/web/api/router.js';
import { formatSseEvent } from '../../src/channels/web/api/sse.js';
import { describeRefusal, outboundMessageId, renderOutboundText } from '../../src/channels/web/format/outbound.js';
import { isAllowedHost, isAllowedOrigin } from '../../src/channels/web/inbound/guard.js';
import { maxBodyBytes, parseConversationName, parsePostMessageBody, toInboundMessage } from '../../src/channels/web/inbound/parse.js';
import { PAGE_SCRIPT } from '../../src/channels/web/page/page.js';
import type { WebChannelConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { webJournalName } from '../../src/state/web-journal-format.js';
import { openStateStore } from '../../src/state/open.js';
import type { ReplyAddress, StateStore, WebMessage } from '../../src/state/types.js';
import { openSseClient, type SseClient } from '../support/sse-client.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';
import { waitFor } from '../support/fake-clock.js';

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
const MAX_TEXT = 64;

/** A clock with a fixed time whose timers only fire when the test says so. */
class ManualClock implements Clock {
  timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  now(): number {
    return NOW;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t = { fn, ms, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }
  /** Timers neither fired nor cancelled. */
  pending(): { fn: () => void; ms: number; cancelled: boolean }[] {
    return this.timers.filter((t) => !t.cancelled);
  }
  fire(t: { fn: () => void; cancelled: boolean }): void {
    t.cancelled = true;
    t.fn();
  }
}

function config(overrides: Partial<WebChannelConfig> = {}): WebChannelConfig {
  return { id: 'web', type: 'web', listen: '127.0.0.1:0', maxTextBytes: MAX_TEXT, historyLimit: 50, ...overrides };
}

function accepted(_msg: InboundMessage, position: number): AcceptResult {
  return { status: 'accepted', position };
}

interface Harness {
  channel: WebChannel;
  store: StateStore;
  clock: ManualClock;
  received: InboundMessage[];
  /** Results returned by the handler in order; when empty it accepts. */
  script: (AcceptResult | ((m: InboundMessage) => Promise<AcceptResult> | AcceptResult))[];
}

let h: Harness;

beforeEach(async () => {
  const store = await openStateStore(makeTempDir('web-channel-'));
  const clock = new ManualClock();
  const received: InboundMessage[] = [];
  const script: Harness['script'] = [];
  const channel = createWebChannel(config(), { store, logger: silentLogger(), clock });
  await channel.start(async (m) => {
    received.push(m);
    const next = script.shift();
    if (next === undefined) return accepted(m, received.length);
    return typeof next === 'function' ? next(m) : next;
  });
  h = { channel, store, clock, received, script };
});

afterEach(async () => {
  await h.channel.stop();
  await h.store.close();
});

afterAll(cleanupTempDirs);

function post(conversation: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${h.channel.url}/api/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

async function history(conversation: string): Promise<(WebMessage & { progress?: string })[]> {
  const res = await fetch(`${h.channel.url}/api/conversations/${conversation}/messages`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: (WebMessage & { progress?: string })[] }).messages;
}

/** Ids of the messages appended to `conversation` in a history journal, read straight from its lines (header skipped). */
function journalIds(file: string, conversation: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').slice(1, -1);
  return lines.map((l) => JSON.parse(l) as { c: string; m?: WebMessage }).flatMap((r) => (r.c === conversation && r.m ? [r.m.id] : []));
}

function addr(messageId: string, conversation = 'general'): ReplyAddress {
  return { channelId: 'web', conversation, messageId };
}

/** Raw request with full header control (fetch forbids setting Host). */
function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An SSE client on `conversation`'s live stream. */
function openSse(conversation: string): Promise<SseClient> {
  return openSseClient(`${h.channel.url}/api/events?conversation=${encodeURIComponent(conversation)}`);
}

describe('web channel: lifecycle', () => {
  it('reports the real bound port as url', () => {
    expect(h.channel.type).toBe('web');
    expect(h.channel.id).toBe('web');
    expect(h.channel.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.channel.url.endsWith(':0')).toBe(false);
  });

  it('refuses a second start while running', async () => {
    await expect(h.channel.start(async () => ({ status: 'unrouted' }))).rejects.toThrow(/already started/);
  });

  it('explains EADDRINUSE naming the address and channels[].listen', async () => {
    const port = new URL(h.channel.url).port;
    const other = createWebChannel(config({ id: 'web2', listen: `127.0.0.1:${port}` }), {
      clock: systemClock,
      store: h.store,
      logger: silentLogger(),
    });
    const err = await other
      .start(async () => ({ status: 'unrouted' }))
      .then(
        () => new Error('start unexpectedly succeeded'),
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('address already in use');
    expect(err.message).toContain('channels[].listen');
    expect(err.message).toContain('"web2"');
    await other.stop();
  });

  it('stop() is idempotent, closes SSE streams and frees the port', async () => {
    const url = h.channel.url;
    const sse = await openSse('general');
    await Promise.all([h.channel.stop(), h.channel.stop()]);
    await h.channel.stop();
    await sse.ended; // the server ended the stream
    await expect(fetch(`${url}/api/conversations`)).rejects.toThrow();
  });

  it('stop() before start() resolves and the channel can start afterwards', async () => {
    const ch = createWebChannel(config(), { store: h.store, logger: silentLogger(), clock: systemClock });
    await ch.stop();
    await ch.start(async () => ({ status: 'unrouted' }));
    const res = await fetch(`${ch.url}/api/conversations`);
    expect(res.status).toBe(200);
    await ch.stop();
    await ch.stop();
  });
});

describe('web channel: POST messages', () => {
  it('accepts a message: 202, normalised InboundMessage, history first', async () => {
    const res = await post('general', { text: '  hello\r\nworld  ' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { messageId: string; position: number };
    expect(body.position).toBe(1);
    expect(body.messageId).toMatch(/^web-[0-9a-f-]{36}$/);

    expect(h.received).toEqual([
      {
        channelId: 'web',
        conversation: 'general',
        messageId: body.messageId,
        sender: { id: 'web-user' },
        text: 'hello\nworld',
        receivedAt: NOW,
        isDirect: true,
        mentionsBot: true,
      },
    ]);
    const msgs = await history('general');
    expect(msgs).toEqual([{ id: body.messageId, role: 'user', text: 'hello\nworld', createdAt: new Date(NOW).toISOString(), progress: 'queued' }]);
    const convs = (await (await fetch(`${h.channel.url}/api/conversations`)).json()) as { conversations: string[] };
    expect(convs.conversations).toEqual(['general']);
  });

  it('uses the client id and sender, and decodes the conversation from the path', async () => {
    const res = await post('team.a_b-1', { text: 'hi', sender: 'alice', id: 'client-1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ messageId: 'client-1' });
    expect(h.received[0]).toMatchObject({
      conversation: 'team.a_b-1',
      messageId: 'client-1',
      sender: { id: 'alice', name: 'alice' },
    });
    const [m] = await history('team.a_b-1');
    expect(m).toMatchObject({ id: 'client-1', role: 'user', sender: 'alice' });
  });

  it('stores the question before the handler returns (a fast answer lands after it)', async () => {
    h.script.push(async (m) => {
      const sent = await h.channel.send(addr(m.messageId), { kind: 'answer', text: 'instant', idempotencyKey: 'k-fast' });
      expect(sent.status).toBe('sent');
      return accepted(m, 1);
    });
    const res = await post('general', { text: 'quick?', id: 'q1' });
    expect(res.status).toBe(202);
    const msgs = await history('general');
    expect(msgs.map((m) => [m.role, m.text])).toEqual([
      ['user', 'quick?'],
      ['assistant', 'instant'],
    ]);
  });

  it('SSE carries the question before an immediate answer; both are on disk by the 202', async () => {
    const sse = await openSse('general');
    try {
      // The handler answers at once, before its first await (the fastest possible reply).
      h.script.push((m) => {
        const sent = h.channel.send(addr(m.messageId), { kind: 'answer', text: 'instant', idempotencyKey: 'k-now' });
        return sent.then((r) => {
          expect(r.status).toBe('sent');
          return accepted(m, 1);
        });
      });
      const res = await post('general', { text: 'now?', id: 'n1' });
      expect(res.status).toBe(202);
      expect(journalIds(path.join(path.dirname(h.store.location), webJournalName('web')), 'general')).toEqual(['n1', outboundMessageId('k-now')]);

      await sse.waitFor((e) => e.event === 'message' && e.data.includes('instant'));
      const messages = sse.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as WebMessage);
      expect(messages.map((m) => [m.role, m.id])).toEqual([
        ['user', 'n1'],
        ['assistant', outboundMessageId('k-now')],
      ]);
    } finally {
      sse.close();
    }
  });

  it('runs the handler while the question is being stored; the 202 waits for the handler, the history write follows', async () => {
    const file = path.join(path.dirname(h.store.location), webJournalName('web'));
    const onDisk = (): string[] => {
      try {
        return journalIds(file, 'general');
      } catch {
        return [];
      }
    };
    let seenByHandler: { memory: string[]; disk: string[] } | undefined;
    h.script.push((m) => {
      seenByHandler = { memory: h.store.listWebMessages('web', 'general').map((x) => x.id), disk: onDisk() };
      return accepted(m, 1);
    });
    const res = await post('general', { text: 'parallel', id: 'c1' });
    expect(res.status).toBe(202);
    expect(seenByHandler).toEqual({ memory: ['c1'], disk: [] });
    await waitFor(() => onDisk().includes('c1'), 5000, 'the question in the history file');
    expect(onDisk()).toEqual(['c1']);
  });

  it('concurrent posts of one id append the question once', async () => {
    const sse = await openSse('general');
    try {
      let calls = 0;
      const once = (m: InboundMessage): AcceptResult => (++calls === 1 ? accepted(m, 1) : { status: 'duplicate' });
      h.script.push(once, once);
      const res = await Promise.all([post('general', { text: 'twice', id: 'd2' }), post('general', { text: 'twice', id: 'd2' })]);
      expect(res.map((r) => r.status).sort()).toEqual([200, 202]);
      expect((await history('general')).map((m) => m.id)).toEqual(['d2']);
      await new Promise((r) => setTimeout(r, 20));
      expect(sse.events.filter((e) => e.event === 'message')).toHaveLength(1);
    } finally {
      sse.close();
    }
  });

  it('a history write failure does not change what the handler decided: accepted 202, refused as refused', async () => {
    const failing: StateStore = Object.create(h.store) as StateStore;
    failing.appendWebMessage = () => Promise.reject(new Error('EIO: disk gone'));
    failing.listWebMessages = (c, v) => h.store.listWebMessages(c, v);
    const ch = createWebChannel(config(), { store: failing, logger: silentLogger(), clock: systemClock });
    const offered: InboundMessage[] = [];
    await ch.start(async (m) => {
      offered.push(m);
      return m.messageId === 'x1' ? accepted(m, 1) : { status: 'unrouted' };
    });
    try {
      const post1 = (id: string): Promise<Response> =>
        fetch(`${ch.url}/api/conversations/general/messages`, { method: 'POST', body: JSON.stringify({ text: 'hi', id }) });
      // Queued: it will be answered, so it is acknowledged (the history entry is written later).
      const r1 = await post1('x1');
      expect(r1.status).toBe(202);
      expect(await r1.json()).toEqual({ messageId: 'x1', position: 1 });
      const r2 = await post1('x2');
      expect(r2.status).toBe(404);
      expect(await r2.json()).toMatchObject({ error: 'unrouted', messageId: 'x2' });
      expect(offered.map((m) => m.messageId)).toEqual(['x1', 'x2']);
    } finally {
      await ch.stop();
    }
  });

  it('a message the state could not store is refused with 503 not_stored and the reason', async () => {
    h.script.push(() => ({ status: 'not_stored', error: 'state not writable (ENOSPC: no space left on device, write)' }));
    const res = await post('general', { text: 'no room', id: 'n1' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: 'not_stored',
      message: 'the message was not stored, so it will not be answered: state not writable (ENOSPC: no space left on device, write); send it again later',
      messageId: 'n1',
    });
    // The conversation says so, too.
    expect((await history('general')).at(-1)?.text).toMatch(/Not delivered: the message was not stored/);
  });

  it('a retried duplicate answers 200 and keeps one history entry', async () => {
    expect((await post('general', { text: 'once', id: 'dup-1' })).status).toBe(202);
    h.script.push({ status: 'duplicate' });
    const res = await post('general', { text: 'once', id: 'dup-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ messageId: 'dup-1', duplicate: true });
    expect(h.received).toHaveLength(2);
    const msgs = await history('general');
    expect(msgs.filter((m) => m.id === 'dup-1')).toHaveLength(1);
    expect(msgs).toHaveLength(1);
  });

  it('queue full → 429 queue_full; the note in the chat is left to the dispatcher', async () => {
    h.script.push({ status: 'full', limit: 3 });
    const res = await post('general', { text: 'too many', id: 'f1' });
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('queue_full');
    expect(body.message).toContain('3');
    const msgs = await history('general');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ id: 'f1', role: 'user' });
    expect(msgs[0]!.progress).toBeUndefined();

    // A later retry with the same id is accepted without a second copy of the question.
    const retry = await post('general', { text: 'too many', id: 'f1' });
    expect(retry.status).toBe(202);
    expect((await history('general')).filter((m) => m.id === 'f1')).toHaveLength(1);
  });

  it('unrouted → 404 unrouted', async () => {
    h.script.push({ status: 'unrouted' });
    const res = await post('nobody', { text: 'anyone?' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: 'unrouted',
      message: 'no dispatcher is bound to this conversation',
    });
  });

  it('failed result or a throwing handler → 500 failed', async () => {
    h.script.push({ status: 'failed', error: 'disk full' });
    const r1 = await post('general', { text: 'a' });
    expect(r1.status).toBe(500);
    expect(await r1.json()).toMatchObject({ error: 'failed', message: expect.stringContaining('disk full') });

    h.script.push(() => {
      throw new Error('boom');
    });
    const r2 = await post('general', { text: 'b' });
    expect(r2.status).toBe(500);
    expect(await r2.json()).toMatchObject({ error: 'failed', message: expect.stringContaining('boom') });
  });

  it('rejects bad JSON and non-object bodies with 400 bad_json', async () => {
    const r1 = await post('general', '{"text": ');
    expect(r1.status).toBe(400);
    expect(await r1.json()).toMatchObject({ error: 'bad_json', message: expect.stringContaining('not valid JSON') });
    const r2 = await post('general', '["text"]');
    expect(r2.status).toBe(400);
    expect(await r2.json()).toMatchObject({ error: 'bad_json' });
    expect(h.received).toHaveLength(0);
  });

  it('rejects missing, non-string and blank text with 400 empty_text', async () => {
    for (const body of [{}, { text: 42 }, { text: '' }, { text: ' \n\t ' }]) {
      const res = await post('general', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'empty_text' });
    }
    expect(h.received).toHaveLength(0);
    expect(await history('general')).toEqual([]);
  });

  it('rejects text over maxTextBytes counting UTF-8 bytes (413 text_too_large)', async () => {
    const text = '€'.repeat(22); // 22 characters, 66 bytes
    const res = await post('general', { text });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('text_too_large');
    expect(body.message).toContain(`66 bytes > limit ${MAX_TEXT}`);
    // Exactly at the limit is fine.
    expect((await post('general', { text: 'x'.repeat(MAX_TEXT) })).status).toBe(202);
  });

  it('rejects an oversized body by Content-Length with 413 body_too_large', async () => {
    const res = await post('general', { text: 'x', pad: 'y'.repeat(maxBodyBytes(MAX_TEXT)) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'body_too_large' });
    expect(h.received).toHaveLength(0);
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const limit = maxBodyBytes(MAX_TEXT);
    const chunk = 'z'.repeat(1024);
    let written = 0;
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${h.channel.url}/api/conversations/general/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      let done = false;
      req.on('response', (res) => {
        done = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (err) => (done ? undefined : reject(err)));
      req.write('{"text":"');
      const pump = (): void => {
        if (done || written > 64 * 1024 * 1024) return;
        written += chunk.length;
        req.write(chunk, () => setImmediate(pump));
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'body_too_large' });
    // The server answered long before the client could send an unbounded body.
    expect(written).toBeGreaterThan(limit - 1024);
    expect(written).toBeLessThan(8 * 1024 * 1024);
    expect(h.received).toHaveLength(0);
  });

  it('accepts JSON whatever the content type says', async () => {
    const res = await post('general', { text: 'plain' }, { headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(202);
    expect(h.received[0]?.text).toBe('plain');
  });

  it('rejects invalid conversation names with 400 bad_conversation', async () => {
    for (const name of ['bad%20name', 'a'.repeat(129), '%E0%A4%A', 'caf%C3%A9', 'constructor']) {
      const res = await post(name, { text: 'x' });
      expect(res.status, name).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'bad_conversation' });
      const get = await fetch(`${h.channel.url}/api/conversations/${name}/messages`);
      expect(get.status, name).toBe(400);
    }
    expect((await post('a'.repeat(128), { text: 'x' })).status).toBe(202);
    expect(h.received).toHaveLength(1);
  });

  it('rejects bad sender and id fields', async () => {
    const r1 = await post('general', { text: 'x', sender: 5 });
    expect(r1.status).toBe(400);
    expect(await r1.json()).toMatchObject({ error: 'bad_sender' });
    const r2 = await post('general', { text: 'x', id: 'has space' });
    expect(r2.status).toBe(400);
    expect(await r2.json()).toMatchObject({ error: 'bad_id' });
  });

  it('refuses cross-origin posts and foreign Host headers', async () => {
    const crossSite = await post('general', { text: 'csrf' }, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'forbidden_origin' });

    const sameOrigin = await post('general', { text: 'ok' }, { headers: { origin: h.channel.url } });
    expect(sameOrigin.status).toBe(202);

    const rebinding = await rawRequest(`${h.channel.url}/api/conversations`, { headers: { host: 'evil.example:80' } });
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.body)).toMatchObject({ error: 'forbidden_host' });
    expect(h.received.map((m) => m.text)).toEqual(['ok']);
  });
});

describe('web channel: routing', () => {
  it('serves the page with #message-input and a CSP', async () => {
    const res = await fetch(`${h.channel.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await res.text();
    for (const id of ['message-input', 'send-button', 'messages', 'conversation-list', 'new-conversation-input']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).not.toMatch(/innerHTML/);
    // The inline script is syntactically valid JavaScript.
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow();
  });

  it('answers unknown routes with 404 JSON and wrong methods with 405', async () => {
    const r1 = await fetch(`${h.channel.url}/nope`);
    expect(r1.status).toBe(404);
    expect(r1.headers.get('content-type')).toContain('application/json');
    expect(await r1.json()).toMatchObject({ error: 'not_found' });

    const r2 = await fetch(`${h.channel.url}/api/conversations/general/messages`, { method: 'DELETE' });
    expect(r2.status).toBe(405);
    expect(r2.headers.get('allow')).toBe('GET, POST');
    expect(await r2.json()).toMatchObject({ error: 'method_not_allowed' });

    const r3 = await fetch(`${h.channel.url}/api/conversations`, { method: 'POST', body: '{}' });
    expect(r3.status).toBe(405);
  });
});

describe('web channel: send and progress', () => {
  it('send() stores an assistant reply with replyTo, visible via GET with its Markdown tree', async () => {
    const res = await post('general', { text: 'question', id: 'u1' });
    expect(res.status).toBe(202);
    const sent = await h.channel.send(addr('u1'), { kind: 'answer', text: 'the **answer**\r\n', idempotencyKey: 'turn-1' });
    expect(sent).toEqual({ status: 'sent', messageIds: [outboundMessageId('turn-1')] });
    const msgs = await history('general');
    expect(msgs[1]).toEqual({
      id: outboundMessageId('turn-1'),
      role: 'assistant',
      text: 'the **answer**',
      replyTo: 'u1',
      createdAt: new Date(NOW).toISOString(),
      markdown: [{ tag: 'p', children: ['the ', { tag: 'strong', children: ['answer'] }] }],
    });
    expect(msgs[0]).not.toHaveProperty('markdown');
  });

  it('errors and notices become system messages; errors are prefixed unless they open with a symbol', async () => {
    await h.channel.send(addr('u1'), { kind: 'error', text: 'turn failed', idempotencyKey: 'e1' });
    await h.channel.send(addr('u1'), { kind: 'notice', text: 'restarting', idempotencyKey: 'n1' });
    await h.channel.send(addr('u1'), { kind: 'error', text: '⏹️ The turn was stopped.', idempotencyKey: 'e2' });
    await h.channel.send(addr('u1'), { kind: 'error', text: '⚠️ already marked', idempotencyKey: 'e3' });
    const msgs = await history('general');
    expect(msgs.map((m) => [m.role, m.text])).toEqual([
      ['system', '⚠️ turn failed'],
      ['system', 'restarting'],
      ['system', '⏹️ The turn was stopped.'],
      ['system', '⚠️ already marked'],
    ]);
  });

  it('send() with a repeated idempotencyKey appends once', async () => {
    const msg: OutboundMessage = { kind: 'answer', text: 'once only', idempotencyKey: 'turn-9' };
    const a = await h.channel.send(addr('u9'), msg);
    const [b, c] = await Promise.all([h.channel.send(addr('u9'), msg), h.channel.send(addr('u9'), msg)]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    const msgs = await history('general');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.id).toBe(outboundMessageId('turn-9'));
  });

  it('send() to another channel id fails without retry', async () => {
    const res = await h.channel.send(
      { channelId: 'slack', conversation: 'general', messageId: 'x' },
      {
        kind: 'answer',
        text: 'x',
        idempotencyKey: 'k',
      },
    );
    expect(res).toMatchObject({ status: 'failed', retryable: false });
    expect(await history('general')).toEqual([]);
  });

  it('send() reports a store failure as retryable', async () => {
    const failing: StateStore = Object.create(h.store) as StateStore;
    failing.appendWebMessage = () => Promise.reject(new Error('EIO: disk gone'));
    failing.listWebMessages = (c, v) => h.store.listWebMessages(c, v);
    const ch = createWebChannel(config(), { store: failing, logger: silentLogger(), clock: systemClock });
    const res = await ch.send(addr('u1'), { kind: 'answer', text: 'x', idempotencyKey: 'k1' });
    expect(res).toEqual({ status: 'failed', error: expect.stringContaining('EIO: disk gone'), retryable: true });
    await ch.stop();
  });

  it('setProgress() is remembered for GET while queued/running and cleared when done', async () => {
    await post('general', { text: 'work', id: 'p1' });
    expect((await history('general'))[0]!.progress).toBe('queued');
    await h.channel.setProgress!(addr('p1'), 'running');
    expect((await history('general'))[0]!.progress).toBe('running');
    await h.channel.setProgress!(addr('p1'), 'done');
    expect((await history('general'))[0]).not.toHaveProperty('progress');
  });

  it('a dispatcher state reported before the POST answer is not overwritten by "queued"', async () => {
    h.script.push(async (m) => {
      await h.channel.setProgress!(addr(m.messageId), 'done');
      return accepted(m, 1);
    });
    expect((await post('general', { text: 'fast', id: 'p2' })).status).toBe(202);
    expect((await history('general'))[0]).not.toHaveProperty('progress');
  });
});

describe('web channel: server-sent events', () => {
  it('streams message and progress events of one conversation', async () => {
    const sse = await openSse('general');
    expect(sse.status).toBe(200);
    try {
      expect((await post('other', { text: 'elsewhere', id: 'o1' })).status).toBe(202);
      expect((await post('general', { text: 'hi there', id: 'g1' })).status).toBe(202);

      const userEvent = await sse.waitFor((e) => e.event === 'message' && e.data.includes('"g1"'));
      expect(JSON.parse(userEvent.data)).toEqual({
        id: 'g1',
        role: 'user',
        text: 'hi there',
        createdAt: new Date(NOW).toISOString(),
      });
      const queued = await sse.waitFor((e) => e.event === 'progress');
      expect(JSON.parse(queued.data)).toEqual({ messageId: 'g1', state: 'queued' });

      await h.channel.setProgress!(addr('g1'), 'running');
      await sse.waitFor((e) => e.event === 'progress' && e.data.includes('running'));

      await h.channel.send(addr('g1'), { kind: 'answer', text: 'hello!', idempotencyKey: 't-g1' });
      const answer = await sse.waitFor((e) => e.event === 'message' && e.data.includes('hello!'));
      expect(JSON.parse(answer.data)).toMatchObject({ role: 'assistant', replyTo: 'g1' });

      await h.channel.setProgress!(addr('g1'), 'done');
      await sse.waitFor((e) => e.event === 'progress' && e.data.includes('"done"'));

      expect(sse.events.some((e) => e.data.includes('elsewhere') || e.data.includes('"o1"'))).toBe(false);
      expect(sse.events.map((e) => e.event)).toEqual(['message', 'progress', 'progress', 'message', 'progress']);
    } finally {
      sse.close();
    }
  });

  it('sends keep-alive comments on the clock and cancels them when the client leaves', async () => {
    const before = h.clock.pending().length;
    const sse = await openSse('general');
    await sse.waitForComment('connected');
    const timers = h.clock.pending();
    expect(timers).toHaveLength(before + 1);
    const timer = timers[timers.length - 1]!;
    expect(timer.ms).toBe(15_000);
    h.clock.fire(timer);
    await sse.waitForComment('keep-alive');
    expect(h.clock.pending()).toHaveLength(before + 1); // rescheduled

    sse.close();
    await expect.poll(() => h.clock.pending().length).toBe(before);
  });

  it('rejects a missing or invalid conversation', async () => {
    const r1 = await fetch(`${h.channel.url}/api/events`);
    expect(r1.status).toBe(400);
    const r2 = await fetch(`${h.channel.url}/api/events?conversation=${encodeURIComponent('no/slash')}`);
    expect(r2.status).toBe(400);
    expect(await r2.json()).toMatchObject({ error: 'bad_conversation' });
  });
});

describe('web channel: pure helpers', () => {
  it('parsePostMessageBody validates and normalises', () => {
    expect(parsePostMessageBody('{"text":" a\\r\\nb ","sender":" bob ","id":"x:1"}', 10)).toEqual({
      status: 'ok',
      value: { text: 'a\nb', sender: 'bob', id: 'x:1' },
    });
    expect(parsePostMessageBody('\uFEFF{"text":"bom"}', 10)).toMatchObject({ status: 'ok' });
    expect(parsePostMessageBody('null', 10)).toMatchObject({ status: 'invalid', error: 'bad_json' });
    expect(parsePostMessageBody('{"text":"12345678901"}', 10)).toMatchObject({
      status: 'invalid',
      httpStatus: 413,
      message: 'text is too large: 11 bytes > limit 10',
    });
  });

  it('parseConversationName decodes once and validates', () => {
    expect(parseConversationName('a%2Eb')).toEqual({ status: 'ok', value: 'a.b' });
    expect(parseConversationName('')).toMatchObject({ status: 'invalid', error: 'bad_conversation' });
    expect(parseConversationName('__proto__')).toMatchObject({ status: 'invalid' });
    expect(parseConversationName('a%2Fb')).toMatchObject({ status: 'invalid' });
  });

  it('toInboundMessage names the sender only when given', () => {
    const base = { channelId: 'c', conversation: 'g', messageId: 'm', receivedAt: 1 };
    expect(toInboundMessage({ ...base, body: { text: 't' } }).sender).toEqual({ id: 'web-user' });
    expect(toInboundMessage({ ...base, body: { text: 't', sender: 'z' } }).sender).toEqual({ id: 'z', name: 'z' });
  });

  it('matchRoute maps paths and methods', () => {
    expect(matchRoute('/')).toMatchObject({ name: 'page' });
    expect(matchRoute('/api/conversations/')).toMatchObject({ name: 'conversations' });
    expect(matchRoute('/api/conversations/x%20y/messages')).toEqual({
      name: 'messages',
      methods: ['GET', 'POST'],
      conversation: 'x%20y',
    });
    expect(matchRoute('/api/conversations/a/b/messages')).toBeUndefined();
  });

  it('outbound formatting and refusal texts', () => {
    expect(renderOutboundText({ kind: 'error', text: 'bad', idempotencyKey: 'k' })).toBe('⚠️ bad');
    expect(renderOutboundText({ kind: 'error', text: '⚠️ already', idempotencyKey: 'k' })).toBe('⚠️ already');
    expect(renderOutboundText({ kind: 'answer', text: '  ', idempotencyKey: 'k' })).toBe('(empty answer)');
    expect(outboundMessageId('a')).toBe(outboundMessageId('a'));
    expect(outboundMessageId('a')).not.toBe(outboundMessageId('b'));
    expect(describeRefusal({ status: 'duplicate' })).toBeUndefined();
    expect(describeRefusal({ status: 'unrouted' })).toBe('no dispatcher is bound to this conversation');
  });

  it('host and origin guards', () => {
    expect(isAllowedHost('127.0.0.1:8787', '127.0.0.1')).toBe(true);
    expect(isAllowedHost('localhost:8787', '127.0.0.1')).toBe(true);
    expect(isAllowedHost('evil.example', '127.0.0.1')).toBe(false);
    expect(isAllowedHost('box.lan:8787', '0.0.0.0')).toBe(true);
    expect(isAllowedOrigin(undefined, 'x:1')).toBe(true);
    expect(isAllowedOrigin('http://x:1', 'x:1')).toBe(true);
    expect(isAllowedOrigin('null', 'x:1')).toBe(false);
    expect(isAllowedOrigin('http://y:1', 'x:1')).toBe(false);
  });

  it('formatSseEvent keeps data on one line', () => {
    expect(formatSseEvent('message', { text: 'a\nb' })).toBe('event: message\ndata: {"text":"a\\nb"}\n\n');
  });
});
