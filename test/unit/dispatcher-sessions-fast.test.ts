/**
 * Sessions in the fast tier: the real Dispatcher and web adapter over the memory store and the
 * in-memory AgentRuntime, with a `conversation`-scope binding (each web conversation its own
 * session thread). Scheduling across sessions, busy policies (including a steer that arrives as
 * the turn ends), per-session queue limits, completions in their origin's session and restarts.
 * The same against real codex through Slack: test/e2e/slack-sessions.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplyAddress } from '../../src/channels/types.js';
import type { SessionRoute } from '../../src/dispatch/dispatcher.js';
import { steeredText } from '../../src/dispatch/sessions/texts.js';
import { openMemoryStateStore } from '../../src/state/memory.js';
import type { WebMessage } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime, type FakeTurn } from '../support/fake-runtime.js';

let f: FastTier;

async function setUp(
  opts: { busy?: SessionRoute['busy']; maxConcurrentTurns?: number; sessionQueueLimit?: number; maxLoaded?: number; idleUnloadMs?: number } = {},
): Promise<FastTier> {
  const store = openMemoryStateStore();
  const runtime = new FakeRuntime();
  runtime.autoAnswer = false;
  const { web, dispatcher } = await startFastDispatcher(store, runtime, {
    maxConcurrentTurns: opts.maxConcurrentTurns ?? 1,
    sessions: { idleUnloadMs: opts.idleUnloadMs ?? 30 * 60_000, maxLoaded: opts.maxLoaded ?? 20, keep: 500, queueLimit: opts.sessionQueueLimit ?? 20 },
    routeOf: () => ({ session: 'conversation', busy: opts.busy ?? 'queue' }),
  });
  f = { store, runtime, web, dispatcher };
  return f;
}

afterEach(async () => {
  await f.dispatcher.stop();
  await f.web.stop();
  await f.store.close();
});

async function post(conversation: string, text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${f.web.url}/api/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const replies = (conversation: string): string[] =>
  f.store
    .listWebMessages('local', conversation)
    .filter((m: WebMessage) => m.role !== 'user')
    .map((m) => m.text);

const sessionKey = (conversation: string): string => `c:local:${conversation}`;
const ends = (text: string) => (t: FakeTurn) => t.text.endsWith(`\n${text}`);

async function turnFor(text: string): Promise<FakeTurn> {
  await waitFor(() => f.runtime.turns.some(ends(text)), 10_000, `a turn for ${text}`);
  return f.runtime.turns.find(ends(text))!;
}

describe('dispatcher sessions (fast tier)', () => {
  it('each conversation runs on its own session thread; the dispatcher’s own thread is left alone', async () => {
    await setUp();
    f.runtime.autoAnswer = true;
    await post('alpha', 'one');
    await post('beta', 'two');
    await waitFor(() => replies('alpha').length === 1 && replies('beta').length === 1, 10_000, 'both answered');
    await f.dispatcher.whenIdle();
    expect(f.runtime.turns.map((t) => t.session)).toEqual([sessionKey('alpha'), sessionKey('beta')]);
    const records = f.store.listSessions('main');
    expect(records.map((r) => r.key).sort()).toEqual([sessionKey('alpha'), sessionKey('beta')]);
    expect(new Set(records.map((r) => r.threadId)).size).toBe(2);
    expect(records.every((r) => r.threadHasHistory)).toBe(true);
    const status = f.dispatcher.status();
    // The own thread first, then the others by last activity (equal within a millisecond here).
    expect(status.sessions[0]?.key).toBe('dispatcher');
    expect(
      status.sessions
        .slice(1)
        .map((s) => s.key)
        .sort(),
    ).toEqual([sessionKey('alpha'), sessionKey('beta')]);
    expect(status.sessions.slice(1).every((s) => s.loaded && s.queueDepth === 0)).toBe(true);
  });

  it('GET …/session names the asker’s session: its thread, its running turn and what waits behind it', async () => {
    await setUp();
    const session = async (conversation: string) => {
      const res = await fetch(`${f.web.url}/api/conversations/${conversation}/session`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { session: Record<string, unknown> }).session;
    };
    // Not spoken yet: its session is known, with no thread and nothing queued.
    expect(await session('gamma')).toMatchObject({
      dispatcherId: 'main',
      scope: 'conversation',
      key: sessionKey('gamma'),
      threadId: null,
      queueDepth: 0,
      runningTurnAgeMs: null,
    });
    await post('alpha', 'a1');
    await post('alpha', 'a2');
    const a1 = await turnFor('a1');
    const running = await session('alpha');
    const threadId = f.store.listSessions('main').find((r) => r.key === sessionKey('alpha'))?.threadId;
    expect(threadId).toEqual(expect.any(String));
    expect(running).toMatchObject({ key: sessionKey('alpha'), threadId, queueDepth: 2, runningTurnAgeMs: expect.any(Number) });
    expect(running.summary).toContain('your session: this conversation');
    expect(running.summary).toContain(String(threadId));
    // The page renders the summary from its Markdown tree (the thread id in inline code).
    expect(JSON.stringify(running.summaryMarkdown)).toContain('"code"');
    a1.settle();
    (await turnFor('a2')).settle();
    await f.dispatcher.whenIdle();
    expect(await session('alpha')).toMatchObject({ threadId, queueDepth: 0, runningTurnAgeMs: null });
    // A bad conversation name is refused like on the other routes.
    expect((await fetch(`${f.web.url}/api/conversations/${encodeURIComponent('no spaces')}/session`)).status).toBe(400);
  });

  it('maxConcurrentTurns 1 runs one turn at a time across sessions, in arrival order; 2 runs two sessions at once', async () => {
    await setUp({ maxConcurrentTurns: 1 });
    await post('alpha', 'a1');
    await post('beta', 'b1');
    await post('alpha', 'a2');
    const a1 = await turnFor('a1');
    expect(f.runtime.turns).toHaveLength(1);
    a1.settle();
    const b1 = await turnFor('b1');
    expect(f.runtime.turns).toHaveLength(2);
    b1.settle();
    (await turnFor('a2')).settle();
    await f.dispatcher.whenIdle();
    await f.dispatcher.stop();
    await f.web.stop();
    await f.store.close();

    await setUp({ maxConcurrentTurns: 2 });
    await post('alpha', 'a1');
    await post('alpha', 'a2');
    await post('beta', 'b1');
    const [x, y] = [await turnFor('a1'), await turnFor('b1')];
    expect(f.dispatcher.status().runningTurns).toBe(2);
    // The second message of alpha waits for alpha's running turn, not for beta's.
    expect(f.runtime.turns.some(ends('a2'))).toBe(false);
    x.settle();
    (await turnFor('a2')).settle();
    y.settle();
    await f.dispatcher.whenIdle();
    expect(replies('alpha').map((r) => r.split('\n').at(-1))).toEqual(['a1', 'a2']);
  });

  it('busy steer: a message during a running turn joins it, is acknowledged and never runs alone', async () => {
    await setUp({ busy: 'steer' });
    await post('alpha', 'work');
    const turn = await turnFor('work');
    const res = await post('alpha', 'also this');
    expect(res).toMatchObject({ status: 200, body: { steered: true } });
    expect(turn.steered.map((t) => t.split('\n')[1])).toEqual(['also this']);
    expect(f.store.listQueue('main')).toHaveLength(1);
    turn.settle({ text: 'did both' });
    await f.dispatcher.whenIdle();
    expect(replies('alpha')).toEqual([steeredText(), 'did both']);
    expect(f.runtime.turns).toHaveLength(1);
  });

  it('busy steer: a message that arrives as the turn ends (codex: not steerable) is queued once and runs next', async () => {
    await setUp({ busy: 'steer' });
    await post('alpha', 'work');
    const turn = await turnFor('work');
    // The turn ends just as the steer reaches the runtime.
    const steer = f.runtime.steerTurn.bind(f.runtime);
    f.runtime.steerTurn = async (text, session) => {
      turn.settle({ text: 'first done' });
      return steer(text, session);
    };
    const res = await post('alpha', 'late addition');
    expect(res.status).toBe(202);
    (await turnFor('late addition')).settle({ text: 'second done' });
    await f.dispatcher.whenIdle();
    expect(replies('alpha')).toEqual(['first done', 'second done']);
    expect(f.runtime.turns.filter(ends('late addition'))).toHaveLength(1);
  });

  it('busy interrupt: a new message stops the running turn and runs next', async () => {
    await setUp({ busy: 'interrupt' });
    await post('alpha', 'long job');
    await turnFor('long job');
    await post('alpha', 'change of plan');
    (await turnFor('change of plan')).settle({ text: 'planned' });
    await f.dispatcher.whenIdle();
    const [stopped, answered] = replies('alpha');
    expect(stopped).toMatch(/Stopped by/);
    expect(answered).toBe('planned');
  });

  it('a session at its queue limit refuses more, in its chat; other sessions still take messages', async () => {
    await setUp({ sessionQueueLimit: 2 });
    await post('alpha', 'a1');
    await post('alpha', 'a2');
    expect((await post('alpha', 'a3')).status).toBe(429);
    expect((await post('beta', 'b1')).status).toBe(202);
    await waitFor(() => replies('alpha').some((t) => t.includes('not')), 10_000, 'the refusal');
    f.runtime.autoAnswer = true;
    (await turnFor('a1')).settle();
    await f.dispatcher.whenIdle();
    expect(f.runtime.turns.some(ends('a3'))).toBe(false);
  });

  it('a completion whose origin is a conversation runs in that session (injection and trigger turn)', async () => {
    await setUp();
    f.runtime.autoAnswer = true;
    await post('alpha', 'delegate');
    await waitFor(() => replies('alpha').length === 1, 10_000, 'answered');
    const origin: ReplyAddress = { channelId: 'local', conversation: 'alpha', messageId: 'm-origin' };
    const res = await f.dispatcher.deliverCompletion({ id: 'c-1', text: 'teammate result', teammate: 'helper', origin });
    expect(res.status).toBe('submitted');
    await waitFor(() => replies('alpha').length === 2, 10_000, 'the trigger turn answered');
    expect(f.runtime.injections.map((i) => i.session)).toEqual([sessionKey('alpha')]);
    expect(f.runtime.turns.at(-1)?.session).toBe(sessionKey('alpha'));
  });

  it('after a runtime restart a session resumes its thread for the next turn', async () => {
    await setUp();
    f.runtime.autoAnswer = true;
    await post('alpha', 'before');
    await waitFor(() => replies('alpha').length === 1, 10_000, 'answered');
    const thread = f.store.getSession('main', sessionKey('alpha'))?.threadId;
    f.runtime.restart();
    expect(f.runtime.openSessions()).toEqual([]);
    await post('alpha', 'after');
    await waitFor(() => replies('alpha').length === 2, 10_000, 'answered after the restart');
    expect(f.runtime.openSessions()).toEqual([sessionKey('alpha')]);
    expect(f.store.getSession('main', sessionKey('alpha'))?.threadId).toBe(thread);
  });

  it('maxLoaded: opening one more session thread unloads the least recently active idle one; it resumes on its next message', async () => {
    await setUp({ maxLoaded: 1 });
    f.runtime.autoAnswer = true;
    await post('alpha', 'one');
    await waitFor(() => replies('alpha').length === 1, 10_000, 'alpha answered');
    await f.dispatcher.whenIdle();
    const alphaThread = f.store.getSession('main', sessionKey('alpha'))?.threadId;
    await post('beta', 'two');
    await waitFor(() => replies('beta').length === 1, 10_000, 'beta answered');
    expect(f.runtime.unloaded).toEqual([{ session: sessionKey('alpha'), threadId: alphaThread }]);
    expect(f.runtime.openSessions()).toEqual([sessionKey('beta')]);
    await f.dispatcher.whenIdle();
    expect(f.dispatcher.status().sessions.find((s) => s.key === sessionKey('alpha'))?.loaded).toBe(false);
    await post('alpha', 'three');
    await waitFor(() => replies('alpha').length === 2, 10_000, 'alpha answered again');
    expect(f.store.getSession('main', sessionKey('alpha'))?.threadId).toBe(alphaThread);
  });

  it('an idle session thread is unloaded after idleUnloadMs; a busy one is kept', async () => {
    await setUp({ idleUnloadMs: 50 });
    await post('alpha', 'quick');
    (await turnFor('quick')).settle();
    await post('beta', 'slow');
    const slow = await turnFor('slow');
    await waitFor(() => f.runtime.unloaded.some((u) => u.session === sessionKey('alpha')), 10_000, 'alpha unloaded');
    expect(f.runtime.openSessions()).toEqual([sessionKey('beta')]);
    slow.settle();
    await waitFor(() => f.runtime.openSessions().length === 0, 10_000, 'beta unloaded once idle');
  });
});
