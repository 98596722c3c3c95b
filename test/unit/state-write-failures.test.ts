/**
 * The store when its files cannot be written (issue 14 §10–11): a refused entry never runs, the
 * other changes are kept and rewritten with backoff, `health` says so and recovers by itself.
 * Writes fail for real: `state.json` replaced by a directory (test/support/broken-state.ts), which
 * stops a rename even for root.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateWriteError, type StorageHealthView } from '../../src/state/health.js';
import { openStateStore } from '../../src/state/open.js';
import type { CompletionRecord, QueuedTurn, StateStore } from '../../src/state/types.js';
import { breakStateFile } from '../support/broken-state.js';

let dir: string;
const open: StateStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-state-fail-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openStore(): Promise<StateStore> {
  const store = await openStateStore(dir);
  open.push(store);
  return store;
}

function turn(n: number): QueuedTurn {
  return {
    id: `q${n}`,
    dedupKey: `web:m${n}`,
    kind: 'message',
    address: { channelId: 'web', conversation: 'c', messageId: `m${n}` },
    sender: { id: 'u1' },
    text: `hello ${n}`,
    acceptedAt: 1_000 + n,
    attempts: 0,
  };
}

function completion(id: string): CompletionRecord {
  return {
    id,
    teammate: null,
    status: 'completed',
    text: 'done',
    spillPath: null,
    turnId: null,
    origin: null,
    state: 'accepted',
    deliveredAsTurn: false,
    acceptedAt: 1,
    injectedAt: null,
    settledAt: null,
    answer: null,
    lastError: null,
  };
}

async function onDisk(): Promise<{
  queue: Record<string, QueuedTurn[]>;
  dispatchers: Record<string, { restartCount: number }>;
  completions?: Record<string, CompletionRecord[]>;
}> {
  return JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
}

/** The next health change the store reports. */
function nextChange(store: StateStore): Promise<StorageHealthView> {
  return new Promise((resolve) => {
    const off = store.health.onChange((v) => {
      off();
      resolve(v);
    });
  });
}

describe('a state that cannot be written', () => {
  it('a new entry is not listed until it is on disk, so no turn can start on it', async () => {
    const store = await openStore();
    const pending = store.enqueue('main', turn(1), 10);
    expect(store.listQueue('main')).toEqual([]);
    await pending;
    expect(store.listQueue('main').map((q) => q.id)).toEqual(['q1']);
  });

  it('health turns unwritable with the error and back by itself once a retry succeeds', async () => {
    const store = await openStore();
    expect(store.health.view()).toEqual({ writable: true, error: null, since: null });
    const broken = await breakStateFile(dir);
    const down = nextChange(store);
    const err = await store.patchDispatcher('main', { restartCount: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateWriteError);
    expect((err as StateWriteError).message).toMatch(/^state not writable \(EISDIR/);
    const view = await down;
    expect(view).toMatchObject({ writable: false, error: expect.stringMatching(/^EISDIR/) });
    expect(view.since).toEqual(expect.any(Number));
    expect(store.health.view().writable).toBe(false);

    // No new mutation: the store's own retry writes the kept change once the file can be replaced.
    await broken.restore();
    const up = nextChange(store);
    await store.health.whenWritable();
    expect(await up).toEqual({ writable: true, error: null, since: null });
    expect((await onDisk()).dispatchers.main?.restartCount).toBe(3);
  });

  it('a refused completion is neither recorded nor queued; a resend of the same id is accepted', async () => {
    const store = await openStore();
    const broken = await breakStateFile(dir);
    const entry: QueuedTurn = { id: 'c1', dedupKey: 'completion:x', kind: 'completion', completionId: 'x', address: null, acceptedAt: 1, attempts: 0 };
    await expect(store.acceptCompletion('main', completion('x'), entry, 10)).rejects.toBeInstanceOf(StateWriteError);
    expect(store.getCompletion('main', 'x')).toBeUndefined();
    expect(store.listQueue('main')).toEqual([]);
    await broken.restore();
    await expect(store.acceptCompletion('main', completion('x'), { ...entry, id: 'c2' }, 10)).resolves.toMatchObject({ status: 'accepted' });
    const disk = await onDisk();
    expect(disk.queue.main?.map((q) => q.id)).toEqual(['c2']);
    expect(disk.completions?.main?.map((c) => c.id)).toEqual(['x']);
  });

  it('a refused completion leaves an earlier record of its id as it was', async () => {
    const store = await openStore();
    await store.putCompletion('main', { ...completion('x'), state: 'failed', lastError: 'before' }, 10);
    const broken = await breakStateFile(dir);
    const entry: QueuedTurn = { id: 'c1', dedupKey: 'completion:x', kind: 'completion', completionId: 'x', address: null, acceptedAt: 1, attempts: 0 };
    await expect(store.acceptCompletion('main', completion('x'), entry, 10)).rejects.toBeInstanceOf(StateWriteError);
    expect(store.getCompletion('main', 'x')).toMatchObject({ state: 'failed', lastError: 'before' });
    await broken.restore();
  });

  it('a duplicate entry arriving while the first is being written is a duplicate; the first one failing frees its key', async () => {
    const store = await openStore();
    const broken = await breakStateFile(dir);
    const first = store.enqueue('main', turn(1), 10);
    await expect(store.enqueue('main', { ...turn(1), id: 'again' }, 10)).resolves.toEqual({ status: 'duplicate' });
    await expect(first).rejects.toBeInstanceOf(StateWriteError);
    await broken.restore();
    await expect(store.enqueue('main', { ...turn(1), id: 'resent' }, 10)).resolves.toMatchObject({ status: 'accepted' });
    expect(store.listQueue('main').map((q) => q.id)).toEqual(['resent']);
  });

  it('close() writes what the failed writes kept, when the file can be written again', async () => {
    const store = await openStore();
    const broken = await breakStateFile(dir);
    await store.removeQueued('main', 'none');
    await store.patchDispatcher('main', { restartCount: 9 }).catch(() => undefined);
    await broken.restore();
    await store.close();
    expect((await onDisk()).dispatchers.main?.restartCount).toBe(9);
  });
});
