/**
 * End to end through Slack: the REAL service (gate, dispatcher, state) and a REAL codex app-server
 * with a scripted model, behind the Slack adapter (real Bolt) talking to the fake Slack platform.
 * HTTP mode (signed Events API requests) runs every case; Socket Mode runs the main round trip.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderSlackParts } from '../../src/channels/slack/format/outbound.js';
import { markdownToMrkdwn } from '../../src/channels/slack/format/mrkdwn.js';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { failureText, notQueuedText, stopResultText } from '../../src/dispatch/messages.js';
import { breakStateFile, isNotQueuedNotice } from '../support/broken-state.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { appMention, channelMessage, dmMessage, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import { stripHeader } from '../support/service.js';
import { STOP_ACTION_ID } from '../../src/channels/slack/outbound/live-blocks.js';
import { stopRefusedText, stoppingText } from '../../src/dispatch/messages.js';
import { SLACK_SIGNING_SECRET } from '../support/slack-service.js';
import { startSlackTestService, type SlackTestService, type SlackTestServiceOptions } from '../support/slack-service.js';

/** The scripted model's Markdown answer for the round-trip case. */
const RICH_ANSWER = 'Here is **the plan**:\n\n```js\nconsole.log(1 < 2 && "ok");\n```\n\nDone.';

/** A long answer streamed over 30 s, so a test can watch it grow and stop it. */
const STREAMED_ANSWER = Array.from({ length: 60 }, (_, i) => `line ${i + 1} of the streamed answer`).join('\n');

const echoScript: ScriptFn = async (req) => {
  const text = stripHeader(req.lastUserText);
  if (text.startsWith('hang')) return { kind: 'hang' };
  if (text.startsWith('rich')) return { kind: 'reply', text: RICH_ANSWER };
  if (text.startsWith('stream')) return { kind: 'reply', text: STREAMED_ANSWER, chunks: 60, streamMs: 30_000 };
  if (text.startsWith('slow')) await new Promise((r) => setTimeout(r, 50));
  return { kind: 'reply', text: `echo: ${text}` };
};

let env: CodexTestEnv;
let fake: FakeSlack;
const running: SlackTestService[] = [];

beforeEach(async () => {
  env = await codexTestEnv(echoScript);
  fake = await startFakeSlack({
    users: { U1: { name: 'ada', display_name: 'Ada' }, U2: { name: 'grace' }, UADMIN: { name: 'root', display_name: 'Admin' }, U3: { name: 'eve' } },
  });
});

