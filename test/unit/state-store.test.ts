import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, StateError } from '../../src/state/open.js';
import { STATE_VERSION, type QueuedTurn, type StateStore, type WebMessage } from '../../src/state/types.js';
import type { Clock } from '../../src/clock.js';

let dir: string;
const open: StateStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-state-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openStore(opts?: Parameters<typeof openStateStore>[1]): Promise<StateStore> {
  const store = await openStateStore(dir, opts);
  open.push(store);
  return store;
}

function turn(n: number, dedupKey = `web:m${n}`): QueuedTurn {
  return {
    id: `q${n}`,
    dedupKey,
    kind: 'message',
    address: { channelId: 'web', conversation: 'c', messageId: `m${n}` },
    sender: { id: 'u1' },
    text: `hello ${n}`,
    acceptedAt: 1_000 + n,
    attempts: 0,
  };
}

function msg(n: number): WebMessage {
  return { id: `w${n}`, role: 'user', text: `t${n}`, createdAt: new Date(n * 1000).toISOString() };
}

async function onDisk(): Promise<any> {
  return JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
}

async function openError(): Promise<StateError> {
  const err = await openStateStore(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StateError);
  return err as StateError;
}

describe('openStateStore', () => {
  it('creates the directory and a fresh versioned file', async () => {
    const nested = path.join(dir, 'nested', 'state');
    const store = await openStateStore(nested);
    open.push(store);
    expect(store.location).toBe(path.join(nested, 'state.json'));
    expect(JSON.parse(await readFile(store.location, 'utf8'))).toEqual({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} });
  });

  it('refuses corrupt JSON without touching the file', async () => {
    const file = path.join(dir, 'state.json');
    const bytes = '{"version": 1, "dispatchers": {,,';
    await writeFile(file, bytes);
    const err = await openError();
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.message).toMatch(/move it aside to start fresh, or restore a backup/);
    expect(await readFile(file, 'utf8')).toBe(bytes);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('refuses an unknown version without touching the file', async () => {
    const file = path.join(dir, 'state.json');
    const bytes = JSON.stringify({ version: 99, dispatchers: {}, queue: {}, seen: {}, web: {} });
    await writeFile(file, bytes);
    const err = await openError();
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/version 99/);
    expect(err.message).toMatch(/upgrade Switchboard/);
    expect(await readFile(file, 'utf8')).toBe(bytes);
  });

  it('refuses a document of the wrong shape', async () => {
    const file = path.join(dir, 'state.json');
    const bytes = JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: [], seen: {}, web: {} });
    await writeFile(file, bytes);
    expect((await openError()).message).toMatch(/has no "queue" object/);
    await writeFile(file, '[1]');
    expect((await openError()).message).toMatch(/is not a JSON object/);
    expect(await readFile(file, 'utf8')).toBe('[1]');
  });
});

describe('queue', () => {
  it('persists across reopen', async () => {
    const store = await openStore();
    const r1 = await store.enqueue('main', turn(1), 10);
    const r2 = await store.enqueue('main', turn(2), 10);
    expect(r1).toMatchObject({ status: 'accepted', position: 1 });
    expect(r2).toMatchObject({ status: 'accepted', position: 2, entry: turn(2) });
    await store.close();

    const again = await openStore();
    expect(again.listQueue('main')).toEqual([turn(1), turn(2)]);
    expect(await again.enqueue('main', turn(1), 10)).toEqual({ status: 'duplicate' });
  });

  it('rejects a seen dedup key even after the entry was removed', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(1), 10);
    await store.removeQueued('main', 'q1');
    expect(await store.enqueue('main', turn(9, 'web:m1'), 10)).toEqual({ status: 'duplicate' });
    expect(store.listQueue('main')).toEqual([]);
  });

  it('full does not mark the key seen, so a retry can be accepted', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(1), 1);
    expect(await store.enqueue('main', turn(2), 1)).toEqual({ status: 'full', limit: 1 });
    expect(store.listQueue('main')).toHaveLength(1);
    expect((await onDisk()).seen.main).toEqual(['web:m1']);
    await store.removeQueued('main', 'q1');
    expect(await store.enqueue('main', turn(2), 1)).toMatchObject({ status: 'accepted', position: 1 });
  });

  it('bounds seen keys per dispatcher, dropping the oldest', async () => {
    const store = await openStore({ seenLimit: 3 });
    for (let n = 1; n <= 5; n++) await store.enqueue('main', turn(n), 100);
    await store.enqueue('other', turn(1), 100);
    const disk = await onDisk();
    expect(disk.seen.main).toEqual(['web:m3', 'web:m4', 'web:m5']);
    expect(disk.seen.other).toEqual(['web:m1']);
  });

  it('concurrent enqueues are all persisted in call order', async () => {
    const store = await openStore();
    const results = await Promise.all(Array.from({ length: 50 }, (_, n) => store.enqueue('main', turn(n), 100)));
    expect(results.map((r) => (r.status === 'accepted' ? r.position : -1))).toEqual(
      Array.from({ length: 50 }, (_, n) => n + 1),
    );
    const ids = Array.from({ length: 50 }, (_, n) => `q${n}`);
    expect((await onDisk()).queue.main.map((q: QueuedTurn) => q.id)).toEqual(ids);
    await store.close();
    expect((await openStore()).listQueue('main').map((q) => q.id)).toEqual(ids);
  });

  it('removeQueued and updateQueued change only the named entry', async () => {
    const store = await openStore();
    for (const n of [1, 2, 3]) await store.enqueue('main', turn(n), 10);
    await store.updateQueued('main', 'q3', { attempts: 1, id: 'hijack' });
    await store.removeQueued('main', 'q2');
    await store.removeQueued('main', 'absent');
    await store.removeQueued('nobody', 'q1');
    expect(store.listQueue('main')).toEqual([turn(1), { ...turn(3), attempts: 1 }]);
    expect((await onDisk()).queue.main).toEqual([turn(1), { ...turn(3), attempts: 1 }]);
  });

  it('a list handed out earlier is not changed by later mutations', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(1), 10);
    const before = store.listQueue('main');
    await store.removeQueued('main', 'q1');
    expect(before.map((q) => q.id)).toEqual(['q1']);
    expect(store.listQueue('main')).toEqual([]);
  });
});

