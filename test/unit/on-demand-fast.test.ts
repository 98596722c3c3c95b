/**
 * Lazy start and idle stop (issue 15 §1) in the fast tier: the real Dispatcher and web channel over
 * an OnDemandRuntime around the in-memory runtime, on a manual clock. The same with real codex:
 * test/integration/idle-stop.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OnDemandRuntime } from '../../src/codex/on-demand-runtime.js';
import { silentLogger } from '../../src/log.js';
import { openMemoryStateStore } from '../../src/state/memory.js';
import type { StateStore } from '../../src/state/types.js';
import { FakeClock, waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime } from '../support/fake-runtime.js';

const IDLE_MS = 60_000;
let f: (FastTier & { clock: FakeClock; onDemand: OnDemandRuntime; inner: FakeRuntime }) | undefined;

afterEach(async () => {
  await f?.dispatcher.stop();
  await f?.web.stop();
  await f?.store.close();
  f = undefined;
});

async function setUp(lazyStart: boolean, busy: (store: StateStore) => boolean = (s) => s.listQueue('main').length > 0) {
  const store = openMemoryStateStore();
  const inner = new FakeRuntime();
  const clock = new FakeClock();
  const onDemand = new OnDemandRuntime(inner, { id: 'main', lazyStart, idleStopMs: IDLE_MS, busy: () => busy(store), clock, logger: silentLogger() });
  const { web, dispatcher } = await startFastDispatcher(store, inner, { runtime: onDemand, clock });
  f = { store, runtime: inner, web, dispatcher, clock, onDemand, inner };
  return f;
}

async function post(text: string): Promise<number> {
  const res = await fetch(`${f!.web.url}/api/conversations/general/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  return res.status;
}

const answers = (): string[] =>
  f!.store
    .listWebMessages('local', 'general')
    .filter((m) => m.role === 'assistant')
    .map((m) => m.text.split('\n').at(-1) ?? '');

describe('lazy start and idle stop (fast tier)', () => {
  it('stops the runtime after idleStopMs without use (status idle, time since last use); the next message starts it and is answered', async () => {
    const { clock, onDemand, inner, dispatcher } = await setUp(false);
    expect(inner.status).toBe('ready');
    expect(await post('one')).toBe(202);
    await waitFor(() => answers().length === 1, 10_000, 'the first answer');
    await dispatcher.whenIdle();

    clock.advance(IDLE_MS - 1);
    expect(onDemand.status).toBe('ready');
    clock.advance(1);
    await waitFor(() => inner.status === 'stopped', 10_000, 'the inner runtime stopped');
    expect(onDemand.status).toBe('idle');
    clock.advance(5_000);
    expect(dispatcher.status()).toMatchObject({ status: 'idle', idleForMs: IDLE_MS + 5_000, pid: null });

    // The next message starts it again; the thread is resumed (an ordinary restart, not a first start).
    inner.firstThread = { status: 'resumed', threadId: inner.threadId ?? 'thread-1' };
    expect(await post('two')).toBe(202);
    await waitFor(() => answers().length === 2, 10_000, 'the second answer');
    expect(answers()).toEqual(['one', 'two']);
    expect(onDemand.status).toBe('ready');
    // No restart notice: nothing was lost by an idle stop.
    expect(inner.injected).toEqual([]);
  });

  it('is not stopped while something waits for it (a queued message, a pending approval)', async () => {
    let pendingApproval = true;
    const { clock, onDemand } = await setUp(false, () => pendingApproval);
    clock.advance(IDLE_MS);
    expect(onDemand.status).toBe('ready');
    // Still busy at the next check, then free.
    clock.advance(IDLE_MS);
    expect(onDemand.status).toBe('ready');
    pendingApproval = false;
    clock.advance(IDLE_MS);
    await waitFor(() => onDemand.status === 'idle', 10_000, 'idle once nothing waits');
  });

  it('lazyStart: no app-server until the first message; then it runs and is answered', async () => {
    const { inner, onDemand } = await setUp(true);
    expect(inner.status).toBe('declared');
    expect(onDemand.status).toBe('idle');
    expect(await post('hello')).toBe(202);
    await waitFor(() => answers().length === 1, 10_000, 'the answer');
    expect(inner.status).toBe('ready');
    expect(answers()).toEqual(['hello']);
  });
});