afterEach(async () => {
  // The app stops before the fake closes (see test/integration/fake-slack.test.ts).
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

async function start(opts: SlackTestServiceOptions): Promise<SlackTestService> {
  const s = await startSlackTestService(env, fake, opts);
  running.push(s);
  return s;
}

/** Model requests whose user text (without the sender header) is `text`. */
const asked = (text: string): number => env.model.requests.filter((r) => stripHeader(r.lastUserText) === text).length;

const plain = (s: string): string => s.replace(/\u200b/g, '');

for (const mode of ['http', 'socket'] as const) {
  describe(`Slack → real service → real codex (${mode})`, () => {
    it('an app_mention gets a threaded mrkdwn answer and progress reactions; a redelivery is still one turn', async () => {
      const s = await start({ mode });
      const ts = fake.nextTs();
      const event = appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> rich answer please', ts });
      await s.deliver(event, { eventId: 'EvRich' });
      // Slack redelivers while the turn runs (X-Slack-Retry-Num / retry_attempt; same event_id, same ts).
      await s.deliver(event, { eventId: 'EvRich', retryNum: 1 });
      const [post] = await s.waitForPosts('C1', ts, 1);
      expect(post!.body.text).toBe(markdownToMrkdwn(RICH_ANSWER));
      expect(plain(String(post!.body.text))).toBe('Here is *the plan*:\n\n```\nconsole.log(1 < 2 && "ok");\n```\n\nDone.');
      // The turn input names the sender (users.info display name) and the conversation.
      const req = env.model.requests.find((r) => r.lastUserText.endsWith('rich answer please'));
      expect(req?.lastUserText).toBe('[Ada via slack/C1]\nrich answer please');

      await waitFor(() => JSON.stringify(fake.reactionsOn('C1', ts)) === JSON.stringify({ white_check_mark: ['UBOT'] }), 10_000, 'done reaction');
      expect(fake.calls.filter((c) => c.method.startsWith('reactions.')).map((c) => `${c.method}:${String(c.body.name)}`)).toEqual([
        'reactions.add:eyes',
        'reactions.remove:eyes',
        'reactions.add:white_check_mark',
      ]);

      // One more redelivery after the answer: still deduplicated.
      await s.deliver(event, { eventId: 'EvRich', retryNum: 2 });
      await s.service.dispatchers.get('main')!.whenIdle();
      await new Promise((r) => setTimeout(r, 200));
      expect(asked('rich answer please')).toBe(1);
      expect(s.postsIn('C1', ts)).toHaveLength(1);
    });

    it('a mention seen as both app_mention and message.channels is one turn', async () => {
      const s = await start({ mode });
      const ts = fake.nextTs();
      const fields = { user: 'U2', channel: 'C2', text: '<@UBOT> twice delivered', ts };
      await s.deliver(appMention(fields));
      await s.deliver(channelMessage(fields));
      const [post] = await s.waitForPosts('C2', ts, 1);
      expect(post!.body.text).toBe('echo: twice delivered');
      await s.service.dispatchers.get('main')!.whenIdle();
      expect(asked('twice delivered')).toBe(1);
    });
  });
}

describe('Slack → real service → real codex (http): ordering, commands and access', () => {
  it('five messages in one channel are answered in FIFO order, each in its own thread', async () => {
    const s = await start({ mode: 'http' });
    const tss: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const ts = fake.nextTs();
      tss.push(ts);
      await s.deliver(appMention({ user: 'U1', channel: 'C5', text: `<@UBOT> slow message ${i}`, ts }));
    }
    for (const [i, ts] of tss.entries()) {
      const posts = await s.waitForPosts('C5', ts, 1);
      expect(posts.map((p) => p.body.text)).toEqual([`echo: slow message ${i + 1}`]);
    }
    // Each answer is a live stream opened in its message's thread when its turn starts: FIFO shows in their order.
    const order = fake
      .callsTo('chat.startStream')
      .filter((c) => c.body.channel === 'C5')
      .map((c) => c.body.thread_ts);
    expect(order).toEqual(tss);
    expect(env.model.requests.map((r) => stripHeader(r.lastUserText)).filter((t) => t.startsWith('slow'))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `slow message ${i}`),
    );
  });

  it('a slow answer streams into its thread; Stop from another user is refused, from the sender stops it; one final answer', async () => {
    const s = await start({ mode: 'http' });
    const ts = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C7', text: '<@UBOT> stream it', ts }));
    const started = () => fake.callsTo('chat.startStream').filter((c) => c.body.channel === 'C7' && c.body.thread_ts === ts && c.response.ok === true);
    await waitFor(() => started().length === 1, 30_000, 'the stream');
    const streamTs = String(started()[0]!.response.ts);
    expect(started()[0]!.body).toMatchObject({ recipient_user_id: 'U1' });
    const appended = () => fake.callsTo('chat.appendStream').filter((c) => c.body.ts === streamTs && c.response.ok === true);
    await waitFor(() => appended().length >= 2, 30_000, 'two appended chunks');

    const press = (user: string) =>
      fake.postAction(s.channel.eventsUrl!, SLACK_SIGNING_SECRET, {
        user,
        channel: 'C7',
        messageTs: streamTs,
        threadTs: ts,
        actionId: STOP_ACTION_ID,
        value: stopValue(),
      });
    const stopValue = (): string => {
      const chunks = started()[0]!.body.chunks as Array<{ type: string; blocks?: Array<{ elements?: Array<{ value?: string }> }> }>;
      return String(chunks.find((c) => c.type === 'blocks')?.blocks?.[0]?.elements?.[0]?.value);
    };
    await press('U2');
    await waitFor(() => fake.ephemerals('C7').length === 1, 15_000, 'the refusal');
    expect(fake.ephemerals('C7')[0]).toMatchObject({ user: 'U2', text: stopRefusedText('Ada') });
    await press('U1');
    await waitFor(() => fake.ephemerals('C7').length === 2, 15_000, 'the stopping answer');
    expect(fake.ephemerals('C7')[1]).toMatchObject({ user: 'U1', text: stoppingText() });

    const [stopped] = await s.waitForPosts('C7', ts, 1);
    expect(stopped!.body.text).toBe(
      renderSlackParts({ kind: 'error', text: failureText({ status: 'interrupted', reason: 'requested', turnId: 't' }, 1, 'Ada') })[0],
    );
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(s.postsIn('C7', ts), 'one final answer in the thread').toHaveLength(1);
    expect(fake.callsTo('chat.stopStream').filter((c) => c.body.ts === streamTs)).toHaveLength(1);
    // A press after the turn ended is told so.
    await press('U1');
    await waitFor(() => fake.ephemerals('C7').length === 3, 15_000, 'the stale answer');
    expect(fake.ephemerals('C7')[2]!.text).toMatch(/already finished|no longer active/);
  });

  it('`stop` from an admin interrupts a hanging turn; someone else (not its sender, not an admin) gets the polite refusal', async () => {
    const s = await start({ mode: 'http', access: { admins: ['UADMIN'] } });
    const hangTs = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C3', text: '<@UBOT> hang in there', ts: hangTs }));
    const d = s.service.dispatchers.get('main')!;
    await waitFor(() => d.status().runningTurnAgeMs !== null, 20_000, 'running turn');

    const refusedTs = fake.nextTs();
    await s.deliver(appMention({ user: 'U2', channel: 'C3', text: '<@UBOT> stop', ts: refusedTs }));
    const [refusal] = await s.waitForPosts('C3', refusedTs, 1);
    expect(refusal!.body.text).toBe(renderSlackParts({ kind: 'notice', text: stopRefusedText('Ada') })[0]);
    expect(d.status().runningTurnAgeMs).not.toBeNull();

    const stopTs = fake.nextTs();
    await s.deliver(appMention({ user: 'UADMIN', channel: 'C3', text: '<@UBOT> stop', ts: stopTs }));
    const [ack] = await s.waitForPosts('C3', stopTs, 1);
    expect(ack!.body.text).toBe(stopResultText(true));
    const [stopped] = await s.waitForPosts('C3', hangTs, 1);
    // The ack answers in the stop message's own thread; the stopped turn's one mark names who stopped it.
    expect(stopped!.body.text).toBe(
      renderSlackParts({ kind: 'error', text: failureText({ status: 'interrupted', reason: 'requested', turnId: 't' }, 1, 'Admin') })[0],
    );
    await waitFor(() => JSON.stringify(fake.reactionsOn('C3', hangTs)) === JSON.stringify({ x: ['UBOT'] }), 10_000, 'failed reaction');
    // Commands never reach the model.
    expect(asked('stop')).toBe(0);
  });

  it('a plain channel message is ignored unless the binding sets requireMention:false; DMs always count', async () => {
    const s = await start({ mode: 'http', bindings: [{ conversation: 'COPEN', requireMention: false }, {}] });
    const quietTs = fake.nextTs();
    await s.deliver(channelMessage({ user: 'U1', channel: 'C1', text: 'plain chatter', ts: quietTs }));
    const openTs = fake.nextTs();
    await s.deliver(channelMessage({ user: 'U1', channel: 'COPEN', text: 'open chatter', ts: openTs }));
    const dmTs = fake.nextTs();
    await s.deliver(dmMessage({ user: 'U2', channel: 'D1', text: 'direct question', ts: dmTs }));

    expect((await s.waitForPosts('COPEN', openTs, 1))[0]!.body.text).toBe('echo: open chatter');
    expect((await s.waitForPosts('D1', dmTs, 1))[0]!.body.text).toBe('echo: direct question');
    await s.service.dispatchers.get('main')!.whenIdle();
    expect(asked('plain chatter')).toBe(0);
    expect(s.postsIn('C1', quietTs)).toEqual([]);
    expect(fake.reactionsOn('C1', quietTs)).toEqual({});
  });

  it('a message the store cannot persist is answered in its thread with the not-queued notice, and never run', async () => {
    const s = await start({ mode: 'http' });
    const broken = await breakStateFile(env.stateDir);
    const ts = fake.nextTs();
    try {
      await s.deliver(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> keep this', ts }));
      const [notice] = await s.waitForPosts('C1', ts, 1);
      expect(isNotQueuedNotice(plain(String(notice!.body.text)), notQueuedText, 'state not writable (EISDIR')).toBe(true);
    } finally {
      await broken.restore();
    }
    // A later message's answer proves the queue ran past it: the refused one got no answer.
    const laterTs = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> after the refusal', ts: laterTs }));
    expect((await s.waitForPosts('C1', laterTs, 1))[0]!.body.text).toBe('echo: after the refusal');
    expect(s.postsIn('C1', ts)).toHaveLength(1);
    expect(asked('keep this')).toBe(0);
  });

  it('a user outside access.users is ignored (no model request, no reply)', async () => {
    const s = await start({ mode: 'http', access: { users: ['U1'] } });
    const outsiderTs = fake.nextTs();
    await s.deliver(appMention({ user: 'U3', channel: 'C1', text: '<@UBOT> let me in', ts: outsiderTs }));
    const insiderTs = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> I am allowed', ts: insiderTs }));
    expect((await s.waitForPosts('C1', insiderTs, 1))[0]!.body.text).toBe('echo: I am allowed');
    await s.service.dispatchers.get('main')!.whenIdle();
    await new Promise((r) => setTimeout(r, 200));
    expect(asked('let me in')).toBe(0);
    expect(s.postsIn('C1', outsiderTs)).toEqual([]);
  });
});
