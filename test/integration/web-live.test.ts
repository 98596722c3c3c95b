/**
 * Live answers in the web chat, end to end over its real HTTP API: the real web adapter with the
 * real state store in a temp directory, an SSE client as a page would be, and `live.open/update/
 * finish` called as the dispatcher calls them. Also the `POST /api/actions` route with a real
 * ActionHandler function.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionEvent, ActionHandler, LiveElement, LiveView } from '../../src/channels/live.js';
import type { AcceptResult, ReplyAddress } from '../../src/channels/types.js';
import { createWebChannel, type WebChannel, type WebLiveBubble, type WebLiveEnd } from '../../src/channels/web/index.js';
import type { WebMessageView } from '../../src/channels/web/chat.js';
import { outboundMessageId } from '../../src/channels/web/format/outbound.js';
import type { MarkdownNode } from '../../src/channels/web/format/markdown-tree.js';
import { DEFAULT_SENDER_ID } from '../../src/channels/web/inbound/parse.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { openSseClient, type SseClient } from '../support/sse-client.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const CONVERSATION = 'live-test';

let channel: WebChannel;
let store: StateStore;
let presses: ActionEvent[];
/** What the action handler answers next (by actionId); unknown ids are stale. */
let answers: Map<string, Awaited<ReturnType<ActionHandler>>>;
const sses: SseClient[] = [];

const accept = async (): Promise<AcceptResult> => ({ status: 'duplicate' });
const onAction: ActionHandler = async (event) => {
  presses.push(event);
  return answers.get(event.actionId) ?? { status: 'stale', text: 'That turn already finished.' };
};

beforeEach(async () => {
  store = await openStateStore(makeTempDir('web-live-'));
  channel = createWebChannel(
    { id: 'web', type: 'web', listen: '127.0.0.1:0', maxTextBytes: 64 * 1024, historyLimit: 100 },
    { store, logger: silentLogger(), clock: systemClock },
  );
  presses = [];
  answers = new Map();
  await channel.start(accept, onAction);
});

afterEach(async () => {
  for (const s of sses.splice(0)) s.close();
  await channel.stop();
  await store.close();
});

afterAll(cleanupTempDirs);

async function sse(): Promise<SseClient> {
  const client = await openSseClient(`${channel.url}/api/events?conversation=${CONVERSATION}`);
  expect(client.status).toBe(200);
  sses.push(client);
  return client;
}

async function history(): Promise<{ messages: WebMessageView[]; live: WebLiveBubble[] }> {
  const res = await fetch(`${channel.url}/api/conversations/${CONVERSATION}/messages`);
  expect(res.status).toBe(200);
  return (await res.json()) as { messages: WebMessageView[]; live: WebLiveBubble[] };
}

let n = 0;
function address(): ReplyAddress {
  return { channelId: 'web', conversation: CONVERSATION, messageId: `q-${++n}` };
}

const view = (text: string, patch: Partial<LiveView> = {}): LiveView => ({ text, textSeq: 1, activity: null, plan: [], ...patch });

/** Tags of a Markdown tree, depth first. */
function tags(nodes: MarkdownNode[]): string[] {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n.tag, ...tags(n.children)]));
}

async function open(to: ReplyAddress, key: string): Promise<LiveElement> {
  const element = await channel.live.open(to, { key, stopActionId: `stop-${key}`, recipientUserId: 'web-user' });
  expect(element).not.toBeNull();
  return element!;
}

