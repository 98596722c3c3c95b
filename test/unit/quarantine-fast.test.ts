/**
 * A malformed state entry never wedges a dispatcher (issue 14 §12), in the fast tier: a real
 * state file in a temp dir, opened by openStateStore, with the real Dispatcher and web channel
 * over an in-memory runtime (test/support/fast-dispatcher.ts). The malformed entry is quarantined
 * on open (kept whole, with the reason), its conversation is told, the good entries around it run
 * in order, and status counts it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/format-status.js';
import { createLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import { STATE_VERSION, type QueuedMessage, type StateStore, type WebMessage } from '../../src/state/types.js';
import { waitFor } from '../support/fake-clock.js';
import { startFastDispatcher, type FastTier } from '../support/fast-dispatcher.js';
import { FakeRuntime } from '../support/fake-runtime.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

let f: FastTier | undefined;
afterEach(async () => {
  await f?.dispatcher.stop();
  await f?.web.stop();
  await f?.store.close();
  f = undefined;
});
afterAll(cleanupTempDirs);

function queued(n: number, text: string): QueuedMessage {
  return {
    id: `q${n}`,
    dedupKey: `local:general:m${n}`,
    kind: 'message',
    address: { channelId: 'local', conversation: 'general', messageId: `m${n}` },
    sender: { id: 'u1' },
    text,
    acceptedAt: 1_000 + n,
    attempts: 0,
  };
}

/** A state file whose `main` queue holds `entries` (accepted, not yet run). */
async function stateWith(dir: string, entries: unknown[]): Promise<void> {
  const doc = { version: STATE_VERSION, dispatchers: {}, queue: { main: entries }, seen: { main: [] }, web: {} };
  await writeFile(path.join(dir, 'state.json'), JSON.stringify(doc));
}

function replies(store: StateStore): WebMessage[] {
  return store.listWebMessages('local', 'general').filter((m) => m.role !== 'user');
}

describe('a malformed queue entry (fast tier: state file, in-memory runtime, real web adapter)', () => {
  it('is quarantined with a notice to its conversation; the entries around it are answered in order and status shows 1', async () => {
    const dir = makeTempDir('sb-quarantine-');
    const { text: _lost, ...bad } = queued(2, 'lost');
    await stateWith(dir, [queued(1, 'first'), bad, queued(3, 'third')]);
    const logged: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void logged.push(line) });
    const store = await openStateStore(dir, { logger });
    const runtime = new FakeRuntime();
    f = { store, runtime, ...(await startFastDispatcher(store, runtime)) };

    await waitFor(() => replies(store).length >= 3, 10_000, 'two answers and one notice');
    expect(runtime.turns.map((t) => t.text)).toEqual([expect.stringContaining('first'), expect.stringContaining('third')]);
    const [notice, ...answers] = replies(store);
    expect(notice?.text).toMatch(/^⚠️ A message could not be processed: .*text/);
    expect(answers.map((m) => m.replyTo)).toEqual(['m1', 'm3']);

    const [q] = store.listQuarantine();
    expect(store.listQuarantine()).toHaveLength(1);
    expect(q).toMatchObject({ from: 'queue.main[1]', dispatcherId: 'main', raw: bad, noticed: true });
    expect(q?.noticeTo).toEqual(bad.address);
    expect(q?.reason).toMatch(/^text: /);
    expect(logged.filter((l) => l.includes('malformed state entry moved to quarantine'))).toHaveLength(1);
    // Kept on disk: the raw entry, the reason and that its notice went out.
    const onDisk = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
    expect(onDisk.quarantine).toEqual([expect.objectContaining({ raw: bad, noticed: true })]);

    expect(f.dispatcher.status().quarantined).toBe(1);
    const table = formatStatusTable({
      pid: 1,
      startedAt: 'now',
      channels: [],
      approvals: [],
      teammates: [],
      dispatchers: [f.dispatcher.status()],
      quarantined: 1,
      state: { status: 'ok', reason: null, error: null, since: null },
    });
    expect(table).toMatch(/QUARANTINED: 1 malformed state entry/);

    // The queue goes on.
    const res = await fetch(`${f.web.url}/api/conversations/general/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'fourth', id: 'm4' }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => replies(store).length >= 4, 10_000, 'the answer to a new message');
    expect(replies(store)[3]?.replyTo).toBe('m4');
  });

  it('posts its notice once: a restart does not repeat it', async () => {
    const dir = makeTempDir('sb-quarantine-');
    await stateWith(dir, [{ ...queued(1, 'x'), kind: 'mystery' }]);
    let store = await openStateStore(dir);
    let runtime = new FakeRuntime();
    f = { store, runtime, ...(await startFastDispatcher(store, runtime)) };
    await waitFor(() => replies(store).length >= 1, 10_000, 'the notice');
    await f.dispatcher.stop();
    await f.web.stop();
    await store.close();

    store = await openStateStore(dir);
    runtime = new FakeRuntime();
    f = { store, runtime, ...(await startFastDispatcher(store, runtime)) };
    await waitFor(() => runtime.status === 'ready', 10_000, 'the runtime');
    expect(store.listQuarantine()).toHaveLength(1);
    expect(replies(store)).toHaveLength(1);
    expect(runtime.turns).toEqual([]);
  });

  it('without a readable address it is quarantined silently (nothing to tell)', async () => {
    const dir = makeTempDir('sb-quarantine-');
    const { address: _gone, ...bad } = queued(1, 'x');
    await stateWith(dir, [bad, queued(2, 'next')]);
    const store = await openStateStore(dir);
    const runtime = new FakeRuntime();
    f = { store, runtime, ...(await startFastDispatcher(store, runtime)) };
    await waitFor(() => replies(store).length >= 1, 10_000, 'the answer to the good entry');
    expect(replies(store).map((m) => m.replyTo)).toEqual(['m2']);
    expect(store.listQuarantine()).toEqual([expect.objectContaining({ noticeTo: null, noticed: true, reason: expect.stringMatching(/^address: /) })]);
  });
});
