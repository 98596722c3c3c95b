/**
 * Completion delivery (src/dispatch/completion-delivery.ts) in the fast tier: the real Dispatcher
 * that owns it and the real web channel adapter (the origin conversation), over the in-memory
 * state store and the in-memory AgentRuntime (test/support/fake-runtime.ts), on a FakeClock so
 * the trigger-turn backoff is observed exactly. The same against the real codex app-server is in
 * test/integration/completions.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplyAddress } from '../../src/channels/types.js';
import { MAX_TRIGGER_ATTEMPTS, TRIGGER_BACKOFF } from '../../src/dispatch/completion-delivery.js';
import { openMemoryStateStore } from '../../src/state/memory.js';
import type { StateStore, WebMessage } from '../../src/state/types.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime } from '../support/fake-runtime.js';

interface Fast extends FastTier {
  clock: FakeClock;
}

let f: Fast;

const origin: ReplyAddress = { channelId: 'local', conversation: 'general', messageId: 'u1' };

async function setUp(prepare?: (store: StateStore) => Promise<void>): Promise<Fast> {
  const store = openMemoryStateStore();
  await prepare?.(store);
  const runtime = new FakeRuntime();
  const clock = new FakeClock();
  const { web, dispatcher } = await startFastDispatcher(store, runtime, { clock });
  return { store, runtime, web, dispatcher, clock };
}

function replies(): readonly WebMessage[] {
  return f.store.listWebMessages('local', 'general');
}

/** Live FakeClock timers of `ms` (the trigger backoff; the queue pump sets none unless it crashed). */
function timersOf(ms: number): number {
  return f.clock.pending().filter((t) => t.delayMs === ms).length;
}

afterEach(async () => {
  await f.dispatcher.stop();
  await f.web.stop();
  await f.store.close();
});

describe('completion delivery (fast tier)', () => {
  it('injects and triggers once per completion id; replays and racing duplicates are duplicates', async () => {
    f = await setUp();
    f.runtime.autoAnswer = false;
    const input = { id: 'alice:turn-9', teammate: 'alice', text: 'the report is ready', origin };
    const [first, racing] = await Promise.all([f.dispatcher.deliverCompletion(input), f.dispatcher.deliverCompletion(input)]);
    expect(first).toEqual({ status: 'submitted', position: 1 });
    expect(racing).toEqual({ status: 'duplicate', state: 'accepted' });
    await waitFor(() => f.runtime.turns.length === 1, 5_000, 'the trigger turn');
    expect(await f.dispatcher.deliverCompletion(input)).toMatchObject({ status: 'duplicate' });
    f.runtime.turns[0]!.settle({ status: 'completed', text: 'on it' });
    await f.dispatcher.whenIdle();
    expect(await f.dispatcher.deliverCompletion(input)).toEqual({ status: 'duplicate', state: 'delivered' });

    expect(f.runtime.injected).toHaveLength(1);
    expect(f.runtime.injected[0]![0]!.content[0]!.text).toContain(
      '<teammate_completion id="alice:turn-9" name="alice" status="completed">\nthe report is ready\n',
    );
    expect(f.runtime.turns).toHaveLength(1);
    expect(f.runtime.turns[0]!.text).toContain('It is in your context as <teammate_completion id="alice:turn-9">');
    expect(replies().map((m) => [m.replyTo, m.text])).toEqual([['u1', 'on it']]);
    expect(f.store.getCompletion('main', 'alice:turn-9')).toMatchObject({ state: 'delivered', answer: 'on it' });
    expect(f.store.listQueue('main')).toHaveLength(0);
  });

  it('retries a failed trigger turn after the backoff, never re-injecting, and gives up after MAX_TRIGGER_ATTEMPTS', async () => {
    f = await setUp();
    f.runtime.autoAnswer = false;
    expect(await f.dispatcher.deliverCompletion({ id: 'ext-1', text: 'build finished', origin })).toMatchObject({ status: 'submitted' });
    for (let attempt = 1; attempt <= MAX_TRIGGER_ATTEMPTS; attempt++) {
      await waitFor(() => f.runtime.turns.length === attempt, 5_000, `trigger turn ${attempt}`);
      f.runtime.turns[attempt - 1]!.settle({ status: 'failed', error: `model down ${attempt}` });
      if (attempt === MAX_TRIGGER_ATTEMPTS) break;
      const delay = Math.min(TRIGGER_BACKOFF.maxMs, TRIGGER_BACKOFF.baseMs * 2 ** (attempt - 1));
      await waitFor(() => timersOf(delay) === 1, 5_000, `the ${delay} ms backoff`);
      expect(f.store.getCompletion('main', 'ext-1')).toMatchObject({ state: 'injected', lastError: `model down ${attempt}` });
      // Nothing runs until the backoff elapsed.
      expect(f.runtime.turns).toHaveLength(attempt);
      expect(f.clock.fireNext()).toBe(delay);
    }
    await f.dispatcher.whenIdle();
    expect(f.runtime.turns).toHaveLength(MAX_TRIGGER_ATTEMPTS);
    expect(f.runtime.injected).toHaveLength(1);
    expect(f.store.getCompletion('main', 'ext-1')).toMatchObject({ state: 'failed', lastError: `model down ${MAX_TRIGGER_ATTEMPTS}` });
    expect(replies().map((m) => [m.replyTo, m.text])).toEqual([['u1', `⚠️ The agent could not answer: model down ${MAX_TRIGGER_ATTEMPTS}`]]);
    expect(f.store.listQueue('main')).toHaveLength(0);
  });

  it('a record left `injecting` by a crash is never injected again: its trigger turn carries the text', async () => {
    f = await setUp(async (store) => {
      await store.putCompletion(
        'main',
        {
          id: 'bob:turn-2',
          teammate: 'bob',
          status: 'completed',
          text: 'tests pass',
          spillPath: null,
          turnId: 'turn-2',
          origin,
          state: 'injecting',
          deliveredAsTurn: false,
          acceptedAt: 1,
          injectedAt: null,
          settledAt: null,
          answer: null,
          lastError: null,
        },
        1000,
      );
      await store.enqueue(
        'main',
        { id: 'q1', dedupKey: 'completion:bob:turn-2', kind: 'completion', completionId: 'bob:turn-2', address: origin, acceptedAt: 1, attempts: 0 },
        50,
      );
    });
    await f.dispatcher.whenIdle();
    expect(f.runtime.injected).toHaveLength(0);
    expect(f.runtime.turns).toHaveLength(1);
    expect(f.runtime.turns[0]!.text).toContain('Here it is:\n<teammate_completion id="bob:turn-2" name="bob" status="completed">\ntests pass\n');
    expect(f.store.getCompletion('main', 'bob:turn-2')).toMatchObject({ state: 'delivered' });
    expect(replies().map((m) => m.replyTo)).toEqual(['u1']);
  });
});