describe('web live answers over SSE', () => {
  it('a bubble opens, grows with the whole state each time, and settles into the one final message', async () => {
    const page = await sse();
    const to = address();
    const key = `turn-${n}`;
    const element = await open(to, key);
    expect(channel.live.minIntervalMs).toBe(100);

    const opened = (await page.waitFor((e) => e.event === 'live')).data;
    const bubble = JSON.parse(opened) as WebLiveBubble;
    expect(bubble).toMatchObject({
      id: element.ref,
      replyTo: to.messageId,
      text: '',
      markdown: [],
      textSeq: 0,
      activity: null,
      activityMarkdown: null,
      plan: [],
      stopActionId: `stop-${key}`,
      state: 'running',
    });
    expect(element.ref).toMatch(/^live-[0-9a-f]{32}$/);

    const plan = [
      { step: 'read the code', status: 'completed' as const },
      { step: 'write the table', status: 'inProgress' as const },
      { step: 'check it', status: 'pending' as const },
    ];
    expect(await element.update(view('Here is', { activity: 'running `npm test`', plan }))).toBe(true);
    const table = 'Here is a table:\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n';
    expect(await element.update(view(table, { plan }))).toBe(true);
    await page.waitFor((e) => e.event === 'live' && e.data.includes('| 1 | 2 |'));

    const lives = page.data<WebLiveBubble>('live');
    expect(lives).toHaveLength(3);
    expect(new Set(lives.map((l) => l.id))).toEqual(new Set([element.ref]));
    expect(lives[1]).toMatchObject({ text: 'Here is', activity: 'running `npm test`', plan });
    expect(tags(lives[1]!.activityMarkdown ?? [])).toEqual(['p', 'code']);
    expect(lives[2]).toMatchObject({ text: table, activity: null, activityMarkdown: null, plan, stopActionId: `stop-${key}` });
    expect(tags(lives[2]!.markdown)).toEqual(expect.arrayContaining(['p', 'table', 'thead', 'tbody', 'td']));

    // A page loaded now shows the bubble at once from the history answer.
    const mid = await history();
    expect(mid.live).toEqual([lives[2]]);
    expect(mid.messages).toEqual([]);
    // A page that joins mid-turn gets the whole bubble with the next update.
    const late = await sse();
    await element.update(view(`${table}\nDone.`, { plan }));
    const lateBubble = JSON.parse((await late.waitFor((e) => e.event === 'live')).data) as WebLiveBubble;
    expect(lateBubble).toMatchObject({ id: element.ref, replyTo: to.messageId, text: `${table}\nDone.`, plan, stopActionId: `stop-${key}` });

    const final = `${table}\nDone.`;
    const result = await element.finish({ outcome: 'completed', message: { kind: 'answer', text: final, idempotencyKey: key } });
    const finalId = outboundMessageId(key);
    expect(result).toEqual({ status: 'sent', messageIds: [finalId] });

    await page.waitFor((e) => e.event === 'message');
    const tail = page.events.slice(-2).map((e) => e.event);
    expect(tail).toEqual(['live-end', 'message']); // the page knows which bubble the message replaces
    expect(page.data<WebLiveEnd>('live-end')).toEqual([{ id: element.ref, replyTo: to.messageId, messageId: finalId, outcome: 'completed' }]);
    const [message] = page.data<WebMessageView>('message');
    expect(message).toMatchObject({ id: finalId, role: 'assistant', text: final.trimEnd(), replyTo: to.messageId, outcome: 'completed' });
    expect(tags(message!.markdown ?? [])).toContain('table');

    const after = await history();
    expect(after.live).toEqual([]);
    expect(after.messages.map((m) => [m.id, m.role, m.replyTo, m.outcome])).toEqual([[finalId, 'assistant', to.messageId, 'completed']]);
    expect(await element.update(view('too late'))).toBe(false);
  });

  it('a stopped turn ends as the stop notice with outcome interrupted, stored on disk', async () => {
    const page = await sse();
    const to = address();
    const element = await open(to, 'turn-stopped');
    await element.update(view('I was writing'));
    const res = await element.finish({ outcome: 'interrupted', message: { kind: 'error', text: '⏹️ The turn was stopped.', idempotencyKey: 'turn-stopped' } });
    expect(res.status).toBe('sent');
    await page.waitFor((e) => e.event === 'message');
    const { messages } = await history();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ role: 'system', text: '⏹️ The turn was stopped.', replyTo: to.messageId, outcome: 'interrupted' });
    expect(store.listWebMessages('web', CONVERSATION)[0]?.outcome).toBe('interrupted');
  });

  it('open retried with one key shows the same bubble; finish twice leaves one final message', async () => {
    const page = await sse();
    const to = address();
    const first = await open(to, 'turn-twice');
    await first.update(view('kept'));
    const again = await open(to, 'turn-twice');
    expect(again.ref).toBe(first.ref);
    const { live } = await history();
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ id: first.ref, text: 'kept' });

    const end = { outcome: 'completed' as const, message: { kind: 'answer' as const, text: 'once', idempotencyKey: 'turn-twice' } };
    const [a, b] = await Promise.all([first.finish(end), again.finish(end)]);
    expect(a).toEqual({ status: 'sent', messageIds: [outboundMessageId('turn-twice')] });
    expect(b).toEqual(a);
    await page.waitFor((e) => e.event === 'message');
    expect((await history()).messages).toHaveLength(1);
    expect(page.data('message')).toHaveLength(1);
  });

  it('abandon tells pages the bubble ended with the note; another channel id opens nothing', async () => {
    const page = await sse();
    const to = address();
    await channel.live.abandon(to, 'live-from-before', 'stopped by a restart');
    const end = JSON.parse((await page.waitFor((e) => e.event === 'live-end')).data) as WebLiveEnd;
    expect(end).toEqual({ id: 'live-from-before', replyTo: to.messageId, messageId: null, outcome: 'abandoned', note: 'stopped by a restart' });
    expect(await channel.live.open({ ...to, channelId: 'elsewhere' }, { key: 'k', stopActionId: 's', recipientUserId: 'web-user' })).toBeNull();
    expect((await history()).live).toEqual([]);
  });
});

