/**
 * The fast tier of the dispatcher: the real Dispatcher and the real web channel adapter over the
 * in-memory state store (src/state/memory.ts) and an in-memory AgentRuntime
 * (test/support/fake-runtime.ts), so FIFO, restarts, the restart notice and the lost-thread
 * warning run in milliseconds. The same behaviour against the real codex app-server is in
 * test/integration/dispatcher.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMemoryStateStore } from '../../src/state/memory.js';
import type { StateStore, WebMessage } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime } from '../support/fake-runtime.js';

let f: FastTier;

async function setUp(prepare?: (store: StateStore, runtime: FakeRuntime) => Promise<void>): Promise<FastTier> {
  const store = openMemoryStateStore();
  const runtime = new FakeRuntime();
  await prepare?.(store, runtime);
  const { web, dispatcher } = await startFastDispatcher(store, runtime);
  return { store, runtime, web, dispatcher };
}

async function post(text: string, id?: string): Promise<number> {
  const res = await fetch(`${f.web.url}/api/conversations/general/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(id ? { text, id } : { text }),
  });
  return res.status;
}

function replies(): WebMessage[] {
  return f.store.listWebMessages('local', 'general').filter((m) => m.role !== 'user');
}

async function waitForReplies(n: number): Promise<WebMessage[]> {
  await waitFor(() => replies().length >= n, 10_000, `${n} replies`);
  return replies();
}

afterEach(async () => {
  await f.dispatcher.stop();
  await f.web.stop();
  await f.store.close();
});

describe('dispatcher (fast tier: memory store, in-memory runtime, real web adapter)', () => {
  beforeEach(async () => {
    f = await setUp();
  });

  it('runs queued messages one at a time, in order, each answered in reply to its message', async () => {
    f.runtime.autoAnswer = false;
    for (let i = 1; i <= 5; i++) expect(await post(`m${i}`, `u${i}`)).toBe(202);
    for (let i = 1; i <= 5; i++) {
      await waitFor(() => f.runtime.turns.length === i, 5_000, `turn ${i}`);
      // The next turn waits for this one: only one is ever unsettled.
      expect(f.runtime.turns.filter((t) => !t.settled)).toHaveLength(1);
      expect(f.dispatcher.status()).toMatchObject({ waitingTurns: 5 - i, turnRetries: 0 });
      f.runtime.turns[i - 1]!.settle();
    }
    const answers = await waitForReplies(5);
    expect(answers.map((m) => [m.replyTo, m.text])).toEqual([1, 2, 3, 4, 5].map((i) => [`u${i}`, `echo: ${f.runtime.turns[i - 1]!.text}`]));
    expect(f.runtime.turns.map((t) => t.text.split('\n')[1])).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('counts codex retries of the running turn in status, then clears them', async () => {
    f.runtime.autoAnswer = false;
    await post('hello');
    await waitFor(() => f.runtime.turns.length === 1, 5_000, 'the turn');
    f.runtime.turns[0]!.hooks.onRetry?.('Reconnecting... 1/5 (upstream down)');
    f.runtime.turns[0]!.hooks.onRetry?.('Reconnecting... 2/5 (upstream down)');
    expect(f.dispatcher.status()).toMatchObject({ status: 'retrying', turnRetries: 2, lastError: 'Reconnecting... 2/5 (upstream down)' });
    f.runtime.turns[0]!.settle();
    await waitForReplies(2);
    expect(replies().map((m) => m.text)).toEqual([expect.stringContaining('keeps retrying'), `echo: ${f.runtime.turns[0]!.text}`]);
    expect(f.dispatcher.status()).toMatchObject({ status: 'ready', turnRetries: 0, lastError: null });
  });

  it('re-runs a turn whose runtime went away mid-turn, after the restart', async () => {
    f.runtime.autoAnswer = false;
    await post('survive this');
    await waitFor(() => f.runtime.turns.length === 1, 5_000, 'the turn');
    f.runtime.autoAnswer = true;
    f.runtime.restart();
    const [answer] = await waitForReplies(1);
    expect(f.runtime.turns).toHaveLength(2);
    expect(answer?.text).toBe(`echo: ${f.runtime.turns[1]!.text}`);
  });

  it('an interrupt ends the running turn and the chat says so; the next message runs', async () => {
    f.runtime.autoAnswer = false;
    await post('long one');
    await post('next one');
    await waitFor(() => f.runtime.turns.length === 1, 5_000, 'the turn');
    expect(await f.dispatcher.interrupt()).toBe(true);
    await waitFor(() => f.runtime.turns.length === 2, 5_000, 'the next turn');
    f.runtime.turns[1]!.settle();
    const texts = (await waitForReplies(2)).map((m) => m.text);
    expect(texts).toEqual(['⏹️ The turn was stopped.', `echo: ${f.runtime.turns[1]!.text}`]);
  });
});

describe('dispatcher (fast tier) after a service restart', () => {
  it('injects a restart notice into the resumed thread on the first start only', async () => {
    f = await setUp(async (_s, runtime) => {
      runtime.firstThread = { status: 'resumed', threadId: 'thread-1' };
    });
    await waitFor(() => f.runtime.injected.length === 1, 5_000, 'the restart notice');
    const notice = f.runtime.injected[0]![0]!;
    expect(notice).toMatchObject({ type: 'message', role: 'developer' });
    expect(notice.content[0]?.text).toContain('The Switchboard service restarted');
    // A runtime restart later in the same service is no service restart: no second notice.
    f.runtime.restart();
    await post('after the restart');
    await waitForReplies(1);
    expect(f.runtime.injected).toHaveLength(1);
  });

  it('puts the lost-thread warning on the first answer only', async () => {
    f = await setUp(async (s) => {
      await s.patchDispatcher('main', { threadId: 'thread-new', pendingLostThreadWarning: true, lastLostThreadId: 'thread-old' });
    });
    await post('first');
    await post('second');
    const [first, second] = await waitForReplies(2);
    expect(first?.text).toMatch(/thread-old[\s\S]*\n\necho: /);
    expect(second?.text).toBe(`echo: ${f.runtime.turns[1]!.text}`);
    expect(f.store.getDispatcher('main')?.pendingLostThreadWarning).toBe(false);
  });
});
