import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStateStore, StateError } from '../../src/state/open.js';
import { STATE_VERSION, type QueuedMessage, type QueuedTurn, type StateStore, type WebMessage } from '../../src/state/types.js';
import type { Clock } from '../../src/clock.js';
import { WebJournal } from '../../src/state/web-journal.js';
import { webFileName, webJournalName } from '../../src/state/web-journal-format.js';

let dir: string;
const open: StateStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-state-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
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

/** A web channel's history journal as on disk: its header and every later line, parsed. */
async function webOnDisk(channelId: string): Promise<{ header: unknown; records: any[] }> {
  const text = await readFile(path.join(dir, webJournalName(channelId)), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const [header, ...records] = text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return { header, records };
}

/** The messages appended to `conversation` in the journal (ids in file order). */
async function appendedOnDisk(channelId: string, conversation: string): Promise<string[]> {
  return (await webOnDisk(channelId)).records.filter((r) => r.c === conversation && r.m).map((r) => r.m.id as string);
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

  it('quarantines malformed entries of every list, keeping each whole with where it was; a valid file is not rewritten', async () => {
    const file = path.join(dir, 'state.json');
    const good = turn(1);
    const badTurn = { ...turn(2), attempts: 'twice' };
    const badCompletion = { id: 'c1', state: 'accepted' };
    const badReply = { idempotencyKey: 'k' };
    const badApproval = { id: 'a1', dispatcherId: 'main' };
    const doc = {
      version: STATE_VERSION,
      dispatchers: {},
      queue: { main: [good, badTurn] },
      seen: { main: [] },
      web: {},
      completions: { main: [badCompletion] },
      failedReplies: { main: [badReply] },
      approvals: [badApproval],
    };
    await writeFile(file, JSON.stringify(doc));
    const store = await openStore({ clock: { now: () => 5_000 } as Clock });
    expect(store.listQueue('main')).toEqual([good]);
    expect(store.listCompletions('main')).toEqual([]);
    expect(store.listFailedReplies('main')).toEqual([]);
    expect(store.listApprovals()).toEqual([]);
    expect(store.listQuarantine()).toEqual([
      expect.objectContaining({
        from: 'queue.main[1]',
        raw: badTurn,
        reason: expect.stringMatching(/^attempts: /),
        quarantinedAt: 5_000,
        noticeTo: badTurn.address,
        noticed: false,
      }),
      expect.objectContaining({ from: 'completions.main[0]', raw: badCompletion, noticeTo: null, noticed: true }),
      expect.objectContaining({ from: 'failedReplies.main[0]', raw: badReply }),
      expect.objectContaining({ from: 'approvals[0]', dispatcherId: 'main', raw: badApproval }),
    ]);
    expect((await onDisk()).quarantine).toHaveLength(4);
    const id = store.listQuarantine()[0]!.id;
    await store.markQuarantineNoticed(id);
    expect(store.listQuarantine()[0]?.noticed).toBe(true);
    await store.close();

    const bytes = await readFile(file, 'utf8');
    const again = await openStore();
    expect(again.listQuarantine()).toHaveLength(4);
    expect(await readFile(file, 'utf8')).toBe(bytes);
  });

  it('refuses a non-array quarantine list', async () => {
    await writeFile(path.join(dir, 'state.json'), JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {}, quarantine: {} }));
    expect((await openError()).message).toMatch(/non-array "quarantine"/);
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
    expect(await store.enqueue('main', turn(2), 1)).toEqual({ status: 'full', limit: 1, scope: 'dispatcher' });
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
    expect(results.map((r) => (r.status === 'accepted' ? r.position : -1))).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
    const ids = Array.from({ length: 50 }, (_, n) => `q${n}`);
    expect((await onDisk()).queue.main.map((q: QueuedTurn) => q.id)).toEqual(ids);
    await store.close();
    expect((await openStore()).listQueue('main').map((q) => q.id)).toEqual(ids);
  });

  it('removeQueued and updateQueued change only the named entry', async () => {
    const store = await openStore();
    for (const n of [1, 2, 3]) await store.enqueue('main', turn(n), 10);
    await store.updateQueued('main', 'q3', { attempts: 1 });
    await store.removeQueued('main', 'q2');
    await store.removeQueued('main', 'absent');
    await store.removeQueued('nobody', 'q1');
    expect(store.listQueue('main')).toEqual([turn(1), { ...turn(3), attempts: 1 }]);
    expect((await onDisk()).queue.main).toEqual([turn(1), { ...turn(3), attempts: 1 }]);
  });

  it('updateQueued records the open live element durably and removes it with null', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(1), 10);
    const live = { channelId: 'slack-main', ref: '{"ts":"1.2"}' };
    await store.updateQueued('main', 'q1', { live });
    expect((await onDisk()).queue.main).toEqual([{ ...turn(1), live }]);
    await store.close();
    const reopened = await openStore();
    expect(reopened.listQueue('main')[0]?.live).toEqual(live);
    await reopened.updateQueued('main', 'q1', { live: null, attempts: 2 });
    expect(reopened.listQueue('main')).toEqual([{ ...turn(1), attempts: 2 }]);
  });

  it('pending attachments survive a reopen; updateQueued records the resolved text and drops them', async () => {
    const store = await openStore();
    const withAttachment: QueuedMessage = { ...(turn(1) as QueuedMessage), text: 'see \uE0010\uE001', attachments: [{ kind: 'image', key: 'img_1' }] };
    await store.enqueue('main', withAttachment, 10);
    await store.close();
    const reopened = await openStore();
    expect(reopened.listQueue('main')).toEqual([withAttachment]);
    await reopened.updateQueued('main', 'q1', { text: 'see [image: /x.png]', attachments: null });
    expect((await onDisk()).queue.main).toEqual([{ ...turn(1), text: 'see [image: /x.png]' }]);
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
      status: 'declared',
      statusChangedAt: 5_000,
      threadId: 't1',
      lastLostThreadId: null,
      pendingLostThreadWarning: false,
      threadHasHistory: false,
      lastError: null,
      lastStartedAt: null,
      lastReadyAt: null,
      restartAttempts: 0,
      restartCount: 0,
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

  it('replaceWebMessage replaces one message in place, durably; an unknown id is false', async () => {
    const store = await openStore();
    for (let n = 1; n <= 3; n++) await store.appendWebMessage('local', 'general', msg(n), 10);
    const prompt = { ...msg(2), text: 'new body', prompt: { title: 'T', buttons: [], status: 'done' } };
    expect(await store.replaceWebMessage('local', 'general', 'w2', prompt)).toBe(true);
    expect(await store.replaceWebMessage('local', 'general', 'w9', prompt)).toBe(false);
    expect(await store.replaceWebMessage('nope', 'general', 'w2', prompt)).toBe(false);
    await store.close();
    expect((await openStore()).listWebMessages('local', 'general')).toEqual([msg(1), prompt, msg(3)]);
  });

  it('live in one journal per web channel, so queue writes do not rewrite the history', async () => {
    const store = await openStore();
    await store.appendWebMessage('local', 'general', msg(1), 10);
    await store.appendWebMessage('team', 'general', msg(2), 10);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl', 'web-team.jsonl']);
    expect(await webOnDisk('local')).toEqual({ header: { version: 2, channel: 'local' }, records: [{ c: 'general', n: 10, m: msg(1) }] });
    expect((await onDisk()).web).toEqual({});

    const before = (await stat(path.join(dir, 'web-local.jsonl'))).mtimeMs;
    const write = vi.spyOn(Low.prototype, 'write');
    await store.enqueue('main', turn(1), 10);
    await store.removeQueued('main', 'q1');
    expect(write).toHaveBeenCalledTimes(2);
    // Both writes were of state.json's document.
    for (const db of write.mock.contexts) expect((db as Low<Record<string, unknown>>).data).toHaveProperty('queue');
    expect((await stat(path.join(dir, 'web-local.jsonl'))).mtimeMs).toBe(before);
    expect((await onDisk()).queue.main).toEqual([]);
  });

  it('file names encode any channel id into one safe, case-distinct path component', () => {
    expect(webJournalName('local-web_1')).toBe('web-local-web_1.jsonl');
    expect(webJournalName('Web')).toBe('web-%57eb.jsonl');
    expect(webJournalName('../x y')).toBe('web-%2E%2E%2Fx%20y.jsonl');
    expect(webJournalName('é')).toBe('web-%C3%A9.jsonl');
    expect(webFileName('Web')).toBe('web-%57eb.json');
  });

  it('moves history kept in state.json by an earlier version into the channel files', async () => {
    const legacy = {
      version: STATE_VERSION,
      dispatchers: {},
      queue: { main: [turn(1)] },
      seen: { main: ['web:m1'] },
      web: { local: { general: [msg(1), msg(2)], empty: [] }, other: {} },
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(legacy));
    const store = await openStore();
    expect(store.listWebMessages('local', 'general')).toEqual([msg(1), msg(2)]);
    expect(store.listWebConversations('local').sort()).toEqual(['empty', 'general']);
    expect(store.listQueue('main')).toEqual([turn(1)]);
    expect(await appendedOnDisk('local', 'general')).toEqual(['w1', 'w2']);
    expect(await onDisk()).toEqual({ ...legacy, web: {} });
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);
    await store.close();
    expect((await openStore()).listWebConversations('local').sort()).toEqual(['empty', 'general']);
  });

  it('after a crash mid-migration the newer file wins over the leftover copies, which are dropped', async () => {
    await writeFile(path.join(dir, 'web-local.json'), JSON.stringify({ version: 1, channel: 'local', conversations: { general: [msg(1), msg(2)] } }));
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: { local: { general: [msg(1)] } } }),
    );
    const store = await openStore();
    expect(store.listWebMessages('local', 'general')).toEqual([msg(1), msg(2)]);
    expect((await onDisk()).web).toEqual({});
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);

    // A journal and a v1 file of the same channel: the journal wins.
    await store.close();
    await writeFile(path.join(dir, 'web-local.json'), JSON.stringify({ version: 1, channel: 'local', conversations: { general: [msg(7)] } }));
    const again = await openStore();
    expect(again.listWebMessages('local', 'general')).toEqual([msg(1), msg(2)]);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);
  });

  it('refuses an unusable history file without touching any file', async () => {
    const state = path.join(dir, 'state.json');
    const stateBytes = JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: { x: { c: [msg(1)] } } });
    await writeFile(state, stateBytes);
    const file = path.join(dir, 'web-local.json');
    const cases: [string, RegExp][] = [
      ['{"version": 1, ', /not valid JSON/],
      [JSON.stringify({ version: 2, channel: 'local', conversations: {} }), /version 2, newer than this Switchboard supports/],
      [JSON.stringify({ version: 1, channel: 'other', conversations: {} }), /belongs to channel "other", whose history file is web-other\.json/],
      [JSON.stringify({ version: 1, channel: 'local', conversations: { c: {} } }), /"conversations"/],
    ];
    for (const [bytes, why] of cases) {
      await writeFile(file, bytes);
      const err = await openError();
      expect(err.message).toContain(file);
      expect(err.message).toMatch(why);
      expect(await readFile(file, 'utf8')).toBe(bytes);
      expect(await readFile(state, 'utf8')).toBe(stateBytes);
      expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.json']);
    }
  });
});