describe('dispatchers', () => {
  it('patchDispatcher creates a default record, persists, and stamps status changes', async () => {
    let now = 5_000;
    const clock: Clock = { now: () => now, setTimeout: () => ({ cancel() {} }) };
    const store = await openStore({ clock });
    expect(store.getDispatcher('main')).toBeUndefined();
    const created = await store.patchDispatcher('main', { threadId: 't1' });
    expect(created).toEqual({
      status: 'declared', statusChangedAt: 5_000, threadId: 't1', lastLostThreadId: null,
      pendingLostThreadWarning: false, threadHasHistory: false, lastError: null, lastStartedAt: null, lastReadyAt: null,
      restartAttempts: 0, restartCount: 0,
    });
    now = 6_000;
    await store.patchDispatcher('main', { status: 'ready', restartCount: 2 });
    expect(store.getDispatcher('main')).toMatchObject({ status: 'ready', statusChangedAt: 6_000, threadId: 't1', restartCount: 2 });
    expect((await onDisk()).dispatchers.main).toEqual(store.getDispatcher('main'));
  });
});

describe('web messages', () => {
  it('keeps the newest `limit` messages per conversation', async () => {
    const store = await openStore();
    for (let n = 1; n <= 5; n++) await store.appendWebMessage('local', 'general', msg(n), 3);
    await store.appendWebMessage('local', 'other', msg(9), 3);
    expect(store.listWebMessages('local', 'general').map((m) => m.id)).toEqual(['w3', 'w4', 'w5']);
    expect(store.listWebConversations('local').sort()).toEqual(['general', 'other']);
    expect(store.listWebConversations('nope')).toEqual([]);
    expect(store.listWebMessages('local', 'nope')).toEqual([]);
    await store.close();
    expect((await openStore()).listWebMessages('local', 'general')).toEqual([msg(3), msg(4), msg(5)]);
  });
});

describe('ids that are Object.prototype keys', () => {
  it('treats "constructor" and "__proto__" as ordinary ids, also after reopen', async () => {
    const store = await openStore();
    expect(store.getDispatcher('constructor')).toBeUndefined();
    expect(store.listQueue('constructor')).toEqual([]);
    expect(store.listWebMessages('web', '__proto__')).toEqual([]);
    expect((await store.enqueue('constructor', turn(1), 10)).status).toBe('accepted');
    await store.appendWebMessage('web', '__proto__', msg(1), 10);
    await store.close();
    const again = await openStore();
    expect(again.listQueue('constructor').map((e) => e.id)).toEqual(['q1']);
    expect(again.listWebMessages('web', '__proto__').map((m) => m.id)).toEqual(['w1']);
    expect(again.listWebConversations('web')).toEqual(['__proto__']);
  });
});

describe('close', () => {
  it('is idempotent and later calls fail clearly', async () => {
    const store = await openStore();
    const pending = store.enqueue('main', turn(1), 10);
    await Promise.all([store.close(), store.close()]);
    await expect(pending).resolves.toMatchObject({ status: 'accepted' });
    expect((await onDisk()).queue.main).toHaveLength(1);
    await expect(store.enqueue('main', turn(2), 10)).rejects.toThrow(/closed/);
    await expect(store.patchDispatcher('main', {})).rejects.toThrow(StateError);
    expect(() => store.listQueue('main')).toThrow(/closed/);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
