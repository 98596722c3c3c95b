/**
 * Session records and per-session queue limits of the lowdb state store (issue 12), on a real
 * state file in a temp dir: round-trips across reopen, `keep` eviction, `full` scopes, positions
 * per session, dedup across sessions, and state files from before sessions existed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, StateError } from '../../src/state/open.js';
import { STATE_VERSION, type QueuedTurn, type SessionRecord, type StateStore } from '../../src/state/types.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

let dir: string;
const open: StateStore[] = [];

beforeEach(() => {
  dir = makeTempDir('sb-sessions-');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(cleanupTempDirs);

async function openStore(): Promise<StateStore> {
  const store = await openStateStore(dir);
  open.push(store);
  return store;
}

async function reopen(store: StateStore): Promise<StateStore> {
  await store.close();
  return openStore();
}

function session(key: string, at: number, extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    key,
    scope: 'conversation',
    place: { channelId: 'slack', conversation: key },
    threadId: `th-${key}`,
    threadHasHistory: false,
    lastLostThreadId: null,
    pendingLostThreadWarning: false,
    previousThreads: [],
    createdAt: at,
    lastActiveAt: at,
    ...extra,
  };
}

function turn(n: number, session?: string, dedupKey = `slack:C:m${n}`): QueuedTurn {
  return {
    id: `q${n}`,
    dedupKey,
    kind: 'message',
    address: { channelId: 'slack', conversation: session ?? 'C', messageId: `m${n}` },
    sender: { id: 'u1' },
    text: `hello ${n}`,
    acceptedAt: 1_000 + n,
    attempts: 0,
    ...(session === undefined ? {} : { session }),
  };
}

const limits = { dispatcher: 10, session: 2 };

describe('session records', () => {
  it('put, get, list and patch round-trip across reopen, oldest createdAt first, per dispatcher', async () => {
    let store = await openStore();
    await store.putSession('main', session('b', 200), 10);
    await store.putSession('main', session('a', 100, { scope: 'thread', place: { channelId: 'slack', conversation: 'C1', thread: '1.5' } }), 10);
    await store.putSession('other', session('a', 300), 10);
    const patched = await store.patchSession('main', 'b', {
      threadId: 'th-b2',
      previousThreads: [{ threadId: 'th-b', endedAt: 250, reason: 'new' }],
      lastActiveAt: 260,
    });
    expect(patched).toEqual({
      ...session('b', 200),
      threadId: 'th-b2',
      previousThreads: [{ threadId: 'th-b', endedAt: 250, reason: 'new' }],
      lastActiveAt: 260,
    });

    store = await reopen(store);
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['a', 'b']);
    expect(store.getSession('main', 'b')).toEqual(patched);
    expect(store.getSession('main', 'a')?.place).toEqual({ channelId: 'slack', conversation: 'C1', thread: '1.5' });
    expect(store.getSession('other', 'a')?.createdAt).toBe(300);
    expect(store.getSession('other', 'b')).toBeUndefined();
    expect(store.listSessions('nobody')).toEqual([]);
    const onDisk = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
    expect(onDisk.sessions.main.map((r: SessionRecord) => r.key)).toEqual(['a', 'b']);
  });

  it('put replaces a record by key; patch of an unknown key is a StateError and writes nothing', async () => {
    const store = await openStore();
    await store.putSession('main', session('a', 100), 10);
    await store.putSession('main', session('a', 100, { threadId: 'th-new' }), 10);
    expect(store.listSessions('main')).toEqual([session('a', 100, { threadId: 'th-new' })]);
    const err = await store.patchSession('main', 'zz', { threadId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toMatch(/no session record "zz"/);
    expect(store.listSessions('main')).toHaveLength(1);
  });

  it('records handed out are not changed by later mutations', async () => {
    const store = await openStore();
    const rec = session('a', 100);
    await store.putSession('main', rec, 10);
    rec.previousThreads.push({ threadId: 'caller-side', endedAt: 1, reason: 'new' });
    const before = store.getSession('main', 'a')!;
    const list = store.listSessions('main');
    await store.patchSession('main', 'a', { threadId: 'th-2' });
    expect(before.previousThreads).toEqual([]);
    expect(before.threadId).toBe('th-a');
    expect(list[0]?.threadId).toBe('th-a');
  });

  it('beyond keep drops the least recently active sessions, skipping those with queued entries', async () => {
    let store = await openStore();
    // Created in order a..d; d is newest but a is the most recently active.
    await store.putSession('main', session('a', 100, { lastActiveAt: 900 }), 10);
    await store.putSession('main', session('b', 200, { lastActiveAt: 300 }), 10);
    await store.putSession('main', session('c', 300, { lastActiveAt: 400 }), 10);
    expect((await store.enqueue('main', turn(1, 'b'), limits)).status).toBe('accepted');

    await store.putSession('main', session('d', 400, { lastActiveAt: 500 }), 3);
    // One over: b is least active but has a queued entry; c (active 400) goes before a (900, created first).
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['a', 'b', 'd']);
    store = await reopen(store);
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['a', 'b', 'd']);
    // Two over: the idle d (500) and a (900) go; e, the record put, stays although it is not the most active.
    await store.putSession('main', session('e', 500, { lastActiveAt: 600 }), 2);
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['b', 'e']);
  });

  it('keeps more than keep when every other session has queued entries, and never drops the record put', async () => {
    const store = await openStore();
    await store.putSession('main', session('a', 100), 10);
    await store.putSession('main', session('b', 200), 10);
    await store.enqueue('main', turn(1, 'a'), limits);
    await store.enqueue('main', turn(2, 'b'), limits);
    await store.putSession('main', session('c', 300, { lastActiveAt: 1 }), 1);
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['a', 'b', 'c']);
    await store.removeQueued('main', 'q1');
    await store.putSession('main', session('d', 400), 1);
    expect(store.listSessions('main').map((r) => r.key)).toEqual(['b', 'd']);
  });
});

describe('enqueue with QueueLimits', () => {
  it('positions count the entry own session; entries without session are one session', async () => {
    const store = await openStore();
    const positions = [];
    for (const [n, s] of [
      [1, 'a'],
      [2, undefined],
      [3, 'b'],
      [4, 'a'],
      [5, undefined],
    ] as const) {
      const r = await store.enqueue('main', turn(n, s), limits);
      positions.push(r.status === 'accepted' ? r.position : r.status);
    }
    expect(positions).toEqual([1, 1, 1, 2, 2]);
    expect(store.listQueue('main').map((q) => q.id)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    await store.removeQueued('main', 'q1');
    expect(await store.enqueue('main', turn(6, 'a'), limits)).toMatchObject({ status: 'accepted', position: 2 });
  });

  it('a session at limits.session is full with scope session; other sessions and the own thread still accept', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(1, 'a'), limits);
    await store.enqueue('main', turn(2, 'a'), limits);
    expect(await store.enqueue('main', turn(3, 'a'), limits)).toEqual({ status: 'full', limit: 2, scope: 'session' });
    expect((await store.enqueue('main', turn(4, 'b'), limits)).status).toBe('accepted');
    // The session limit applies to entries with a session only.
    for (let n = 5; n <= 7; n++) expect((await store.enqueue('main', turn(n), limits)).status).toBe('accepted');
    // full did not mark the key seen: once the session drains, the retry is accepted.
    await store.removeQueued('main', 'q1');
    expect(await store.enqueue('main', turn(3, 'a'), limits)).toMatchObject({ status: 'accepted', position: 2 });
  });

  it('a dispatcher at limits.dispatcher is full with scope dispatcher, checked before the session limit', async () => {
    const store = await openStore();
    const tight = { dispatcher: 3, session: 2 };
    await store.enqueue('main', turn(1, 'a'), tight);
    await store.enqueue('main', turn(2, 'a'), tight);
    await store.enqueue('main', turn(3, 'b'), tight);
    expect(await store.enqueue('main', turn(4, 'a'), tight)).toEqual({ status: 'full', limit: 3, scope: 'dispatcher' });
    expect(await store.enqueue('main', turn(5, 'c'), tight)).toEqual({ status: 'full', limit: 3, scope: 'dispatcher' });
    expect(await store.enqueue('main', turn(6), tight)).toEqual({ status: 'full', limit: 3, scope: 'dispatcher' });
    // A number is the dispatcher's limit, sessions unbounded.
    expect((await store.enqueue('other', turn(1, 'a'), 5)).status).toBe('accepted');
    expect((await store.enqueue('other', turn(2, 'a'), 5)).status).toBe('accepted');
    expect(await store.enqueue('other', turn(3, 'a'), 5)).toMatchObject({ status: 'accepted', position: 3 });
  });

  it('dedup stays global per dispatcher across sessions, also after reopen', async () => {
    let store = await openStore();
    await store.enqueue('main', turn(1, 'a', 'slack:C:x'), limits);
    expect(await store.enqueue('main', turn(2, 'b', 'slack:C:x'), limits)).toEqual({ status: 'duplicate' });
    expect(await store.enqueue('main', turn(3, undefined, 'slack:C:x'), limits)).toEqual({ status: 'duplicate' });
    expect((await store.enqueue('other', turn(4, 'a', 'slack:C:x'), limits)).status).toBe('accepted');
    await store.removeQueued('main', 'q1');
    store = await reopen(store);
    expect(await store.enqueue('main', turn(5, 'c', 'slack:C:x'), limits)).toEqual({ status: 'duplicate' });
    expect(store.listQueue('main')).toEqual([]);
    expect(store.listQueue('other').map((q) => q.session)).toEqual(['a']);
  });
});

describe('state files and sessions', () => {
  const base = { version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} };

  it('opens a state file written before sessions existed, and adds them on the first put', async () => {
    const legacyQueued = turn(1);
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({
        ...base,
        dispatchers: { main: { status: 'ready', threadId: 't0' } },
        queue: { main: [legacyQueued] },
        seen: { main: [legacyQueued.dedupKey] },
      }),
    );
    const store = await openStore();
    expect(store.listSessions('main')).toEqual([]);
    expect(store.getSession('main', 'a')).toBeUndefined();
    expect(store.getDispatcher('main')?.previousThreads).toBeUndefined();
    // The queued entry without `session` is the dispatcher's own thread: position 2 there.
    expect(await store.enqueue('main', turn(2), limits)).toMatchObject({ status: 'accepted', position: 2 });
    await store.putSession('main', session('a', 100), 10);
    const again = await reopen(store);
    expect(again.listSessions('main').map((r) => r.key)).toEqual(['a']);
  });

  it.each([
    [{ sessions: [] }, /has a non-object "sessions"/],
    [{ sessions: { main: {} } }, /has a non-array "sessions\.main"/],
  ])('refuses a malformed sessions value without touching the file (%j)', async (extra, message) => {
    const file = path.join(dir, 'state.json');
    const bytes = JSON.stringify({ ...base, ...extra });
    await writeFile(file, bytes);
    const err = await openStateStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/has not modified it/);
    expect(await readFile(file, 'utf8')).toBe(bytes);
  });

  it.each([
    [[42], 0, /\(entry\)/],
    [[{ ...session('a', 1), place: null }], 0, /place/],
    [[session('a', 1), { key: 'b', place: {} }], 1, /scope/],
  ])('quarantines a malformed session record and keeps the others (%j)', async (list, bad, reason) => {
    await writeFile(path.join(dir, 'state.json'), JSON.stringify({ ...base, sessions: { main: list } }));
    const store = await openStore();
    expect(store.listSessions('main')).toEqual(list.filter((_, i) => i !== bad));
    expect(store.listQuarantine()).toEqual([
      expect.objectContaining({ from: `sessions.main[${bad}]`, dispatcherId: 'main', raw: list[bad], reason: expect.stringMatching(reason) }),
    ]);
    const again = await reopen(store);
    expect(again.listQuarantine()).toHaveLength(1);
    expect(again.listSessions('main')).toHaveLength(list.length - 1);
  });
});