describe('write coalescing', () => {
  it('20 concurrent mutations share far fewer than 20 writes, each durable when it resolves', async () => {
    const store = await openStore();
    const write = vi.spyOn(Low.prototype, 'write');
    const checks: Promise<void>[] = [];
    /** At resolution, the change must already be in the file (read synchronously, right then). */
    const durable = (p: Promise<unknown>, onFile: (disk: any) => boolean): void => {
      checks.push(
        p.then(() => {
          expect(onFile(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')))).toBe(true);
        }),
      );
    };
    for (let n = 0; n < 10; n++) {
      durable(store.enqueue('main', turn(n), 100), (d) => d.queue.main.some((q: QueuedTurn) => q.id === `q${n}`));
    }
    for (let n = 0; n < 5; n++) {
      durable(store.patchDispatcher(`d${n}`, { restartCount: n }), (d) => d.dispatchers[`d${n}`]?.restartCount === n);
    }
    await new Promise((r) => setImmediate(r)); // the first batch is being written now
    expect(write).toHaveBeenCalledTimes(1);
    for (let n = 0; n < 5; n++) {
      durable(store.updateQueued('main', `q${n}`, { attempts: 1 }), (d) => d.queue.main[n].attempts === 1);
    }
    await Promise.all(checks);
    expect(checks).toHaveLength(20);
    expect(write).toHaveBeenCalledTimes(2); // one batch per tick, the second after the first finished

    await store.close();
    const again = await openStore();
    expect(again.listQueue('main').map((q) => [q.id, q.attempts])).toEqual(Array.from({ length: 10 }, (_, n) => [`q${n}`, n < 5 ? 1 : 0]));
    expect(again.getDispatcher('d4')?.restartCount).toBe(4);
  });

  it('mutations issued across awaits of the same tick share one write', async () => {
    const store = await openStore();
    const write = vi.spyOn(Low.prototype, 'write');
    // Like a web POST: one change, then a chain of async calls ending in another change.
    const chained = async (n: number): Promise<unknown> => {
      const first = store.patchDispatcher('main', { restartCount: n });
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return Promise.all([first, store.enqueue('main', turn(n), 10)]);
    };
    await Promise.all([chained(1), chained(2)]);
    expect(write).toHaveBeenCalledTimes(1);
    expect((await onDisk()).queue.main.map((q: QueuedTurn) => q.id)).toEqual(['q1', 'q2']);
  });

  it('history appends of one channel coalesce too, in call order', async () => {
    const store = await openStore();
    const write = vi.spyOn(WebJournal.prototype, 'write');
    await Promise.all(Array.from({ length: 20 }, (_, n) => store.appendWebMessage('local', 'c', msg(n), 100)));
    expect(write).toHaveBeenCalledTimes(1);
    expect(await appendedOnDisk('local', 'c')).toEqual(Array.from({ length: 20 }, (_, n) => `w${n}`));
    await Promise.all(Array.from({ length: 20 }, (_, n) => store.appendWebMessage('local', 'c', msg(20 + n), 100)));
    expect(write).toHaveBeenCalledTimes(2);
    expect(await appendedOnDisk('local', 'c')).toEqual(Array.from({ length: 40 }, (_, n) => `w${n}`));
  });

  it('writes one file at a time, state.json first, and a file passed over goes next', async () => {
    const store = await openStore();
    const order: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const track = async (name: string, write: Promise<void>): Promise<void> => {
      order.push(name);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        await write;
      } finally {
        inFlight--;
      }
    };
    const stateWrite = Low.prototype.write;
    vi.spyOn(Low.prototype, 'write').mockImplementation(function (this: Low<Record<string, unknown>>) {
      return track('state', stateWrite.call(this));
    });
    const journalWrite = WebJournal.prototype.write;
    vi.spyOn(WebJournal.prototype, 'write').mockImplementation(function (this: WebJournal) {
      return track('web', journalWrite.call(this));
    });
    // The history append comes first, as in a web POST; the queue write still goes first.
    const first = [store.appendWebMessage('local', 'c', msg(1), 10), store.enqueue('main', turn(1), 10)];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['state']);
    // Due while state.json is being written: the waiting history write goes before it.
    const second = store.patchDispatcher('main', { restartCount: 1 });
    await Promise.all([...first, second]);
    expect(order).toEqual(['state', 'web', 'state']);
    expect(maxInFlight).toBe(1);
  });

  it('a failed write rejects every mutation of its batch; the new entry is undone, the rest kept and written next', async () => {
    const store = await openStore();
    await store.enqueue('main', turn(0), 100);
    // A directory where the store writes its temp file makes the next write fail.
    const tmp = path.join(dir, '.state.json.tmp');
    await mkdir(tmp);
    const batch = [store.enqueue('main', turn(1), 100), store.patchDispatcher('main', { restartCount: 7 }), store.removeQueued('main', 'q0')];
    const results = await Promise.allSettled(batch);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ name: 'StateWriteError', code: 'EISDIR' });
    expect((await onDisk()).queue.main.map((q: QueuedTurn) => q.id)).toEqual(['q0']);
    // Refused means refused: q1 is gone from memory too, and its dedup key is free again.
    expect(store.listQueue('main').map((q) => q.id)).toEqual([]);
    expect(store.getDispatcher('main')?.restartCount).toBe(7);

    await rm(tmp, { recursive: true });
    await store.enqueue('main', turn(2), 100);
    const disk = await onDisk();
    expect(disk.queue.main.map((q: QueuedTurn) => q.id)).toEqual(['q2']);
    expect(disk.seen.main).toEqual(['web:m0', 'web:m2']);
    expect(disk.dispatchers.main.restartCount).toBe(7);
    await expect(store.enqueue('main', turn(1), 100)).resolves.toMatchObject({ status: 'accepted' });
  });

  it('close() waits for a batch that has not started writing yet', async () => {
    const store = await openStore();
    const pending = [store.enqueue('main', turn(1), 10), store.appendWebMessage('local', 'c', msg(1), 10)];
    await store.close();
    expect((await onDisk()).queue.main).toHaveLength(1);
    expect(await appendedOnDisk('local', 'c')).toEqual(['w1']);
    await expect(Promise.all(pending)).resolves.toBeDefined();
    expect(() => store.listWebMessages('local', 'c')).toThrow(/closed/);
    await expect(store.appendWebMessage('local', 'c', msg(2), 10)).rejects.toThrow(StateError);
  });
});

describe('failed replies', () => {
  it('keeps the newest `limit` per dispatcher across reopen', async () => {
    const store = await openStore();
    const address = { channelId: 'slack', conversation: 'C1', messageId: '1.0' };
    for (let i = 1; i <= 4; i++) {
      await store.recordFailedReply('main', { idempotencyKey: `k${i}`, address, kind: 'answer', text: `t${i}`, error: 'channel_not_found', failedAt: i }, 3);
    }
    expect(store.listFailedReplies('main').map((r) => r.idempotencyKey)).toEqual(['k2', 'k3', 'k4']);
    expect(store.listFailedReplies('other')).toEqual([]);
    await store.close();
    const again = await openStore();
    expect(again.listFailedReplies('main').map((r) => r.text)).toEqual(['t2', 't3', 't4']);
  });

  it('opens a state file written before failed replies existed', async () => {
    await writeFile(path.join(dir, 'state.json'), JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} }));
    const store = await openStore();
    expect(store.listFailedReplies('main')).toEqual([]);
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
