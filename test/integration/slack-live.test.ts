/**
 * Slack live answers with the REAL Bolt SDK and WebClient against the fake Slack: the streamed
 * element (chat.startStream/appendStream/stopStream), its settling into exactly what send() posts,
 * activity/plan chunks, the chat.update fallback, 429s while streaming, abandon after a restart,
 * and Stop presses in Socket Mode and over HTTP answered ephemerally.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { ActionEvent, ActionHandler, ActionResult, LiveView } from '../../src/channels/live.js';
import { createSlackChannel, type SlackChannel } from '../../src/channels/slack/index.js';
import { renderSlackParts } from '../../src/channels/slack/format/outbound.js';
import { STOP_ACTION_ID } from '../../src/channels/slack/outbound/live-blocks.js';
import type { AcceptResult, OutboundMessage, ReplyAddress } from '../../src/channels/types.js';
import { slackChannelSchema } from '../../src/config/schema.js';
import { LiveTurn } from '../../src/dispatch/live/live-turn.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from '../support/fake-clock.js';
import { startFakeSlack, type FakeSlack, type RecordedCall } from '../support/fake-slack/index.js';

const SIGNING_SECRET = 'live-signing-secret';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
});

interface Setup {
  fake: FakeSlack;
  channel: SlackChannel;
  presses: ActionEvent[];
}

async function setup(mode: 'socket' | 'http' = 'socket', opts: { streamingError?: string; onAction?: ActionHandler } = {}): Promise<Setup> {
  const fake = await startFakeSlack({
    users: { U1: { name: 'ada' }, U2: { name: 'grace' } },
    channels: ['C1', 'D1'],
    ...(opts.streamingError ? { streamingError: opts.streamingError } : {}),
  });
  cleanups.push(() => fake.close());
  const config = slackChannelSchema.parse({
    id: 'team',
    type: 'slack',
    mode,
    botToken: 'xoxb-live',
    apiUrl: fake.apiUrl,
    ...(mode === 'socket' ? { appToken: 'xapp-1-live' } : { signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0' }),
  });
  const channel = createSlackChannel(config, { logger: silentLogger(), clock: systemClock });
  cleanups.push(() => channel.stop());
  const presses: ActionEvent[] = [];
  const onAction: ActionHandler =
    opts.onAction ??
    (async (e): Promise<ActionResult> => {
      presses.push(e);
      return e.user.id === 'U1' ? { status: 'done', text: 'Stopping this turn.' } : { status: 'refused', text: 'Only the sender can stop this.' };
    });
  await channel.start(async (): Promise<AcceptResult> => ({ status: 'duplicate' }), onAction);
  if (mode === 'socket') await fake.waitForConnection(1, 15_000);
  return { fake, channel, presses };
}

function question(fake: FakeSlack, conversation = 'C1'): ReplyAddress {
  const ts = fake.nextTs();
  fake.addMessage({ channel: conversation, ts, user: 'U1', text: 'a question' });
  return { channelId: 'team', conversation, messageId: ts };
}

let n = 0;
const answer = (text: string): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: `live-${++n}` });
const view = (text: string, over: Partial<LiveView> = {}): LiveView => ({ text, textSeq: 1, activity: null, plan: [], ...over });
const options = () => ({ key: `k-${++n}`, stopActionId: `stop-${n}`, recipientUserId: 'U1' });

/** Bot messages in the thread of `to`, as the fake now shows them. */
function botThread(fake: FakeSlack, to: ReplyAddress) {
  return fake.messages(to.conversation).filter((m) => m.user === fake.botUserId && m.thread_ts === to.messageId);
}

/** The markdown text every successful stream call carried, in order. */
function streamedText(calls: RecordedCall[]): string {
  return calls
    .filter((c) => ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].includes(c.method) && c.response.ok === true)
    .flatMap((c) => [
      ...(typeof c.body.markdown_text === 'string' ? [c.body.markdown_text] : []),
      ...((c.body.chunks as Array<{ type: string; text?: string }> | undefined) ?? []).filter((x) => x.type === 'markdown_text').map((x) => x.text ?? ''),
    ])
    .join('');
}