/** POSTs `body` to /api/actions with raw header control (fetch cannot set Host or Origin freely). */
function postAction(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${channel.url}/api/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('web actions: POST /api/actions', () => {
  it('hands a press to the handler with the web sender and answers done / refused / stale', async () => {
    answers.set('stop-1', { status: 'done', text: 'Stopping this turn.' });
    answers.set('stop-2', { status: 'refused', text: 'Only the sender may stop it.' });

    expect(await postAction({ actionId: 'stop-1', conversation: CONVERSATION })).toEqual({
      status: 200,
      body: { status: 'done', text: 'Stopping this turn.' },
    });
    expect(presses).toEqual([{ channelId: 'web', actionId: 'stop-1', user: { id: DEFAULT_SENDER_ID }, conversation: CONVERSATION }]);

    expect(await postAction({ actionId: 'stop-2', conversation: CONVERSATION, sender: 'ada' })).toEqual({
      status: 403,
      body: { status: 'refused', text: 'Only the sender may stop it.' },
    });
    expect(presses[1]?.user).toEqual({ id: 'ada', name: 'ada' });

    expect(await postAction({ actionId: 'stop-gone', conversation: CONVERSATION })).toEqual({
      status: 409,
      body: { status: 'stale', text: 'That turn already finished.' },
    });
    // Same-origin posts (the page's own) pass the origin guard.
    const host = new URL(channel.url).host;
    expect((await postAction({ actionId: 'stop-1', conversation: CONVERSATION }, { origin: `http://${host}` })).status).toBe(200);
  });

  it('refuses bad bodies with 400 and cross-origin posts with 403, without calling the handler', async () => {
    const bad: [unknown, string][] = [
      ['not json', 'bad_json'],
      [[1], 'bad_json'],
      [{ conversation: CONVERSATION }, 'bad_action'],
      [{ actionId: '', conversation: CONVERSATION }, 'bad_action'],
      [{ actionId: 'x'.repeat(257), conversation: CONVERSATION }, 'bad_action'],
      [{ actionId: 'a\nb', conversation: CONVERSATION }, 'bad_action'],
      [{ actionId: 'stop-1' }, 'bad_conversation'],
      [{ actionId: 'stop-1', conversation: 'no spaces' }, 'bad_conversation'],
      [{ actionId: 'stop-1', conversation: 'a%41' }, 'bad_conversation'],
      [{ actionId: 'stop-1', conversation: CONVERSATION, sender: 7 }, 'bad_sender'],
    ];
    for (const [body, error] of bad) {
      const res = await postAction(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error, message: expect.any(String) });
    }
    const foreign = await postAction({ actionId: 'stop-1', conversation: CONVERSATION }, { origin: 'http://evil.example' });
    expect(foreign).toEqual({ status: 403, body: { error: 'forbidden_origin', message: expect.any(String) } });
    const tooLarge = await postAction({ actionId: 'stop-1', conversation: CONVERSATION, pad: 'x'.repeat(5000) });
    expect(tooLarge.status).toBe(413);
    expect(presses).toEqual([]);

    const get = await fetch(`${channel.url}/api/actions`);
    expect(get.status).toBe(405);
  });

  it('answers 503 when started without an action handler', async () => {
    await channel.stop();
    await channel.start(accept);
    const res = await postAction({ actionId: 'stop-1', conversation: CONVERSATION });
    expect(res).toEqual({ status: 503, body: { error: 'not_started', message: expect.any(String) } });
  });
});