describe('Slack live answers: streaming', () => {
  it('streams the answer in the thread, and settles into exactly what send() posts', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = await channel.live!.open(to, options());
    expect(el).not.toBeNull();
    const start = fake.callsTo('chat.startStream')[0]!;
    expect(start.body).toMatchObject({ channel: 'C1', thread_ts: to.messageId, recipient_user_id: 'U1', recipient_team_id: fake.teamId });
    const blocksChunk = (start.body.chunks as Array<{ type: string; blocks?: Array<{ elements?: Array<{ action_id?: string; value?: string }> }> }>).find(
      (c) => c.type === 'blocks',
    );
    expect(blocksChunk?.blocks?.[0]?.elements?.[0]).toMatchObject({ action_id: STOP_ACTION_ID, value: `stop-${n}` });

    const final = 'Here is **the answer**, with `code`.';
    for (const upTo of [5, 18, final.length]) expect(await el!.update(view(final.slice(0, upTo)))).toBe(true);
    expect(streamedText(fake.calls)).toBe(final);
    expect(botThread(fake, to)[0]).toMatchObject({ text: final, streaming: true });

    const msg = answer(final);
    const res = await el!.finish({ outcome: 'completed', message: msg });
    const shown = botThread(fake, to);
    expect(res).toEqual({ status: 'sent', messageIds: shown.map((m) => m.ts) });
    expect(shown.map((m) => m.text)).toEqual(renderSlackParts(msg));
    expect(shown[0]).toMatchObject({ streaming: false, blocks: [] });
    expect(shown[0]!.chunks).toBeUndefined();
    // The dispatcher's fallback send() under the same key posts nothing more.
    expect(await channel.send(to, msg)).toEqual(res);
    expect(botThread(fake, to)).toHaveLength(1);
  });

  it('a long final answer: part 1 replaces the stream, the other parts follow in the thread; commentary streamed earlier is gone', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    await el.update(view('Let me look at the files first.'));
    await el.update(view('The answer begins', { textSeq: 2 }));
    expect(streamedText(fake.calls)).toBe('Let me look at the files first.\n\nThe answer begins');
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${'word '.repeat(40)}`.trim());
    const msg = answer(paragraphs.join('\n\n'));
    const res = await el.finish({ outcome: 'completed', message: msg });
    const shown = botThread(fake, to);
    expect(shown.map((m) => m.text)).toEqual(renderSlackParts(msg));
    expect(shown.length).toBeGreaterThan(1);
    expect(res).toEqual({ status: 'sent', messageIds: shown.map((m) => m.ts) });
  });

  it('activity and plan go out as task_update chunks, updated in place', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    const plan = [
      { step: 'read the code', status: 'completed' as const },
      { step: 'write the fix', status: 'inProgress' as const },
    ];
    await el.update(view('', { textSeq: 0, activity: 'running `npm test`', plan }));
    await el.update(view('', { textSeq: 0, activity: null, plan }));
    const chunks = fake
      .callsTo('chat.appendStream')
      .flatMap((c) => c.body.chunks as Array<Record<string, unknown>>)
      .filter((c) => c.type === 'task_update');
    expect(chunks).toEqual([
      { type: 'task_update', id: 'plan-0', title: 'read the code', status: 'complete' },
      { type: 'task_update', id: 'plan-1', title: 'write the fix', status: 'in_progress' },
      { type: 'task_update', id: 'activity', title: 'running `npm test`', status: 'in_progress' },
      { type: 'task_update', id: 'activity', title: 'running `npm test`', status: 'complete' },
    ]);
    expect(fake.callsTo('chat.startStream')[0]!.body.task_display_mode).toBe('plan');
    // Nothing changed: no call.
    const before = fake.calls.length;
    expect(await el.update(view('', { textSeq: 0, activity: null, plan }))).toBe(true);
    expect(fake.calls.length).toBe(before);
  });

  it('in a DM the stream needs no recipient', async () => {
    const { fake, channel } = await setup();
    const to = question(fake, 'D1');
    expect(await channel.live!.open(to, options())).not.toBeNull();
    expect(fake.callsTo('chat.startStream')[0]!.body.recipient_user_id).toBeUndefined();
  });

  it('a 429 on appendStream: update answers false at once, finish still ends in exactly one final answer', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    expect(await el.update(view('partial'))).toBe(true);
    fake.failNext('chat.appendStream', { status: 429, retryAfterSec: 30 });
    const t0 = Date.now();
    expect(await el.update(view('partial and more'))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const msg = answer('partial and more, the end.');
    const res = await el.finish({ outcome: 'completed', message: msg });
    expect(res.status).toBe('sent');
    expect(botThread(fake, to).map((m) => m.text)).toEqual(renderSlackParts(msg));
    expect(await channel.send(to, msg)).toEqual(res);
    expect(botThread(fake, to)).toHaveLength(1);
  });

  it('when the final chat.update fails, finish answers failed and send() posts the one answer', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    await el.update(view('Thinking about it'));
    fake.failNext('chat.update', { error: 'cant_update_message', times: 1 });
    const msg = answer('The real answer.');
    const res = await el.finish({ outcome: 'completed', message: msg });
    expect(res).toMatchObject({ status: 'failed', error: 'cant_update_message' });
    const sent = await channel.send(to, msg);
    expect(sent.status).toBe('sent');
    const answers = botThread(fake, to).filter((m) => m.text === renderSlackParts(msg)[0]);
    expect(answers).toHaveLength(1);
  });

  it("counts the Slack API calls of a streamed 50-delta answer driven by the dispatcher's LiveTurn", async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    fake.clearCalls();
    const live = channel.live!;
    const turn = new LiveTurn(() => live.open(to, options()), { minIntervalMs: live.minIntervalMs, clock: systemClock, logger: silentLogger() });
    await turn.whenOpened();
    let text = '';
    for (let i = 0; i < 50; i++) {
      const delta = `word${i} `;
      text += delta;
      turn.onEvent({ type: 'agentMessageDelta', itemId: 'msg-1', delta });
      await new Promise((r) => setTimeout(r, 60));
    }
    const res = await turn.finish({ outcome: 'completed', message: answer(text) });
    expect(res.status).toBe('sent');
    const counts: Record<string, number> = {};
    for (const c of fake.calls) counts[c.method] = (counts[c.method] ?? 0) + 1;
    const total = fake.calls.length;
    console.log(`Slack API calls for a 50-delta streamed answer (~3 s): ${total} ${JSON.stringify(counts)}`);
    expect(counts['chat.startStream']).toBe(1);
    expect(counts['chat.stopStream']).toBe(1);
    expect(counts['chat.update']).toBe(1);
    expect(counts['chat.appendStream']).toBeLessThanOrEqual(6);
    // What was streamed is a prefix of the answer (deltas after the last update are left to finish).
    expect(text.startsWith(streamedText(fake.calls))).toBe(true);
    expect(botThread(fake, to).map((m) => m.text)).toEqual(renderSlackParts(answer(text)));
  });
});

describe('Slack live answers: fallback without streaming', () => {
  it('no streaming API: one placeholder kept current with chat.update, ending as the one final message', async () => {
    const { fake, channel } = await setup('socket', { streamingError: 'unknown_method' });
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    expect(el).not.toBeNull();
    expect(JSON.parse(el.ref)).toMatchObject({ mode: 'update', channel: 'C1' });
    const placeholder = botThread(fake, to);
    expect(placeholder).toHaveLength(1);
    expect(JSON.stringify(placeholder[0]!.blocks)).toContain(STOP_ACTION_ID);
    expect(await el.update(view('The answer so far', { activity: 'editing a.ts' }))).toBe(true);
    expect(await el.update(view('The answer so far, longer'))).toBe(true);
    const updates = fake.callsTo('chat.update');
    expect(updates).toHaveLength(2);
    expect(updates[1]!.at - updates[0]!.at).toBeGreaterThanOrEqual(1_400);
    const msg = answer('The answer so far, longer. Done.');
    const res = await el.finish({ outcome: 'completed', message: msg });
    const shown = botThread(fake, to);
    expect(res).toEqual({ status: 'sent', messageIds: [placeholder[0]!.ts] });
    expect(shown.map((m) => m.text)).toEqual(renderSlackParts(msg));
    expect(shown[0]!.blocks).toEqual([]);
    // Remembered: the next turn does not try streaming again.
    await channel.live!.open(question(fake), options());
    expect(fake.callsTo('chat.startStream')).toHaveLength(1);
  });

  it('neither streaming nor posting works: open answers null', async () => {
    const { fake, channel } = await setup('socket', { streamingError: 'unknown_method' });
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await channel.live!.open(question(fake), options())).toBeNull();
  });
});

describe('Slack live answers: abandon after a restart', () => {
  it('closes an open stream with the note', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    await el.update(view('half an answer'));
    await channel.live!.abandon(to, el.ref, '⏹️ stopped by a restart');
    const [m] = botThread(fake, to);
    expect(m).toMatchObject({ streaming: false, text: 'half an answer\n\n⏹️ stopped by a restart' });
    expect(await el.update(view('half an answer and more'))).toBe(false);
  });

  it('a stream Slack already closed, and a placeholder, are replaced with the note', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    await el.finish({ outcome: 'completed', message: answer('done') });
    await channel.live!.abandon(to, el.ref, 'stopped by a restart');
    expect(botThread(fake, to)[0]).toMatchObject({ text: 'stopped by a restart', blocks: [] });
    await channel.live!.abandon(to, 'not a ref', 'x'); // never throws
  });
});

describe.each(['socket', 'http'] as const)('Slack Stop button (%s mode)', (mode) => {
  async function press(s: Setup, user: string, to: ReplyAddress, value: string) {
    const streamTs = botThread(s.fake, to)[0]!.ts;
    const p = { user, channel: to.conversation, messageTs: streamTs, threadTs: to.messageId, actionId: STOP_ACTION_ID, value };
    if (mode === 'socket') {
      const r = await s.fake.sendAction(p);
      expect(r.acked).toBe(true);
    } else {
      const r = await s.fake.postAction(s.channel.eventsUrl!, SIGNING_SECRET, p);
      expect(r.status).toBe(200);
    }
  }

  it("the sender's press reaches onAction and is answered ephemerally; another user is refused ephemerally", async () => {
    const s = await setup(mode);
    const to = question(s.fake);
    const opts = options();
    expect(await s.channel.live!.open(to, opts)).not.toBeNull();
    await press(s, 'U1', to, opts.stopActionId);
    await waitFor(() => s.fake.ephemerals().length === 1, 15_000, 'the ephemeral answer');
    expect(s.presses[0]).toEqual({ channelId: 'team', actionId: opts.stopActionId, user: { id: 'U1', name: 'U1' }, conversation: 'C1' });
    expect(s.fake.ephemerals()[0]).toMatchObject({ channel: 'C1', user: 'U1', text: 'Stopping this turn.', thread_ts: to.messageId });

    await press(s, 'U2', to, opts.stopActionId);
    await waitFor(() => s.fake.ephemerals().length === 2, 15_000, 'the refusal');
    expect(s.fake.ephemerals()[1]).toMatchObject({ user: 'U2', text: 'Only the sender can stop this.' });
  });

  it('a press for a finished turn is told "already finished"', async () => {
    const s = await setup(mode, { onAction: async () => ({ status: 'stale', text: 'Already finished.' }) });
    const to = question(s.fake);
    const opts = options();
    const el = (await s.channel.live!.open(to, opts))!;
    await el.finish({ outcome: 'completed', message: answer('done') });
    await press(s, 'U1', to, opts.stopActionId);
    await waitFor(() => s.fake.ephemerals().length === 1, 15_000, 'the stale answer');
    expect(s.fake.ephemerals()[0]).toMatchObject({ user: 'U1', text: 'Already finished.' });
  });
});

describe('Slack live answers: limits and reuse', () => {
  it('a long text goes out in calls of at most 12,000 characters, at most 36,000 in all; the final answer is still whole', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const el = (await channel.live!.open(to, options()))!;
    const text = Array.from({ length: 120 }, (_, p) => Array.from({ length: 60 }, (_, w) => `w${p}x${w}`).join(' ')).join('\n\n');
    expect(text.length).toBeGreaterThan(36_000);
    expect(await el.update(view(text.slice(0, 30_000)))).toBe(true);
    expect(await el.update(view(text))).toBe(true);
    const appends = fake.callsTo('chat.appendStream');
    for (const c of appends)
      for (const ch of c.body.chunks as Array<{ type: string; text?: string }>) expect((ch.text ?? '').length).toBeLessThanOrEqual(12_000);
    expect(streamedText(fake.calls)).toBe(text.slice(0, 36_000));
    const msg = answer(text);
    await el.finish({ outcome: 'completed', message: msg });
    expect(botThread(fake, to).map((m) => m.text)).toEqual(renderSlackParts(msg));
  });

  it('an open retried with the same key reuses the element; the plan block gets its title once', async () => {
    const { fake, channel } = await setup();
    const to = question(fake);
    const o = options();
    const a = await channel.live!.open(to, o);
    expect(await channel.live!.open(to, o)).toBe(a);
    expect(fake.callsTo('chat.startStream')).toHaveLength(1);
    await a!.update(view('', { textSeq: 0, activity: 'thinking' }));
    await a!.update(view('', { textSeq: 0, activity: 'running `ls`' }));
    const titles = fake.callsTo('chat.appendStream').flatMap((c) => (c.body.chunks as Array<{ type: string }>).filter((x) => x.type === 'plan_update'));
    expect(titles).toHaveLength(1);
  });
});
